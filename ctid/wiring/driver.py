"""Building the configured switch driver (``[switch]``).

Here rather than in ``app.py`` so that configuration checks (``checks.py``,
``ctid check-config``) can build it without importing the daemon;
``app.build_driver`` is the same function.
"""

from __future__ import annotations

from ..config import Config, ConfigError, structure_error
from ..structure import StructureError
from ..switch_drivers import load_driver_class
from ..switch_drivers.base import SwitchDriver

__all__ = ["build_driver"]


def build_driver(config: Config) -> SwitchDriver:
    """The configured switch driver; configuration problems raise ``ConfigError``."""
    name = config.switch.driver
    try:
        cls = load_driver_class(name)
    except LookupError as exc:
        raise ConfigError(config.file, "switch.driver", str(exc)) from None
    try:
        return cls.from_config(config.driver_section, path=f"switch.{name}")
    except StructureError as exc:
        raise structure_error(config.file, exc) from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(config.file, f"switch.{name}", str(exc)) from None
