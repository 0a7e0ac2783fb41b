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
    from .demo.setup import demo_section
    from .recording.config import recording_section
    from .records.config import records_section

    return {"demo": demo_section, "records": records_section, "recording": recording_section}


def check_services(config: Config) -> None:
    checkers = section_checkers()
    for name in config.sections:
        checker = checkers.get(name)
        if checker is None:
            raise ConfigError(
                config.file, name, f"table [{name}] is not used by this version of ctid"
            )
        checker(config)
