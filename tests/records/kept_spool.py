"""Spools written by a real run of the old records writer, and the tables it made of them.

``test_batched_apply.py`` replays these spools with today's writer and checks the
tables come out exactly as the old writer (op by op, main at ``51faefd``) left them,
on SQLite and PostgreSQL: a spool written before an upgrade must still be replayed,
into the same rows.

Two real days, each through the real daemon (simulator, ACD, records service):

* ``campaign``: ``ctid simulate --campaign`` (predictive, 10 agents, 0.1 hour): call
  opens and closes, agent states with wrap-up, queue waits, heartbeats;
* ``ivr``: callers through an IVR menu into a queue of two agents with wrap-up, some
  served by the menu, some hanging up in it or in the queue: IVR visits and runs too.

The files were made by the old code (``python -m tests.records.kept_spool`` run in a
checkout of main at ``51faefd``); running it again on newer code rewrites them, which
is only right after a deliberate change to what the records hold.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ctid.records import db
from ctid.records.journal import Journal
from ctid.records.schema import (
    agent_states,
    call_legs,
    calls,
    ivr_runs,
    ivr_visits,
    nodes,
    queue_waits,
    recordings,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "records"
DAYS = ("campaign", "ivr")
#: Every table the records writer fills, in a fixed order, with its primary key.
TABLES: tuple[sa.Table, ...] = (
    calls,
    call_legs,
    agent_states,
    queue_waits,
    ivr_visits,
    ivr_runs,
    recordings,
    nodes,
)


def spool_file(day: str) -> Path:
    return FIXTURES / f"{day}.spool.gz"


def tables_file(day: str) -> Path:
    return FIXTURES / f"{day}.tables.json.gz"


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # Every engine gives aware UTC (schema.UtcDateTime): the text is exact to the µs.
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # every bit of it
    return value


def dump(engine: sa.Engine) -> dict[str, list[list[Any]]]:
    """Every row of every records table, ordered by primary key, as JSON values."""
    out: dict[str, list[list[Any]]] = {}
    with engine.connect() as conn:
        for table in TABLES:
            query = sa.select(table).order_by(*table.primary_key.columns)
            out[table.name] = [[_value(v) for v in row] for row in conn.execute(query)]
    return out


def read_tables(day: str) -> dict[str, list[list[Any]]]:
    data: dict[str, list[list[Any]]] = json.loads(gzip.decompress(tables_file(day).read_bytes()))
    return data


def unpack_spool(day: str, directory: Path) -> None:
    """The kept spool of ``day`` as a spool directory (one segment, nothing committed)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "00000001.spool").write_bytes(gzip.decompress(spool_file(day).read_bytes()))


@contextmanager
def _keeping_spool(keep: Path) -> Iterator[None]:
    """The writer keeps every segment, and its spool is copied to ``keep`` when it closes."""
    release, close = Journal.release, Journal.close

    def no_release(self: Journal, upto: Any) -> int:
        return 0

    def copy_then_close(self: Journal) -> None:
        close(self)
        if self.directory.exists() and not keep.exists():
            shutil.copytree(self.directory, keep)

    Journal.release = no_release  # type: ignore[method-assign]
    Journal.close = copy_then_close  # type: ignore[method-assign]
    try:
        yield
    finally:
        Journal.release = release  # type: ignore[method-assign]
        Journal.close = close  # type: ignore[method-assign]


def _campaign_day(spool: Path, database: Path) -> None:
    from ctid.simulate.campaign import CampaignScenario, run_campaign

    scenario = CampaignScenario(
        dialer="predictive",
        agents=10,
        answer_rate=0.3,
        machine_rate=0.1,
        ring_seconds=25,
        aht=120,
        wrap_up=10,
        hours=0.1,
        max_abandon=0.03,
        seed=1,
    )
    with _keeping_spool(spool):
        run_campaign(scenario, keep_database=database)


IVR_FRONT = "4008001234"
IVR_FLOW = {
    "start": "menu",
    "nodes": {
        "menu": {
            "type": "menu",
            "prompt": {"tts": "Sales 1."},
            "choices": {"1": "sales"},
            "on_failure": "bye",
        },
        "sales": {"type": "queue", "queue": "sales"},
        "bye": {"type": "hangup"},
    },
}


