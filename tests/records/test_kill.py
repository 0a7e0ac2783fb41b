"""SIGKILL the real daemon: finished calls stay recorded, calls in progress are closed.

The daemon runs as a child process (``python -m ctid run``) with its own
state directory; the test drives calls over the WebSocket API, waits for the
records' durability signal, kills it with SIGKILL, inspects the database,
starts it again and checks the calls it left open were closed.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import trio
from prometheus_client.parser import text_string_to_metric_families

from ctid.records import db
from ctid.records.schema import calls, live_state
from ctid.testing import RpcTestClient

from ..postgres import PostgresServer
from .daemon import Daemon

pytestmark = pytest.mark.slow


def write_config(path: Path, state: Path, database: str = "") -> Path:
    records = f'database = "{database}"\n' if database else ""
    path.write_text(
        f"""
[server]
listen = "127.0.0.1:0"
state_dir = "{state}"

[api]
ping_interval = 0

[switch]
driver = "simulator"

[switch.simulator]
extensions = "1001-1010"
trunks = 4

[records]
heartbeat_seconds = 1.0
{records}"""
    )
    return path


def call_rows(url: str) -> dict[str, Any]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return {row.call_id: row for row in conn.execute(sa.select(calls)).all()}
    finally:
        engine.dispose()


def live_calls(url: str) -> tuple[set[str], dict[str, dict[str, str]]]:
    """The live store's record keys and each stored call's connection states."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(live_state.c.kind, live_state.c.key, live_state.c.value)
            ).all()
    finally:
        engine.dispose()
    records = {row.key for row in rows if row.kind == "record"}
    states = {
        row.key: {c["device"]: c["state"] for c in json.loads(row.value)["connections"]}
        for row in rows
        if row.kind == "call"
    }
    return records, states


