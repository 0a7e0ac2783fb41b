"""Webhooks in the daemon: webhook.* over the API, and record.callClosed / recording.available
from real calls on the simulator, to a real HTTP receiver and to monitors.

The daemon runs on the real clock here (the receiver is a real socket); every
wait is for something the test caused, under a guard.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import pytest
import trio

from ctid.records.lookup import load_records
from ctid.records.service import RecordsService
from ctid.records.wire import record_to_wire
from ctid.testing import CallCentre, RpcErrorReply, RpcTestClient, call_centre, sim_config
from ctid.webhooks.service import WebhookService

from .receiver import Receiver, Request

SECRET: Final = "whsec-api-test-0123456789"
GUARD: Final = 30.0
INVALID_PARAMS: Final = -32602
OPERATION_FAILED: Final = -32006
FORBIDDEN: Final = -32005
AGENT_TOKEN: Final = "webhook-agent-token-0123456789"


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_SECRET", SECRET)


@asynccontextmanager
async def centre(
    state: Path, receiver_url: str = "", **extra: Any
) -> AsyncIterator[tuple[CallCentre, RpcTestClient]]:
    overrides: dict[str, Any] = {
        "server": {"state_dir": str(state)},
        "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
        "recording": {"record": "all"},
        "auth": {
            "tokens": [{"role": "agent", "name": "ann", "token": AGENT_TOKEN, "devices": ["1001"]}]
        },
    }
    if receiver_url:
        overrides["webhooks"] = [
            {
                "name": "from-file",
                "url": receiver_url,
                "secret_env": "CRM_SECRET",
                "events": ["CallClearedEvent"],
            }
        ]
    overrides.update(extra)
    async with call_centre(sim_config(overrides)) as cc:
        yield cc, await cc.client()


def events_of(requests: list[Request], name: str) -> list[dict[str, Any]]:
    return [e for r in requests for e in json.loads(r.body)["events"] if e["method"] == name]


def service(cc: CallCentre) -> WebhookService:
    found = cc.app.api.services["webhooks"]
    assert isinstance(found, WebhookService)
    return found


async def test_record_call_closed_reaches_the_webhook_and_monitors(tmp_path: Path) -> None:
    receiver = Receiver()
    with trio.fail_after(GUARD):
        async with trio.open_nursery() as nursery:
            await receiver.start(nursery)
            async with centre(tmp_path) as (cc, admin):
                created = await admin.call(
                    "webhook.create",
                    {
                        "name": "crm",
                        "url": receiver.url,
                        "secretEnv": "CRM_SECRET",
                        "events": ["record.callClosed", "recording.available"],
                    },
                )
                assert created == {
                    "webhook": {
                        "name": "crm",
                        "url": receiver.url,
                        "secretEnv": "CRM_SECRET",
                        "events": ["record.callClosed", "recording.available"],
                        "queues": [],
                        "devices": [],
                        "campaigns": [],
                        "batchMax": 100,
                        "timeoutSeconds": 10.0,
                        "maxRetryHours": 24.0,
                        "maxBacklog": 100_000,
                        "allowInsecure": False,
                        "enabled": True,
                        "source": "api",
                    }
                }
                await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
                call_id = (
                    await admin.call(
                        "sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "1001"}
                    )
                )["callID"]
                await admin.event("DeliveredEvent", alertingDevice="1001")
                await admin.call("sim.offHook", {"device": "1001"})
                await admin.event("EstablishedEvent", answeringDevice="1001")
                await admin.call("sim.onHook", {"device": "1001"})
                from_monitor = await admin.event("record.callClosed", callID=call_id)
                recording = await admin.event("recording.available", callID=call_id)
                hooks = service(cc)
                await hooks.wait_until(lambda: hooks.hooks["crm"].delivery.delivered == 2)
                records = cc.app.api.services["records"]
                assert isinstance(records, RecordsService)
                stored = record_to_wire((await records.read(load_records, [call_id]))[0])
                status = await admin.call("webhook.status", {"name": "crm"})
            nursery.cancel_scope.cancel()
    # The event is exactly the stored record, as records.get shows it.
    assert from_monitor["callID"] == call_id
    assert {
        k: v for k, v in from_monitor.items() if k not in ("monitorCrossRefID", "seq", "timestamp")
    } == stored
    assert stored["caller"] == "5550001"
    assert stored["called"] == "1001"
    assert stored["state"] == "closed"
    assert stored["answeredBy"] == "1001"
    assert [leg["device"] for leg in stored["legs"]] == ["5550001", "1001"]
    assert stored["recordingIDs"] == [recording["recordingID"]]
    assert recording["state"] == "done"
    assert recording["sizeBytes"] > 0
    assert recording["download"] == f"/recordings/download?id={recording['recordingID']}"
    closed = events_of(receiver.accepted, "record.callClosed")
    available = events_of(receiver.accepted, "recording.available")
    assert [e["params"] for e in closed] == [stored]
    assert len(available) == 1
    assert available[0]["params"]["recordingID"] == recording["recordingID"]
    assert available[0]["params"]["sha256"] == recording["sha256"]
    # Each request is signed with the secret from secretEnv.
    for request in receiver.accepted:
        stamp, sig = (
            part.split("=", 1)[1] for part in request.headers["x-ctid-signature"].split(",")
        )
        expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + request.body, hashlib.sha256)
        assert sig == expected.hexdigest()
    (crm,) = status["webhooks"]
    assert (crm["name"], crm["backlog"], crm["delivered"], crm["dropped"]) == ("crm", 0, 2, 0)
    assert crm["lastError"] is None and crm["lastSuccess"] is not None


async def test_webhook_methods(tmp_path: Path) -> None:
    receiver = Receiver()
    with trio.fail_after(GUARD):
        async with trio.open_nursery() as nursery:
            await receiver.start(nursery)
            async with centre(tmp_path, receiver.url) as (cc, admin):
                base = {"url": receiver.url, "secretEnv": "CRM_SECRET", "events": ["Agent*"]}
                await admin.call("webhook.create", {"name": "a", **base})
                with pytest.raises(RpcErrorReply) as exists:
                    await admin.call("webhook.create", {"name": "a", **base})
                assert (exists.value.code, exists.value.data) == (
                    OPERATION_FAILED,
                    {"reason": "exists"},
                )
                bad = [
                    ({"name": "b", **base, "url": "http://example.com/hook"}, "params.url"),
                    ({"name": "b", **base, "url": "ftp://127.0.0.1/x"}, "params.url"),
                    ({"name": "b", **base, "events": []}, "params.events"),
                    ({"name": "b", **base, "events": ["Call Cleared"]}, "params.events[0]"),
                    ({"name": "b", **base, "batchMax": 0}, "params.batchMax"),
                    ({"name": "b/../c", **base}, "params.name"),
                    ({"name": "b", **base, "secretEnv": "not a var"}, "params.secretEnv"),
                ]
                for params, where in bad:
                    with pytest.raises(RpcErrorReply) as refused:
                        await admin.call("webhook.create", params)
                    assert refused.value.code == INVALID_PARAMS, params
                    assert refused.value.message.startswith(where), refused.value.message
                # allowInsecure lets plain http leave the machine.
                await admin.call(
                    "webhook.create",
                    {"name": "lan", **base, "url": "http://192.0.2.7/hook", "allowInsecure": True},
                )
                updated = await admin.call(
                    "webhook.update", {"name": "a", **base, "events": ["queue.*"], "batchMax": 5}
                )
                assert updated["webhook"]["events"] == ["queue.*"]
                assert updated["webhook"]["batchMax"] == 5
                with pytest.raises(RpcErrorReply) as configured:
                    await admin.call("webhook.update", {"name": "from-file", **base})
                assert configured.value.data == {"reason": "configured"}
                with pytest.raises(RpcErrorReply) as missing:
                    await admin.call("webhook.delete", {"name": "nope"})
                assert missing.value.data == {"reason": "no-such-webhook"}
                listed = await admin.call("webhook.list")
                assert [(w["name"], w["source"]) for w in listed["webhooks"]] == [
                    ("a", "api"),
                    ("from-file", "config"),
                    ("lan", "api"),
                ]
                tested = await admin.call("webhook.test", {"name": "a"})
                assert tested["delivered"] is True and tested["error"] is None
                await admin.call("webhook.delete", {"name": "lan"})
                names = [w["name"] for w in (await admin.call("webhook.status"))["webhooks"]]
                assert names == ["a", "from-file"]
                agent = await cc.client(token=AGENT_TOKEN)
                with pytest.raises(RpcErrorReply) as forbidden:
                    await agent.call("webhook.list")
                assert forbidden.value.code == FORBIDDEN
            nursery.cancel_scope.cancel()
    (test_event,) = events_of(receiver.requests, "webhook.test")
    assert test_event["params"] == {"webhook": "a"}
    assert test_event["id"] == tested["eventID"]


async def test_stored_webhooks_survive_a_restart(tmp_path: Path) -> None:
    receiver = Receiver()
    with trio.fail_after(GUARD):
        async with trio.open_nursery() as nursery:
            await receiver.start(nursery)
            spec = {"url": receiver.url, "secretEnv": "CRM_SECRET", "events": ["CallClearedEvent"]}
            async with centre(tmp_path) as (_, admin):
                await admin.call("webhook.create", {"name": "kept", **spec, "queues": ["vip"]})
            async with centre(tmp_path) as (_, admin):
                listed = (await admin.call("webhook.list"))["webhooks"]
            nursery.cancel_scope.cancel()
    assert [(w["name"], w["queues"], w["source"]) for w in listed] == [("kept", ["vip"], "api")]
