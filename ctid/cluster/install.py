"""Building a node's election from the configuration (called by ``app.py``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import trio

from ..config import Config
from .config import ClusterSettings, cluster_settings
from .election import Election, LeaseView
from .node import ClusterNode, LeaseClient, LeaseUnavailable, SessionLost

if TYPE_CHECKING:
    from .lease import LeaseTable

__all__ = ["DatabaseLease", "build_cluster"]

T = TypeVar("T")


class DatabaseLease:
    """The ``cluster_lease`` row in PostgreSQL, reached from worker threads.

    A call stuck on a dead connection is abandoned when the node's time limit
    cancels it: the thread finishes (or times out in the driver) on its own,
    and the node never waits for it.
    """

    def __init__(self, settings: ClusterSettings) -> None:
        self.settings = settings
        # The process, not just the name: two processes started with the same
        # node_name (a copied file) must not both count as the holder, and a
        # node restarted in place waits out its previous run's lease.
        self.holder = f"{settings.node_name}#{secrets.token_hex(4)}"
        # SQLAlchemy is imported where a lease is kept, not by every daemon (nor by
        # ctid simulate, issue 14: start-up).
        from .lease import LeaseTable, make_lease_engine

        # Nothing the lease does may outlast what the node waits for one attempt.
        self.table: LeaseTable = LeaseTable(
            make_lease_engine(settings.database_url, timeout=settings.lease_seconds / 3),
            lease=settings.lease_seconds,
        )

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        import sqlalchemy.exc

        from .lease import LockLost

        try:
            return await trio.to_thread.run_sync(fn, *args, abandon_on_cancel=True)
        except LockLost as exc:
            raise SessionLost(str(exc)) from exc
        except (sqlalchemy.exc.SQLAlchemyError, OSError) as exc:
            raise LeaseUnavailable(str(exc).splitlines()[0]) from exc

    async def prepare(self) -> str:
        # At start-up a database problem is the operator's to fix: let it raise.
        return await trio.to_thread.run_sync(self.table.prepare)

    async def acquire(self) -> LeaseView:
        s = self.settings
        return await self._run(self.table.acquire, self.holder, s.advertise_url, s.lease_seconds)

    async def release(self) -> None:
        await self._run(self.table.release, self.holder)

    def close(self) -> None:
        """Close the database connections (the node has stopped)."""
        self.table.close()
        self.table.engine.dispose()


def build_cluster(config: Config, lease: LeaseClient | None = None) -> ClusterNode | None:
    """The node's election when the configuration has ``[cluster]`` (else None).

    ``lease`` replaces the database lease (tests on MockClock use
    ``ctid.testing.lease``). Call with trio running: the election starts now.
    """
    settings = cluster_settings(config)
    if settings is None:
        return None
    client = lease or DatabaseLease(settings)
    return ClusterNode(
        name=settings.node_name,
        election=Election(
            node=client.holder, lease=settings.lease_seconds, now=trio.current_time()
        ),
        lease=client,
        advertise_url=settings.advertise_url,
    )
