"""``ctid recording|fax export|import``: the part of both commands they share.

Each command says where its files live, how it writes and reads an archive
(``ctid.records.archive``) and what it prints; this module gives both the same
flags, the same checks and the same exit codes: 0 done, 1 the archive or the
database failed, 2 bad input (the configuration, ``--from``/``--to``, an archive
to import that is not a readable tar file) with nothing changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tarfile
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy.engine import Engine

from ..config import Config, ConfigError, load_config

__all__ = ["ArchiveCommand", "parse_day_or_time", "run_archive_command", "setup_archive_command"]


def parse_day_or_time(value: str, tz: str) -> dt.datetime:
    """``2027-01-15`` (midnight in ``tz``) or an ISO 8601 time (``tz`` if it has no zone)."""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(tz))
    return moment


@attrs.frozen(kw_only=True)
class ArchiveCommand:
    """What one command's archives hold, and how it says what it did."""

    #: Where the files live (reads the command's own section; raises ``ConfigError``).
    directory: Callable[[Config], Path]
    #: ``export(engine, directory, start, end, out)`` -> its result.
    export: Callable[[Engine, Path, dt.datetime, dt.datetime, Path], Any]
    #: ``restore(engine, directory, archive)`` -> its result.
    restore: Callable[[Engine, Path, Path], Any]
    #: The line printed after an export: ``str.format`` of ``archive`` and ``result``.
    exported: str
    #: The line printed after an import: ``str.format`` of ``archive`` and ``result``.
    imported: str


def setup_archive_command(parser: argparse.ArgumentParser, dest: str, noun: str) -> None:
    """The ``export`` and ``import`` actions, their action in ``args.<dest>``."""
    sub = parser.add_subparsers(dest=dest, required=True, metavar="ACTION")
    export = sub.add_parser("export", help=f"write a date range of {noun} to a tar archive")
    export.add_argument("--config", required=True, type=Path)
    export.add_argument("--from", dest="start", required=True, help="first day (or ISO time)")
    export.add_argument("--to", dest="end", required=True, help="day after the last (exclusive)")
    export.add_argument("--out", required=True, type=Path, help="the archive to write (.tar)")
    restore = sub.add_parser("import", help=f"put the {noun} of an archive back")
    restore.add_argument("--config", required=True, type=Path)
    restore.add_argument("archive", type=Path)


def _unreadable(archive: Path) -> str | None:
    """Why ``archive`` cannot be imported at all (None: it is a tar file)."""
    try:
        with tarfile.open(archive, "r"):
            return None
    except tarfile.TarError:
        return "not a tar archive"
    except OSError as exc:
        return exc.strerror or str(exc)


def run_archive_command(args: argparse.Namespace, action: str, command: ArchiveCommand) -> int:
    """Run ``export`` or ``import`` (``action``) of ``command``; the exit code."""
    from sqlalchemy.exc import SQLAlchemyError

    from . import db
    from .archive import ArchiveError
    from .config import records_settings

    try:
        config = load_config(args.config)
        records = records_settings(config)
        directory = command.directory(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if action == "import" and (why := _unreadable(args.archive)) is not None:
        # Before the state directory or the database is made: a wrong file changes nothing.
        print(f"error: {args.archive}: {why}", file=sys.stderr)
        return 2
    # A fresh state directory works (a restore onto a new machine): the database is
    # created with its schema as the daemon's first start would; one at another
    # revision is refused as the daemon refuses it.
    records.spool_dir.parent.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(records.url)
    try:
        db.prepare(engine)
        if action == "export":
            try:
                start = parse_day_or_time(args.start, records.timezone)
                end = parse_day_or_time(args.end, records.timezone)
            except ValueError as exc:
                print(f"error: --from/--to: {exc}", file=sys.stderr)
                return 2
            result = command.export(engine, directory, start, end, args.out)
            print(command.exported.format(archive=args.out, result=result))
        else:
            result = command.restore(engine, directory, args.archive)
            print(command.imported.format(archive=args.archive, result=result))
    except (ArchiveError, db.SchemaError, OSError, SQLAlchemyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0
