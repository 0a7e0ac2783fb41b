"""``ctid db ...``: the records database from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import ConfigError, load_config
from .config import records_settings

__all__ = ["db_command", "setup_db"]


def setup_db(parser: argparse.ArgumentParser) -> None:
    parser.description = "the records database: schema migrations"
    sub = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = sub.add_parser(
        "upgrade", help="migrate the records database to this ctid's schema (creates it if empty)"
    )
    upgrade.add_argument("--config", required=True, type=Path)
    current = sub.add_parser("current", help="print the database's schema revision")
    current.add_argument("--config", required=True, type=Path)


def db_command(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from . import db

    try:
        settings = records_settings(load_config(args.config))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings.spool_dir.parent.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(settings.url)
    try:
        if args.db_command == "upgrade":
            before, after = db.upgrade(engine)
            if before == after:
                print(f"{settings.display_url}: already at revision {after}")
            else:
                print(f"{settings.display_url}: upgraded from {before or 'empty'} to {after}")
        else:
            current = db.current_revision(engine)
            head = db.head_revision()
            state = "up to date" if current == head else f"this ctid needs {head}"
            print(f"{settings.display_url}: revision {current or 'none'} ({state})")
    except SQLAlchemyError as exc:
        print(f"error: {settings.display_url}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0
