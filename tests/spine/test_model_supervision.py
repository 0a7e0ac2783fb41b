"""CallModel.supervise: a supervisor's own call, joined to an agent's leg by the switch."""

from __future__ import annotations

from typing import Any

import trio

from ctid.switch_drivers import base as sw
from ctid.testing import call_centre

CUSTOMER = "+15550200"


async def test_supervision_call_lifecycle(autojump_clock: Any) -> None:
    async with call_centre() as cc:
        app, sim = cc.app, cc.sim
        agent_view = await cc.client()
        await agent_view.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        sup_view = await cc.client()
        await sup_view.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})
        sim.incoming_call(CUSTOMER, "1001")
        await trio.sleep(1)
        sim.off_hook("1001")
        await trio.sleep(1)
        assert sim.card.hears(CUSTOMER, "1001")
        agent_leg = app.model.device_connections("1001")[0].leg
        assert agent_leg is not None

        conn = app.model.supervise("1002", agent_leg, sw.SupervisionMode.SILENT)
        app.calls.sync()
        await trio.sleep(1)
        assert sim.card.hears("1002", CUSTOMER)
        assert sim.card.hears("1002", "1001")
        assert not sim.card.hears("1001", "1002")
        # The supervisor's phone rang and answered in a call of its own.
        assert (await sup_view.event("EstablishedEvent"))["answeringDevice"] == "1002"
        assert conn.call.call_id != app.model.device_connections("1001")[0].call.call_id

        sup_leg = conn.leg
        assert sup_leg is not None
        app.model.change_supervision(sup_leg, sw.SupervisionMode.BARGE)
        app.calls.sync()
        await trio.sleep(0.1)
        assert sim.card.hears(CUSTOMER, "1002")

        # The agent's side never heard of the supervisor.
        names = agent_view.names()
        assert all("1002" not in str(e["params"]) for e in agent_view.events), names

        # The agent hangs up: the customer is released, and the supervisor too.
        sim.on_hook("1001")
        await trio.sleep(1)
        assert app.model.calls == {}
        assert sim.line_state("1002").value == "idle"
        cleared = await sup_view.event("CallClearedEvent")
        assert cleared["clearedCall"] == conn.call.call_id
