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

import errno
import os

__all__ = ["CtidError", "StartupError", "listen_error"]


class CtidError(Exception):
    """Base of ctid's own errors."""


class StartupError(CtidError):
    """A service cannot start; the message tells the operator what to do."""


def listen_error(exc: OSError, host: str, port: int, setting: str) -> StartupError:
    """A listening socket that cannot be opened, said with its address and port and the
    setting that chose them (``setting``: e.g. ``server.listen in FILE (or --listen)``)."""
    shown = f"[{host}]" if ":" in host else host
    why = os.strerror(exc.errno) if exc.errno else str(exc)
    hint = ""
    if exc.errno == errno.EADDRINUSE:
        hint = " (another program, or another ctid, listens there)"
    return StartupError(
        f"cannot listen on {shown}:{port}: {why}{hint}; the address is set by {setting}"
    )
