"""Several servers (a hot-standby cluster): which URL to try next, as a pure value.

The client starts with the first URL. A connection that cannot be opened moves
it on to the next URL (round robin); a standby's ``NotActive`` answer moves it
to the URL the standby names, even one not in the list (the cluster knows its
members better than the configuration of each client).

After a takeover the new active node has none of the old node's sessions:
``session.resume`` fails with ``SessionLost`` and the client logs in again,
restarts the monitors and publishes ``SessionRestarted`` with a fresh
snapshot of each monitored object (``snapshot_request``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._transport import Endpoint, parse_url

__all__ = ["Endpoints", "snapshot_request"]


class Endpoints:
    """The server URLs a client may use, and the one to use now."""

    def __init__(self, urls: Sequence[str]) -> None:
        if isinstance(urls, str):
            urls = [urls]
        if not urls:
            raise ValueError("give at least one server URL")
        for url in urls:
            parse_url(url)  # ValueError for a URL that is not ws:// or wss://
        self.urls: tuple[str, ...] = tuple(urls)
        self._index = 0
        #: A URL a standby sent the client to (used until it fails).
        self._redirect: str | None = None

    @property
    def current(self) -> str:
        return self._redirect or self.urls[self._index]

    @property
    def endpoint(self) -> Endpoint:
        return parse_url(self.current)

    def failed(self) -> None:
        """The current URL could not be reached: move on to the next one."""
        if self._redirect is not None:
            self._redirect = None
            return
        self._index = (self._index + 1) % len(self.urls)

    def follow(self, active: str | None) -> bool:
        """A standby named the active node: use ``active`` next. False if it cannot be used.

        Without a usable URL (unknown, or not a ``ws://``/``wss://`` URL) the
        client moves on to its next URL instead.
        """
        if active is not None:
            try:
                parse_url(active)
            except ValueError:
                active = None
        if active is None or active == self.current:
            self.failed()
            return False
        if active in self.urls:
            self._index = self.urls.index(active)
            self._redirect = None
        else:
            self._redirect = active
        return True


def snapshot_request(params: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The snapshot of what a ``MonitorStart`` (its params) watches: (method, params)."""
    obj = params.get("monitorObject")
    if not isinstance(obj, Mapping):
        return None
    device = obj.get("deviceObject")
    if isinstance(device, str):
        return "SnapshotDevice", {"snapshotObject": device}
    call = obj.get("callObject")
    if isinstance(call, Mapping) and isinstance(call.get("callID"), str):
        return "SnapshotCall", {"snapshotObject": call["callID"]}
    if isinstance(call, str):
        return "SnapshotCall", {"snapshotObject": call}
    agent = obj.get("agentObject")
    if isinstance(agent, str):
        return "agent.snapshot", {"agentID": agent}
    queue = obj.get("queueObject")
    if isinstance(queue, str):
        return "queue.snapshot", {"queue": queue}
    mailbox = obj.get("mailboxObject")
    if isinstance(mailbox, str) and mailbox != "*":
        return "voicemail.list", {"mailbox": mailbox}
    return None
