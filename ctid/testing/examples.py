"""Real protocol examples for the docs, recorded from a scripted session.

``python -m ctid.testing.examples > docs/protocol-examples.md`` regenerates
the file; a test fails if the committed one differs, so every example in the
reference is a request the server really answered, and every event one it
really sent. Ids and timestamps are stable: the daemon runs on MockClock with
fixed id prefixes and a fixed wall-clock anchor.

Services add their own scripts to ``SCRIPTS``.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio
import trio.testing

from ..api.methods import registry
from ..api.methods.discover import event_names
from ..api.registry import json_schema
from .client import RpcErrorReply, RpcTestClient
from .harness import CallCentre, call_centre, sim_config

__all__ = ["SCRIPTS", "Recorder", "record", "render"]


class Recorder:
    """Wraps a client: keeps the first request/reply per method and the first of each event."""

    def __init__(self, client: RpcTestClient) -> None:
        self.client = client
        self.requests: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.errors: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}

    async def call(self, method: str, params: Any = None) -> Any:
        request: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
        if params is not None:
            request["params"] = params
        reply = await self.client.request(method, params)
        reply = dict(reply, id=1)
        if "error" in reply:
            self.errors.setdefault(method, (request, reply))
            raise RpcErrorReply(reply["error"])
        self.requests.setdefault(method, (request, reply))
        return reply["result"]


Script = Callable[[CallCentre, Recorder], Awaitable[None]]


async def _calls(cc: CallCentre, r: Recorder) -> None:
    await r.call("rpc.discover")
    await r.call("session.ping")
    await r.call("session.refresh", {"token": "test-admin-token-0123456789"})
    await r.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
    await r.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})
    first = (
        await r.call("sim.incomingCall", {"callingNumber": "+15550100", "calledNumber": "1001"})
    )["callID"]
    await cc.settle()
    await r.call(
        "AssociateData",
        {
            "existingCall": {"callID": first},
            "correlatorData": "ticket-7",
            "userData": {"customer": "C-42"},
        },
    )
    await r.call("AnswerCall", {"callToBeAnswered": {"callID": first, "deviceID": "1001"}})
    await cc.settle()
    await r.call("SnapshotDevice", {"snapshotObject": "1001"})
    await r.call("SnapshotCall", {"snapshotObject": {"callID": first}})
    await r.call("HoldCall", {"callToBeHeld": {"callID": first, "deviceID": "1001"}})
    await r.call("RetrieveCall", {"callToBeRetrieved": {"callID": first, "deviceID": "1001"}})
    await r.call("sim.holdKey", {"device": "1001"})
    await cc.settle()
    await r.call("sim.holdKey", {"device": "1001"})
    await cc.settle()
    await r.call(
        "GenerateDigits",
        {
            "connectionToSendDigits": {"callID": first, "deviceID": "1001"},
            "charactersToSend": "42#",
        },
    )
    second = (
        await r.call(
            "ConsultationCall",
            {"existingCall": {"callID": first, "deviceID": "1001"}, "consultedDevice": "1002"},
        )
    )["initiatedCall"]["callID"]
    await cc.settle()
    await r.call("sim.offHook", {"device": "1002"})
    await cc.settle()
    held = {"callID": first, "deviceID": "1001"}
    active = {"callID": second, "deviceID": "1001"}
    await r.call("AlternateCall", {"heldCall": held, "activeCall": active})
    await r.call("AlternateCall", {"heldCall": active, "activeCall": held})
    await r.call("ConferenceCall", {"heldCall": held, "activeCall": active})
    await cc.settle()
    await r.call(
        "ClearConnection", {"connectionToBeCleared": {"callID": first, "deviceID": "1002"}}
    )
    await cc.settle()
    await r.call(
        "SingleStepTransferCall",
        {"activeCall": {"callID": first, "deviceID": "1001"}, "transferredTo": "1003"},
    )
    await cc.settle()
    await r.call("sim.pressDigits", {"device": "+15550100", "digits": "1"})
    await r.call("ClearCall", {"callToBeCleared": {"callID": first}})
    await cc.settle()
    await r.call(
        "sim.onHook", {"device": "1002"}
    )  # 1001 answered hands-free: back on-hook by itself
    await cc.settle()
    # Consultation and transfer.
    third = (
        await r.call("sim.incomingCall", {"callingNumber": "+15550101", "calledNumber": "1001"})
    )["callID"]
    await cc.settle()
    await r.call("sim.offHook", {"device": "1001"})
    await cc.settle()
    fourth = (
        await r.call(
            "ConsultationCall",
            {"existingCall": {"callID": third, "deviceID": "1001"}, "consultedDevice": "1002"},
        )
    )["initiatedCall"]["callID"]
    await cc.settle()
    await r.call("sim.offHook", {"device": "1002"})
    await cc.settle()
    await r.call(
        "ReconnectCall",
        {
            "heldCall": {"callID": third, "deviceID": "1001"},
            "activeCall": {"callID": fourth, "deviceID": "1001"},
        },
    )
    await cc.settle()
    await r.call("sim.onHook", {"device": "1002"})
    fifth = (
        await r.call(
            "ConsultationCall",
            {"existingCall": {"callID": third, "deviceID": "1001"}, "consultedDevice": "1002"},
        )
    )["initiatedCall"]["callID"]
    await cc.settle()
    await r.call("sim.offHook", {"device": "1002"})
    await cc.settle()
    await r.call(
        "TransferCall",
        {
            "heldCall": {"callID": third, "deviceID": "1001"},
            "activeCall": {"callID": fifth, "deviceID": "1001"},
        },
    )
    await cc.settle()
    await r.call("sim.onHook", {"device": "1002"})
    await r.call("sim.onHook", {"device": "1001"})
    await cc.settle()
    # MakeCall, far end busy, deflect.
    made = await r.call(
        "MakeCall",
        {
            "callingDevice": "1001",
            "calledDirectoryNumber": "+15550486",
            "autoOriginate": "doNotPrompt",
            "correlatorData": "crm-click-1",
            "userData": {"lead": "L-9"},
        },
    )
    await trio.sleep(1)
    await r.call("ClearConnection", {"connectionToBeCleared": made["callingDevice"]})
    await cc.settle()
    sixth = (
        await r.call("sim.incomingCall", {"callingNumber": "+15550102", "calledNumber": "1002"})
    )["callID"]
    await cc.settle()
    await r.call(
        "DeflectCall",
        {"callToBeDiverted": {"callID": sixth, "deviceID": "1002"}, "newDestination": "1001"},
    )
    await cc.settle()
    await r.call("sim.onHook", {"device": "+15550102"})
    await cc.settle()
    # A call monitor, and the monitor ending with its call.
    seventh = (
        await r.call("sim.incomingCall", {"callingNumber": "+15550103", "calledNumber": "1003"})
    )["callID"]
    xref = (await r.call("MonitorStart", {"monitorObject": {"callObject": {"callID": seventh}}}))[
        "monitorCrossRefID"
    ]
    await r.call("sim.onHook", {"device": "+15550103"})
    await cc.settle()
    await r.call("sim.lines")
    await r.call("sim.hears", {"listener": "1001", "speaker": "1002"})
    await r.call("sim.messageWaiting", {"device": "1001"})
    await r.call("sim.dropLink")
    await cc.settle()
    await r.call("sim.restoreLink")
    await cc.settle()
    assert xref
    # Errors.
    for method, params in [
        ("MakeCall", {"callingDevice": "9999", "calledDirectoryNumber": "1002"}),
        ("HoldCall", {"callToBeHeld": {"callID": "no-such-call", "deviceID": "1001"}}),
    ]:
        with contextlib.suppress(RpcErrorReply):
            await r.call(method, params)  # recorded as the method's refused example
    await r.call("MonitorStop", {"monitorCrossRefID": "m1"})


async def _ivr(cc: CallCentre, r: Recorder) -> None:
    await r.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
    await r.call("ivr.listFlows")
    await r.call("ivr.validateFlow", {"name": "main"})
    await r.call("routing.test", {"calledNumber": "4008001234", "callingNumber": "+15550199"})
    call_id = (
        await r.call(
            "sim.incomingCall", {"callingNumber": "+15550199", "calledNumber": "4008001234"}
        )
    )["callID"]
    await trio.sleep(3)  # the greeting plays
    await r.call("ivr.calls")
    await trio.sleep(10)
    await r.call("sim.pressDigits", {"device": "+15550199", "digits": "1"})  # sales
    await trio.sleep(2)
    await r.call("SnapshotCall", {"snapshotObject": call_id})
    await r.call("sim.offHook", {"device": "1001"})
    await cc.settle()
    await r.call("sim.onHook", {"device": "1001"})
    await cc.settle()
    await r.call("ivr.statistics", {"flow": "main"})
    await r.call("routing.overrides")
    await r.call("routing.setOverride", {"name": "closed", "active": True})
    await r.call("routing.setOverride", {"name": "closed", "active": False})
    await r.call("ivr.reload")


#: The IVR's example runs on the demo's flows and routing, with silent prompts.
IVR_CONFIG: dict[str, Any] = {
    "ivr": {
        "flows_dir": "package:ctid.demo/flows",
        "timezone": "Asia/Shanghai",
        "tts": "silent",
        "queues": {"sales": "1001", "support": "1002"},
    },
    "routing": {
        "rules": [{"name": "front-door", "dnis": ["4008001234"], "destination": {"flow": "main"}}],
        "overrides": [
            {
                "name": "closed",
                "description": "Emergency closure",
                "destination": {"message": "We are closed."},
            }
        ],
    },
}


async def _acd(cc: CallCentre, r: Recorder) -> None:
    await r.call("MonitorStart", {"monitorObject": {"queueObject": "sales"}})
    await r.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
    await r.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
    await r.call("MonitorStart", {"monitorObject": {"deviceObject": "8001"}})  # the queue's number
    await r.call(
        "SetAgentState", {"device": "1001", "requestedAgentState": "loggedOn", "agentID": "2001"}
    )
    await r.call("SetAgentState", {"device": "1001", "requestedAgentState": "ready"})
    await r.call("GetAgentState", {"device": "1001"})
    await r.call("agent.list")
    await r.call("agent.reasonCodes")
    await r.call("queue.list")
    call_id = (
        await r.call("sim.incomingCall", {"callingNumber": "+15550300", "calledNumber": "8001"})
    )["callID"]
    await cc.settle()
    await r.call("queue.snapshot", {"queue": "sales"})
    await r.call("sim.offHook", {"device": "1001"})
    await cc.settle()
    await r.call(
        "SingleStepConferenceCall",
        {
            "activeCall": {"callID": call_id, "deviceID": "1001"},
            "deviceToJoin": "1005",
            "participationType": "silent",
        },
    )
    await cc.settle()
    await r.call(
        "supervisor.whisper",
        {"activeCall": {"callID": call_id, "deviceID": "1001"}, "deviceToJoin": "1005"},
    )
    await cc.settle()
    # Asked for during the call: pending until it ends (agent.pending says so now).
    await r.call(
        "SetAgentState",
        {"device": "1001", "requestedAgentState": "workingAfterCall"},
    )
    await cc.settle()
    await r.call("sim.onHook", {"device": "+15550300"})
    await cc.settle()
    await trio.sleep(1)
    await r.call(
        "SetAgentState",
        {"device": "1001", "requestedAgentState": "notReady", "reasonCode": "break"},
    )
    await r.call("agent.snapshot", {"agentID": "2001"})
    await trio.sleep(30)  # the wallboard figures go out, throttled
    await r.call("SetAgentState", {"device": "1001", "requestedAgentState": "loggedOff"})
    await cc.settle()


#: The ACD's example: two queues, two agents who serve them.
ACD_CONFIG: dict[str, Any] = {
    "acd": {
        "reason_codes": ["break", "lunch"],
        "queues": [
            {"name": "sales", "number": "8001", "strategy": "longest-idle", "wrap_up": 5.0},
            {"name": "support", "number": "8002"},
        ],
        "agents": [
            {
                "id": "2001",
                "name": "Alice",
                "devices": ["1001-1004"],
                "skills": [{"queue": "sales", "level": 5}],
            },
            {
                "id": "2002",
                "name": "Bob",
                "devices": ["1001-1004"],
                "skills": [{"queue": "support", "level": 3}],
            },
        ],
    }
}


async def _records(cc: CallCentre, r: Recorder) -> None:
    await r.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})
    call_id = (
        await r.call("sim.incomingCall", {"callingNumber": "+15550400", "calledNumber": "1002"})
    )["callID"]
    await cc.settle()
    await r.call("sim.offHook", {"device": "1002"})
    await cc.settle()
    recording = (await r.call("recording.start", {"callID": call_id, "tags": ["complaint"]}))[
        "recordingID"
    ]
    await trio.sleep(5)
    await r.call("recording.pause", {"recordingID": recording})  # the caller reads a card number
    await trio.sleep(3)
    await r.call("recording.resume", {"recordingID": recording})
    await trio.sleep(5)
    await r.call("recording.tag", {"recordingID": recording, "tags": ["escalated"]})
    await r.call("recording.stop", {"recordingID": recording})
    await trio.sleep(20)
    await r.call("sim.onHook", {"device": "+15550400"})
    await cc.settle()
    await r.call("records.flush", {"until": "database"})
    await r.call("records.status")
    await r.call("recording.get", {"recordingID": recording})
    await r.call("recording.search", {"caller": "+15550400"})
    await r.call("records.search", {"number": "+1555040", "limit": 10})
    await r.call("records.get", {"callID": call_id})
    await r.call("records.history", {"number": "+15550400", "limit": 5})
    await r.call("recording.setImportant", {"id": recording, "important": True})
    await r.call("recording.setImportant", {"id": recording, "important": False})
    await r.call("records.flush", {"until": "database"})
    await r.call("recording.delete", {"id": recording})
    await r.call("report.list")
    day = {"from": "2027-01-15", "to": "2027-01-16", "timezone": "UTC"}
    for name in sorted(registry.methods):
        # report.campaign names a campaign: the campaigns' script has its example.
        if name.startswith("report.") and name not in ("report.list", "report.campaign"):
            await r.call(
                name, day | ({"interval": "hour"} if name == "report.serviceLevel" else {})
            )


async def _webhooks(cc: CallCentre, r: Recorder) -> None:
    hook = {
        "name": "crm",
        "url": "https://crm.example.com/ctid-events",
        "secretEnv": "CRM_WEBHOOK_SECRET",
        "events": ["record.callClosed", "Agent*"],
        "queues": ["support"],
    }
    await r.call("webhook.create", hook)
    await r.call("webhook.update", hook | {"batchMax": 20})
    await r.call("webhook.list")
    await r.call("webhook.status", {"name": "crm"})
    # Its secret's variable is not set here: the test says so instead of sending.
    await r.call("webhook.test", {"name": "crm"})
    await r.call("webhook.delete", {"name": "crm"})


async def _fax(cc: CallCentre, r: Recorder) -> None:
    from .. import faximage
    from .harness import ADMIN_TOKEN

    await r.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
    status, _, body = await cc.http(
        "/fax/documents?name=price-list",
        method="POST",
        headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
        body=faximage.make_fax_tiff(["Price list", "Terms"]),
    )
    assert status == 201, body
    # A simulated fax machine calls the fax number and sends three pages.
    await r.call(
        "sim.incomingCall", {"callingNumber": "+15550103290", "calledNumber": "4008003290"}
    )
    await trio.sleep(60)
    fax_id = (
        await r.call(
            "fax.send",
            {"to": "+15550113290", "documents": ["price-list"], "header": "Example Trading"},
        )
    )["faxID"]
    await trio.sleep(60)
    await r.call("fax.tag", {"faxID": fax_id, "tags": ["prices", "important"]})
    await r.call("fax.get", {"faxID": fax_id})
    batch = await r.call(
        "fax.send", {"to": ["+15550123290", "+15550130486"], "documents": ["price-list"]}
    )
    await trio.sleep(30)
    await r.call("fax.cancel", {"faxID": batch["faxes"][1]["faxID"]})
    await r.call("fax.search", {"batchID": batch["batchID"]})


#: Faxes: the records database, a fax number, retries a minute apart.
FAX_CONFIG: dict[str, Any] = {
    "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
    "fax": {"numbers": {"4008003290": "orders"}, "retry_delay": 60, "retries": 2},
}

#: Call records and recordings in the state directory the generator picks.
RECORDS_CONFIG: dict[str, Any] = {
    # A fixed node name: the host's would make the examples differ by machine.
    "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6, "node": "ctid-1"},
    "recording": {},
}


async def _campaigns(cc: CallCentre, r: Recorder) -> None:
    await r.call(
        "campaign.create",
        {
            "name": "renewals",
            "queue": "sales",
            "mode": "progressive",
            "timezoneColumn": "tz",
            "windows": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "20:00"}
            ],
            "retries": {"busy": {"afterSeconds": 600, "maxRetries": 3}},
        },
    )
    await r.call("campaign.update", {"name": "renewals", "changes": {"maxAbandonRate": 0.02}})
    await r.call(
        "campaign.importList",
        {
            "campaign": "renewals",
            "list": "january",
            "numberColumn": "phone",
            "csv": "name,phone,tz\nAnn,+33 1 70 00 00 01,Europe/Paris\nBob,+33170000002\n"
            "Cy,(212) 555-0100,America/New_York\nAnn again,+33-1-70-00-00-01,Europe/Paris\n",
        },
    )
    await r.call("campaign.get", {"name": "renewals"})
    await r.call("campaign.list")
    await r.call("campaign.setState", {"name": "renewals", "state": "running"})
    await trio.sleep(1)
    await r.call("campaign.setState", {"name": "renewals", "state": "stopped"})
    await r.call("campaign.scheduleCallback", {"record": 2, "at": "2027-01-15T14:30:00+01:00"})
    await r.call("dnc.add", {"numbers": ["+1 212 555 0100"], "note": "asked not to be called"})
    await r.call(
        "dnc.import",
        {"csv": "tel\n5550001\n5550002\n", "numberColumn": "tel", "campaign": "renewals"},
    )
    await r.call("dnc.check", {"number": "(212) 555-0100"})
    await r.call("dnc.remove", {"numbers": ["5550002"], "campaign": "renewals"})
    await r.call("routing.test", {"calledNumber": "0201234567", "direction": "outbound"})
    await _preview_campaign(cc, r)
    with contextlib.suppress(RpcErrorReply):
        await r.call("campaign.get", {"name": "nope"})  # recorded as the refused example


async def _preview_campaign(cc: CallCentre, r: Recorder) -> None:
    """A preview campaign: Alice skips one record, dials the next and gives a disposition."""
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    await r.call(
        "campaign.create",
        {
            "name": "survey",
            "queue": "sales",
            "mode": "preview",
            "windows": [{"days": every_day, "start": "00:00", "end": "24:00"}],
            "dispositions": ["sale", "noSale"],
        },
    )
    await r.call(
        "campaign.importList",
        {
            "campaign": "survey",
            "list": "march",
            "numberColumn": "phone",
            "csv": "name,phone\nDee,5550104\nEve,5550106\n",
        },
    )
    await r.call("MonitorStart", {"monitorObject": {"campaignObject": "survey"}})
    await r.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
    for state in ("loggedOn", "ready"):
        await r.call(
            "SetAgentState", {"device": "1001", "requestedAgentState": state, "agentID": "2001"}
        )
    await r.call("campaign.setState", {"name": "survey", "state": "running"})
    first = await r.client.event("campaign.preview")
    await r.call("campaign.previewSkip", {"record": first["record"], "reason": "knownCustomer"})
    second = await r.client.event("campaign.preview")
    dialled = await r.call("campaign.previewDial", {"record": second["record"]})
    await trio.sleep(0.5)
    cc.sim.off_hook("1001")
    await trio.sleep(5)
    await r.call("campaign.setDisposition", {"callID": dialled["callID"], "disposition": "sale"})
    cc.sim.on_hook("1001")
    await cc.settle()
    await trio.sleep(2)
    await r.call("records.flush", {"until": "database"})
    await r.call(
        "report.campaign", {"campaign": "survey", "from": "2027-01-15", "to": "2027-01-16"}
    )


#: Campaigns: call records for their data, the ACD for their queue, one from the file.
CAMPAIGN_CONFIG: dict[str, Any] = {
    **RECORDS_CONFIG,
    **ACD_CONFIG,
    "campaigns": [
        {"name": "reminders", "queue": "support", "mode": "agentless", "message": "sound:reminder"}
    ],
}


async def _voicemail(cc: CallCentre, r: Recorder) -> None:
    await r.call("MonitorStart", {"monitorObject": {"mailboxObject": "queue:sales"}})
    call_id = (
        await r.call(
            "sim.incomingCall", {"callingNumber": "+15550500", "calledNumber": "4008009000"}
        )
    )["callID"]
    await cc.settle()
    await r.call("AssociateData", {"existingCall": call_id, "userData": {"ticket": "T-1001"}})
    await trio.sleep(9)  # the caller speaks, then presses #
    await r.call("sim.pressDigits", {"device": "+15550500", "digits": "#"})
    await trio.sleep(5)
    await r.call("records.flush", {"until": "database"})
    listed = await r.call("voicemail.list", {"mailbox": "queue:sales", "unheardOnly": True})
    message = listed["messages"][0]["messageID"]
    await r.call("voicemail.get", {"messageID": message})
    await r.call("voicemail.markHeard", {"messageID": message})
    await r.call("voicemail.delete", {"messageID": message})


#: Voicemail: a routing rule sends a number to the sales mailbox.
VOICEMAIL_CONFIG: dict[str, Any] = {
    "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
    "ivr": {"tts": "silent", "timezone": "Asia/Shanghai", "queues": {"sales": "1001"}},
    "routing": {
        "rules": [
            {
                "name": "after-hours",
                "dnis": ["4008009000"],
                "destination": {"voicemail": "queue:sales"},
            }
        ]
    },
}

#: Example scripts in order, each with the configuration it needs; services add theirs.
SCRIPTS: list[tuple[Script, dict[str, Any]]] = [
    (_calls, {}),
    (_ivr, IVR_CONFIG),
    (_acd, ACD_CONFIG),
    (_records, RECORDS_CONFIG),
    (_campaigns, CAMPAIGN_CONFIG),
    (_fax, FAX_CONFIG),
    (_voicemail, VOICEMAIL_CONFIG),
    (_webhooks, RECORDS_CONFIG),
]

#: Shown in the examples instead of the temporary state directory the generator uses.
STATE_DIR_SHOWN = "/var/lib/ctid"
#: Where the ctid package is in this checkout, and what the examples show instead.
PACKAGE_DIR = Path(__file__).resolve().parents[1]
PACKAGE_DIR_SHOWN = "/opt/ctid/lib/python3.11/site-packages/ctid"


async def record() -> tuple[Recorder, list[dict[str, Any]]]:
    recorder, events = await _record_first()
    state = tempfile.mkdtemp(prefix="ctid-examples-")
    try:
        await _record_rest(recorder, events, state)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    # Paths in the state directory read as an installation's would.
    recorder.requests = _shown(recorder.requests, state)
    recorder.errors = _shown(recorder.errors, state)
    return recorder, _shown(events, state)


def _shown(value: Any, state: str) -> Any:
    """Paths as an installation shows them: the examples must not depend on the checkout."""
    text = json.dumps(value).replace(state, STATE_DIR_SHOWN)
    return json.loads(text.replace(str(PACKAGE_DIR), PACKAGE_DIR_SHOWN))


async def _record_rest(recorder: Recorder, events: list[dict[str, Any]], state: str) -> None:
    for script, overrides in SCRIPTS[1:]:
        config = sim_config({"server": {"state_dir": state}, **overrides})
        async with call_centre(config) as cc:
            client = await cc.client()
            more = Recorder(client)
            await script(cc, more)
            await cc.settle()
            for name, pair in more.requests.items():
                recorder.requests.setdefault(name, pair)
            for name, pair in more.errors.items():
                recorder.errors.setdefault(name, pair)
            events.extend(dict(e) for e in client.events)


async def _record_first() -> tuple[Recorder, list[dict[str, Any]]]:
    script, overrides = SCRIPTS[0]
    async with call_centre(sim_config(overrides)) as cc:
        client = await cc.client(token=None)
        recorder = Recorder(client)
        welcome_request = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "session.login",
            "params": {"token": "test-admin-token-0123456789"},
        }
        welcome = await client.request("session.login", welcome_request["params"])
        recorder.requests["session.login"] = (welcome_request, dict(welcome, id=1))
        await script(cc, recorder)
        await cc.settle()
        events = [dict(e) for e in client.events]
        other = await cc.client(token=None)  # a fresh connection resumes instead of logging in
        resume_params = {
            "token": "test-admin-token-0123456789",
            "sessionID": welcome["result"]["sessionID"],
            "lastSeq": len(events) - 2,
        }
        await client.ws.aclose()
        await cc.settle()
        resumed = await other.request("session.resume", resume_params)
        recorder.requests["session.resume"] = (
            {"jsonrpc": "2.0", "id": 1, "method": "session.resume", "params": resume_params},
            dict(resumed, id=1),
        )
        await cc.settle()
        logout = await other.request("session.logout")
        recorder.requests["session.logout"] = (
            {"jsonrpc": "2.0", "id": 1, "method": "session.logout"},
            dict(logout, id=1),
        )
        return recorder, events


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def render(recorder: Recorder, events: list[dict[str, Any]]) -> str:
    out = [
        "# Protocol v1: every method and event, with real examples",
        "",
        "<!-- Generated by `python -m ctid.testing.examples`; do not edit by hand.",
        "     tests/docs/test_protocol_examples.py fails when this file is stale. -->",
        "",
        "Each example below is a request the server really answered and an event it really sent,",
        "recorded from a scripted session on the simulator (ids and times come from the test",
        "harness). See [protocol.md](protocol.md) for how the protocol works.",
        "",
        "## Methods",
        "",
    ]
    for name in sorted(registry.methods):
        spec = registry.methods[name]
        out += [f"### `{name}`", "", spec.summary or "", ""]
        roles = ", ".join(sorted(r.value for r in spec.roles))
        out += [f"Roles: {roles}." + ("" if spec.login_required else " Allowed before login."), ""]
        if spec.params is not None:
            out += [
                "Params (JSON Schema):",
                "",
                "```json",
                _json(json_schema(spec.params)),
                "```",
                "",
            ]
        else:
            out += ["No params.", ""]
        pair = recorder.requests.get(name)
        if pair is not None:
            request, reply = pair
            if name == "rpc.discover":
                reply = dict(
                    reply,
                    result={
                        "openrpc": reply["result"]["openrpc"],
                        "info": "{... title, version, x-protocolVersion ...}",
                        "methods": "[... one entry per method ...]",
                        "x-events": "[... one entry per event ...]",
                    },
                )
            out += [
                "Request:",
                "",
                "```json",
                _json(request),
                "```",
                "",
                "Reply:",
                "",
                "```json",
                _json(reply),
                "```",
                "",
            ]
        error = recorder.errors.get(name)
        if error is not None:
            out += [
                "A refused request:",
                "",
                "```json",
                _json(error[0]),
                "```",
                "",
                "```json",
                _json(error[1]),
                "```",
                "",
            ]
    out += ["## Events", ""]
    first: dict[str, dict[str, Any]] = {}
    for event in events:
        first.setdefault(event["method"], event)
    for name in sorted(set(event_names()) | set(first)):
        out += [f"### `{name}`", ""]
        if name in first:
            out += ["```json", _json(first[name]), "```", ""]
        else:
            out += ["(Not produced by the example session.)", ""]
    return "\n".join(out).rstrip() + "\n"


def generate() -> str:
    async def main() -> str:
        recorder, events = await record()
        return render(recorder, events)

    return trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))


if __name__ == "__main__":
    sys.stdout.write(generate())
