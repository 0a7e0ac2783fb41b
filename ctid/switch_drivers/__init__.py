"""Switch drivers: each turns one switch's protocol into ctid's normalized events and back.

Drivers are found through the ``ctid.switch_drivers`` entry point group, so a
third-party driver is just an installed package.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from .base import SwitchDriver

__all__ = ["available_drivers", "load_driver_class"]

GROUP = "ctid.switch_drivers"


def available_drivers() -> list[str]:
    """Names of the installed drivers."""
    return sorted(ep.name for ep in entry_points(group=GROUP))


def load_driver_class(name: str) -> type[SwitchDriver]:
    """The driver class registered as ``name``; raises ``LookupError`` with the choices."""
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, SwitchDriver)):
                raise LookupError(f"entry point {name!r} is not a SwitchDriver: {cls!r}")
            return cls
    raise LookupError(f"no switch driver {name!r}; installed: {', '.join(available_drivers())}")
