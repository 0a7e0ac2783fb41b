"""``ctid reload`` on a real daemon process, while calls are up and agents are logged on.

The daemon is ``ctid run`` (tests/records/daemon.py); the configuration file is
rewritten and ``ctid reload`` (the CLI, which checks the file and sends SIGHUP)
or a plain SIGHUP makes it apply every section that can change live.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import trio

from ctid.cli import main as cli_main
from ctid.testing.client import RpcErrorReply

from ..records.daemon import Daemon

pytestmark = pytest.mark.slow

#: A guard against a hang, not a wait.
GUARD = 90.0
SUPERVISOR = "supervisor-token-0123456789abcdef"
TEMP = "temporary-token-0123456789abcdefgh"

BASE = """
[server]
listen = "127.0.0.1:0"
state_dir = "{state}"
[api]
ping_interval = 0
[switch]
driver = "simulator"
[switch.simulator]
extensions = "1001-1010"
[[auth.tokens]]
role = "supervisor"
name = "sup"
token = "{sup}"
{temp}
[acd]
reason_codes = ["lunch"]
{queues}
{agents}
"""

TEMP_TOKEN = f"""
[[auth.tokens]]
role = "admin"
name = "temp"
token = "{TEMP}"
"""

SALES = """
[[acd.queues]]
name = "sales"
number = "8001"
strategy = "longest-idle"
"""
SUPPORT = """
[[acd.queues]]
name = "support"
number = "8002"
"""
SUPPORT_OVERFLOWING = """
[[acd.queues]]
name = "support"
number = "8002"
[[acd.queues.overflow]]
when = "no_agents"
action = "device"
target = "1009"
"""
AGENTS_BEFORE = """
[[acd.agents]]
id = "2001"
skills = [{ queue = "sales" }]
[[acd.agents]]
id = "2002"
skills = [{ queue = "sales" }, { queue = "support" }]
"""
AGENTS_AFTER = """
[[acd.agents]]
id = "2001"
skills = [{ queue = "sales" }, { queue = "billing" }]
[[acd.agents]]
id = "2003"
skills = [{ queue = "billing" }]
"""
BILLING = """
[[acd.queues]]
name = "billing"
number = "8003"
strategy = "round-robin"
"""
SALES_CHANGED = SALES.replace('"longest-idle"', '"fewest-calls"')


def write(path: Path, state: Path, *, temp: bool, queues: str, agents: str) -> None:
    path.write_text(
        BASE.format(
            state=state,
            sup=SUPERVISOR,
            temp=TEMP_TOKEN if temp else "",
            queues=queues,
            agents=agents,
        )
    )


async def log_on(client: object, agent: str, device: str) -> None:
    for requested in ("loggedOn", "ready"):
        await client.call(  # type: ignore[attr-defined]
            "SetAgentState",
            {"agentID": agent, "device": device, "requestedAgentState": requested},
        )


async def reload(daemon: Daemon, config: Path) -> int:
    seen = len(daemon.lines)
    code = await trio.to_thread.run_sync(cli_main, ["reload", "--config", str(config)])
    if code == 0:
        # The daemon says when it is done, applied or refused.
        await daemon.wait_line(r"reload (done|refused)", since=seen)
    return code


async def test_reload_applies_every_section_while_calls_are_up(tmp_path: Path) -> None:
    with trio.fail_after(GUARD):
        await _scenario(tmp_path)


async def _scenario(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = tmp_path / "ctid.toml"
    write(config, state, temp=True, queues=SALES + SUPPORT, agents=AGENTS_BEFORE)
    async with trio.open_nursery() as nursery:
        daemon = Daemon(config)
        await daemon.start(nursery)
        admin = await daemon.client(nursery)
        temp = await daemon.client(nursery, TEMP)
        for device in ("1001", "1002", "1009"):
            await admin.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
        await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "8002"}})
        await log_on(admin, "2001", "1001")
        await log_on(admin, "2002", "1002")
        # A call up: an outside caller talks to agent 2001 through sales.
        up = await admin.call(
            "sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "8001"}
        )
        await admin.event("DeliveredEvent", alertingDevice="1001")
        await admin.call("sim.offHook", {"device": "1001"})
        await admin.event("EstablishedEvent", answeringDevice="1001")
        # Agent 2002 steps away; a caller waits in support (nobody ready there).
        await admin.call(
            "SetAgentState",
            {
                "agentID": "2002",
                "device": "1002",
                "requestedAgentState": "notReady",
                "reasonCode": "lunch",
            },
        )
        waiting = await admin.call(
            "sim.incomingCall", {"callingNumber": "5550002", "calledNumber": "8002"}
        )
        await admin.event("QueuedEvent")

        # 1. A file with problems: nothing is sent, nothing changes, every problem listed.
        bad = BASE.format(
            state=state,
            sup=SUPERVISOR,
            temp="",
            queues=SALES,
            agents="""
