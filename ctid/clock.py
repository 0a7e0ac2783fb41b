"""Time for the whole daemon: trio's clock for logic, one wall-clock anchor for timestamps.

Everything that decides (timeouts, wrap-up, replay windows) reads
``trio.current_time()``, so the daemon runs unchanged on ``trio.testing.MockClock``.
Timestamps that leave the process (events, records) are that same clock
offset by one wall-clock reading taken at start-up.
"""

from __future__ import annotations

import datetime as _dt
import functools
import time as _time

import attrs
import trio

__all__ = ["WallClock"]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


@attrs.define
class WallClock:
    """Maps trio time to wall-clock time through one anchor.

    ``anchor_wall`` is seconds since the Unix epoch at trio time ``anchor_trio``.
    Tests pass a fixed ``anchor_wall`` so timestamps are reproducible.
    """

    anchor_wall: float
    anchor_trio: float

    @classmethod
    def start(cls, anchor_wall: float | None = None) -> WallClock:
        """Anchor now. Must be called inside ``trio.run``."""
        # The one wall-clock read of the process; everything else derives from trio time.
        wall = _time.time() if anchor_wall is None else anchor_wall
        return cls(anchor_wall=wall, anchor_trio=trio.current_time())

    def now(self) -> float:
        """Seconds since the Unix epoch, following trio's clock."""
        return self.anchor_wall + (trio.current_time() - self.anchor_trio)

    def at(self, trio_time: float) -> float:
        """The wall-clock time of a trio timestamp."""
        return self.anchor_wall + (trio_time - self.anchor_trio)

    def datetime(self, trio_time: float | None = None) -> _dt.datetime:
        wall = self.now() if trio_time is None else self.at(trio_time)
        return _EPOCH + _dt.timedelta(seconds=wall)

    def iso(self, trio_time: float | None = None) -> str:
        """ISO 8601 UTC with milliseconds, e.g. ``2026-11-22T06:23:00.123Z``."""
        return format_iso(self.now() if trio_time is None else self.at(trio_time))


@functools.lru_cache(maxsize=1024)
def format_iso(wall: float) -> str:
    """Format seconds since the epoch as ISO 8601 UTC with milliseconds."""
    moment = _EPOCH + _dt.timedelta(seconds=wall)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
