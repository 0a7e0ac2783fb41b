"""Scenarios, their registry, and how one runs against one harness.

A scenario is an async function of a ``ScenarioRun`` registered with
``@scenario(...)``, naming the ``Capability`` values it needs. ``run_scenario``
builds the harness's driver, checks the capabilities (a driver that lacks
one raises ``ScenarioNotSupported``, which a test turns into a skip that
names it), starts the switch and a whole ctid daemon on it (``call_centre``),
and runs the scenario with a deadline on the trio clock, so that a scenario
waiting for an event that never comes fails instead of hanging.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import attrs
import trio

from ...config import Config, config_from_dict
from ...ids import IdFactory
from ...switch_drivers.base import Capability, LinkState, SwitchDriver
from ..client import RpcErrorReply, RpcTestClient
from ..harness import ANCHOR_WALL, CallCentre, call_centre, merge_config
from .harness import SwitchHarness

__all__ = [
    "RING_TIMEOUT",
    "SCENARIOS",
    "Daemon",
    "Scenario",
    "ScenarioNotSupported",
    "ScenarioRun",
    "at",
    "brief",
    "conn",
    "refused",
    "run_scenario",
    "scenario",
]

#: Seconds the daemon lets a phone or outside number ring (``switch.ring_timeout``).
RING_TIMEOUT: Final = 45.0
#: Trio seconds one scenario may take before it is considered stuck.
SCENARIO_DEADLINE: Final = 600.0

Body = Callable[["ScenarioRun"], Awaitable[None]]


@attrs.frozen
class Scenario:
    """One registered scenario."""

    name: str
    body: Body
    requires: frozenset[Capability]
    doc: str
    #: Tables merged into the daemon's configuration (``acd``, ``recording``, ...).
    config: Mapping[str, Any] = attrs.field(factory=dict)

    def missing(self, capabilities: frozenset[Capability]) -> frozenset[Capability]:
        return self.requires - capabilities


#: Every scenario, in the order they were registered.
SCENARIOS: list[Scenario] = []


def scenario(
    *requires: Capability, config: Mapping[str, Any] | None = None
) -> Callable[[Body], Body]:
    """Register a scenario that needs ``requires`` of the driver.

    ``config`` is merged into the daemon's configuration: a service's table
    (``{"acd": {...}}``) for scenarios of that service, or ``switch`` settings.
    """

    def register(body: Body) -> Body:
        name = body.__name__
        if any(s.name == name for s in SCENARIOS):
            raise ValueError(f"scenario {name!r} is registered twice")
        doc = (body.__doc__ or "").strip()
        SCENARIOS.append(Scenario(name, body, frozenset(requires), doc, dict(config or {})))
        return body

    return register


class ScenarioNotSupported(Exception):
    """The driver declares that it lacks a capability the scenario needs."""

    def __init__(self, scenario: Scenario, driver: SwitchDriver, missing: frozenset[Capability]):
        names = ", ".join(sorted(c.value for c in missing))
        super().__init__(f"driver {driver.name!r} lacks {names}, which {scenario.name} needs")
        self.missing = missing


def conformance_config(driver: SwitchDriver, extra: Mapping[str, Any] | None = None) -> Config:
    """The daemon's configuration in every scenario, with a scenario's ``extra`` merged in."""
    data: dict[str, Any] = {
        "server": {"listen": "127.0.0.1:0"},
        "api": {"ping_interval": 0},
        "switch": {"driver": driver.name, "ring_timeout": RING_TIMEOUT},
        # No database and nothing on disk unless a scenario asks for records.
        "records": {"enabled": False},
    }
    merge_config(data, extra or {})
    return config_from_dict(data, "<conformance>")


def needs_state_dir(config: Mapping[str, Any]) -> bool:
    """Whether a scenario's configuration writes files (call records, recordings)."""
    records = config.get("records", {})
    return "recording" in config or bool(records.get("enabled", False))


async def run_scenario(make_harness: Callable[[], SwitchHarness], scenario: Scenario) -> None:
    """Run one scenario against a new harness; raises ``ScenarioNotSupported`` or fails.

    A scenario that writes files gets a temporary state directory, removed
    afterwards: nothing is written to the working directory.
    """
    harness = make_harness()
    driver = harness.build_driver()
    missing = scenario.missing(driver.capabilities)
    if missing:
        raise ScenarioNotSupported(scenario, driver, missing)
    with contextlib.ExitStack() as stack:
        extra = dict(scenario.config)
        if needs_state_dir(extra):
            state = stack.enter_context(tempfile.TemporaryDirectory(prefix="ctid-conformance-"))
            extra = {**extra, "server": {**extra.get("server", {}), "state_dir": state}}
        async with trio.open_nursery() as nursery:
            await harness.start(nursery)
            config = conformance_config(driver, extra)
            ids = IdFactory("t", deterministic=True)
            daemon = await Daemon.start(nursery, config, driver, ids)
            with trio.fail_after(SCENARIO_DEADLINE):
                run = ScenarioRun(daemon.cc, harness)
                run.daemon = daemon
                await run.start()
                await scenario.body(run)
                await run.leave_nothing_behind()
            await run.daemon.stop()
            nursery.cancel_scope.cancel()