[[acd.agents]]
id = "2001"
skills = [{ queue = "nowhere" }]
[[acd.agents]]
id = "2002"
skills = [{ queue = "sales" }]
[recording]
retention_days = -1
""",
        )
        config.write_text(bad)
        assert await reload(daemon, config) == 1
        queues = {q["queue"] for q in (await admin.call("queue.list"))["queues"]}
        assert queues == {"sales", "support"}
        # The same file, signalled directly: the daemon refuses it whole.
        seen = len(daemon.lines)
        assert daemon.process is not None
        daemon.process.send_signal(signal.SIGHUP)
        await daemon.wait_line(r"reload refused, nothing changed", since=seen)
        assert any("nowhere" in ln for ln in daemon.lines[seen:])
        assert any("recording.retention_days" in ln for ln in daemon.lines[seen:])
        assert {q["queue"] for q in (await admin.call("queue.list"))["queues"]} == {
            "sales",
            "support",
        }
        assert (await temp.call("queue.list")) is not None  # its token still works

        # 2. Every section at once: support gets an overflow and is then removed, ...
        write(config, state, temp=True, queues=SALES + SUPPORT_OVERFLOWING, agents=AGENTS_BEFORE)
        assert await reload(daemon, config) == 0
        write(config, state, temp=False, queues=SALES_CHANGED + BILLING, agents=AGENTS_AFTER)
        config.write_text(
            config.read_text().replace('listen = "127.0.0.1:0"', 'listen = "127.0.0.1:1"')
        )
        assert await reload(daemon, config) == 0
        # ... the listen address cannot change live: refused, the rest applied.
        assert any(
            "refused: server.listen changed" in ln and "restart" in ln for ln in daemon.lines
        )
        # Queues: billing new, sales changed (strategy), support removed.
        listed = {q["queue"]: q for q in (await admin.call("queue.list"))["queues"]}
        assert set(listed) == {"sales", "billing"}
        assert listed["sales"]["strategy"] == "fewest-calls"
        assert (listed["billing"]["number"], listed["billing"]["strategy"]) == (
            "8003",
            "round-robin",
        )
        # Agents: 2002 removed while logged on -> logged off with an event; 2003 new.
        off = await admin.event("AgentLoggedOffEvent", agentID="2002")
        assert (off["cause"], off["oldState"], off["newState"]) == (
            "configurationChanged",
            "notReady",
            "loggedOff",
        )
        # The caller waiting in support followed its overflow (no_agents) to 1009.
        await admin.event("DeliveredEvent", alertingDevice="1009")
        snapshot = await admin.call("agent.snapshot", {"agentID": "2001"})
        assert snapshot["agentState"] == "busy"  # its call goes on
        with pytest.raises(RpcErrorReply):
            await admin.call("agent.snapshot", {"agentID": "2002"})
        await log_on(admin, "2003", "1003")
        # The call that was up is still up.
        calls = await admin.call("SnapshotCall", {"snapshotObject": {"callID": up["callID"]}})
        assert calls
        # Tokens: the temporary token's session ended with 4001; it no longer logs in.
        await temp.wait_for(lambda: temp.closed)
        assert temp.closed is not None and temp.closed.reason.code == 4001
        with pytest.raises(RpcErrorReply) as refused:
            await daemon.client(nursery, TEMP)
        assert refused.value.error["code"] == -32002
        assert refused.value.error["message"] == "authentication failed: unknown token"
        sup = await daemon.client(nursery, SUPERVISOR)
        assert await sup.call("queue.list")
        del waiting
        assert await daemon.kill(signal.SIGTERM) == 0
        await daemon.close()
        nursery.cancel_scope.cancel()