async def place_calls(client: RpcTestClient) -> tuple[str, str, str]:
    """One finished call, one answered and in progress, one ringing. Returns their ids."""
    for device in ("1001", "1002", "1003"):
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
    done = (
        await client.call("sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "1001"})
    )["callID"]
    await client.event("DeliveredEvent", alertingDevice="1001")
    await client.call("sim.offHook", {"device": "1001"})
    await client.event("EstablishedEvent", answeringDevice="1001")
    talking = (
        await client.call("sim.incomingCall", {"callingNumber": "5550002", "calledNumber": "1002"})
    )["callID"]
    await client.event("DeliveredEvent", alertingDevice="1002")
    await client.call("sim.offHook", {"device": "1002"})
    await client.event("EstablishedEvent", answeringDevice="1002")
    ringing = (
        await client.call("sim.incomingCall", {"callingNumber": "5550003", "calledNumber": "1003"})
    )["callID"]
    await client.event("DeliveredEvent", alertingDevice="1003")
    await client.call("sim.onHook", {"device": "5550001"})
    await client.event("CallClearedEvent", clearedCall=done)
    return done, talking, ringing


async def kill_and_restart(config: Path, url: str) -> None:
    async with trio.open_nursery() as nursery:
        first = Daemon(config)
        await first.start(nursery)
        client = await first.client(nursery)
        done, talking, ringing = await place_calls(client)
        # The record of the finished call is committed within a second of its end.
        ended = time.monotonic()
        await client.call("records.flush", {"timeout": 5.0})
        assert time.monotonic() - ended < 1.0
        # The live store commits behind the call path, apart from the records:
        # wait (by round trips) until it holds the two calls as they are, or a
        # kill would find the ringing call unknown and close it as interrupted.
        with trio.fail_after(30):
            while live_calls(url) != (
                {talking, ringing},
                {
                    talking: {"5550002": "connected", "1002": "connected"},
                    ringing: {"5550003": "connected", "1003": "alerting"},
                },
            ):
                await client.call("records.status")
        killed_at = time.time()
        assert await first.kill(signal.SIGKILL) == -signal.SIGKILL
        await first.close()

        rows = call_rows(url)
        assert rows[done].state == "closed"
        assert rows[done].disposition == "answered"
        assert rows[talking].state == "open"
        assert rows[ringing].state == "open"

        second = Daemon(config)
        await second.start(nursery)
        again = await second.client(nursery)
        await again.call("records.flush", {"timeout": 10.0})
        rows = call_rows(url)
        # The simulator died with the daemon: its calls ended while ctid was down.
        # They are closed as what they were (not "interrupted"), ending at the
        # dead run's last sign of life: before the kill.
        for call_id, disposition in ((talking, "answered"), (ringing, "abandonedWhileRinging")):
            row = rows[call_id]
            assert (row.state, row.disposition, row.end_cause) == (
                "closed",
                disposition,
                "normalClearing",
            )
            assert row.started_at <= row.ended_at
            assert row.ended_at.timestamp() <= killed_at
        assert rows[talking].answered_at is not None
        assert rows[talking].talk_seconds == pytest.approx(
            (rows[talking].ended_at - rows[talking].answered_at).total_seconds(), abs=1e-3
        )
        assert rows[ringing].answered_at is None
        assert rows[done].disposition == "answered"
        assert await second.kill(signal.SIGTERM) == 0
        await second.close()
        nursery.cancel_scope.cancel()


async def test_kill_9_with_sqlite(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = write_config(tmp_path / "ctid.toml", state)
    await kill_and_restart(config, db.sqlite_url(state / "ctid.db"))


@pytest.mark.postgres
async def test_kill_9_with_postgresql(tmp_path: Path, postgres: PostgresServer) -> None:
    url = postgres.url(postgres.create_database())
    config = write_config(tmp_path / "ctid.toml", tmp_path / "state", url)
    await kill_and_restart(config, url)


@pytest.mark.postgres
async def test_records_spooled_during_an_outage_survive_kill_9(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    """PostgreSQL is down when the call ends; the daemon is killed; nothing is lost."""
    url = postgres.url(postgres.create_database())
    config = write_config(tmp_path / "ctid.toml", tmp_path / "state", url)
    async with trio.open_nursery() as nursery:
        first = Daemon(config, "--metrics-listen", "127.0.0.1:0")
        await first.start(nursery)
        client = await first.client(nursery)
        assert (await first.http_get("/healthz"))[0] == 200
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1004"}})
        await client.call("records.flush")
        postgres.stop()
        try:
            call_id = (
                await client.call(
                    "sim.incomingCall", {"callingNumber": "5550009", "calledNumber": "1004"}
                )
            )["callID"]
            await client.event("DeliveredEvent", alertingDevice="1004")
            await client.call("sim.offHook", {"device": "1004"})
            await client.event("EstablishedEvent", answeringDevice="1004")
            await client.call("sim.onHook", {"device": "1004"})
            await client.event("CallClearedEvent", clearedCall=call_id)
            await client.call("records.flush", {"until": "spool"})
            # The writer's first attempt at the database fails at once (refused);
            # wait for it without sleeping: each status call is a round trip.
            with trio.fail_after(30):
                while (status := await client.call("records.status"))["databaseUp"]:
                    pass
            assert status["spooled"] >= 2  # at least the call's open and close
            # Operators see it: /healthz fails on the database, the metrics show the spool.
            code, health = await first.http_get("/healthz")
            assert code == 503
            assert '"database": "down' in health
            _, text = await first.http_get("/metrics")
            samples = {
                s.name: s.value
                for family in text_string_to_metric_families(text)
                for s in family.samples
            }
            assert samples["ctid_db_up"] == 0
            assert samples["ctid_spool_records"] == status["spooled"]
            assert samples["ctid_calls_total"] == 1
            assert await first.kill(signal.SIGKILL) == -signal.SIGKILL
            await first.close()
        finally:
            postgres.start()
        second = Daemon(config)
        await second.start(nursery)
        again = await second.client(nursery)
        await again.call("records.flush", {"timeout": 10.0})
        row = call_rows(url)[call_id]
        assert (row.state, row.disposition, row.answered_by) == ("closed", "answered", "1004")
        assert await second.kill(signal.SIGTERM) == 0
        await second.close()
        nursery.cancel_scope.cancel()
