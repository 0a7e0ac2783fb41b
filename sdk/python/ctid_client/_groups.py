"""The one place where exception groups are unwrapped (STYLE §4.10).

The async client runs its reader and reconnect loop in a task group, and
task groups raise ``ExceptionGroup``. Applications should not need
``except*`` to catch a ``KeyError`` from their own callback or a
``ValueError`` from the body of their ``async with Client(...)`` block, so
the client's ``__aexit__`` calls ``unwrap`` once:

* a group holding exactly one exception that is not a cancellation (at any
  depth) becomes that exception, raised as it was (its own traceback, cause
  and context kept);
* a group with several real exceptions (your code and a callback failed at
  the same moment) is raised unchanged, so nothing is hidden;
* a group of cancellations only is raised unchanged too, so the event loop
  sees its own cancellation.
"""

from __future__ import annotations

from collections.abc import Iterator

import anyio

__all__ = ["leaves", "unwrap"]


def leaves(group: BaseExceptionGroup[BaseException]) -> Iterator[BaseException]:
    """Every exception in ``group`` that is not itself a group, depth first."""
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from leaves(exc)
        else:
            yield exc


def unwrap(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The single real exception in ``group``, or ``group`` itself; see the module docstring."""
    cancelled = anyio.get_cancelled_exc_class()
    real = [exc for exc in leaves(group) if not isinstance(exc, cancelled)]
    return real[0] if len(real) == 1 else group