class Daemon:
    """One ctid daemon of a scenario, in a task of its own so it can be killed.

    ``kill`` is ``kill -9``: the daemon's tasks are cancelled where they stand,
    with no graceful shutdown and no final write of its live state. ``stop`` ends
    it normally (and checks the call model's indexes, as ``call_centre`` does).
    """

    def __init__(self, scope: trio.CancelScope, cc: CallCentre, stop: trio.Event) -> None:
        self.scope = scope
        self.cc = cc
        self._stop = stop
        self.done = trio.Event()
        #: The nursery that runs it (and the daemon that replaces it).
        self.nursery: trio.Nursery | None = None

    @classmethod
    async def start(
        cls,
        nursery: trio.Nursery,
        config: Config,
        driver: SwitchDriver,
        ids: IdFactory,
    ) -> Daemon:
        daemon: Daemon = await nursery.start(cls._serve, config, driver, ids)
        daemon.nursery = nursery
        return daemon

    @classmethod
    async def _serve(
        cls,
        config: Config,
        driver: SwitchDriver,
        ids: IdFactory,
        *,
        task_status: trio.TaskStatus[Daemon] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        stop = trio.Event()
        daemon: Daemon | None = None
        try:
            with trio.CancelScope() as scope:
                # With records on, the daemon keeps its live state (its calls too)
                # in the records' database on the state directory, as ``ctid run``.
                async with call_centre(config, driver=driver, ids=ids) as cc:
                    daemon = cls(scope, cc, stop)
                    task_status.started(daemon)
                    await stop.wait()
        finally:
            if daemon is not None:
                daemon.done.set()

    def kill(self) -> None:
        """``kill -9``: gone at once, nothing saved on the way out."""
        self.scope.cancel()

    async def stop(self) -> None:
        self._stop.set()
        await self.done.wait()


# ------------------------------------------------------------- event helpers


def at(event: dict[str, Any]) -> float:
    """Seconds after the daemon started, from an event's timestamp."""
    moment = dt.datetime.strptime(event["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z")
    return round(moment.timestamp() - ANCHOR_WALL, 3)


_KEY_FIELD: Final = {
    "ServiceInitiatedEvent": "initiatingDevice",
    "OriginatedEvent": "calledDevice",
    "DeliveredEvent": "alertingDevice",
    "EstablishedEvent": "answeringDevice",
    "HeldEvent": "holdingDevice",
    "RetrievedEvent": "retrievingDevice",
    "ConnectionClearedEvent": "releasingDevice",
    "CallClearedEvent": "clearedCall",
    "FailedEvent": "failingDevice",
    "TransferredEvent": "transferredToDevice",
    "ConferencedEvent": "addedParty",
    "DivertedEvent": "newDestination",
    "DigitsGeneratedEvent": "digitsGeneratedList",
    "CallInformationEvent": "callID",
    "SystemStatusEvent": "systemStatus",
}


#: Events of the call records, left out of what scenarios compare.
RECORD_EVENTS: Final = frozenset({"record.callClosed", "recording.available"})


def brief(event: dict[str, Any]) -> tuple[Any, ...]:
    """An event (from ``RpcTestClient.take``) as (name, local state, key field, cause).

    The key field is the one that says what happened (the alerting device of a
    DeliveredEvent, ...); call ids, which ctid chooses, read ``"<call>"``.
    """
    name = event["_name"]
    key = _KEY_FIELD.get(name)
    value = event.get(key) if key else None
    if name in ("CallClearedEvent", "CallInformationEvent"):
        value = "<call>"
    return (name, event.get("localConnectionInfo"), value, event.get("cause"))


def conn(call_id: str, device: str) -> dict[str, str]:
    """A ConnectionID as the API takes it."""
    return {"callID": call_id, "deviceID": device}


async def refused(request: Awaitable[object], csta_error: str) -> RpcErrorReply:
    """Await a request that must fail with the CSTA error ``csta_error``."""
    try:
        await request
    except RpcErrorReply as exc:
        refusal = exc
    else:
        raise AssertionError(f"the request succeeded; expected it refused with {csta_error}")
    assert refusal.csta_error == csta_error, f"refused with {refusal.csta_error}: {refusal.message}"
    return refusal


# ------------------------------------------------------------------ the run


class ScenarioRun:
    """What a scenario works with: the daemon, the switch harness, and helpers.

    ``observer`` is a client of its own, monitoring every extension, that the
    helpers use to learn call ids and to wait for what the switch does (a
    phone ringing, an outside party answering), so a scenario's own monitors
    see exactly the events the scenario caused.
    """

    def __init__(self, cc: CallCentre, switch: SwitchHarness) -> None:
        self.cc = cc
        self.switch = switch
        if len(switch.extensions) < 4:
            raise ValueError("a conformance harness needs at least four extensions")
        self.a, self.b, self.c, self.d = switch.extensions[:4]
        self._observer: RpcTestClient | None = None
        #: The daemon now running (``restart`` replaces it).
        self.daemon: Daemon | None = None
        self.restarts = 0

    async def restart(self, while_away: Callable[[], Awaitable[object]] | None = None) -> None:
        """``kill -9`` of ctid, then a new ctid on the same switch and state directory.

        ``while_away`` runs between the two (on the switch: a party hangs up...).

        The switch (a fake server outside the daemon) keeps its calls; the new
        daemon is built from scratch (a new driver, new ids) and finds them. Every
        client of the old daemon is gone with it: the observer is made again, and a
        scenario makes new clients of its own.
        """
        old = self.daemon
        assert old is not None, "restart needs a daemon started by run_scenario"
        nursery = old.nursery
        assert nursery is not None
        old.kill()
        await old.done.wait()
        if while_away is not None:
            await while_away()
        self.restarts += 1
        ids = IdFactory(f"t{self.restarts + 1}", deterministic=True)
        self.daemon = await Daemon.start(
            nursery, old.cc.app.config, self.switch.build_driver(), ids
        )
        self.cc = self.daemon.cc
        await self.settle()
        await self.start()

    async def start(self) -> None:
        """Connect the observer, monitoring every extension."""
        self._observer = await self.watch(*self.switch.extensions)

    @property
    def observer(self) -> RpcTestClient:
        assert self._observer is not None, "ScenarioRun.start() first"
        return self._observer

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.cc.app.driver.capabilities

    async def settle(self) -> None:
        """Let ctid and the switch finish what they are doing now (no time passes)."""
        await self.cc.settle()

    async def leave_nothing_behind(self) -> None:
        """After a scenario: clear what calls are left; then neither ctid nor the
        driver may still hold anything for them (what a long-running daemon would
        otherwise accumulate, call after call)."""
        if self.cc.app.model.link_state is not LinkState.UP:
            return  # a scenario that ends with the switch away has nothing to clear
        for call_id in list(self.cc.app.model.calls):
            with contextlib.suppress(RpcErrorReply):
                await self.observer.call("ClearCall", {"callToBeCleared": call_id})
        for extension in self.switch.extensions:
            await self.switch.hang_up(extension)
        await trio.sleep(2 * RING_TIMEOUT)
        await self.settle()
        assert not self.cc.app.model.calls, f"calls left: {sorted(self.cc.app.model.calls)}"
        held = {kind: n for kind, n in self.cc.app.driver.held_objects().items() if n}
        assert not held, f"the driver still holds {held} with no calls"

    async def watch(self, *devices: str) -> RpcTestClient:
        """A new client with a device monitor on each of ``devices`` (m1, m2, ...)."""
        client = await self.cc.client()
        # The records' own events (record.callClosed, ...) do not depend on the switch
        # (tests/webhooks, tests/records): the scenarios compare what the switch makes.
        client.ignore = RECORD_EVENTS
        for device in devices:
            await client.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
        return client

    async def received(self, client: RpcTestClient, name: str) -> None:
        """Wait until ``client`` has an untaken ``name`` event (without taking any)."""
        await client.wait_for(lambda: any(e["_name"] == name for e in client.peek()))

    async def after(self, action: Awaitable[object], name: str, **match: Any) -> dict[str, Any]:
        """Do ``action``, then wait for the first ``name`` event after it (observer's view)."""
        self.observer.take()
        await action
        return await self.observer.event(name, **match)

    # --------------------------------------------------------------- calls

    async def make_call(self, calling: str, called: str, **params: Any) -> str:
        """MakeCall (``doNotPrompt``: the calling phone answers by itself); returns the call id."""
        request = {
            "callingDevice": calling,
            "calledDirectoryNumber": called,
            "autoOriginate": "doNotPrompt",
            **params,
        }
        reply = await self.observer.call("MakeCall", request)
        return str(reply["callingDevice"]["callID"])

    async def answer(self, extension: str) -> None:
        """The ringing phone answers; returns once ctid reports it."""
        await self.after(
            self.switch.answer(extension), "EstablishedEvent", answeringDevice=extension
        )
        await self.settle()

    async def connected_pair(self, calling: str, called: str) -> str:
        """``calling`` calls the extension ``called``, who answers; returns the call id."""
        self.observer.take()
        call_id = await self.make_call(calling, called)
        await self.observer.event("DeliveredEvent", alertingDevice=called)
        await self.answer(called)
        return call_id

    async def inbound(self, caller: str, called: str, *, answer: bool = True) -> str:
        """An outside ``caller`` calls the extension ``called``; returns the call id."""
        delivered = await self.after(
            self.switch.incoming_call(caller, called), "DeliveredEvent", alertingDevice=called
        )
        if answer:
            await self.answer(called)
        await self.settle()
        return str(delivered["connection"]["callID"])

    async def expect_hearing(
        self, listener: str, speaker: str, *, hears: bool, music: bool
    ) -> None:
        """Check who hears whom, if the switch can tell."""
        await self.settle()
        got = self.switch.hears(listener, speaker)
        if got is not None:
            assert (got.hears, got.music) == (hears, music), (
                f"{listener} hearing {speaker}: got {got}, expected hears={hears} music={music}"
            )
