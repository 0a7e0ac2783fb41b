"""A pacing round's cheaper parts give what the plain ones gave.

The predictive dialler runs a round a second and more (``Dialler._pace``); its
parts were rewritten for speed (docs/performance.md, "The campaign day, fifth
pass"). A simulated day must not change by it, so each part is run here beside
the code it replaced, as the oracle, on random inputs: the agents' views
(``AcdAgents.agent_views``) and the answered calls that may still need an agent
(``Connector.needing``); and the claim's query (``claims.claim_records``) against the
query it was, whose plan on SQLite read every due record of the campaign.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from ctid.acd.agent import Agent
from ctid.acd.agent_states import AgentState
from ctid.acd.config import AgentConfig
from ctid.outbound import claims, store
from ctid.outbound.abandon import Connector
from ctid.outbound.attempts import DUE_STATES
from ctid.outbound.campaign_config import CampaignSpec
from ctid.outbound.csv_import import ImportedRow, ListImport
from ctid.outbound.install import AcdAgents
from ctid.outbound.pacer import AgentView, Pacer
from ctid.outbound.store import _RECORD_COLUMNS, GLOBAL_DNC
from ctid.records import db
from ctid.records.schema import campaign_records, dnc_numbers

from ..campaigns import campaign
from .test_connector import Clock, Port

# ----------------------------------------------------------------- agent views


class Engine:
    """What ``AcdAgents`` reads of the ACD engine: its agents and its clock."""

    def __init__(self) -> None:
        self.agents: dict[str, Agent] = {}
        self.t = 1000.0

    def now(self) -> float:
        return self.t


def reference_views(engine: Engine, queue: str) -> list[tuple[str, bool, float | None]]:
    """``agent_views`` as it was: a loop building one attrs object per agent."""
    now = engine.now()
    views = []
    for agent in engine.agents.values():
        if queue not in agent.active:
            continue
        answered = agent.answered_at
        views.append(
            (
                agent.agent_id,
                agent.state is AgentState.READY,
                None if answered is None else now - answered,
            )
        )
    return views


def new_agent(agent_id: str) -> Agent:
    config = AgentConfig(
        agent_id=agent_id, name=agent_id, pin=None, auto_answer=True, skills=(), devices=frozenset()
    )
    return Agent(config=config, memberships={})


QUEUES = ("sales", "service")


def change(engine: Engine, rng: random.Random) -> None:
    """One random change of the ACD's agents (what the engine does to them in a day)."""
    roll = rng.random()
    if roll < 0.1 or not engine.agents:
        agent_id = f"a{rng.randrange(1000)}"
        engine.agents.setdefault(agent_id, new_agent(agent_id))
    elif roll < 0.15:
        del engine.agents[rng.choice(list(engine.agents))]
    elif roll < 0.25:
        engine.t += rng.choice((0.0, 0.1, 1.0, rng.uniform(0, 30)))
    else:
        agent = engine.agents[rng.choice(list(engine.agents))]
        what = rng.randrange(3)
        if what == 0:
            agent.state = rng.choice(list(AgentState))
        elif what == 1:
            agent.active = frozenset(q for q in QUEUES if rng.random() < 0.6)
        else:
            agent.answered_at = rng.choice((None, engine.t, engine.t - rng.uniform(0, 900)))


def test_the_views_are_the_old_loops_after_random_agent_changes() -> None:
    rng = random.Random(12)
    engine = Engine()
    agents = AcdAgents(engine, lambda queue: None)
    for _ in range(3000):
        change(engine, rng)
        for queue in QUEUES:
            views = agents.agent_views(queue)
            expected = reference_views(engine, queue)
            assert [tuple(v) for v in views] == expected
            assert all(type(v) is AgentView for v in views)
            # Each field by name too, as the pacer reads them.
            assert [(v.agent_id, v.ready, v.busy_seconds) for v in views] == expected


def test_a_view_is_the_tuple_the_pacer_reads() -> None:
    view = AgentView(agent_id="a", ready=False, busy_seconds=12.5)
    assert view == AgentView("a", False, 12.5)
    assert (view.agent_id, view.ready, view.busy_seconds) == ("a", False, 12.5)
    assert AgentView(agent_id="b", ready=True).busy_seconds is None
    pacer = Pacer()
    pacer.observe([view])
    pacer.observe([AgentView(agent_id="a", ready=True)])
    assert pacer.cycles.values() == [12.5]


# ------------------------------------------------------------ needing an agent


def reference_needing(connector: Connector, campaign: str) -> int:
    """``Connector.needing`` as it was: a scan of every answered call."""
    return sum(
        1
        for a in connector.answered.values()
        if a.spec.name == campaign
        and a.outcome is None
        and (a.person_at is None or a.call_id in connector.waiting)
    )


SPECS = (
    CampaignSpec(name="c", queue="sales", amd=True),
    CampaignSpec(name="d", queue="sales", amd=False),
    CampaignSpec(name="e", queue="other", amd=True),
)

