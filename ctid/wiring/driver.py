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
from ..switch_drivers.lines import WrittenLines

__all__ = ["build_driver", "switch_lines"]


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


def switch_lines(config: Config) -> WrittenLines:
    """The extensions and outside lines of the switch: the driver's own when it builds,
    else what its table names as far as it reads (``lines_from_config``), so the checks
    of the routes and the IVR numbers still run beside the driver's problems."""
    try:
        driver = build_driver(config)
    except ConfigError:
        pass
    else:
        return WrittenLines(extensions=driver.extensions, trunk_groups=driver.trunk_groups)
    try:
        cls = load_driver_class(config.switch.driver)
    except LookupError:
        return WrittenLines()
    reader = getattr(cls, "lines_from_config", None)
    return reader(config.driver_section) if reader is not None else WrittenLines()
