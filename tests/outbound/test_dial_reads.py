"""What the dialler keeps in memory between its database reads, end to end.

The simulator, the real ACD and call records, one agent (2001 at 1001, whose
phone answers by itself), queue ``sales``. The dialler reads its due records
in batches, each with the do-not-call verdict of its numbers, and answers the
look-up of the agents' callbacks from memory while none can be due
(``ctid/outbound/pick.py``, ``ctid/outbound/callbook.py``). These tests change
the lists and book callbacks between two rounds and check that nothing is
dialled that must not be, and that nothing due is offered late.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
import trio
import trio.testing

from ctid.outbound import store
from ctid.outbound.preview import CALLBACKS_EVERY
from ctid.records import db
from ctid.records.schema import calls
from ctid.testing import RpcTestClient, call_centre, sim_config

from ..campaigns import campaign, campaign_sections, dialler_of, standings

ALICE: Final = "dial-reads-agent-alice-0123456"
# The simulator's outside numbers answer after 2 s.
LIST: Final = "name,phone\nAnn,5550101\nBob,5550102\nCy,5550103\n"
# ...486 is busy: a retry 600 s later keeps the campaign from finishing.
KEEP_GOING: Final = "name,phone\nAnn,5550101\nBo,5550486\n"


def config(tmp_path: Path, url: str) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            **campaign_sections(url, campaign(name="renewals")),
            "auth": {
                "tokens": [{"role": "agent", "name": "alice", "token": ALICE, "agent_id": "2001"}]
            },
        }
    )


async def start(admin: RpcTestClient, csv: str = LIST) -> None:
    await admin.call(
        "campaign.importList",
        {"campaign": "renewals", "list": "l", "numberColumn": "phone", "csv": csv},
    )
    for state in ("loggedOn", "ready"):
        await admin.call(
            "SetAgentState", {"device": "1001", "requestedAgentState": state, "agentID": "2001"}
        )
    await admin.call("campaign.setState", {"name": "renewals", "state": "running"})


async def outside(client: RpcTestClient) -> dict[str, tuple[str, str | None]]:
    reply = await client.call("sim.lines")
    return {
        ln["line"]: (ln["state"], ln["party"])
        for ln in reply["lines"]
        if ln["kind"] == "external" and ln["state"] != "idle"
    }


def called(url: str) -> list[int]:
    """The campaign records the call records say were dialled, in order."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(calls.c.campaign_record)
                .where(calls.c.campaign.is_not(None))
                .order_by(calls.c.started_at, calls.c.call_id)
            ).all()
    finally:
        engine.dispose()
    return [r.campaign_record for r in rows]


async def talk(cc: Any, admin: RpcTestClient, number: str) -> None:
    """``number`` rings, answers (2 s), reaches the agent, who hangs up a second later."""
    assert await outside(admin) == {"T/1": ("alerting", number)}
    await trio.sleep(3)
    assert (await outside(admin))["T/1"] == ("connected", number)
    cc.sim.on_hook("1001")
    await cc.settle()


async def test_a_number_listed_through_the_api_after_the_batch_was_read_is_not_dialled(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url)) as cc:
        admin = await cc.client()
        await start(admin)
        await trio.sleep(0.5)
        picker = dialler_of(cc.app).picker
        queue = picker.due["renewals"]
        # Ann is dialled; Bob and Cy wait in the batch, whose numbers were on no list.
        assert (queue.reads, len(queue), queue.listed) == (1, 2, set())
        listed = await admin.call("dnc.add", {"numbers": ["5550103"]})
        assert listed == {"list": "*", "added": 1, "already": 0}
        assert picker.dnc_version == 1
        await talk(cc, admin, "5550101")
        await trio.sleep(0.5)
        await talk(cc, admin, "5550102")
        await trio.sleep(2)
        # Cy was judged from the same batch (no second read), with the lists read again.
        assert queue.reads == 1
        assert await outside(admin) == {}
        found = standings(database_url)
        assert found["5550103"] == ("dnc", 0, "dnc")
        assert found["5550101"] == ("done", 1, "answered")
        assert found["5550102"] == ("done", 1, "answered")
        await cc.app.api.services["records"].wait_committed()
        assert called(database_url) == [1, 2]  # never Cy (3)


async def test_a_number_listed_by_another_process_is_refused_by_the_claim(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url)) as cc:
        admin = await cc.client()
        await start(admin)
        await trio.sleep(0.5)
        dialler = dialler_of(cc.app)
        queue = dialler.picker.due["renewals"]
        assert (queue.reads, queue.listed) == (1, set())
        # Straight into the database (an operator's script, another ctid): this process
        # does not hear of it, and its batch still says Cy is on no list.
        engine = db.make_engine(database_url)
        try:
            now = dialler.utcnow()
            assert store.dnc_add(engine, "renewals", ["5550103"], "outside", now) == 1
        finally:
            engine.dispose()
        await talk(cc, admin, "5550101")
        await trio.sleep(0.5)
        await talk(cc, admin, "5550102")
        # Cy is picked from the batch; the claim finds the number listed and leaves it.
        await trio.sleep(0.5)
        assert await outside(admin) == {}
        assert queue.lists_version is None  # the batch's verdicts are not trusted now
        # The next batch reads the lists with the records: Cy ends on the list.
        await trio.sleep(2)
        assert queue.reads >= 2
        assert standings(database_url)["5550103"] == ("dnc", 0, "dnc")
        await cc.app.api.services["records"].wait_committed()
        assert called(database_url) == [1, 2]  # never Cy (3)