step = st.tuples(st.integers(0, 7), st.integers(0, 11), st.integers(0, 2), st.integers(0, 3))


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(step, max_size=80))
def test_needing_is_the_scan_of_every_answered_call(steps: list[tuple[int, ...]]) -> None:
    port, clock = Port(), Clock()
    pacers = {spec.name: Pacer() for spec in SPECS}
    connector = Connector(port, pacers, clock)
    for what, call, spec, n in steps:
        call_id = f"k{call}"
        if what == 0 and call_id not in connector.answered:
            connector.on_answer(call_id, SPECS[spec], dialled_at=clock.t - 5)
        elif what == 1:
            connector.on_classified(call_id, ("machine", "human", "unknown", "notsure")[n])
        elif what == 2:
            port.free = n
            connector.check()
        elif what == 3:
            clock.t += (0.5, 1.0, 2.0, 5.0)[n]
            connector.check()
        elif what == 4:
            connector.on_offered(call_id)
            port.offers.add(call_id)
        elif what == 5:
            connector.on_ended(call_id)
            port.offers.discard(call_id)
        elif what == 6:
            connector.on_playback_done(f"pb-{call_id}")
        else:
            port.free = 0
        for each in SPECS:
            assert connector.needing(each.name) == reference_needing(connector, each.name)
        assert connector.needing("nobody") == 0


# ------------------------------------------------------------------- the claim


def old_claimable() -> Any:
    """``claims._CLAIMABLE`` as it was (SQLite's planner may take the due index)."""
    c = campaign_records.c
    return sa.select(*_RECORD_COLUMNS).where(
        c.campaign == sa.bindparam("campaign"),
        c.id.in_(sa.bindparam("ids", expanding=True)),
        c.status.in_(sorted(DUE_STATES)),
        sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= sa.bindparam("now")),
        c.callback_agent.is_(None),
        ~sa.exists().where(
            dnc_numbers.c.number == c.number,
            dnc_numbers.c.scope.in_([GLOBAL_DNC, sa.bindparam("campaign")]),
        ),
    )


def test_the_claim_reads_its_records_by_id_and_finds_what_the_old_query_found(
    tmp_path: Path,
) -> None:
    engine = db.make_engine(db.sqlite_url(tmp_path / "claims.db"))
    try:
        db.upgrade(engine)
        now = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
        store.save_campaign(engine, "renewals", campaign(name="renewals"), "api", now, create=True)
        store.save_campaign(engine, "other", campaign(name="other"), "api", now, create=True)
        for name in ("renewals", "other"):
            rows = tuple(
                ImportedRow(line=i + 2, number=f"+1555{i:07d}", data={"i": str(i)})
                for i in range(400)
            )
            parsed = ListImport(rows=rows, problems=(), duplicates=())
            store.import_list(engine, name, "l", "phone", parsed, now)
        rng = random.Random(7)
        with engine.begin() as conn:
            ids = [int(i) for i in conn.scalars(sa.select(campaign_records.c.id))]
            # Some records not due (done, later, booked for an agent), some listed.
            for record_id in rng.sample(ids, 200):
                conn.execute(
                    campaign_records.update()
                    .where(campaign_records.c.id == record_id)
                    .values(
                        rng.choice(
                            (
                                {"status": "done"},
                                {"status": "retry", "next_attempt_at": now + dt.timedelta(hours=1)},
                                {"status": "retry", "next_attempt_at": now},
                                {"status": "callback", "callback_agent": "a1"},
                            )
                        )
                    )
                )
        numbers = [f"+1555{i:07d}" for i in rng.sample(range(400), 40)]
        for scope in (GLOBAL_DNC, "renewals", "other"):
            store.dnc_add(engine, scope, rng.sample(numbers, 15), "test", now)
        statements: list[tuple[str, Any]] = []

        def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if statement.startswith("SELECT"):
                statements.append((statement, parameters))

        sa.event.listen(engine, "before_cursor_execute", seen)
        for n in (1, 2, 4, 10, 40, 120):
            wanted = rng.sample(ids, n)
            with engine.connect() as conn:
                params = {"campaign": "renewals", "ids": wanted, "now": now}
                expected = [int(r.id) for r in conn.execute(old_claimable(), params)]
            statements.clear()
            claimed = claims.claim_records(engine, "renewals", wanted, now)
            assert sorted(s.id for s in claimed) == sorted(expected)
            assert [s.id for s in claimed] == [i for i in wanted if i in set(expected)]
            (statement, parameters), *_ = statements
            raw = engine.raw_connection()
            try:
                plan = [
                    r[3]
                    for r in raw.cursor().execute("EXPLAIN QUERY PLAN " + statement, parameters)
                ]
            finally:
                raw.close()
            assert plan[0] == "SEARCH campaign_records USING INTEGER PRIMARY KEY (rowid=?)", plan
    finally:
        engine.dispose()
