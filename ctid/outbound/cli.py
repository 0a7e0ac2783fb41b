"""``ctid campaign import NAME FILE.csv``: add a list to a campaign from the command line.

It writes to the records database directly (as ``ctid db`` does), so it works
whether the daemon runs or not; the daemon dials what is in the database.
Exit status: 0 every row imported, 3 imported with rows left out (each
printed with its line), 1 nothing imported (no such campaign, list exists,
unreadable file), 2 bad configuration.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..config import ConfigError, load_config

__all__ = ["campaign_command", "setup_campaign"]


def setup_campaign(parser: argparse.ArgumentParser) -> None:
    parser.description = "outbound campaigns: import lists"
    sub = parser.add_subparsers(dest="campaign_command", required=True, metavar="ACTION")
    imp = sub.add_parser("import", help="add a CSV list (with a header) to a campaign")
    imp.add_argument("name", help="the campaign")
    imp.add_argument("file", type=Path, help="CSV with a header line")
    imp.add_argument("--config", required=True, type=Path)
    imp.add_argument("--list", dest="list_name", help="the list's name (default: the file's stem)")
    imp.add_argument(
        "--number-column", default="phone", help="the column with the numbers (default: phone)"
    )


def campaign_command(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from ..records import db
    from ..records.config import records_settings
    from . import store
    from .csv_import import ListFormatError, parse_list
    from .install import campaign_settings

    try:
        config = load_config(args.config)
        settings = records_settings(config)
        _, specs = campaign_settings(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        text = args.file.read_text(encoding="utf-8-sig")
        parsed = parse_list(text, args.number_column)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 1
    except ListFormatError as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 1
    list_name = args.list_name or args.file.stem
    now = dt.datetime.now(dt.UTC)
    settings.spool_dir.parent.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(settings.url)
    try:
        db.prepare(engine)
        for spec in specs:
            store.upsert_config_campaign(engine, spec.name, spec.to_wire(), now)
        if store.campaign_row(engine, args.name) is None:
            print(f"error: no campaign {args.name!r}", file=sys.stderr)
            return 1
        result = store.import_list(engine, args.name, list_name, args.number_column, parsed, now)
    except (SQLAlchemyError, db.SchemaError) as exc:
        print(f"error: {settings.display_url}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if result is None:
        print(f"error: campaign {args.name!r} already has a list {list_name!r}", file=sys.stderr)
        return 1
    print(f"{args.name}/{list_name}: {result.imported} records imported")
    for problem in parsed.problems:
        print(f"{args.file}:{problem.line}: {problem.problem}", file=sys.stderr)
    for line, first in parsed.duplicates:
        print(f"{args.file}:{line}: duplicate of line {first}", file=sys.stderr)
    for line, number in result.already_listed:
        print(f"{args.file}:{line}: {number} is already in another list", file=sys.stderr)
    left_out = len(parsed.problems) + len(parsed.duplicates) + len(result.already_listed)
    return 3 if left_out else 0
