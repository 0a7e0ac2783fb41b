"""Reload without restart, wired: the settings that need a restart, the tokens, and the
reload itself (``reload_config``, run on SIGHUP; ``ctid reload`` sends one).

The ACD, the IVR and the recordings register their own sections from their
wiring (``wiring/acd.py``, ``ivr.py``, ``recording.py``); see ``ctid.reloading``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..api.auth import Credential
from ..auth_setup import build_credentials
from ..config import Config, ConfigError, each_problem, load_config
from ..records.config import records_settings
from ..reloading import Apply, ReloadRefused, ReloadReport, Reloads
from .parts import Parts

__all__ = ["TOKEN_REMOVED", "install_reload", "reload_config"]

log = logging.getLogger(__name__)

#: Close reason of a session whose token a reload removed (or whose rights it changed).
TOKEN_REMOVED = "token removed or changed by a reload: log in again"


def install_reload(app: Parts) -> Reloads:
    """The settings a restart needs, and the tokens' section."""
    reloads = app.reloads
    reloads.fixed("server.listen", lambda c: c.server.listen)
    reloads.fixed("server.state_dir", lambda c: c.server.state_dir)
    reloads.fixed("switch (the driver and its table)", lambda c: (c.switch, c.driver_section))
    reloads.fixed("records (the database)", _database)
    reloads.fixed("[acd] present or not", lambda c: "acd" in c.sections)

    async def tokens(new: Config) -> list[ConfigError] | Apply:
        try:
            credentials = build_credentials(new, app.admin_token)
        except ConfigError as exc:
            return each_problem(exc)

        async def apply() -> dict[str, Any]:
            return _apply_tokens(app, credentials)

        return apply

    reloads.section("tokens", tokens)
    return reloads


def _database(config: Config) -> object:
    try:
        return records_settings(config).url
    except ConfigError:
        return None  # reported by the records' own check


def _apply_tokens(app: Parts, credentials: list[Credential]) -> dict[str, Any]:
    auth = app.api.auth
    before = {c.name for c in auth.credentials}
    auth.replace_credentials(credentials)
    ended = []
    for session in list(app.api.sessions.sessions.values()):
        credential = session.credential
        if credential.signed or credential in credentials:
            continue
        app.api.sessions.end(session, code=4001, reason=TOKEN_REMOVED)
        ended.append(session.session_id)
    after = {c.name for c in credentials}
    return {
        "added": sorted(after - before),
        "removed": sorted(before - after),
        "sessions_ended": len(ended),
    }


async def reload_config(app: Parts) -> ReloadReport | None:
    """Read the configuration file again and apply it (SIGHUP); problems change nothing.

    Returns the report, or None when the reload was refused (logged, with every problem).
    """
    from .checks import config_problems, load_problems, setup_warnings, switch_problems

    path = Path(app.config.file)

    def read() -> tuple[Config | None, list[ConfigError], list[ConfigError]]:
        if not path.is_file():
            # Built in memory (the demo's built-in file, tests): the files it names
            # (flows) are read again, the tables stay.
            return app.config, config_problems(app.config), setup_warnings(app.config)
        try:
            new = load_config(path)
        except ConfigError as exc:
            return None, load_problems(path, exc), []
        # The driver's table is checked too: a bad one is refused with every problem,
        # a changed good one is refused alone below (it needs a restart).
        return new, config_problems(new, extra=(switch_problems,)), setup_warnings(new)

    new, problems, warnings = await app.blocking(read)
    # What check-config and ``ctid reload`` print as warnings, in the daemon's log too
    # (a SIGHUP from systemd shows no terminal): one line each, whatever the verdict.
    for warning in warnings:
        log.warning("reload: %s", warning)
    try:
        if new is None or problems:
            raise ReloadRefused(problems)
        report = await app.reloads.reload(app.config, new)
    except ReloadRefused as exc:
        # One record, so the problems arrive with the verdict.
        listed = "".join(f"\n  {problem}" for problem in exc.problems)
        log.error("reload refused, nothing changed (%d problem(s)):%s", len(exc.problems), listed)
        return None
    app.config = new
    lines = [f"\n  refused: {message}" for message in report.refused]
    lines += [f"\n  {name}: {changes}" for name, changes in report.applied.items()]
    log.info("reload done: %s applied%s", ", ".join(report.applied) or "nothing", "".join(lines))
    return report
