"""App(serve_api=False): the whole daemon in-process with no socket (ctid simulate)."""

from __future__ import annotations

from typing import Any

import trio

from ctid.app import App
from ctid.calls.events import DeliveredEvent
from ctid.calls.model import Emitted
from ctid.ids import IdFactory
from ctid.testing import sim_config


async def test_runs_calls_without_listening(autojump_clock: Any) -> None:
    app = App(sim_config(), admin_token=None, ids=IdFactory("t"), serve_api=False)
    seen: list[str] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(app.run)
        assert app.addresses == []

        def sink(emitted: Emitted) -> None:
            if isinstance(emitted.event, DeliveredEvent):
                seen.append(emitted.event.alerting_device)

        app.calls.event_sinks.append(sink)
        app.driver.incoming_call("+15550002", "1003")  # type: ignore[attr-defined]
        await trio.sleep(1)
        nursery.cancel_scope.cancel()
    assert seen == ["1003"]
