"""Retention of faxes (``[fax] retention_days``): a part of ``FaxService``.

Received and sent faxes older than ``retention_days`` are marked ``deleted`` and
their images removed, except those tagged ``important``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from ..blocking import Blocking
from ..clock import WallClock
from ..recording import files
from . import store
from .config import FaxSettings

if TYPE_CHECKING:
    from ..records.service import RecordsService

__all__ = ["FaxRetention"]


class FaxRetention:
    """The retention sweep, mixed into ``FaxService`` (whose attributes it uses)."""

    settings: FaxSettings
    records: RecordsService
    clock: WallClock
    blocking: Blocking
    deleted_total: dict[str, int]
    _file_limiter: trio.CapacityLimiter

    if TYPE_CHECKING:

        @property
        def directory(self) -> Path: ...

        def _write(self, fn: Callable[..., Any], *args: Any) -> None: ...

        async def wait_written(self) -> None: ...

    async def _retention_loop(self) -> None:
        while True:
            await self.apply_retention()
            await trio.sleep(self.settings.retention_interval)

    async def apply_retention(self) -> int:
        """Delete the faxes (received and sent) older than ``retention_days``, except
        those tagged ``important``; returns how many."""
        cutoff = self.clock.datetime(trio.current_time() - self.settings.retention_days * 86400)
        found = await self.records.read(store.expired, cutoff)
        images = set()
        for fax_id, relative, direction in found:
            # Fax-back images are documents (documents/...): they stay with the document.
            if relative is not None and relative.startswith(("in/", "out/")):
                images.add(relative)
            self._write(
                store.update_fax,
                fax_id,
                {"state": "deleted", "path": None, "deleted_at": self.clock.datetime()},
            )
            self.deleted_total[direction] = self.deleted_total.get(direction, 0) + 1
        await self.wait_written()
        for relative in sorted(images):
            # The faxes of a batch share an image: it goes with the last of them.
            if await self.records.read(store.path_in_use, relative):
                continue
            try:
                path = files.resolve(self.directory, relative)
            except ValueError:
                continue
            await self.blocking(files.delete, path, limiter=self._file_limiter)
        return len(found)
