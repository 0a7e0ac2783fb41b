"""ApiContext.device_policies and monitor_topics: the hooks services use for roles and topics."""

from __future__ import annotations

from typing import Any

import pytest

from ctid.api.context import RequestContext
from ctid.api.session import Session
from ctid.calls.errors import CstaError, CstaErrorValue
from ctid.testing import RpcErrorReply, call_centre, sim_config

SUPERVISOR = "supervisor-token-0123456789"

CONFIG = sim_config(
    {"auth": {"tokens": [{"role": "supervisor", "name": "sue", "token": SUPERVISOR}]}}
)


def _not_1002(session: Session, device: str) -> None:
    if device == "1002":
        raise CstaError(CstaErrorValue.PRIVILEGE_VIOLATION_ON_SPECIFIED_DEVICE, "not yours")


def _queue_topic(ctx: RequestContext, value: str) -> str:
    if value != "sales":
        raise CstaError(CstaErrorValue.INVALID_DEVICE_IDENTIFIER, f"no queue {value}")
    return f"queue:{value}"


async def test_device_policy_applies_to_supervisors_not_admins(autojump_clock: Any) -> None:
    async with call_centre(CONFIG) as cc:
        cc.app.api.device_policies.append(_not_1002)
        sue = await cc.client(token=SUPERVISOR)
        admin = await cc.client()
        assert await sue.call("SnapshotDevice", {"snapshotObject": "1001"}) == {"snapshotData": []}
        with pytest.raises(RpcErrorReply) as err:
            await sue.call("SnapshotDevice", {"snapshotObject": "1002"})
        assert err.value.csta_error == "privilegeViolationOnSpecifiedDevice"
        assert await admin.call("SnapshotDevice", {"snapshotObject": "1002"}) == {
            "snapshotData": []
        }


async def test_monitor_topics_resolve_ctid_objects(autojump_clock: Any) -> None:
    async with call_centre(CONFIG) as cc:
        client = await cc.client()
        with pytest.raises(RpcErrorReply) as err:
            await client.call("MonitorStart", {"monitorObject": {"queueObject": "sales"}})
        assert err.value.csta_error == "invalidObjectType"
        cc.app.api.monitor_topics["queueObject"] = _queue_topic
        with pytest.raises(RpcErrorReply) as err:
            await client.call("MonitorStart", {"monitorObject": {"queueObject": "nope"}})
        assert err.value.csta_error == "invalidDeviceIdentifier"
        with pytest.raises(RpcErrorReply) as err:
            await client.call(
                "MonitorStart", {"monitorObject": {"queueObject": "sales", "deviceObject": "1001"}}
            )
        assert err.value.csta_error == "invalidObjectType"
        reply = await client.call("MonitorStart", {"monitorObject": {"queueObject": "sales"}})
        cc.app.publisher.publish("queue.test", {"n": 1}, topics=["queue:other"])
        cc.app.publisher.publish("queue.test", {"n": 2}, topics=["queue:sales"])
        event = await client.event("queue.test")
        assert event["n"] == 2
        assert event["monitorCrossRefID"] == reply["monitorCrossRefID"]
