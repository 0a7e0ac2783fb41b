"""Hours of generated demo traffic on MockClock: nothing crashes, nothing leaks."""

from __future__ import annotations

import trio

from ctid.calls.invariants import problems
from ctid.demo_command import add_demo
from ctid.testing import call_centre, sim_config


async def test_two_hours_of_demo_traffic(autojump_clock: trio.testing.MockClock) -> None:
    config = sim_config({"demo": {"mean_interarrival": 15.0, "mean_talk": 60.0}})
    async with call_centre(config) as cc:
        watcher = await cc.client()
        for n in range(1001, 1011):
            await watcher.call("MonitorStart", {"monitorObject": {"deviceObject": str(n)}})
        # The traffic generator is added the way `ctid demo` adds it.
        add_demo(cc.app, traffic=True, seed=7)
        service = cc.app.extra_services[-1]
        async with trio.open_nursery() as nursery:
            await nursery.start(service)
            for _ in range(12):
                await trio.sleep(600)
                assert problems(cc.app.model) == []
            nursery.cancel_scope.cancel()
        # Let the calls in progress finish: people hang up, callers give up.
        await trio.sleep(3600)
        await cc.settle()
        names = [e["method"] for e in watcher.events]
        assert names.count("DeliveredEvent") > 200
        assert names.count("EstablishedEvent") > 150
        # seq stayed gap-free over thousands of events.
        assert [e["params"]["seq"] for e in watcher.events] == list(
            range(1, len(watcher.events) + 1)
        )
        model = cc.app.model
        assert model.calls == {}, f"calls left over: {list(model.calls)}"
        assert model.legs == {}
        assert model.by_device == {}
        lines = {ln["line"]: ln["state"] for ln in (await watcher.call("sim.lines"))["lines"]}
        assert set(lines.values()) == {"idle"}, lines
