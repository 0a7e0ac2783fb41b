"""``ctid fax export|import``: back up a date range of faxes, and restore it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import ConfigError, load_config
from ..recording.cli import parse_day_or_time

__all__ = ["fax_command", "setup_fax"]


def setup_fax(parser: argparse.ArgumentParser) -> None:
    parser.description = "back up and restore faxes (received and sent, with their documents)"
    sub = parser.add_subparsers(dest="fax_command", required=True, metavar="ACTION")
    export = sub.add_parser("export", help="write a date range of faxes to a tar archive")
    export.add_argument("--config", required=True, type=Path)
    export.add_argument("--from", dest="start", required=True, help="first day (or ISO time)")
    export.add_argument("--to", dest="end", required=True, help="day after the last (exclusive)")
    export.add_argument("--out", required=True, type=Path, help="the archive to write (.tar)")
    restore = sub.add_parser("import", help="put the faxes of an archive back")
    restore.add_argument("--config", required=True, type=Path)
    restore.add_argument("archive", type=Path)


def fax_command(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from ..records import db
    from ..records.config import records_settings
    from .archive import ArchiveError, export_archive, import_archive
    from .config import fax_settings

    try:
        config = load_config(args.config)
        records = records_settings(config)
        fax = fax_settings(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # A fresh state directory works (a restore onto a new machine): the database is
    # created with its schema as the daemon's first start would.
    records.spool_dir.parent.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(records.url)
    try:
        db.prepare(engine)
        if args.fax_command == "export":
            try:
                start = parse_day_or_time(args.start, records.timezone)
                end = parse_day_or_time(args.end, records.timezone)
            except ValueError as exc:
                print(f"error: --from/--to: {exc}", file=sys.stderr)
                return 2
            result = export_archive(engine, fax.directory, start, end, args.out)
            print(
                f"{args.out}: {result.faxes} fax(es), {result.documents} document(s), "
                f"{result.calls} call record(s), {result.bytes} bytes of images"
            )
        else:
            restored = import_archive(engine, fax.directory, args.archive)
            print(
                f"{args.archive}: {restored.faxes} fax(es) restored, {restored.files} file(s) "
                f"placed, {restored.already_there} already there, {restored.calls} call record(s)"
            )
    except (ArchiveError, db.SchemaError, OSError, SQLAlchemyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0
