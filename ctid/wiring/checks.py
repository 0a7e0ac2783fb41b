"""Configuration checks of ctid's services, run at start-up, by ``ctid check-config`` and
on a reload.

Each service has a checker for its own top-level table; a table nobody checks
is an error, so a misspelt or unsupported section never passes silently. A file
whose core tables do not load is still checked whole, on what it says as far as
it reads, so one mistake hides none of the others.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..config import (
    Config,
    ConfigError,
    Gather,
    config_as_read,
    each_problem,
    structure_error,
    token_env_problem,
)
from ..structure import StructureError

__all__ = [
    "check_problems",
    "check_services",
    "config_problems",
    "load_problems",
    "section_checkers",
    "setup_warnings",
    "switch_problems",
]


def _acd_names(config: Config, table: str, key: str) -> list[str]:
    # As written: a problem in [acd] is [acd]'s to report; the IVR's and the
    # campaigns' checks still run against the names the file gives.
    data = config.sections.get("acd")
    items = data.get(table) if isinstance(data, Mapping) else None
    if not isinstance(items, list):
        return []
    return [str(i[key]) for i in items if isinstance(i, Mapping) and key in i]


def _acd_queues(config: Config) -> list[str]:
    return _acd_names(config, "queues", "name")


def section_checkers() -> dict[str, Callable[[Config], Any]]:
    """Table name -> its service's checker (raises ``ConfigError``)."""
    from ..acd.config import acd_section
    from ..callerinfo import numbers_section
    from ..cluster.config import cluster_settings
    from ..demo.setup import demo_section
    from ..fax.config import fax_settings
    from ..ivr.config import check_ivr, check_routing
    from ..livestate.config import livestate_section
    from ..outbound.install import campaign_settings, check_campaigns
    from ..recording.config import recording_section
    from ..records.config import records_settings
    from ..voicemail.config import voicemail_section
    from ..webhooks.spec import specs_from_config
    from .driver import switch_lines

    def acd_agents(config: Config) -> list[str]:
        try:
            acd = acd_section(config)
        except ConfigError:
            return _acd_names(config, "agents", "id")
        return [agent.agent_id for agent in acd.agents] if acd is not None else []

    def extensions(config: Config) -> list[str]:
        # IVR numbers must not be extensions; only then is the driver built for its list.
        # A driver table with problems still names its extensions, as far as it reads.
        if not config.sections.get("ivr", {}).get("numbers"):
            return []
        return list(switch_lines(config).extensions or ())

    # The IVR may send calls to the ACD's queues: it checks its flows against them.
    return {
        "acd": acd_section,
        "cluster": cluster_settings,
        "demo": demo_section,
        "fax": fax_settings,
        "ivr": lambda config: check_ivr(config, _acd_queues(config), extensions(config)),
        "routing": lambda config: check_routing(
            config, _acd_queues(config), extensions(config), acd_agents(config)
        ),
        # The settings, not only the table: a start refuses an unset ``database_env``.
        "records": records_settings,
        "numbers": numbers_section,
        "livestate": livestate_section,
        "recording": recording_section,
        "voicemail": voicemail_section,
        "webhooks": specs_from_config,
        "campaigns": lambda config: check_campaigns(config, _acd_queues(config)),
        "outbound": campaign_settings,
    }


def check_services(config: Config) -> None:
    checkers = section_checkers()
    for name in config.sections:
        checker = checkers.get(name)
        if checker is None:
            raise ConfigError(
                config.file, name, f"table [{name}] is not used by this version of ctid"
            )
        checker(config)


def config_problems(
    config: Config, extra: Iterable[Callable[[Config], object]] = ()
) -> list[ConfigError]:
    """Every problem the checks find (not only the first): each section's checker, then
    ``extra`` checks (the driver, auth, TLS), each run even when an earlier one failed."""
    checkers = section_checkers()
    problems: list[ConfigError] = []
    checks: list[Callable[[Config], object]] = []
    for name in config.sections:
        checker = checkers.get(name)
        if checker is None:
            problems.append(
                ConfigError(
                    config.file, name, f"table [{name}] is not used by this version of ctid"
                )
            )
        else:
            checks.append(checker)
    for check in [*extra, *checks]:
        try:
            check(config)
        except ConfigError as exc:
            problems.extend(each_problem(exc))
    # Checkers share checks ([routing] checks the flows too): each problem once.
    unique: dict[str, ConfigError] = {}
    for problem in problems:
        unique.setdefault(str(problem), problem)
    return list(unique.values())


def start_checks() -> tuple[Callable[[Config], object], ...]:
    """What a start checks beyond each table's own checker: the switch driver's table
    and the routes' lines, and ``[auth]`` (the admin token, every token's environment
    variable, the login throttle, ``[auth.jwt]``). ``ctid run`` and ``check-config``
    both run these, so a file one accepts the other accepts."""
    from ..auth_setup import check_auth

    return (switch_problems, check_auth)


