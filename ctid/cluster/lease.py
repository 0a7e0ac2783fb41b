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

import contextlib
import math
import threading
from typing import Final

import sqlalchemy as sa
import sqlalchemy.exc
from sqlalchemy.engine import Connection, Engine

from ..records import db
from .election import LeaseView

__all__ = ["LOCK_KEY", "LeaseTable", "LockLost", "make_lease_engine", "session_settings"]

#: Serialises two nodes creating the schema of an empty database at once.
_PREPARE_LOCK: Final = 0x63746964  # "ctid"

#: The session advisory lock the holder keeps: freed when its connection closes.
LOCK_KEY: Final = 0x6374696C  # "ctil"

_ACQUIRE = sa.text(
    """
    -- "old" is read at the statement's snapshot: the row before this statement.
    WITH old AS (SELECT holder, expires_at FROM cluster_lease WHERE name = :name)
    INSERT INTO cluster_lease
        (name, holder, advertise_url, term, expires_at, locked, server_started)
    VALUES (:name, :node, :url, 1, now() + make_interval(secs => :lease), :locked,
            pg_postmaster_start_time())
    ON CONFLICT (name) DO UPDATE SET
        holder = EXCLUDED.holder,
        advertise_url = EXCLUDED.advertise_url,
        term = CASE
            WHEN cluster_lease.holder = EXCLUDED.holder AND cluster_lease.expires_at >= now()
            THEN cluster_lease.term
            ELSE cluster_lease.term + 1
        END,
        expires_at = EXCLUDED.expires_at,
        locked = EXCLUDED.locked,
        server_started = EXCLUDED.server_started
    WHERE cluster_lease.holder = EXCLUDED.holder
        OR cluster_lease.expires_at < now()
        OR (EXCLUDED.locked AND cluster_lease.locked
            AND cluster_lease.server_started = EXCLUDED.server_started)
    RETURNING holder, advertise_url, term,
        COALESCE((SELECT old.holder <> :node AND old.expires_at >= now() FROM old), false)
            AS early
    """
)
_CURRENT = sa.text("SELECT holder, advertise_url, term FROM cluster_lease WHERE name = :name")
_RELEASE = sa.text(
    "UPDATE cluster_lease SET expires_at = now() - interval '1 second', locked = false "
    "WHERE name = :name AND holder = :node"
)
_TRY_LOCK = sa.text("SELECT pg_try_advisory_lock(:k)")
_UNLOCK = sa.text("SELECT pg_advisory_unlock(:k)")


def session_settings(lease: float) -> list[str]:
    """What the lease session sets so PostgreSQL frees its lock late on a silent peer.

    A dead process's connection is closed by its kernel: the lock goes at once.
    A partitioned or powered-off peer sends nothing: the server frees the lock
    only when TCP gives up, which must not be before the holder has stopped on
    its own (``lease / 2`` plus ``lease / 4`` to stop): these make it at least
    ``lease``, whatever the server's defaults. Unknown settings (an older
    PostgreSQL) are skipped.
    """
    seconds = max(1, math.ceil(lease))
    return [
        "SET application_name = 'ctid lease'",
        f"SET tcp_keepalives_idle = {seconds}",
        "SET tcp_keepalives_interval = 1",
        "SET tcp_keepalives_count = 3",
        f"SET tcp_user_timeout = {seconds * 1000}",
        "SET idle_session_timeout = 0",
        "SET idle_in_transaction_session_timeout = 0",
    ]


class LockLost(Exception):
    """The session that held the advisory lock ended (a standby may take over early)."""


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
    """The ``cluster_lease`` row named ``name`` on ``engine`` (PostgreSQL).

    Takes and renews it on one session kept open, which also holds the
    advisory lock ``LOCK_KEY`` while it can: the death signal (``_ACQUIRE``).
    One attempt at a time (an abandoned one may still run in its thread).
    """

    def __init__(self, engine: Engine, *, name: str = "ctid", lease: float = 15.0) -> None:
        self.engine = engine
        self.name = name
        self.lease = lease
        self._session: Connection | None = None
        self._locked = False
        #: The term this node was last granted early (``LeaseView.early``: sticky for it).
        self._early_term: int | None = None
        self._busy = threading.Lock()

    def prepare(self) -> str:
        """Create the schema in an empty database, else check its revision (``SchemaError``)."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PREPARE_LOCK})
            try:
                return db.prepare(self.engine)
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PREPARE_LOCK})
                connection.commit()

    def _open(self) -> Connection:
        if self._session is None:
            session = self.engine.connect()
            for statement in session_settings(self.lease):
                try:
                    session.execute(sa.text(statement))
                    session.commit()
                except sa.exc.ProgrammingError:
                    session.rollback()
            self._session = session
        return self._session

    def _drop(self) -> bool:
        """Forget the session (it failed); whether it held the lock."""
        session, self._session = self._session, None
        locked, self._locked = self._locked, False
        if session is not None:
            with contextlib.suppress(Exception):
                session.invalidate()
                session.close()
        return locked

    def acquire(self, node: str, advertise_url: str, lease: float) -> LeaseView:
        """Take the lease if it is free or ours, renewing it for ``lease`` seconds; who holds it.

        Raises ``LockLost`` when the session that held the lock has ended.
        """
        if not self._busy.acquire(timeout=lease / 3):
            raise sa.exc.TimeoutError("the previous lease attempt is still running")
        try:
            return self._acquire(node, advertise_url, lease)
        finally:
            self._busy.release()

    def _acquire(self, node: str, advertise_url: str, lease: float) -> LeaseView:
        had_lock = self._locked
        try:
            session = self._open()
            if not self._locked:
                self._locked = bool(session.execute(_TRY_LOCK, {"k": LOCK_KEY}).scalar())
            params = {
                "name": self.name,
                "node": node,
                "url": advertise_url,
                "lease": lease,
                "locked": self._locked,
            }
            row = session.execute(_ACQUIRE, params).one_or_none()
            early = bool(row.early) if row is not None else False
            if row is None:
                row = session.execute(_CURRENT, {"name": self.name}).one()
            # Sticky for the holding: the caller may have given up on the attempt that
            # was granted early (a slow database) and sees only a later renewal.
            if early:
                self._early_term = row.term
            early = row.holder == node and row.term == self._early_term
            if row.holder != node and self._locked and not had_lock:
                # Not granted: leave the lock to the holder, which takes it next time.
                session.execute(_UNLOCK, {"k": LOCK_KEY})
                self._locked = False
            session.commit()
        except sa.exc.SQLAlchemyError as exc:
            session_gone = self._session is None or self._session.invalidated
            if not session_gone:
                try:
                    self._session.rollback()  # type: ignore[union-attr]
                except sa.exc.SQLAlchemyError:
                    session_gone = True
            if session_gone and self._drop() and had_lock:
                raise LockLost(str(exc).splitlines()[0]) from exc
            raise
        return LeaseView(
            holder=row.holder, advertise_url=row.advertise_url, term=row.term, early=early
        )

    def release(self, node: str) -> None:
        """Give the lease up at once (a clean stop), so a standby need not wait it out."""
        with self.engine.begin() as connection:
            connection.execute(_RELEASE, {"name": self.name, "node": node})

    def close(self) -> None:
        """Close the lease session (its lock goes with it)."""
        self._drop()