def _ivr_day(spool: Path, database: Path) -> None:
    import trio
    import trio.testing

    from ctid.testing import call_centre, sim_config
    from ctid.testing.client import RpcErrorReply

    async def day(tmp: Path) -> None:
        flows = tmp / "flows"
        flows.mkdir()
        (flows / "main.json").write_text(json.dumps(IVR_FLOW), encoding="utf-8")
        config = sim_config(
            {
                "server": {"state_dir": str(tmp / "state")},
                "records": {
                    "enabled": True,
                    "fsync": False,
                    "heartbeat_seconds": 60,
                    "database": db.sqlite_url(database),
                },
                "ivr": {"flows_dir": str(flows), "tts": "silent"},
                "switch": {"simulator": {"extensions": "1001-1010", "trunks": 10}},
                "routing": {
                    "rules": [
                        {"name": "front", "dnis": [IVR_FRONT], "destination": {"flow": "main"}}
                    ]
                },
                "acd": {
                    "seed": 1,
                    "queues": [{"name": "sales", "ring_timeout": 10.0, "wrap_up": 15.0}],
                    "agents": [
                        {"id": "2001", "auto_answer": True, "skills": [{"queue": "sales"}]},
                        {"id": "2002", "auto_answer": True, "skills": [{"queue": "sales"}]},
                    ],
                },
            }
        )
        async with call_centre(config) as cc:
            admin = await cc.client()
            for agent_id, device in (("2001", "1001"), ("2002", "1002")):
                for state in ("loggedOn", "ready"):
                    await admin.call(
                        "SetAgentState",
                        {"device": device, "requestedAgentState": state, "agentID": agent_id},
                    )

            async def caller(number: str, after: float, press: bool, talk: float) -> None:
                await trio.sleep(after)
                await admin.call(
                    "sim.incomingCall", {"callingNumber": number, "calledNumber": IVR_FRONT}
                )
                await trio.sleep(2)
                if press:
                    await admin.call("sim.pressDigits", {"device": number, "digits": "1"})
                await trio.sleep(talk)
                # The menu may have hung up on them first.
                with contextlib.suppress(RpcErrorReply):
                    await admin.call("sim.onHook", {"device": number})

            async with trio.open_nursery() as nursery:
                # Five callers pressing 1 close together (two agents: some wait, one
                # gives up in the queue), one silent (the menu hangs up on them), one
                # hanging up in the menu.
                for i, (after, press, talk) in enumerate(
                    [
                        (0, True, 70),
                        (5, True, 45),
                        (9, True, 90),
                        (12, True, 8),
                        (20, True, 120),
                        (30, False, 200),
                        (40, False, 1),
                    ]
                ):
                    nursery.start_soon(caller, f"+1555000{i}", after, press, talk)
            await trio.sleep(60)
            await cc.app.api.services["records"].wait_committed()

    with tempfile.TemporaryDirectory() as tmp, _keeping_spool(spool):
        trio.run(day, Path(tmp), clock=trio.testing.MockClock(autojump_threshold=0))


DAY_RUNS: dict[str, Callable[[Path, Path], None]] = {"campaign": _campaign_day, "ivr": _ivr_day}


def write(day: str) -> None:
    """Run ``day`` and keep its spool and tables (see the module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        spool, database = Path(tmp) / "spool", Path(tmp) / "records.db"
        DAY_RUNS[day](spool, database)
        (segment,) = sorted(spool.glob("*.spool"))
        FIXTURES.mkdir(parents=True, exist_ok=True)
        spool_file(day).write_bytes(gzip.compress(segment.read_bytes(), mtime=0))
        engine = db.make_engine(db.sqlite_url(database))
        try:
            tables = dump(engine)
        finally:
            engine.dispose()
        text = json.dumps(tables, separators=(",", ":"), sort_keys=True)
        tables_file(day).write_bytes(gzip.compress(text.encode(), mtime=0))


if __name__ == "__main__":
    for name in DAYS:
        write(name)
