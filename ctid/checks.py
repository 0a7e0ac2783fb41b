"""Configuration checks of ctid's services, run at start-up and by ``ctid check-config``.

Each service has a checker for its own top-level table; a table nobody checks
is an error, so a misspelt or unsupported section never passes silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .config import Config, ConfigError

__all__ = ["check_services", "section_checkers"]


def section_checkers() -> dict[str, Callable[[Config], Any]]:
    """Table name -> its service's checker (raises ``ConfigError``)."""
    from .acd.config import acd_section
    from .cluster.config import cluster_settings
    from .demo.setup import demo_section
    from .ivr.config import check_ivr, check_routing
    from .recording.config import recording_section
    from .records.config import records_section
    from .voicemail.config import voicemail_section

    def acd_queues(config: Config) -> list[str]:
        acd = acd_section(config)
        return [queue.name for queue in acd.queues] if acd is not None else []

    def acd_agents(config: Config) -> list[str]:
        acd = acd_section(config)
        return [agent.agent_id for agent in acd.agents] if acd is not None else []

    # The IVR may send calls to the ACD's queues: it checks its flows against them.
    return {
        "acd": acd_section,
        "cluster": cluster_settings,
        "demo": demo_section,
        "ivr": lambda config: check_ivr(config, acd_queues(config)),
        "routing": lambda config: check_routing(config, acd_queues(config), acd_agents(config)),
        "records": records_section,
        "recording": recording_section,
        "voicemail": voicemail_section,
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
