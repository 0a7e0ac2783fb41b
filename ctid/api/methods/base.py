"""The registry every method module adds its methods to.

In a module of its own so that the method modules import it, and the package
(``api/methods/__init__.py``, which imports every method module to register
them) is imported by nobody below it: write ``from .base import registry``.
"""

from __future__ import annotations

from ..access import BUILTIN_CHECKS
from ..registry import Registry

__all__ = ["registry"]

#: The registry every method module adds to.
registry = Registry()
#: Devices and calls are checked by the API itself; agents, queues and
#: recordings by the modules that serve them (``registry.object_check``).
registry.checks.update(BUILTIN_CHECKS)
