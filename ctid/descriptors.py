"""File descriptors: raise the soft limit at start-up and keep a reserve the listener never uses.

Every socket a client opens costs a descriptor, and so does every file the
records spool, the database and the recordings open. If clients may take the
last one, an idle crowd that never logs in makes the spool fail with EMFILE and
the database look down. So the API listener accepts at most
``socket_budget()`` sockets at once: the soft ``RLIMIT_NOFILE`` (raised to the
hard limit at start) minus ``RESERVE``. Past it, it stops calling ``accept()``
(new clients wait in the kernel's backlog) instead of letting ``accept`` fail.
"""

from __future__ import annotations

import logging
import resource
from typing import Final

__all__ = ["RESERVE", "raise_limit", "socket_budget"]

log = logging.getLogger(__name__)

#: Descriptors kept for everything but client sockets: the database pool, the
#: spool's segments, recordings being written and downloaded, the switch
#: connection, the metrics listener, logs, worker threads' files.
RESERVE: Final = 256
#: The budget never drops below this, however low the limit (tests, tiny hosts).
MIN_SOCKETS: Final = 16


def raise_limit() -> int:
    """Raise the soft ``RLIMIT_NOFILE`` to the hard limit; return the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20) if soft != resource.RLIM_INFINITY else 1 << 20
    if soft == resource.RLIM_INFINITY or soft >= hard:
        return int(hard if soft == resource.RLIM_INFINITY else soft)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as exc:
        log.warning("cannot raise the open file limit from %d to %d: %s", soft, hard, exc)
        return int(soft)
    log.info("open file limit raised from %d to %d", soft, hard)
    return int(hard)


def socket_budget(limit: int | None = None, reserve: int = RESERVE) -> int:
    """Client sockets the API listener may hold open at once under ``limit`` (default: the
    current soft limit)."""
    if limit is None:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        limit = int(soft) if soft != resource.RLIM_INFINITY else 1 << 20
    # On a small limit (tests, tiny hosts) keep half for the rest of the daemon.
    return max(MIN_SOCKETS, limit - reserve if limit >= 2 * reserve else limit // 2)
