"""``ctid report NAME``: a report from the records database, as a table, CSV or JSON.

A tool on the daemon (above the services): the reports are the records' and
the campaign report is outbound's, so the command that offers both sits above both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import zoneinfo
from pathlib import Path
from typing import Any

from .config import ConfigError, load_config
from .records.reports import REPORTS

__all__ = ["report_command", "setup_report"]


def setup_report(parser: argparse.ArgumentParser) -> None:
    parser.description = "a report computed from the call records"
    parser.add_argument("name", choices=sorted([*REPORTS, "campaign"]), help="which report")
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--from", dest="start", help="first day or ISO time (default: today)")
    parser.add_argument("--to", dest="end", help="end, exclusive (default: the day after --from)")
    parser.add_argument("--queue", help="only this queue")
    parser.add_argument("--campaign", help="the campaign (report campaign)")
    parser.add_argument("--agent", help="only this agent")
    parser.add_argument("--interval", choices=("hour", "day"), help="break down by hour or day")
    parser.add_argument(
        "--threshold", type=float, default=20.0, help="service level threshold, seconds"
    )
    parser.add_argument("--timezone", help="time zone of days and hours (default: [records])")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--plot", type=Path, help="also draw the time series into a PNG file")


def report_command(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from .records import db
    from .records.archive_command import parse_day_or_time
    from .records.config import records_settings
    from .records.report_format import PlotUnavailable, as_csv, as_json, as_table, plot
    from .records.report_queries import load
    from .records.reports import ReportRequest, run_report

    try:
        settings = records_settings(load_config(args.config))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    tz = args.timezone or settings.timezone
    try:
        zone = zoneinfo.ZoneInfo(tz)
        today = dt.datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        start = parse_day_or_time(args.start, tz) if args.start else today
        end = parse_day_or_time(args.end, tz) if args.end else _next_day(start, zone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if end <= start:
        print("error: --to must be after --from", file=sys.stderr)
        return 2
    request = ReportRequest(
        start=start.astimezone(dt.UTC),
        end=end.astimezone(dt.UTC),
        queue=args.queue,
        agent=args.agent,
        interval=args.interval,
        timezone=tz,
        threshold=args.threshold,
    )
    if args.name == "campaign" and not args.campaign:
        print("error: report campaign needs --campaign NAME", file=sys.stderr)
        return 2
    engine = db.make_engine(settings.url)
    try:
        db.check_schema(engine)
        if args.name == "campaign":
            report = _campaign_report(engine, args.campaign, request)
        else:
            data = load(engine, args.name, request, dt.datetime.now(dt.UTC))
            report = run_report(args.name, data, request)
    except (db.SchemaError, SQLAlchemyError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    text = {"table": as_table, "csv": as_csv, "json": as_json}[args.format](report)
    sys.stdout.write(text)
    if args.plot is not None:
        try:
            plot(report, args.plot)
        except PlotUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return 0


def _campaign_report(engine: Any, campaign: str, request: Any) -> Any:
    """``report campaign`` (``ctid.outbound.report``); LookupError: no such campaign."""
    from .outbound import report as campaign_reports
    from .outbound.store import campaign_row

    row = campaign_row(engine, campaign)
    if row is None:
        raise LookupError(f"no campaign {campaign!r}")
    req = campaign_reports.CampaignReportRequest(
        campaign=campaign, queue=str(row.spec.get("queue")), start=request.start, end=request.end
    )
    data = campaign_reports.load(engine, req, dt.datetime.now(dt.UTC))
    return campaign_reports.campaign_report(data, req)


def _next_day(start: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    local = start.astimezone(zone)
    return (local.replace(tzinfo=None) + dt.timedelta(days=1)).replace(tzinfo=zone)
