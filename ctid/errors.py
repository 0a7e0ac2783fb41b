"""Errors shared across ctid's layers.

::

    Exception
     └── CtidError
          └── StartupError          the daemon cannot start (a message for the operator)
               └── records.db.SchemaError   the records database needs 'ctid db upgrade'

Errors of one layer (``CstaError``, ``ConfigError``, ``DriverError``...) live
with that layer; this module holds the ones the command line must recognise
whichever service raised them.
"""

from __future__ import annotations

__all__ = ["CtidError", "StartupError"]


class CtidError(Exception):
    """Base of ctid's own errors."""


class StartupError(CtidError):
    """A service cannot start; the message tells the operator what to do."""
