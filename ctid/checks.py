"""Configuration checks of ctid's services, run at start-up and by ``ctid check-config``.

Each service has a checker for its own top-level table; a table nobody checks
is an error, so a misspelt or unsupported section never passes silently.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .config import Config, ConfigError, SwitchSection, each_problem

__all__ = ["check_services", "config_problems", "load_problems", "section_checkers"]


def section_checkers() -> dict[str, Callable[[Config], Any]]:
    """Table name -> its service's checker (raises ``ConfigError``)."""
    from .acd.config import acd_section
    from .cluster.config import cluster_settings
    from .demo.setup import demo_section
    from .fax.config import fax_settings
    from .ivr.config import check_ivr, check_routing
    from .outbound.install import campaign_settings, check_campaigns
    from .recording.config import recording_section
    from .records.config import records_section
    from .voicemail.config import voicemail_section
    from .webhooks.spec import specs_from_config
    from .wiring.driver import build_driver

    def acd_names(config: Config, table: str, key: str) -> list[str]:
        # As written: a problem in [acd] is [acd]'s to report; the IVR's and the
        # campaigns' checks still run against the names the file gives.
        data = config.sections.get("acd")
        items = data.get(table) if isinstance(data, Mapping) else None
        if not isinstance(items, list):
            return []
        return [str(i[key]) for i in items if isinstance(i, Mapping) and key in i]

    def acd_queues(config: Config) -> list[str]:
        return acd_names(config, "queues", "name")

    def acd_agents(config: Config) -> list[str]:
        try:
            acd = acd_section(config)
        except ConfigError:
            return acd_names(config, "agents", "id")
        return [agent.agent_id for agent in acd.agents] if acd is not None else []

    def extensions(config: Config) -> list[str]:
        # IVR numbers must not be extensions; only then is the driver built for its list.
        if not config.sections.get("ivr", {}).get("numbers"):
            return []
        return list(build_driver(config).extensions)

    # The IVR may send calls to the ACD's queues: it checks its flows against them.
    return {
        "acd": acd_section,
        "cluster": cluster_settings,
        "demo": demo_section,
        "fax": fax_settings,
        "ivr": lambda config: check_ivr(config, acd_queues(config), extensions(config)),
        "routing": lambda config: check_routing(
            config, acd_queues(config), extensions(config), acd_agents(config)
        ),
        "records": records_section,
        "recording": recording_section,
        "voicemail": voicemail_section,
        "webhooks": specs_from_config,
        "campaigns": lambda config: check_campaigns(config, acd_queues(config)),
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


def load_problems(path: str | Path, exc: ConfigError) -> list[ConfigError]:
    """Every problem of a file that does not load (``exc``, from ``load_config``): its
    own, and those of the switch driver's table, which is checked only once the rest
    loads otherwise (so a mistake elsewhere hides none of the driver's)."""
    from .wiring.driver import build_driver

    problems = each_problem(exc)
    try:
        with open(path, "rb") as f:
            switch = tomllib.load(f).get("switch")
    except (OSError, tomllib.TOMLDecodeError):
        return problems  # already said
    name = switch.get("driver", "simulator") if isinstance(switch, Mapping) else None
    table = switch.get(name, {}) if isinstance(switch, Mapping) and isinstance(name, str) else None
    if not isinstance(table, Mapping) or any(p.key == "switch.driver" for p in problems):
        return problems
    assert isinstance(name, str)
    try:
        build_driver(
            Config(file=str(path), switch=SwitchSection(driver=name), driver_section=table)
        )
    except ConfigError as more:
        seen = {str(p) for p in problems}
        problems += [p for p in each_problem(more) if str(p) not in seen]
    return problems
