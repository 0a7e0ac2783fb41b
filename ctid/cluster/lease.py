"""The lease row in PostgreSQL: take or renew it in one statement. Blocking code.

Everything here talks to the database and runs in a worker thread
(``trio.to_thread.run_sync``). Expiry is judged by the database's clock alone,
so the nodes' clocks need not agree; the nodes only measure durations on
their own monotonic clocks (``ctid.cluster.election``).

The statement is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE``: PostgreSQL
locks the row while it decides, so two nodes asking at once are served one
after the other and at most one of them is granted the lease.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..records import db
from .election import LeaseView

__all__ = ["LeaseTable", "make_lease_engine"]

#: Serialises two nodes creating the schema of an empty database at once.
_PREPARE_LOCK: Final = 0x63746964  # "ctid"

_ACQUIRE = sa.text(
    """
    INSERT INTO cluster_lease (name, holder, advertise_url, term, expires_at)
    VALUES (:name, :node, :url, 1, now() + make_interval(secs => :lease))
    ON CONFLICT (name) DO UPDATE SET
        holder = EXCLUDED.holder,
        advertise_url = EXCLUDED.advertise_url,
        term = CASE
            WHEN cluster_lease.holder = EXCLUDED.holder AND cluster_lease.expires_at >= now()
            THEN cluster_lease.term
            ELSE cluster_lease.term + 1
        END,
        expires_at = EXCLUDED.expires_at
    WHERE cluster_lease.holder = EXCLUDED.holder OR cluster_lease.expires_at < now()
    RETURNING holder, advertise_url, term
    """
)
_CURRENT = sa.text("SELECT holder, advertise_url, term FROM cluster_lease WHERE name = :name")
_RELEASE = sa.text(
    "UPDATE cluster_lease SET expires_at = now() - interval '1 second' "
    "WHERE name = :name AND holder = :node"
)


def make_lease_engine(url: str, *, timeout: float) -> Engine:
    """An engine for the lease: few connections, and nothing waits longer than ``timeout``."""
    url = db.normalize_url(url)
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=1,
        max_overflow=2,
        pool_timeout=timeout,
        connect_args={
            "connect_timeout": max(1, int(timeout)),
            "options": f"-c statement_timeout={max(1, int(timeout * 1000))}",
        },
    )


class LeaseTable:
    """The ``cluster_lease`` row named ``name`` on ``engine`` (PostgreSQL)."""

    def __init__(self, engine: Engine, *, name: str = "ctid") -> None:
        self.engine = engine
        self.name = name

    def prepare(self) -> str:
        """Create the schema in an empty database, else check its revision (``SchemaError``)."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PREPARE_LOCK})
            try:
                return db.prepare(self.engine)
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PREPARE_LOCK})
                connection.commit()

    def acquire(self, node: str, advertise_url: str, lease: float) -> LeaseView:
        """Take the lease if it is free or ours, renewing it for ``lease`` seconds; who holds it."""
        params = {"name": self.name, "node": node, "url": advertise_url, "lease": lease}
        with self.engine.begin() as connection:
            row = connection.execute(_ACQUIRE, params).one_or_none()
            if row is None:
                row = connection.execute(_CURRENT, {"name": self.name}).one()
        return LeaseView(holder=row.holder, advertise_url=row.advertise_url, term=row.term)

    def release(self, node: str) -> None:
        """Give the lease up at once (a clean stop), so a standby need not wait it out."""
        with self.engine.begin() as connection:
            connection.execute(_RELEASE, {"name": self.name, "node": node})
