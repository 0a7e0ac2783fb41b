"""A campaign across a takeover: the new active node resumes it with the dead node's
day figures, learned model and call in flight (``ctid/outbound/keep.py``).

Two daemons on MockClock with the in-memory lease, one simulated switch that outlives
them, the records and live state on the test set-up's real PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.testing

from ctid.switch_drivers.simulator.driver import SimulatorDriver, config_from_section
from ctid.testing.lease import FakeLeaseDatabase

from ..campaigns import campaign, campaign_sections, dialler_of, standings
from ..continuity.test_campaign_restart import pacer_state
from ..postgres import PostgresServer
from .test_node import Node

pytestmark = pytest.mark.postgres


def _extra(name: str, url: str) -> dict[str, Any]:
    return campaign_sections(
        url, campaign(mode="predictive", amd=False), node=f"host-{name}", fsync=False
    )


async def test_the_new_active_node_resumes_the_campaign_where_the_dead_node_was(
    postgres: PostgresServer, pg_template: str, autojump_clock: trio.testing.MockClock
) -> None:
    url = postgres.url(postgres.create_database(pg_template))
    lease = FakeLeaseDatabase()
    sim_cfg, sounds = config_from_section({"extensions": "1001-1010"})
    switch = SimulatorDriver(sim_cfg, sounds_dir=sounds)
    async with trio.open_nursery() as nursery:
        a = Node("a", lease, nursery, extra=_extra("a", url), driver=switch)
        await nursery.start(a.run)
        assert a.app.cluster is not None
        await a.app.cluster.wait_serving()
        b = Node("b", lease, nursery, extra=_extra("b", url), driver=switch)
        await nursery.start(b.run)
        admin = await a.cc.client()
        csv = "phone\n5550101\n5550102\n"
        await admin.call(
            "campaign.importList",
            {"campaign": "c", "list": "l", "numberColumn": "phone", "csv": csv},
        )
        for state in ("loggedOn", "ready"):
            await admin.call(
                "SetAgentState", {"device": "1001", "requestedAgentState": state, "agentID": "2001"}
            )
        await admin.call("campaign.setState", {"name": "c", "state": "running"})
        await trio.sleep(6.0)  # the first callee answered at 2 s and talks with 2001
        dialler = dialler_of(a.app)
        [call_id] = dialler.attempts
        before = pacer_state(dialler)
        assert (before["tally"].dialled, before["tally"].persons) == (1, 1)
        await a.app.api.services["livestate"].flush()
        a.kill()
        assert b.app.cluster is not None
        await b.app.cluster.wait_serving()
        took_over = dialler_of(b.app)
        assert pacer_state(took_over) == before
        assert list(took_over.attempts) == [call_id]
        assert set(took_over.runs) == {"c"} and not took_over.runs["c"].paused
        # The call goes on under b: it ends, its record is done, and b dials the next.
        switch.on_hook("1001")
        await trio.sleep(2.0)
        assert standings(url)["5550101"] == ("done", 1, "answered")
        tally = took_over.pacers["c"].tally
        assert (tally.dialled, tally.persons, tally.connected) == (2, 1, 1)
        nursery.cancel_scope.cancel()
