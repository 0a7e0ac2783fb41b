"""The dialler's reads of the records database, on SQLite and the real PostgreSQL.

* ``store.due_records`` reads each state's part through the index and merges
  them: it must give the rows, in the order, of the one ORDER BY over every due
  record it replaced (``REFERENCE`` below), whatever the mix of states, times,
  agents and campaigns;
* ``store.due_batch`` says which numbers are listed; ``claims.claim_records``
  refuses a number listed at the moment of the claim;
* ``callbook.CallbackBook`` reads the agents' callbacks only when one may be due,
  and never loses a booking it was told of.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
import trio
import trio.testing

from ctid.blocking import inline
from ctid.outbound import claims, store
from ctid.outbound.attempts import DUE_STATES
from ctid.outbound.callbook import REREAD_SECONDS, CallbackBook
from ctid.outbound.csv_import import ImportedRow, ListImport
from ctid.records import db
from ctid.records.schema import campaign_records

from ..campaigns import campaign

NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _import(engine: sa.Engine, name: str, numbers: list[str]) -> list[int]:
    store.save_campaign(engine, name, campaign(name=name), "api", NOW, create=True)
    rows = tuple(ImportedRow(line=i + 2, number=n, data={"i": i}) for i, n in enumerate(numbers))
    store.import_list(
        engine, name, "l", "phone", ListImport(rows=rows, problems=(), duplicates=()), NOW
    )
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(campaign_records.c.id)
                .where(campaign_records.c.campaign == name)
                .order_by(campaign_records.c.id)
            ).scalars()
        )


def reference(engine: sa.Engine, name: str, now: dt.datetime, limit: int) -> list[Any]:
    """The query ``due_records`` ran before: one ORDER BY over every due record."""
    c = campaign_records.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(campaign_records)
            .where(
                c.campaign == name,
                c.status.in_(sorted(DUE_STATES)),
                sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now),
                c.callback_agent.is_(None),
            )
            .order_by(
                sa.case({"callback": 0, "retry": 1}, value=c.status, else_=2),
                c.next_attempt_at,
                c.id,
            )
            .limit(limit)
        ).all()
    return [store._stored(r) for r in rows]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_due_records_are_those_of_the_one_ordered_query(engine: sa.Engine, seed: int) -> None:
    rng = random.Random(seed)
    ids = _import(engine, "a", [f"+1555{i:07d}" for i in range(300)])
    _import(engine, "b", [f"+1666{i:07d}" for i in range(40)])
    statuses = ["new", "retry", "callback", "dialling", "done", "dnc", "preview"]
    # Few distinct times, so that many records tie on their time (then: by id).
    times = [None, *(NOW + dt.timedelta(minutes=m) for m in (-90, -30, -30, 0, 1, 45))]
    with engine.begin() as conn:
        for record_id in ids:
            conn.execute(
                campaign_records.update()
                .where(campaign_records.c.id == record_id)
                .values(
                    status=rng.choice(statuses),
                    next_attempt_at=rng.choice(times),
                    callback_agent=rng.choice([None, None, None, "2001"]),
                )
            )
    for limit in (1, 7, 50, 128, 400):
        for now in (NOW - dt.timedelta(hours=2), NOW, NOW + dt.timedelta(hours=1)):
            expected = reference(engine, "a", now, limit)
            assert store.due_records(engine, "a", now, limit) == expected
            found, listed = store.due_batch(engine, "a", now, limit)
            assert (found, listed) == (expected, set())
    assert len(reference(engine, "a", NOW + dt.timedelta(hours=1), 400)) > 50
    assert {r.standing.number[:5] for r in store.due_records(engine, "b", NOW, 100)} == {"+1666"}


def test_due_batch_says_which_numbers_are_listed_and_the_claim_refuses_them(
    engine: sa.Engine,
) -> None:
    a, b, c, d = _import(engine, "renewals", ["5550101", "5550102", "5550103", "5550104"])
    _import(engine, "other", ["5550104"])
    assert store.dnc_add(engine, store.GLOBAL_DNC, ["5550102"], "", NOW) == 1
    assert store.dnc_add(engine, "renewals", ["5550103"], "", NOW) == 1
    assert store.dnc_add(engine, "other", ["5550104"], "", NOW) == 1  # not renewals'
    found, listed = store.due_batch(engine, "renewals", NOW, 10)
    assert [r.id for r in found] == [a, b, c, d]
    assert listed == {"5550102", "5550103"}
    # Listed after the batch was read (by anyone): the claim leaves it; the others go.
    assert store.dnc_add(engine, "renewals", ["5550101"], "", NOW) == 1
    claimed = claims.claim_records(engine, "renewals", [a, b, c, d], NOW)
    assert [r.id for r in claimed] == [d]
    assert claimed[0].standing.status == "new"
    statuses = {r.id: r.standing.status for r in store.due_records(engine, "renewals", NOW, 10)}
    assert statuses == {a: "new", b: "new", c: "new"}  # left as they were, for the verdict
    found, listed = store.due_batch(engine, "renewals", NOW, 10)
    assert ([r.id for r in found], listed) == ([a, b, c], {"5550101", "5550102", "5550103"})


def test_agent_callbacks_give_the_due_ones_and_the_soonest(engine: sa.Engine) -> None:
    a, b, c = _import(engine, "renewals", ["5550101", "5550102", "5550103"])
    assert store.agent_callbacks(engine, "renewals", NOW, ["2001"]) == ([], None)
    soon = NOW + dt.timedelta(minutes=5)
    past = NOW - dt.timedelta(minutes=5)
    for record_id, at, agent in ((a, soon, "2001"), (b, past, "2002"), (c, past, None)):
        _book_callback(engine, record_id, at, agent)
    found, soonest = store.agent_callbacks(engine, "renewals", NOW, ["2001"])
    assert (found, soonest) == ([], past)  # b (bob's) is due: soonest; none for alice
    found, soonest = store.agent_callbacks(engine, "renewals", NOW, ["2001", "2002"])
    assert ([r.id for r in found], soonest) == ([b], past)
    assert found == store.agent_callbacks_due(engine, "renewals", NOW, ["2001", "2002"])
    later = NOW + dt.timedelta(minutes=6)
    found, soonest = store.agent_callbacks(engine, "renewals", later, ["2001", "2002"])
    assert ([r.id for r in found], soonest) == ([b, a], past)
    assert store.agent_callbacks(engine, "renewals", later, []) == ([], past)


def _book_callback(engine: sa.Engine, record_id: int, at: dt.datetime, agent: str | None) -> None:
    """A callback of ``record_id`` due ``at`` for ``agent`` (None: any), written."""
    stored = store.record(engine, "renewals", record_id)
    assert stored is not None
    standing = attrs.evolve(stored.standing, status="callback", next_attempt_at=at)
    store.update_record(engine, record_id, standing, NOW, callback_agent=agent)


async def test_the_book_reads_only_when_a_callback_may_be_due(
    engine: sa.Engine, autojump_clock: trio.testing.MockClock
) -> None:
    a, b, c = _import(engine, "renewals", ["5550101", "5550102", "5550103"])

    async def read(fn: Any, *args: Any) -> Any:
        return await inline(fn, engine, *args)

    pending: set[int] = set()
    book = CallbackBook(read, pending=pending.__contains__)
    agents = ["2001"]
    assert await book.due("renewals", NOW, agents) == []
    assert (book.reads, book.soonest("renewals")) == (1, None)
    # Nothing booked: no read, however often asked, until REREAD_SECONDS have passed.
    for _ in range(10):
        await trio.sleep(1)
        assert await book.due("renewals", NOW, agents) == []
    assert book.reads == 1
    # Booked by this process (written, then told): read once it is due, and offered.
    due = NOW + dt.timedelta(seconds=30)
    _book_callback(engine, a, due, "2001")
    book.booked("renewals", a, due)
    assert await book.due("renewals", due - dt.timedelta(seconds=1), agents) == []
    assert book.reads == 1
    found = await book.due("renewals", due, agents)
    assert ([r.id for r in found], book.reads) == ([a], 2)
    # Still due (its agent was busy): read at each look-up, as before the book.
    assert [r.id for r in await book.due("renewals", due, ["2002"])] == []
    assert book.reads == 3
    # A booking still being written is kept in mind until a read that can see it.
    later = NOW + dt.timedelta(minutes=10)
    pending.add(b)
    book.booked("renewals", b, later)
    _book_callback(engine, a, NOW + dt.timedelta(days=1), "2001")  # a moves out of the way
    assert await book.due("renewals", due, agents) == []  # a read: the soonest was due
    assert book.soonest("renewals") == later  # b is not in the database yet: still known
    _book_callback(engine, b, later, "2001")
    pending.discard(b)
    assert [r.id for r in await book.due("renewals", later, agents)] == [b]
    # Written by a path the book does not hear of: found within REREAD_SECONDS.
    _book_callback(engine, b, NOW + dt.timedelta(days=2), "2001")
    assert await book.due("renewals", later, agents) == []
    reads = book.reads
    _book_callback(engine, c, later, "2001")
    assert await book.due("renewals", later, agents) == []  # not known yet
    assert book.reads == reads
    await trio.sleep(REREAD_SECONDS)
    assert [r.id for r in await book.due("renewals", later, agents)] == [c]
    # A campaign that starts again reads at once.
    book.forget("renewals")
    await book.due("renewals", NOW, agents)
    assert book.reads == reads + 2


async def test_the_book_says_whether_a_callback_may_claim_an_agent(
    engine: sa.Engine, autojump_clock: trio.testing.MockClock
) -> None:
    """``may_be_due`` (the blended claim's question, asked at every round) reads only
    when its knowledge is ``REREAD_SECONDS`` old, and is True from a callback's time on."""
    a, b = _import(engine, "renewals", ["5550101", "5550102"])

    async def read(fn: Any, *args: Any) -> Any:
        return await inline(fn, engine, *args)

    book = CallbackBook(read, pending=set[int]().__contains__)
    assert (await book.may_be_due("renewals", NOW), book.reads) == (False, 1)
    for _ in range(10):
        await trio.sleep(1)
        assert await book.may_be_due("renewals", NOW) is False
    assert book.reads == 1
    # Booked through this process: known at once, true from its time on, without a read.
    due = NOW + dt.timedelta(seconds=30)
    _book_callback(engine, a, due, "2001")
    book.booked("renewals", a, due)
    assert await book.may_be_due("renewals", due - dt.timedelta(seconds=1)) is False
    assert await book.may_be_due("renewals", due) is True
    assert book.reads == 1
    # Written behind the book's back (another process): seen once the knowledge is old.
    book.forget("renewals")
    _book_callback(engine, a, NOW + dt.timedelta(days=1), "2001")
    assert await book.may_be_due("renewals", due) is False  # a read: a moved to tomorrow
    reads = book.reads
    _book_callback(engine, b, due, "2002")
    assert await book.may_be_due("renewals", due) is False
    assert book.reads == reads
    await trio.sleep(REREAD_SECONDS)
    assert (await book.may_be_due("renewals", due), book.reads) == (True, reads + 1)
