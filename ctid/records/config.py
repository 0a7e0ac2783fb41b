"""``[records]``: where call records go and how the spool behaves."""

from __future__ import annotations

import os
import socket
import zoneinfo
from pathlib import Path

import attrs

from ..config import Config, ConfigError, raise_problems
from ..structure import Problems
from .db import normalize_url, sqlite_url

__all__ = ["RecordsSection", "RecordsSettings", "records_section", "records_settings"]


@attrs.frozen(kw_only=True)
class RecordsSection:
    """The table as written in the file."""

    #: Keep call records at all (tests of other services switch them off).
    enabled: bool = True
    #: SQLAlchemy URL; empty: the SQLite file ``ctid.db`` in the state directory.
    database: str = ""
    #: The name of an environment variable holding the URL (keeps passwords out of the file).
    database_env: str | None = None
    #: This daemon's name in the records; empty: the host name.
    node: str = ""
    #: Megabytes the spool may hold during a database outage.
    spool_max_mb: int = 256
    #: fsync the spool after each write (power-cut safety; a crash is covered either way).
    fsync: bool = True
    #: Seconds between "still alive" marks (bounds the end time of interrupted calls).
    heartbeat_seconds: float = 30.0
    #: Time zone of reports' hour and day intervals.
    timezone: str = "UTC"


@attrs.frozen(kw_only=True)
class RecordsSettings:
    """The checked section, with paths and the URL resolved."""

    enabled: bool
    url: str
    spool_dir: Path
    node: str
    spool_max_bytes: int
    fsync: bool
    heartbeat_seconds: float
    timezone: str

    @property
    def display_url(self) -> str:
        """The URL without its password, for logs."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)


def records_section(config: Config) -> RecordsSection:
    problems = Problems()  # every problem of the table, not only the first
    section = problems.salvage(RecordsSection, config.sections.get("records", {}), "records")
    if section.database and section.database_env:
        problems.add("records", "give at most one of database and database_env")
    if section.spool_max_mb < 1:
        problems.add("records.spool_max_mb", "must be at least 1")
    if section.heartbeat_seconds <= 0:
        problems.add("records.heartbeat_seconds", "must be more than 0")
    try:
        zoneinfo.ZoneInfo(section.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.add("records.timezone", f"unknown time zone {section.timezone!r}")
    if section.database:
        try:
            _check_url(config, "records.database", section.database)
        except ConfigError as exc:
            problems.add(exc.key or "records", exc.problem)
    raise_problems(config.file, problems)
    return section


def _check_url(config: Config, key: str, url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError as exc:
        raise ConfigError(config.file, key, f"not a database URL: {exc}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            config.file, key, f"ctid keeps records in SQLite or PostgreSQL, not {parsed.drivername}"
        )


def records_settings(config: Config) -> RecordsSettings:
    """Everything the records service needs; raises ``ConfigError``."""
    section = records_section(config)
    state_dir = config.path(config.server.state_dir)
    url = section.database
    if section.database_env:
        url = os.environ.get(section.database_env, "")
        if not url:
            raise ConfigError(
                config.file,
                "records.database_env",
                f"environment variable {section.database_env} is not set",
            )
        _check_url(config, "records.database_env", url)
    if not url:
        url = sqlite_url(state_dir / "ctid.db")
    return RecordsSettings(
        enabled=section.enabled,
        url=normalize_url(url),
        spool_dir=state_dir / "spool",
        node=section.node or socket.gethostname(),
        spool_max_bytes=section.spool_max_mb << 20,
        fsync=section.fsync,
        heartbeat_seconds=section.heartbeat_seconds,
        timezone=section.timezone,
    )
