"""``ctid run`` as a real process: agents survive SIGTERM (flushed) and kill -9 (committed)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
import sqlalchemy as sa
import trio

from ctid.records import db
from ctid.records.schema import live_state

from ..records.daemon import Daemon

pytestmark = pytest.mark.slow

#: A guard against a hang, not a wait: the row is committed within milliseconds.
GUARD = 60.0


def write_config(path: Path, state: Path) -> Path:
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
[acd]
reason_codes = ["lunch"]
[[acd.queues]]
name = "sales"
[[acd.agents]]
id = "2001"
skills = [{{ queue = "sales" }}]
[[acd.agents]]
id = "2002"
skills = [{{ queue = "sales" }}]
"""
    )
    return path


def agent_row(state: Path, agent_id: str) -> dict[str, object] | None:
    engine = db.make_engine(db.sqlite_url(state / "ctid.db"))
    try:
        with engine.connect() as conn:
            value = conn.execute(
                sa.select(live_state.c.value)
                .where(live_state.c.kind == "agent")
                .where(live_state.c.key == agent_id)
            ).scalar()
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()
    return None if value is None else json.loads(value)


async def test_agents_survive_sigterm_and_kill_9(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = write_config(tmp_path / "ctid.toml", state)
    async with trio.open_nursery() as nursery:
        first = Daemon(config)
        await first.start(nursery)
        client = await first.client(nursery)
        for requested, extra in (("loggedOn", {}), ("notReady", {"reasonCode": "lunch"})):
            await client.call(
                "SetAgentState",
                {"agentID": "2001", "device": "1001", "requestedAgentState": requested, **extra},
            )
        before = await client.call("agent.snapshot", {"agentID": "2001"})
        # SIGTERM right after the change: the graceful stop writes it first.
        assert await first.kill(signal.SIGTERM) == 0
        await first.close()
        row = agent_row(state, "2001")
        assert row is not None
        assert (row["state"], row["reason"], row["device"]) == ("notReady", "lunch", "1001")

        second = Daemon(config)
        await second.start(nursery)
        client = await second.client(nursery)
        after = await client.call("agent.snapshot", {"agentID": "2001"})
        assert after == before | {"today": after["today"]}
        await client.call(
            "SetAgentState",
            {"agentID": "2002", "device": "1002", "requestedAgentState": "loggedOn"},
        )
        await client.call(
            "SetAgentState", {"agentID": "2002", "device": "1002", "requestedAgentState": "ready"}
        )
        snapshot = await client.call("agent.snapshot", {"agentID": "2002"})
        # Wait until the change is committed (milliseconds), then kill -9. The commit
        # happens in another process: its database is the only thing to watch.
        with trio.fail_after(GUARD):
            while (agent_row(state, "2002") or {}).get("state") != "ready":  # noqa: ASYNC110
                await trio.sleep(0.05)
        assert await second.kill(signal.SIGKILL) == -signal.SIGKILL
        await second.close()

        third = Daemon(config)
        await third.start(nursery)
        client = await third.client(nursery)
        again = await client.call("agent.snapshot", {"agentID": "2002"})
        assert again == snapshot | {"today": again["today"]}
        assert (await client.call("agent.snapshot", {"agentID": "2001"}))[
            "agentState"
        ] == "notReady"
        assert await third.kill(signal.SIGTERM) == 0
        await third.close()
        nursery.cancel_scope.cancel()
