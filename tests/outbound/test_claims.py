"""The dialler's batched writes: claims before dialling, outcomes written behind, kill -9.

On SQLite and on the real PostgreSQL of the test set-up (``database_url``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import trio
import trio.testing

from ctid.blocking import inline
from ctid.outbound import claims, store
from ctid.outbound.attempts import Standing
from ctid.outbound.campaign_config import spec_from_config
from ctid.outbound.claims import RecordWrite
from ctid.outbound.csv_import import ImportedRow, ListImport
from ctid.outbound.writeback import RecordWriter
from ctid.records import db
from ctid.records.schema import calls, campaign_records

from ..campaigns import TWO_AGENTS, campaign, campaign_config, standings
from ..continuity.restart import daemon

NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
CAMPAIGN: dict[str, Any] = campaign(name="renewals")


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _import(engine: sa.Engine, numbers: list[str]) -> list[int]:
    store.save_campaign(engine, "renewals", CAMPAIGN, "api", NOW, create=True)
    rows = tuple(ImportedRow(line=i + 2, number=n, data={}) for i, n in enumerate(numbers))
    store.import_list(
        engine, "renewals", "l", "phone", ListImport(rows=rows, problems=(), duplicates=()), NOW
    )
    return [r.id for r in store.due_records(engine, "renewals", NOW, 100)]


def _row(engine: sa.Engine, record_id: int) -> tuple[Any, ...]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                campaign_records.c.status,
                campaign_records.c.attempts,
                campaign_records.c.next_attempt_at,
                campaign_records.c.last_outcome,
                campaign_records.c.disposition,
            ).where(campaign_records.c.id == record_id)
        ).one()
    return tuple(row)


def test_claim_takes_only_due_records_once_and_ends_dnc_in_the_same_transaction(
    engine: sa.Engine,
) -> None:
    ids = _import(engine, ["5550101", "5550102", "5550103", "5550104"])
    a, b, c, d = ids
    # b waits for a callback in an hour; c is done: neither may be claimed.
    later = Standing(
        number="5550102", status="callback", next_attempt_at=NOW + dt.timedelta(hours=1)
    )
    store.update_record(engine, b, later, NOW)
    store.update_record(engine, c, Standing(number="5550103", status="done", attempts=1), NOW)
    dnc = RecordWrite(standing=Standing(number="5550104", status="dnc", last_outcome="dnc"), at=NOW)
    claimed = claims.claim_records(engine, "renewals", [a, b, c], NOW, {d: dnc})
    assert [(s.id, s.standing.status, s.standing.number) for s in claimed] == [
        (a, "new", "5550101")
    ]
    assert _row(engine, a) == ("dialling", 0, None, None, None)
    assert _row(engine, d) == ("dnc", 0, None, "dnc", None)
    assert _row(engine, b)[0] == "callback"
    assert _row(engine, c)[0] == "done"
    # Claimed once: a second claim of the same record gets nothing.
    assert claims.claim_records(engine, "renewals", [a], NOW) == []
    # Another campaign's claim never takes this campaign's records.
    assert claims.claim_records(engine, "other", [b], NOW + dt.timedelta(hours=2)) == []


def test_write_records_writes_a_batch_keeping_what_it_is_told_to_keep(engine: sa.Engine) -> None:
    a, b = _import(engine, ["5550101", "5550102"])
    store.update_record(engine, b, Standing(number="5550102"), NOW, disposition="sale")
    at = NOW + dt.timedelta(minutes=5)
    claims.write_records(
        engine,
        {
            a: RecordWrite(
                standing=Standing(
                    number="5550101", status="done", attempts=1, last_outcome="answered"
                ),
                at=at,
                disposition="noSale",
            ),
            b: RecordWrite(
                standing=Standing(
                    number="5550102",
                    status="retry",
                    attempts=1,
                    retries=1,
                    next_attempt_at=at + dt.timedelta(seconds=600),
                    last_outcome="busy",
                ),
                at=at,
            ),
        },
    )
    assert _row(engine, a) == ("done", 1, None, "answered", "noSale")
    assert _row(engine, b) == ("retry", 1, at + dt.timedelta(seconds=600), "busy", "sale")


def test_orphans_move_on_by_their_call_record_or_as_failed(engine: sa.Engine) -> None:
    spec = spec_from_config(CAMPAIGN, "campaigns[0]")
    a, b, c = _import(engine, ["5550101", "5550102", "5550103"])
    claims.claim_records(engine, "renewals", [a, b], NOW)
    # a's call was answered and closed before the kill; b's never reached the records.
    with engine.begin() as conn:
        for call_id, started, outcome in (
            ("old", NOW - dt.timedelta(hours=1), "busy"),  # before the claim: not this one
            ("c1", NOW + dt.timedelta(seconds=1), "answered"),
        ):
            conn.execute(
                calls.insert().values(
                    call_id=call_id,
                    node="n",
                    run_id="r",
                    state="closed",
                    direction="outbound",
                    caller="0170000000",
                    called="5550101",
                    recording_ids=[],
                    user_data={},
                    facts={},
                    started_at=started,
                    ended_at=started + dt.timedelta(seconds=30),
                    campaign="renewals",
                    campaign_record=a,
                    campaign_outcome=outcome,
                )
            )
    orphans = claims.orphan_claims(engine, "renewals")
    assert [(o.stored.id, o.outcome, o.claimed_at) for o in orphans] == [
        (a, "answered", NOW),
        (b, None, NOW),
    ]
    assert c not in [o.stored.id for o in orphans]
    later = NOW + dt.timedelta(minutes=3)
    done, failed = (claims.recover(spec, o, later) for o in orphans)
    assert (done.status, done.attempts, done.last_outcome) == ("done", 1, "answered")
    assert (failed.status, failed.attempts, failed.retries, failed.last_outcome) == (
        "retry",
        1,
        1,
        "failed",
    )
    assert failed.next_attempt_at == later + dt.timedelta(seconds=1800)


class Outage:
    """A reader like ``RecordsService.read`` whose database is away ``down`` times."""

    def __init__(self, engine: sa.Engine, down: int) -> None:
        self.engine, self.down = engine, down
        self.calls: list[dict[int, RecordWrite]] = []

    async def __call__(self, fn: Any, *args: Any) -> Any:
        self.calls.append(dict(args[0]))
        if self.down:
            self.down -= 1
            raise sa.exc.OperationalError("UPDATE", {}, Exception("connection refused"))
        return await inline(fn, self.engine, *args)


def _health(writer: RecordWriter) -> tuple[bool, str | None]:
    return writer.db_up, writer.db_error


async def test_writer_coalesces_retries_through_an_outage_and_flushes(
    engine: sa.Engine, autojump_clock: trio.testing.MockClock
) -> None:
    a, b = _import(engine, ["5550101", "5550102"])
    reader = Outage(engine, down=2)
    writer = RecordWriter(reader, retry_first=1.0, retry_max=4.0)
    async with trio.open_nursery() as nursery:
        await nursery.start(writer.run)
        first = RecordWrite(standing=Standing(number="5550101", status="dialling"), at=NOW)
        writer.submit(a, first)
        writer.submit(
            a,
            RecordWrite(
                standing=Standing(
                    number="5550101", status="done", attempts=1, last_outcome="answered"
                ),
                at=NOW,
                disposition="sale",
            ),
        )
        assert writer.holds(a) and not writer.holds(b) and writer.waiting == 1
        await trio.testing.wait_all_tasks_blocked()
        assert not writer.db_up and writer.db_error is not None
        assert _row(engine, a)[0] == "new"  # nothing written while the database is away
        # Noted during the outage: written with the kept batch, the newer over the older.
        writer.submit(
            b,
            RecordWrite(
                standing=Standing(
                    number="5550102", status="failed", attempts=1, last_outcome="busy"
                ),
                at=NOW,
            ),
        )
        writer.submit(
            a,
            RecordWrite(
                standing=Standing(number="5550101", status="retry", attempts=1, last_outcome="x"),
                at=NOW,
            ),
        )
        began = trio.current_time()
        await writer.flush()
        # Down at 0 s and at 1 s (retried after 1 s), written at 3 s (after 2 s more).
        assert trio.current_time() - began == pytest.approx(3.0)
        nursery.cancel_scope.cancel()
    assert _health(writer) == (True, None)
    assert (writer.commits, writer.written, writer.waiting) == (1, 2, 0)
    assert [sorted(c) for c in reader.calls] == [[a], [a, b], [a, b]]
    # The disposition of the older note is kept under the newer one, which keeps it.
    assert _row(engine, a) == ("retry", 1, None, "x", "sale")
    assert _row(engine, b) == ("failed", 1, None, "busy", None)


# ---------------------------------------------------------------- kill -9


# The simulator's outside numbers answer after 2 s, except ...486 (busy).
LIST = "phone\n5550101\n5550486\n5550103\n5550104\n5550105\n5550106\n"


def _config(tmp_path: Path, database_url: str) -> Any:
    return campaign_config(tmp_path, database_url, CAMPAIGN, acd=TWO_AGENTS, fsync=False)


async def _ready_agents(client: Any) -> None:
    for agent, phone in (("2001", "1001"), ("2002", "1002")):
        for state in ("loggedOn", "ready"):
            await client.call(
                "SetAgentState", {"device": phone, "requestedAgentState": state, "agentID": agent}
            )


async def _ringing(client: Any) -> set[str]:
    reply = await client.call("sim.lines")
    return {
        ln["party"] for ln in reply["lines"] if ln["kind"] == "external" and ln["state"] != "idle"
    }


async def test_kill_9_leaves_claims_that_the_next_start_retries_by_the_rules(
    tmp_path: Path,
    database_url: str,
    autojump_clock: trio.testing.MockClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = _config(tmp_path, database_url)
    real_write = claims.write_records
    async with daemon(config) as cc:
        admin = await cc.client()
        await admin.call(
            "campaign.importList",
            {"campaign": "renewals", "list": "l", "numberColumn": "phone", "csv": LIST},
        )
        await _ready_agents(admin)

        # The database refuses the outcomes from now on: they stay in memory.
        def refuse(engine: Any, writes: Any) -> None:
            raise sa.exc.OperationalError("UPDATE", {}, Exception("connection refused"))

        monkeypatch.setattr(claims, "write_records", refuse)
        monkeypatch.setattr("ctid.outbound.writeback.write_records", refuse)
        await admin.call("campaign.setState", {"name": "renewals", "state": "running"})
        await trio.sleep(1)
        # Two free agents: 0101 and 0486 were claimed and dialled; 0486 was busy at once,
        # so 0103 next. Each claim is in the database before its dial.
        assert await _ringing(admin) == {"5550101", "5550103"}
        found = standings(database_url)
        assert {n for n, s in found.items() if s[0] == "dialling"} == {
            "5550101",
            "5550486",
            "5550103",
        }
        dialler = cc.app.api.services["campaigns"].dialler
        assert dialler.writer.holds(2) and not dialler.writer.db_up  # 0486's busy outcome
        await cc.app.api.services["records"].wait_committed()  # 0486's call record is in
    # kill -9: the outcome of 0486 and the calls ringing are gone; their records are
    # still "dialling" in the database.
    assert standings(database_url)["5550486"] == ("dialling", 0, None)
    monkeypatch.setattr(claims, "write_records", real_write)
    monkeypatch.setattr("ctid.outbound.writeback.write_records", real_write)

    async with daemon(config) as cc:
        admin = await cc.client()
        # The agents are back logged on (live state); they are made ready.
        for agent, phone in (("2001", "1001"), ("2002", "1002")):
            await admin.call(
                "SetAgentState", {"device": phone, "requestedAgentState": "ready", "agentID": agent}
            )
        await admin.call("campaign.setState", {"name": "renewals", "state": "running"})
        await trio.sleep(1)
        # The orphans are attempts: 0486 by its call record (busy: retry in 600 s), the two
        # whose calls died with the process as failed (retry in 1800 s). None is dialled
        # again now: the next records are.
        assert await _ringing(admin) == {"5550104", "5550105"}
        found = standings(database_url)
        assert found["5550486"] == ("retry", 1, "busy")
        assert found["5550101"] == ("retry", 1, "failed")
        assert found["5550103"] == ("retry", 1, "failed")
        assert found["5550104"] == ("dialling", 0, None)
        assert found["5550105"] == ("dialling", 0, None)
        assert found["5550106"] == ("new", 0, None)
        stopped = await admin.call("campaign.setState", {"name": "renewals", "state": "stopped"})
        assert stopped["records"] == {"retry": 3, "dialling": 2, "new": 1}


async def test_lingering_writer_writes_what_its_interval_noted_in_one_pass_and_flushes(
    engine: sa.Engine, autojump_clock: trio.testing.MockClock
) -> None:
    """``linger`` (what ``ctid simulate --campaign`` sets): the standings noted in that
    many seconds after the first go in one transaction; ``flush`` (a graceful stop, the
    end of a simulated day) waits for them: nothing noted is lost."""
    a, b, c = _import(engine, ["5550101", "5550102", "5550103"])
    reader = Outage(engine, down=0)
    writer = RecordWriter(reader, linger=30.0)

    def done(number: str, outcome: str) -> RecordWrite:
        return RecordWrite(
            standing=Standing(number=number, status="done", attempts=1, last_outcome=outcome),
            at=NOW,
        )

    async with trio.open_nursery() as nursery:
        await nursery.start(writer.run)
        start = trio.current_time()
        writer.submit(a, done("5550101", "answered"))
        await trio.sleep(10)
        writer.submit(b, done("5550102", "busy"))
        await trio.sleep(10)
        assert reader.calls == [] and writer.holds(a) and writer.holds(b)
        assert _row(engine, a)[0] == "new"
        await writer.flush()
        assert trio.current_time() - start == 30.0
        assert [sorted(batch) for batch in reader.calls] == [[a, b]]
        assert writer.commits == 1 and writer.written == 2
        # Noted and flushed at once (a stop): written within the linger, nothing lost.
        writer.submit(c, done("5550103", "noAnswer"))
        await writer.flush()
        assert [sorted(batch) for batch in reader.calls] == [[a, b], [c]]
        nursery.cancel_scope.cancel()
    assert [_row(engine, i)[:2] for i in (a, b, c)] == [("done", 1)] * 3
    assert not writer.holds(a) and writer.waiting == 0