async def test_a_number_taken_off_a_list_after_the_batch_was_read_is_dialled(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url)) as cc:
        admin = await cc.client()
        await admin.call("dnc.add", {"numbers": ["5550102"], "campaign": "renewals"})
        await start(admin)
        await trio.sleep(0.5)
        dialler = dialler_of(cc.app)
        queue = dialler.picker.due["renewals"]
        assert (queue.reads, queue.listed) == (1, {"5550102"})
        # Taken off behind this process's back: the verdict read with the batch is
        # checked again at the dial.
        engine = db.make_engine(database_url)
        try:
            assert store.dnc_remove(engine, "renewals", ["5550102"]) == 1
        finally:
            engine.dispose()
        await talk(cc, admin, "5550101")
        await trio.sleep(0.5)
        assert queue.reads == 1
        await talk(cc, admin, "5550102")
        assert standings(database_url)["5550102"] == ("done", 1, "answered")


async def test_a_callback_booked_when_none_was_is_offered_when_due(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url)) as cc:
        admin = await cc.client()
        alice = await cc.client(token=ALICE)
        await start(admin, KEEP_GOING)
        await trio.sleep(0.5)
        await talk(cc, admin, "5550101")
        dialler = dialler_of(cc.app)
        book = dialler.callbacks
        await trio.sleep(5)
        # Alice is ready and the list is done: her callbacks were looked up, none booked.
        assert book.reads >= 1 and book.soonest("renewals") is None
        reads = book.reads
        await trio.sleep(40)
        assert book.reads == reads  # nothing booked: answered from memory
        await alice.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
        due = dialler.utcnow().replace(microsecond=0) + dt.timedelta(seconds=20)
        booked = await alice.call(
            "campaign.scheduleCallback",
            {"record": 1, "at": due.isoformat().replace("+00:00", "Z"), "agentOnly": True},
        )
        assert booked["agent"] == "2001"
        assert book.soonest("renewals") == due
        shown = await alice.event("campaign.preview")
        offered = dialler.utcnow()
        assert (shown["record"], shown["callback"], shown["agentID"]) == (1, True, "2001")
        # At its time, at most one look-up interval (and a round) late.
        assert due <= offered <= due + dt.timedelta(seconds=CALLBACKS_EVERY + 1)


async def test_a_callback_booked_during_the_call_is_offered_when_due(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url)) as cc:
        admin = await cc.client()
        alice = await cc.client(token=ALICE)
        await alice.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
        await start(admin, KEEP_GOING)
        await trio.sleep(3.5)
        assert (await outside(admin))["T/1"] == ("connected", "5550101")
        dialler = dialler_of(cc.app)
        due = dialler.utcnow().replace(microsecond=0) + dt.timedelta(seconds=30)
        # Booked while the call is up: written when the attempt ends.
        await alice.call(
            "campaign.scheduleCallback",
            {"record": 1, "at": due.isoformat().replace("+00:00", "Z"), "agentOnly": True},
        )
        assert dialler.callbacks.soonest("renewals") is None
        cc.sim.on_hook("1001")
        await cc.settle()
        await trio.sleep(1)
        assert dialler.callbacks.soonest("renewals") == due
        assert standings(database_url, "callback_agent")["5550101"] == (
            "callback",
            1,
            "answered",
            "2001",
        )
        alice.take()
        shown = await alice.event("campaign.preview")
        offered = dialler.utcnow()
        assert (shown["record"], shown["callback"], shown["agentID"]) == (1, True, "2001")
        assert due <= offered <= due + dt.timedelta(seconds=CALLBACKS_EVERY + 1)


async def test_a_callback_for_any_agent_booked_through_the_api_is_dialled_first(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    """A callback booked for any agent is a due record, first of the due ones: the batch
    read before the booking does not hold it, and is read again at once."""
    numbers = [f"55501{i:02d}" for i in range(1, 21)]
    async with call_centre(config(tmp_path, database_url)) as cc:
        admin = await cc.client()
        await start(admin, "name,phone\n" + "".join(f"n{n},{n}\n" for n in numbers))
        await trio.sleep(0.5)
        dialler = dialler_of(cc.app)
        queue = dialler.picker.due["renewals"]
        assert queue.reads == 1 and len(queue) == 19  # the batch holds records 2 to 20
        assert await outside(admin) == {"T/1": ("alerting", numbers[0])}
        await trio.sleep(3)
        due = dialler.utcnow().replace(microsecond=0)
        booked = await admin.call(
            "campaign.scheduleCallback", {"record": 20, "at": due.isoformat()}
        )
        assert (booked["record"], booked["agent"]) == (20, None)
        assert standings(database_url)[numbers[19]] == ("callback", 0, None)
        # The agent hangs up: the next call is the callback, not the batch's record 2.
        cc.sim.on_hook("1001")
        await cc.settle()
        await trio.sleep(0.5)
        assert await outside(admin) == {"T/1": ("alerting", numbers[19])}
        now = standings(database_url)
        assert (now[numbers[19]], now[numbers[1]]) == (("dialling", 0, None), ("new", 0, None))
        assert dialler.picker.due["renewals"].reads == 1  # a new queue, read once
