"""The access table, walked whole: every registered method x every role x own / foreign object.

The matrix is generated from the registry: each method's declared policy
(``roles``, ``target``) says what must happen, and ``CASES`` says how to call
it on an object of one side or the other. A method the matrix does not know
fails ``test_every_method_is_in_the_matrix`` (and its own matrix test), so a
new method cannot ship without a policy and a case.

Each case runs on a real call centre (the simulator, the ACD, recording and
call records) with real calls:

* queue ``vip``: agent 2001 (alice) at 1001, talking with +15550001 (call A,
  recorded);
* queue ``sales``: agent 2002 at 1002, talking with +15550002 (call B,
  recorded).

Roles: ``admin``; ``sup-all`` (a supervisor with no queues: all of them);
``sup-vip`` (a supervisor of ``vip`` only); ``agent`` (alice, agent 2001, with
no phone of its own: 1001 is hers because she is logged on there). The *own*
objects are vip's (1001, call A, agent 2001, queue vip, recording of A), the
*foreign* ones sales' (1002, call B, agent 2002, queue sales, recording of
B). Foreign objects are refused to ``sup-vip`` and ``agent`` with the error the
method declares, and the refusal changes nothing; own objects are never
refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Final

import attrs
import pytest
import trio

from ctid.api.auth import Role
from ctid.api.methods import registry
from ctid.api.policy import EVERY, Target
from ctid.api.registry import MethodSpec
from ctid.records.ops import VoicemailOp
from ctid.testing import CallCentre, RpcErrorReply, RpcTestClient, call_centre, sim_config
from ctid.testing.harness import ADMIN_TOKEN

ALICE_TOKEN: Final = "matrix-agent-alice-0123456789"
SUP_ALL_TOKEN: Final = "matrix-supervisor-all-012345"
SUP_VIP_TOKEN: Final = "matrix-supervisor-vip-012345"

#: Role name in the matrix -> (token, the credential's role, sees every queue).
ROLES: Final = {
    "admin": (ADMIN_TOKEN, Role.ADMIN),
    "sup-all": (SUP_ALL_TOKEN, Role.SUPERVISOR),
    "sup-vip": (SUP_VIP_TOKEN, Role.SUPERVISOR),
    "agent": (ALICE_TOKEN, Role.AGENT),
}
#: The roles limited to the vip side.
LIMITED: Final = frozenset({"sup-vip", "agent"})

PRIVILEGE: Final = "privilegeViolationOnSpecifiedDevice"
FORBIDDEN: Final = -32005
CSTA_ERROR: Final = -32000
#: Mock seconds after which a case that waits for what never comes fails.
DEADLINE: Final = 3600.0
FREE_PHONE: Final = "1005"


@attrs.frozen
class Side:
    """The objects of one side of the call centre."""

    device: str
    call: str
    agent: str
    queue: str
    recording: str
    #: The outside number in the side's call.
    number: str
    #: The voicemail box of the side's agent, and a message in it.
    mailbox: str
    message: str

    @property
    def conn(self) -> dict[str, str]:
        return {"callID": self.call, "deviceID": self.device}


Case = Callable[[Side], Any]
DAY: Final = {"from": "2027-01-15", "to": "2027-01-16"}


WEBHOOK: Final = {
    "name": "matrix",
    "url": "https://127.0.0.1/hook",
    "secretEnv": "MATRIX_WEBHOOK_SECRET",
    "events": ["CallClearedEvent"],
}


def _report(side: Side) -> dict[str, Any]:
    return {**DAY, "queue": side.queue}


#: How to call each method on one side's objects (several variants for MonitorStart).
CASES: Final[dict[str, dict[str, Case]]] = {
    # ---- CSTA call control
    "MakeCall": {"": lambda s: {"callingDevice": s.device, "calledDirectoryNumber": FREE_PHONE}},
    "AnswerCall": {"": lambda s: {"callToBeAnswered": s.conn}},
    "ClearConnection": {"": lambda s: {"connectionToBeCleared": s.conn}},
    "ClearCall": {"": lambda s: {"callToBeCleared": {"callID": s.call}}},
    "HoldCall": {"": lambda s: {"callToBeHeld": s.conn}},
    "RetrieveCall": {"": lambda s: {"callToBeRetrieved": s.conn}},
    "ConsultationCall": {"": lambda s: {"existingCall": s.conn, "consultedDevice": FREE_PHONE}},
    "TransferCall": {"": lambda s: {"heldCall": s.conn, "activeCall": s.conn}},
    "ConferenceCall": {"": lambda s: {"heldCall": s.conn, "activeCall": s.conn}},
    "AlternateCall": {"": lambda s: {"heldCall": s.conn, "activeCall": s.conn}},
    "ReconnectCall": {"": lambda s: {"heldCall": s.conn, "activeCall": s.conn}},
    "SingleStepTransferCall": {"": lambda s: {"activeCall": s.conn, "transferredTo": FREE_PHONE}},
    "DeflectCall": {"": lambda s: {"callToBeDiverted": s.conn, "newDestination": FREE_PHONE}},
    "GenerateDigits": {"": lambda s: {"connectionToSendDigits": s.conn, "charactersToSend": "1"}},
    "AssociateData": {"": lambda s: {"existingCall": s.call, "userData": {"matrix": "x"}}},
    "SnapshotDevice": {"": lambda s: {"snapshotObject": s.device}},
    "SnapshotCall": {"": lambda s: {"snapshotObject": {"callID": s.call}}},
    "MonitorStart": {
        "device": lambda s: {"monitorObject": {"deviceObject": s.device}},
        "call": lambda s: {"monitorObject": {"callObject": {"callID": s.call}}},
        "agent": lambda s: {"monitorObject": {"agentObject": s.agent}},
        "queue": lambda s: {"monitorObject": {"queueObject": s.queue}},
        "fax": lambda s: {"monitorObject": {"faxObject": s.queue}},
        "mailbox": lambda s: {"monitorObject": {"mailboxObject": s.mailbox}},
    },
    "MonitorStop": {"": lambda s: {"monitorCrossRefID": "m999"}},
    # ---- supervisor features
    "SingleStepConferenceCall": {
        "": lambda s: {
            "activeCall": s.conn,
            "deviceToJoin": FREE_PHONE,
            "participationType": "silent",
        }
    },
    "supervisor.whisper": {"": lambda s: {"activeCall": s.conn, "deviceToJoin": FREE_PHONE}},
    # ---- ACD agents and queues
    "SetAgentState": {
        "": lambda s: {
            "device": s.device,
            "requestedAgentState": "notReady",
            "agentID": s.agent,
            "reasonCode": "break",
        }
    },
    "GetAgentState": {"": lambda s: {"device": s.device}},
    "agent.list": {"": lambda s: None},
    "agent.reasonCodes": {"": lambda s: None},
    "agent.snapshot": {"": lambda s: {"agentID": s.agent}},
    "queue.list": {"": lambda s: None},
    "queue.snapshot": {"": lambda s: {"queue": s.queue}},
    # ---- recording
    "recording.start": {"": lambda s: {"callID": s.call}},
    "recording.pause": {"": lambda s: {"recordingID": s.recording}},
    "recording.resume": {"": lambda s: {"recordingID": s.recording}},
    "recording.stop": {"": lambda s: {"recordingID": s.recording}},
    "recording.tag": {"": lambda s: {"recordingID": s.recording, "tags": ["matrix"]}},
    "recording.get": {"": lambda s: {"recordingID": s.recording}},
    "recording.setImportant": {"": lambda s: {"id": s.recording, "important": True}},
    # In progress in this world: an own one is answered "in-progress", never refused.
    "recording.delete": {"": lambda s: {"id": s.recording}},
    "recording.search": {"": lambda s: {"queue": s.queue}},
    # ---- fax (admins and supervisors; the ids need not exist to test the refusal)
    "fax.send": {"": lambda s: {"to": "5551234", "documents": ["no-such-document"]}},
    "fax.get": {"": lambda s: {"faxID": "no-such-fax"}},
    "fax.search": {"": lambda s: {"mailbox": s.queue}},
    "fax.cancel": {"": lambda s: {"faxID": "no-such-fax"}},
    "fax.tag": {"": lambda s: {"faxID": "no-such-fax", "tags": ["x"]}},
    # ---- voicemail
    "voicemail.list": {"": lambda s: {"mailbox": s.mailbox}},
    "voicemail.get": {"": lambda s: {"messageID": s.message}},
    "voicemail.markHeard": {"": lambda s: {"messageID": s.message}},
    "voicemail.delete": {"": lambda s: {"messageID": s.message}},
    # ---- call records, reports
    "records.status": {"": lambda s: None},
    "records.flush": {"": lambda s: {"until": "spool", "timeout": 1.0}},
    "records.search": {"": lambda s: {"queue": s.queue, "agent": s.agent}},
    "records.get": {"": lambda s: {"callID": s.call}},
    "records.history": {"": lambda s: {"number": s.number}},
    "report.list": {"": lambda s: None},
    # ---- webhooks (admin)
    "webhook.create": {"": lambda s: WEBHOOK},
    "webhook.update": {"": lambda s: WEBHOOK},
    "webhook.delete": {"": lambda s: {"name": "matrix"}},
    "webhook.list": {"": lambda s: None},
    "webhook.test": {"": lambda s: {"name": "matrix"}},
    "webhook.status": {"": lambda s: {}},
    # ---- IVR and inbound routing (not configured here: the answer is "not running")
    "ivr.listFlows": {"": lambda s: None},
    "ivr.validateFlow": {"": lambda s: {"name": "nope"}},
    "ivr.reload": {"": lambda s: None},
    "ivr.calls": {"": lambda s: None},
    "ivr.statistics": {"": lambda s: {}},
    "routing.overrides": {"": lambda s: None},
    "routing.setOverride": {"": lambda s: {"name": "nope", "active": True}},
    "routing.test": {"": lambda s: {"calledNumber": "vip"}},
    # ---- outbound campaigns and do-not-call lists (no campaign here: "no such campaign")
    "campaign.create": {"": lambda s: {"name": "matrix", "queue": s.queue}},
    "campaign.update": {"": lambda s: {"name": "nope", "changes": {"priority": 1}}},
    "campaign.get": {"": lambda s: {"name": "nope"}},
    "campaign.list": {"": lambda s: None},
    "campaign.setState": {"": lambda s: {"name": "nope", "state": "paused"}},
    "campaign.importList": {
        "": lambda s: {"campaign": "nope", "list": "l", "numberColumn": "n", "csv": "n\n5551234\n"}
    },
    "campaign.scheduleCallback": {"": lambda s: {"record": 999, "at": "2027-01-15T10:00:00Z"}},
    "campaign.setDisposition": {"": lambda s: {"record": 999, "disposition": "sale"}},
    "campaign.previewDial": {"": lambda s: {"record": 999}},
    "campaign.previewSkip": {"": lambda s: {"record": 999, "reason": "no"}},
    "report.campaign": {
        "": lambda s: {"campaign": "nope", "from": "2027-01-15", "to": "2027-01-16"}
    },
    "dnc.add": {"": lambda s: {"numbers": ["5550999"], "campaign": "nope"}},
    "dnc.remove": {"": lambda s: {"numbers": ["5550999"], "campaign": "nope"}},
    "dnc.import": {"": lambda s: {"csv": "n\n5550999\n", "numberColumn": "n", "campaign": "nope"}},
    "dnc.check": {"": lambda s: {"number": "5550999"}},
    # ---- session and discovery
    "session.login": {"": lambda s: {"token": "matrix-wrong-token-0123456789"}},
    "session.resume": {
        "": lambda s: {"token": ADMIN_TOKEN, "sessionID": "matrix-none", "lastSeq": 0}
    },
    "session.refresh": {"": lambda s: {"token": "matrix-wrong-token-0123456789"}},
    "session.logout": {"": lambda s: None},
    "session.ping": {"": lambda s: None},
    "rpc.discover": {"": lambda s: None},
    # ---- the simulator
    "sim.incomingCall": {"": lambda s: {"callingNumber": "+15550009", "calledNumber": FREE_PHONE}},
    "sim.offHook": {"": lambda s: {"device": FREE_PHONE}},
    "sim.onHook": {"": lambda s: {"device": FREE_PHONE}},
    "sim.pressDigits": {"": lambda s: {"device": FREE_PHONE, "digits": "1"}},
    "sim.holdKey": {"": lambda s: {"device": FREE_PHONE}},
    "sim.lines": {"": lambda s: None},
    "sim.messageWaiting": {"": lambda s: {"device": FREE_PHONE}},
    "sim.hears": {"": lambda s: {"listener": s.device, "speaker": "+15550001"}},
    "sim.dropLink": {"": lambda s: None},
    "sim.restoreLink": {"": lambda s: None},
}
#: Every report (``report.answerRate``...) is called the same way.
REPORT_CASE: Final[dict[str, Case]] = {"": _report}


def cases_of(name: str) -> dict[str, Case] | None:
    if name.startswith("report.") and name != "report.list":
        return REPORT_CASE
    return CASES.get(name)


# ------------------------------------------------------------------ the world


def config(state: Path) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(state)},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
            "acd": {
                "seed": 1,
                "queues": [
                    {"name": "vip", "ring_timeout": 10.0},
                    {"name": "sales", "ring_timeout": 10.0},
                ],
                "agents": [
                    {"id": "2001", "skills": [{"queue": "vip"}]},
                    {"id": "2002", "skills": [{"queue": "sales"}]},
                ],
            },
            "auth": {
                "tokens": [
                    {"role": "agent", "name": "alice", "token": ALICE_TOKEN, "agent_id": "2001"},
                    {"role": "supervisor", "name": "sal", "token": SUP_ALL_TOKEN},
                    {
                        "role": "supervisor",
                        "name": "vic",
                        "token": SUP_VIP_TOKEN,
                        "queues": ["vip"],
                    },
                ]
            },
        }
    )


async def _talking(
    cc: CallCentre, admin: RpcTestClient, caller: str, queue: str, phone: str
) -> str:
    """A customer called ``queue``, the agent at ``phone`` answered; the call is recorded."""
    reply = await admin.call("sim.incomingCall", {"callingNumber": caller, "calledNumber": queue})
    call_id = str(reply["callID"])
    await trio.sleep(1)
    cc.sim.off_hook(phone)
    await trio.sleep(1)
    snap = await admin.call("SnapshotCall", {"snapshotObject": {"callID": call_id}})
    states = {p["deviceOnCall"]: p["localConnectionState"] for p in snap["snapshotData"]}
    assert states == {caller: "connected", phone: "connected"}, snap
    return call_id


async def world(cc: CallCentre, admin: RpcTestClient) -> tuple[Side, Side]:
    for agent_id, phone in (("2001", "1001"), ("2002", "1002")):
        for state in ("loggedOn", "ready"):
            await admin.call(
                "SetAgentState",
                {"device": phone, "requestedAgentState": state, "agentID": agent_id},
            )
    call_a = await _talking(cc, admin, "+15550001", "vip", "1001")
    call_b = await _talking(cc, admin, "+15550002", "sales", "1002")
    rec_a = (await admin.call("recording.start", {"callID": call_a}))["recordingID"]
    rec_b = (await admin.call("recording.start", {"callID": call_b}))["recordingID"]
    # A message in each agent's mailbox, filed as the IVR's recordings are.
    voicemail = cc.app.api.services["voicemail"]
    for agent, caller in (("2001", "+15550001"), ("2002", "+15550002")):
        voicemail.records.submit(
            VoicemailOp(
                message_id=f"vm-{agent}",
                mailbox=f"agent:{agent}",
                call_id=None,
                caller=caller,
                called=agent,
                received_at=voicemail.clock.now(),
                duration=3.0,
                path=f"agent-{agent}/m.wav",
                size_bytes=None,
                user_data={},
            )
        )
        voicemail.counts[f"agent:{agent}"] = (1, 0)
    await voicemail.records.wait_committed()
    own = Side(
        device="1001",
        call=call_a,
        agent="2001",
        queue="vip",
        recording=rec_a,
        mailbox="agent:2001",
        message="vm-2001",
        number="+15550001",
    )
    foreign = Side(
        device="1002",
        call=call_b,
        agent="2002",
        queue="sales",
        recording=rec_b,
        number="+15550002",
        mailbox="agent:2002",
        message="vm-2002",
    )
    return own, foreign


async def fingerprint(cc: CallCentre, admin: RpcTestClient, sides: tuple[Side, Side]) -> Any:
    """What a refused request must leave alone: calls, agents, recordings, monitors."""
    api = cc.app.api
    calls = {}
    for side in sides:
        if side.call in api.calls.model.calls:
            calls[side.call] = await admin.call(
                "SnapshotCall", {"snapshotObject": {"callID": side.call}}
            )
    agents = [
        (a["agentID"], a["agentState"], a["agentDevice"], a["reasonCode"])
        for a in (await admin.call("agent.list"))["agents"]
    ]
    recordings = {
        rid: (rec.state, tuple(rec.tags)) for rid, rec in api.services["recording"].active.items()
    }
    monitors = {log.session_id: sorted(log.monitors) for log in api.bus.logs.values()}
    mailboxes = dict(api.services["voicemail"].counts)
    return calls, agents, recordings, monitors, sorted(api.calls.model.calls), mailboxes


# ------------------------------------------------------------------ verdicts


def allowed_role(spec: MethodSpec, role: str) -> bool:
    return ROLES[role][1] in spec.roles


def assert_refused(spec: MethodSpec, err: RpcErrorReply, *, by_role: bool) -> None:
    if by_role or spec.refuse_as_forbidden:
        assert err.code == FORBIDDEN, (spec.name, err.code, err.message)
    else:
        assert (err.code, err.csta_error) == (CSTA_ERROR, PRIVILEGE), (spec.name, err.message)


def assert_not_refused(spec: MethodSpec, err: RpcErrorReply | None) -> None:
    if err is None:
        return
    assert err.code != FORBIDDEN, (spec.name, err.message)
    assert err.csta_error != PRIVILEGE, (spec.name, err.message)


async def attempt(client: RpcTestClient, name: str, params: Any) -> RpcErrorReply | None:
    try:
        await client.call(name, params)
    except RpcErrorReply as exc:
        return exc
    return None


# ------------------------------------------------------------------ tests


def test_every_method_is_in_the_matrix() -> None:
    missing = sorted(name for name in registry.methods if cases_of(name) is None)
    assert not missing, f"methods the access matrix does not know (add them to CASES): {missing}"
    stale = sorted(set(CASES) - set(registry.methods))
    assert not stale, f"matrix cases for methods that are not registered: {stale}"


def test_every_target_has_a_check() -> None:
    used = Target.NONE
    for spec in registry.methods.values():
        used |= spec.target
        assert spec.roles, spec.name
        if spec.target:
            assert spec.objects, spec.name
    for target in Target:
        if target and target in used:
            assert target in registry.checks, f"no object check registered for {target.label}"


def test_the_declared_policies() -> None:
    """The policies the issue is about, as declared (the matrix below checks them live)."""
    table = {name: spec.target for name, spec in registry.methods.items()}
    for name in ("SnapshotCall", "AssociateData", "ClearCall", "recording.start"):
        assert table[name] == Target.CALL, name
    assert Target.CALL in table["MonitorStart"]
    for name in ("AnswerCall", "HoldCall", "TransferCall", "GenerateDigits", "DeflectCall"):
        assert table[name] == Target.CALL | Target.DEVICE, name
    for name in ("sim.dropLink", "records.flush", "ivr.reload"):
        assert registry.methods[name].roles == frozenset({Role.ADMIN}), name


@attrs.define
class Centre:
    """A running call centre with its world, and a client per role."""

    cc: CallCentre
    admin: RpcTestClient
    clients: dict[str, RpcTestClient]
    sides: tuple[Side, Side]
    initial: Any


def new_dir(path: Path) -> Path:
    path.mkdir()
    return path


@asynccontextmanager
async def centre(state: Path) -> AsyncIterator[Centre]:
    with trio.fail_after(DEADLINE):
        async with call_centre(config(state)) as cc:
            admin = await cc.client()
            clients = {"admin": admin}
            for role, (token, _) in ROLES.items():
                if role != "admin":
                    clients[role] = await cc.client(token=token)
            sides = await world(cc, admin)
            yield Centre(cc, admin, clients, sides, await fingerprint(cc, admin, sides))


@pytest.mark.parametrize("name", sorted(registry.methods))
async def test_access_matrix(name: str, tmp_path: Path, autojump_clock: Any) -> None:
    """One method, every role: refusals first (they change nothing, so they share one
    call centre), then each role's own object, on a fresh centre whenever the one
    before changed the world (a cleared call, a new monitor)."""
    spec = registry.methods[name]
    variants = cases_of(name)
    assert variants is not None, f"no access matrix case for {name} (add it to CASES)"
    every = any(ref.path == EVERY for ref in spec.objects)
    async with AsyncExitStack() as stack:
        used = 0

        async def fresh() -> Centre:
            nonlocal used
            used += 1
            return await stack.enter_async_context(centre(new_dir(tmp_path / str(used))))

        c = await fresh()
        foreign = c.sides[1]
        # 1. What must be refused, for every role: nothing may change.
        for role, client in c.clients.items():
            for variant, build in variants.items():
                what = f"{name}{'[' + variant + ']' if variant else ''} as {role}"
                if not allowed_role(spec, role):
                    targets, by_role = c.sides, True
                elif role in LIMITED and every:
                    targets, by_role = c.sides, False
                elif role in LIMITED and spec.target:
                    targets, by_role = (foreign,), False
                else:
                    continue
                for side in targets:
                    err = await attempt(client, name, build(side))
                    assert err is not None, f"{what}: not refused ({spec.target.label})"
                    assert_refused(spec, err, by_role=by_role)
                    after = await fingerprint(c.cc, c.admin, c.sides)
                    assert after == c.initial, f"{what}: the refusal changed something"
        # 2. What must not be refused: each role's own objects (and, for admins and
        #    supervisors of every queue, the other side's), each on an intact world.
        for role in ("agent", "sup-vip", "sup-all", "admin"):
            if not allowed_role(spec, role) or (role in LIMITED and every):
                continue
            for build in variants.values():
                if await fingerprint(c.cc, c.admin, c.sides) != c.initial:
                    c = await fresh()
                sides = c.sides if role not in LIMITED and spec.target else c.sides[:1]
                for side in sides:
                    assert_not_refused(spec, await attempt(c.clients[role], name, build(side)))
