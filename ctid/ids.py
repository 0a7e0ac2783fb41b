"""Minting ids for the objects ctid creates (calls, channels, bridges, sessions, monitors).

ctid chooses its own ids and keeps switch ids as attributes (STYLE §3.3). An id
is a prefix unique to this process run followed by a counter: short enough to
read in a log, unique across restarts because the run prefix comes from the
start time, and deterministic in tests, which pass a fixed prefix.
"""

from __future__ import annotations

import itertools
import secrets
import time

__all__ = ["IdFactory"]

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(n: int) -> str:
    out = []
    while True:
        n, r = divmod(n, 36)
        out.append(_ALPHABET[r])
        if n == 0:
            return "".join(reversed(out))


class IdFactory:
    """Hands out ids ``<run>-<kind><n>``, e.g. ``sk3f9a-c17`` for the 17th call."""

    def __init__(self, run_prefix: str | None = None, *, deterministic: bool = False) -> None:
        if run_prefix is None:
            # Seconds since 2020 in base 36 grows with every restart; two random
            # characters separate two daemons started in the same second.
            run_prefix = _base36(int(time.time()) - 1_577_836_800) + secrets.choice(_ALPHABET)
        self.run_prefix = run_prefix
        #: Tests and generated docs want reproducible tokens; a daemon never.
        self.deterministic = deterministic
        self._counter = itertools.count(1)

    def new(self, kind: str) -> str:
        """A fresh id; ``kind`` is a short letter such as ``c`` (call) or ``ch`` (channel)."""
        return f"{self.run_prefix}-{kind}{next(self._counter)}"

    def token(self) -> str:
        """An unguessable token, for session ids (predictable only when ``deterministic``)."""
        if self.deterministic:
            return f"{self.run_prefix}-session-{next(self._counter)}"
        return secrets.token_urlsafe(18)
