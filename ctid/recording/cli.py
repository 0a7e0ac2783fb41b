"""``ctid recording export|import``: back up a date range of recordings, and restore it."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import zoneinfo
from pathlib import Path

from ..config import ConfigError, load_config

__all__ = ["parse_day_or_time", "recording_command", "setup_recording"]


def parse_day_or_time(value: str, tz: str) -> dt.datetime:
    """``2027-01-15`` (midnight in ``tz``) or an ISO 8601 time (``tz`` if it has no zone)."""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(tz))
    return moment


def setup_recording(parser: argparse.ArgumentParser) -> None:
    parser.description = "back up and restore call recordings"
    sub = parser.add_subparsers(dest="recording_command", required=True, metavar="ACTION")
    export = sub.add_parser("export", help="write a date range of recordings to a tar archive")
    export.add_argument("--config", required=True, type=Path)
    export.add_argument("--from", dest="start", required=True, help="first day (or ISO time)")
    export.add_argument("--to", dest="end", required=True, help="day after the last (exclusive)")
    export.add_argument("--out", required=True, type=Path, help="the archive to write (.tar)")
    restore = sub.add_parser("import", help="put the recordings of an archive back")
    restore.add_argument("--config", required=True, type=Path)
    restore.add_argument("archive", type=Path)


def recording_command(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from ..records import db
    from ..records.config import records_settings
    from .archive import ArchiveError, export_archive, import_archive
    from .config import recording_settings

    try:
        config = load_config(args.config)
        records = records_settings(config)
        recording = recording_settings(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # A fresh state directory works (a restore onto a new machine): the database is
    # created with its schema as the daemon's first start would; one at another
    # revision is refused as the daemon refuses it.
    records.spool_dir.parent.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(records.url)
    try:
        db.prepare(engine)
        if args.recording_command == "export":
            try:
                start = parse_day_or_time(args.start, records.timezone)
                end = parse_day_or_time(args.end, records.timezone)
            except ValueError as exc:
                print(f"error: --from/--to: {exc}", file=sys.stderr)
                return 2
            result = export_archive(engine, recording.directory, start, end, args.out)
            print(
                f"{args.out}: {result.recordings} recording(s), {result.calls} call record(s), "
                f"{result.bytes} bytes of audio"
            )
        else:
            restored = import_archive(engine, recording.directory, args.archive)
            print(
                f"{args.archive}: {restored.recordings} recording(s) restored, "
                f"{restored.already_there} already there, {restored.calls} call record(s)"
            )
    except (ArchiveError, db.SchemaError, OSError, SQLAlchemyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0