def load_problems(path: str | Path, exc: ConfigError) -> list[ConfigError]:
    """Every problem of a file that does not load (``exc``, from ``load_config``): its
    own, then those of the rest of the file, checked on what it says as far as it reads
    (``config_as_read``): the switch driver's table, the routes and trunk groups against
    the switch's lines, each token's environment variable, and every service's table
    (the IVR numbers against the extensions)."""
    problems = each_problem(exc)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return problems  # already said
    config = _as_far_as_it_reads(data, str(path), problems)
    checks: list[Callable[[Config], object]] = [_token_problems(data)]
    if config.switch.driver:
        checks.insert(0, switch_problems)
    seen = {str(p) for p in problems}
    return problems + [p for p in config_problems(config, checks) if str(p) not in seen]


def _as_far_as_it_reads(data: Mapping[str, Any], file: str, found: list[ConfigError]) -> Config:
    """The configuration of a file that does not load, as far as it reads; its switch
    driver empty (unknown: nothing is checked against its lines) where ``[switch]``,
    its ``driver`` or the driver's table do not read."""
    config, _ = config_as_read(data, file)
    unread = {"switch", "switch.driver", f"switch.{config.switch.driver}"}
    if any(p.key in unread for p in found):
        config = attrs.evolve(config, switch=attrs.evolve(config.switch, driver=""))
    return config


def _token_problems(data: Mapping[str, Any]) -> Callable[[Config], None]:
    """The environment variable of each ``[[auth.tokens]]`` entry that names one, read
    from the file as written: an entry with another mistake (a bad role) still names its
    variable, as ``check_auth`` checks a file that loads."""

    def check(config: Config) -> None:
        auth = data.get("auth")
        tokens = auth.get("tokens") if isinstance(auth, Mapping) else None
        gather = Gather()
        for i, token in enumerate(tokens if isinstance(tokens, list) else []):
            variable = token.get("token_env") if isinstance(token, Mapping) else None
            if isinstance(variable, str):
                name = token.get("name")
                problem = token_env_problem(
                    config.file,
                    i,
                    name if isinstance(name, str) else "",
                    variable,
                    os.environ.get(variable),
                )
                gather.problems += [problem] if problem is not None else []
        gather.raise_any()

    return check


def switch_problems(config: Config) -> None:
    """The switch driver's table and the outbound routes' lines and groups: every problem
    of both. The routes are checked against what the driver's table names even when the
    driver does not build (a bad ``base_url`` hides no route's mistake)."""
    from ..calls.outbound_routes import resolve_groups
    from .driver import build_driver, switch_lines

    gather = Gather()
    with gather.check():
        build_driver(config)
    groups = switch_lines(config).trunk_groups
    if groups is not None:  # else the table does not say which lines there are
        try:
            resolve_groups(config.outbound_routing, groups)
        except StructureError as exc:
            gather.problems.extend(each_problem(structure_error(config.file, exc)))
    gather.raise_any()


def check_problems(
    path: Path, extra: Iterable[Callable[[Config], object]] = ()
) -> tuple[list[ConfigError], list[ConfigError]]:
    """``ctid check-config``: every problem of the file at ``path`` (what ``ctid run``
    refuses here) and its warnings (what may be wrong only where the daemon runs, or
    is not wrong for every switch). ``extra``: more checks."""
    from ..config import load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        return load_problems(path, exc), []
    problems = config_problems(config, extra=(*start_checks(), *extra))
    return problems, setup_warnings(config)


def setup_warnings(config: Config) -> list[ConfigError]:
    """What ``ctid check-config`` and a reload warn about: settings that may work where
    the daemon runs but look wrong from here. On Asterisk, the voicemail messages
    (``state_dir/voicemail``) must lie inside the directory Asterisk records under
    (``switch.asterisk.recording_dir``): Asterisk refuses to record anywhere else. The
    daemon has voicemail without a ``[voicemail]`` table (every queue and agent has a
    mailbox); it records there when the file sends callers to one."""
    from ..switch_drivers.asterisk.commands import DEFAULT_RECORDING_DIR

    if config.switch.driver != "asterisk" or not _leaves_voicemail(config):
        return []
    recording_dir = config.driver_section.get("recording_dir", DEFAULT_RECORDING_DIR)
    if not isinstance(recording_dir, str) or not recording_dir.startswith("/"):
        return []  # the driver's own problem
    messages = config.path(config.server.state_dir) / "voicemail"
    if messages.is_relative_to(Path(recording_dir)):
        return []
    return [
        ConfigError(
            config.file,
            "server.state_dir",
            f"voicemail messages go to {messages}, outside switch.asterisk.recording_dir "
            f"({recording_dir}), where Asterisk records them: set server.state_dir to a "
            f"directory inside {recording_dir} (or switch.asterisk.recording_dir to one that "
            "holds it); a warning only, as the directories may be mounted differently on "
            "the switch's host",
        )
    ]


def _leaves_voicemail(config: Config) -> bool:
    """Whether callers may leave voicemail: the file has a ``[voicemail]`` table, a flow
    with a voicemail node or a routing destination to a mailbox."""
    from ..ivr.config import sends_to_voicemail

    return "voicemail" in config.sections or sends_to_voicemail(config, _acd_queues(config))
