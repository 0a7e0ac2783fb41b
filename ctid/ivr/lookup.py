"""Asking outside systems for the IVR: an HTTP request to a CRM, or an SQL query.

Both return the answer (a JSON document, or the first row as a dict) or
raise ``LookupFailed`` with a reason the flow's log shows. Deadlines belong
to the caller (``service``), which wraps a lookup in the node's timeout.

* HTTP: one request per lookup on a fresh connection (``Connection: close``),
  h11 through ``ctid.http1``; ``http://`` and ``https://``; answers over
  ``MAX_ANSWER`` bytes are refused; a status other than 2xx is a failure.
* SQL: SQLAlchemy engines named in ``[ivr.databases]``; the query runs in a
  worker thread under a limiter (the pool is small), and a query abandoned at
  its deadline finishes in its thread without holding the call up.
"""

from __future__ import annotations

import json
import ssl
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import h11
import sqlalchemy
import trio

from .. import http1
from .messages import HttpCall, SqlCall

__all__ = ["HttpLookups", "LookupFailed", "SqlLookups"]

#: Largest answer accepted from a CRM.
MAX_ANSWER: Final = 1 << 20

OpenStream = Callable[[str, int, bool], Awaitable[trio.abc.Stream]]


class LookupFailed(Exception):
    """The outside system could not answer usefully; the text says why."""


async def _open_tcp(host: str, port: int, tls: bool) -> trio.abc.Stream:
    if tls:
        return await trio.open_ssl_over_tcp_stream(
            host, port, ssl_context=ssl.create_default_context(), https_compatible=True
        )
    return await trio.open_tcp_stream(host, port)


class HttpLookups:
    """HTTP requests for lookup nodes."""

    def __init__(self, *, open_stream: OpenStream = _open_tcp) -> None:
        self._open_stream = open_stream

    async def __call__(self, call: HttpCall) -> Any:
        url = urllib.parse.urlsplit(call.url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise LookupFailed(f"not an http(s) URL: {call.url}")
        tls = url.scheme == "https"
        port = url.port or (443 if tls else 80)
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        body = b"" if call.body is None else json.dumps(dict(call.body)).encode()
        headers = [
            ("Host", url.netloc),
            ("Accept", "application/json"),
            ("Connection", "close"),
            ("Content-Length", str(len(body))),
            ("User-Agent", "ctid-ivr"),
        ]
        if call.body is not None:
            headers.append(("Content-Type", "application/json"))
        headers += list(call.headers.items())
        try:
            head = h11.Request(method=call.method, target=target, headers=headers)
        except h11.LocalProtocolError as exc:
            raise LookupFailed(f"bad request: {exc}") from None
        try:
            stream = await self._open_stream(url.hostname, port, tls)
        except OSError as exc:
            raise LookupFailed(f"cannot reach {url.netloc}: {exc}") from None
        try:
            response = await http1.Connection(stream).exchange(head, body, MAX_ANSWER)
        except (http1.HttpError, http1.Stale) as exc:
            raise LookupFailed(f"{url.netloc}: {type(exc).__name__} {exc}".strip()) from None
        finally:
            await http1.close_stream(stream)
        if not response.ok:
            raise LookupFailed(f"{call.method} {url.path}: HTTP {response.status}")
        try:
            return response.json()
        except ValueError:
            raise LookupFailed(f"{call.method} {url.path}: the answer is not JSON") from None


class SqlLookups:
    """SQL queries for lookup nodes, against databases named in the configuration."""

    def __init__(self, urls: Mapping[str, str], *, threads: int = 4) -> None:
        self.urls = dict(urls)
        self._engines: dict[str, sqlalchemy.Engine] = {}
        self.limiter = trio.CapacityLimiter(threads)

    def _engine(self, name: str) -> sqlalchemy.Engine:
        engine = self._engines.get(name)
        if engine is None:
            url = self.urls.get(name)
            if url is None:
                raise LookupFailed(f"no database {name!r}")
            engine = self._engines[name] = sqlalchemy.create_engine(url, pool_pre_ping=True)
        return engine

    async def __call__(self, call: SqlCall) -> Any:
        engine = self._engine(call.database)
        return await trio.to_thread.run_sync(
            self._query, engine, call, limiter=self.limiter, abandon_on_cancel=True
        )

    @staticmethod
    def _query(engine: sqlalchemy.Engine, call: SqlCall) -> dict[str, Any]:
        try:
            with engine.connect() as conn:
                row = (
                    conn.execute(sqlalchemy.text(call.query), dict(call.params)).mappings().first()
                )
        except sqlalchemy.exc.SQLAlchemyError as exc:
            detail = " ".join(str(exc).split())[:300]
            raise LookupFailed(f"database {call.database}: {detail}") from None
        if row is None:
            raise LookupFailed(f"database {call.database}: no row")
        return {key: _plain(value) for key, value in row.items()}

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()


def _plain(value: Any) -> Any:
    """Column values as the JSON-like scalars variables hold."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
