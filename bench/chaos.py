"""Chaos at full size: kill -9 the active node of a pair again and again under traffic.

Two ``ctid run`` processes (``[cluster]``) share a throw-away PostgreSQL
(``tests/postgres.py``) and drive one fake Asterisk process; an ACD queue has
four agents logged on. Callers arrive at a steady rate (``sim.incomingCall``,
each given ``userData`` with its number); every round one agent serves the head
caller (answers, talks, hangs up: a call record), then the active node is killed
with SIGKILL and the benchmark measures on the new active node:

* takeover time: kill -> the new node accepts a login AND routes a queued call
  (an agent made ready gets the head caller offered: ``agent.reserved``);
* callers dropped (a caller waiting before the kill missing after it);
* queued callers whose order or wait changed (wait must grow by the time elapsed:
  it counts from the original entry time);
* agents whose state changed (``agent.snapshot`` without ``today``);
* callIDs or userData changed (``SnapshotCall`` of every waiting caller);
* how long a client was without events (last event before the kill -> first
  event on the new node).

At the end every caller left is hung up and the call records are checked: one
record per call, closed, none ``interrupted``. The same runs with one node on
SQLite, killed and restarted in place (``--single``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import trio

from ctid.records import db
from ctid.records.schema import calls
from ctid.testing.client import RpcErrorReply, RpcTestClient
from tests.conformance.test_switch_process import FakeSwitchProcess, _config
from tests.postgres import PostgresServer
from tests.records.daemon import Daemon

ADVERTISED = {"a": "ws://node-a.invalid:8765/v1", "b": "ws://node-b.invalid:8765/v1"}
AGENTS = {"2001": "1001", "2002": "1002", "2003": "1003", "2004": "1004"}
ACD = """
[[acd.queues]]
name = "sales"
number = "8001"
ring_timeout = 60.0
wrap_up = 0.0
""" + "".join(f'\n[[acd.agents]]\nid = "{a}"\nskills = [{{queue = "sales"}}]\n' for a in AGENTS)


def _node(base: Path, name: str, switch: FakeSwitchProcess, database: str, lease: float) -> Path:
    path = _config(base / f"{name}.toml", base / f"state-{name}", "asterisk", switch.listen)
    extra = f'\n[records]\ndatabase = "{database}"\n' if database else ""
    if name in ADVERTISED:
        extra += (
            f'\n[cluster]\nnode_name = "{name}"\nadvertise_url = "{ADVERTISED[name]}"\n'
            f"lease_seconds = {lease}\n"
        )
    path.write_text(path.read_text() + extra + ACD)
    return path


class Counts:
    def __init__(self) -> None:
        self.takeover: list[float] = []
        self.login: list[float] = []
        self.silence: list[float] = []
        self.dropped = 0
        self.order_or_wait = 0
        self.agents_changed = 0
        self.data_changed = 0
        self.callers: dict[str, str] = {}  # call id -> caller number
        self.record_problems = 0
        self.records = 0


async def _login(daemon: Daemon, nursery: trio.Nursery) -> RpcTestClient:
    """Log in as soon as the node accepts it (a standby refuses with -32010)."""
    while True:
        try:
            return await daemon.client(nursery)
        except (RpcErrorReply, OSError):
            await trio.sleep(0.05)


async def _watch(client: RpcTestClient) -> None:
    await client.call("MonitorStart", {"monitorObject": {"agentObject": "*"}})
    await client.call("MonitorStart", {"monitorObject": {"deviceObject": "8001"}})


async def _arrive(switch: FakeSwitchProcess, client: RpcTestClient, n: int, counts: Counts) -> None:
    caller = f"55500{n:03d}"
    reply = await switch.sim("sim.incomingCall", {"callingNumber": caller, "calledNumber": "8001"})
    del reply
    with trio.fail_after(10):
        queued = await client.event("QueuedEvent", callingDevice=caller)
    call_id = queued["queuedConnection"]["callID"]
    await client.call("AssociateData", {"existingCall": call_id, "userData": {"n": n}})
    counts.callers[call_id] = caller


async def _serve_head(switch: FakeSwitchProcess, client: RpcTestClient, agent: str) -> str:
    """Agent ``agent`` takes the head caller, talks 0.2 s and hangs up; back to notReady."""
    device = AGENTS[agent]
    await client.call(
        "SetAgentState", {"agentID": agent, "device": device, "requestedAgentState": "ready"}
    )
    offer = await client.event("agent.reserved", agentID=agent)
    await switch.sim("sim.offHook", {"device": device})
    await client.event("AgentBusyEvent", agentID=agent)
    # Not ready once the call ends (pending now), so no other caller is offered to it.
    await client.call(
        "SetAgentState",
        {"agentID": agent, "device": device, "requestedAgentState": "notReady"},
    )
    await trio.sleep(0.2)
    await switch.sim("sim.onHook", {"device": device})
    await client.event("AgentNotReadyEvent", agentID=agent)
    return str(offer["callID"])


async def _state(client: RpcTestClient) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    queue = await client.call("queue.snapshot", {"queue": "sales"})
    agents = {}
    for agent in AGENTS:
        snap = await client.call("agent.snapshot", {"agentID": agent})
        snap.pop("today", None)
        agents[agent] = snap
    data = {}
    for c in queue["calls"]:
        snap = await client.call("SnapshotCall", {"snapshotObject": c["callID"]})
        data[c["callID"]] = snap.get("userData")
    return queue, agents, data


async def _rounds(
    nodes: dict[str, Path], switch: FakeSwitchProcess, rounds: int, counts: Counts, pair: bool
) -> None:
    async with trio.open_nursery() as nursery:
        names = list(nodes)
        active = Daemon(nodes[names[0]])
        await active.start(nursery)
        standby: Daemon | None = None
        if pair:
            await active.wait_line(f"node '{names[0]}' is active")
            standby = Daemon(nodes[names[1]])
            await standby.start(nursery)
        who = {active: names[0]} | ({standby: names[1]} if standby else {})
        client = await _login(active, nursery)
        await _watch(client)
        for agent, device in AGENTS.items():
            await client.call(
                "SetAgentState",
                {"agentID": agent, "device": device, "requestedAgentState": "loggedOn"},
            )
        n = 0
        for _ in range(rounds):
            # Steady arrivals: two new callers a round, one served.
            for _ in range(2):
                n += 1
                await _arrive(switch, client, n, counts)
            await _serve_head(switch, client, "2001")
            await trio.sleep(0.3)  # (the live state commits within milliseconds)
            queue, agents, data = await _state(client)
            last_event = time.monotonic()
            killed = time.monotonic()
            await active.kill()
            await active.close()
            target = standby if standby is not None else None
            if target is None:
                target = Daemon(nodes[names[0]])
                await target.start(nursery)
                who[target] = names[0]
            new = await _login(target, nursery)
            logged = time.monotonic()
            await _watch(new)
            after_queue, after_agents, after_data = await _state(new)
            elapsed = time.monotonic() - killed
            before_ids = [c["callID"] for c in queue["calls"]]
            after_ids = [c["callID"] for c in after_queue["calls"]]
            counts.dropped += len(set(before_ids) - set(after_ids))
            waits = {c["callID"]: c["waitSeconds"] for c in after_queue["calls"]}
            for pos, c in enumerate(queue["calls"]):
                same_place = pos < len(after_ids) and after_ids[pos] == c["callID"]
                grown = waits.get(c["callID"], 0.0) - c["waitSeconds"]
                if not same_place or not (0.0 <= grown <= elapsed + 0.5):
                    counts.order_or_wait += 1
            counts.agents_changed += sum(1 for a in AGENTS if after_agents[a] != agents[a])
            counts.data_changed += sum(1 for cid, ud in data.items() if after_data.get(cid) != ud)
            # Routing a queued call on the new node.
            await new.call(
                "SetAgentState",
                {"agentID": "2002", "device": "1002", "requestedAgentState": "ready"},
            )
            offer = await new.event("agent.reserved", agentID="2002")
            routed = time.monotonic()
            counts.takeover.append(routed - killed)
            counts.login.append(logged - killed)
            counts.silence.append(routed - last_event)
            if before_ids and offer["callID"] != before_ids[0]:
                counts.order_or_wait += 1
            await switch.sim("sim.offHook", {"device": "1002"})
            await new.event("AgentBusyEvent", agentID="2002")
            await new.call(
                "SetAgentState",
                {"agentID": "2002", "device": "1002", "requestedAgentState": "notReady"},
            )
            await switch.sim("sim.onHook", {"device": "1002"})
            await new.event("AgentNotReadyEvent", agentID="2002")
            if pair:
                restarted = Daemon(nodes[who[active]])
                await restarted.start(nursery)
                who[restarted] = who[active]
                active, standby = target, restarted
            else:
                active = target
            client = new
        # Every caller left hangs up.
        queue = await client.call("queue.snapshot", {"queue": "sales"})
        for c in queue["calls"]:
            await switch.sim("sim.onHook", {"device": c["callingDevice"]})
        await trio.sleep(1.0)
        await client.call("records.flush", {"timeout": 10.0})
        for daemon in [active] + ([standby] if standby else []):
            await daemon.kill()
            await daemon.close()
        nursery.cancel_scope.cancel()


def _check_records(url: str, counts: Counts) -> None:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(calls.c.call_id, calls.c.state, calls.c.disposition)
            ).all()
    finally:
        engine.dispose()
    by_id: dict[str, list[Any]] = {}
    for row in rows:
        by_id.setdefault(row.call_id, []).append(row)
    counts.records = len(rows)
    for call_id in counts.callers:
        found = by_id.get(call_id, [])
        if len(found) != 1 or found[0].state != "closed" or found[0].disposition == "interrupted":
            counts.record_problems += 1


def _pct(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _report(label: str, counts: Counts) -> None:
    print(f"{label}: {len(counts.takeover)} kills, {len(counts.callers)} callers")
    for name, times in (
        ("kill -> login accepted", counts.login),
        ("kill -> login + queued call routed", counts.takeover),
        ("client without events", counts.silence),
    ):
        print(
            f"  {name:<36} p50 {statistics.median(times):6.2f} s  p99 {_pct(times, 0.99):6.2f} s"
            f"  max {max(times):6.2f} s"
        )
    print(
        f"  callers dropped {counts.dropped}; order or wait changed {counts.order_or_wait}; "
        f"agents changed {counts.agents_changed}; callID/userData changed {counts.data_changed}; "
        f"call records missing/duplicated/interrupted {counts.record_problems} "
        f"(of {len(counts.callers)} callers, {counts.records} records)"
    )


async def _main(rounds: int, lease: float, single: bool) -> None:
    switch = FakeSwitchProcess(
        "asterisk", "--password", "fake-ari-password", "--extensions", "1001-1010"
    )
    await switch.start()
    try:
        with tempfile.TemporaryDirectory(prefix="ctid-bench-chaos-") as tmp:
            base = Path(tmp)
            if not single:
                postgres = PostgresServer()
                postgres.init()
                postgres.start()
                try:
                    database = postgres.url(postgres.create_database())
                    nodes = {n: _node(base, n, switch, database, lease) for n in ADVERTISED}
                    counts = Counts()
                    await _rounds(nodes, switch, rounds, counts, pair=True)
                    _check_records(database, counts)
                finally:
                    postgres.destroy()
                _report(f"pair on PostgreSQL, lease {lease:g} s, kill -9 the active node", counts)
            else:
                nodes = {"single": _node(base, "single", switch, "", lease)}
                counts = Counts()
                await _rounds(nodes, switch, rounds, counts, pair=False)
                _check_records(db.sqlite_url(base / "state-single" / "ctid.db"), counts)
                _report("one node on SQLite, kill -9 and restart in place", counts)
    finally:
        await switch.stop()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench chaos")
    parser.add_argument("--rounds", type=int, default=20, help="kills (default 20)")
    parser.add_argument("--lease", type=float, default=15.0, help="lease_seconds (default 15)")
    parser.add_argument("--single", action="store_true", help="one node on SQLite, restarted")
    parser.add_argument("--quick", action="store_true", help="3 rounds (a smoke run)")
    args = parser.parse_args(argv)
    trio.run(_main, 3 if args.quick else args.rounds, args.lease, args.single)
