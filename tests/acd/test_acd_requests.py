"""Bad requests get an error that names the problem, and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.lowlevel
from acdkit import AGENT_TOKEN, acd_centre, agent, centre, log_on, queue, snapshot

from ctid.testing import RpcErrorReply, RpcTestClient, call_centre, sim_config


def config() -> Any:
    return centre(
        {
            "reason_codes": ["break", "lunch"],
            "queues": [queue("sales"), queue("support")],
            "agents": [
                agent("2001", "sales", pin="4711"),
                agent("2002", "sales", devices=["1002"]),
            ],
        }
    )


async def _error(client: RpcTestClient, params: dict[str, Any]) -> tuple[str | None, str]:
    with pytest.raises(RpcErrorReply) as err:
        await client.call("SetAgentState", params)
    return err.value.csta_error, err.value.message


@pytest.mark.parametrize(
    ("params", "csta", "words"),
    [
        (
            {"device": "1001", "requestedAgentState": "loggedOn", "agentID": "9999"},
            "invalidAgentIdentifier",
            "no agent '9999'",
        ),
        (
            {"device": "5555", "requestedAgentState": "loggedOn", "agentID": "2002"},
            "invalidDeviceIdentifier",
            "not an extension",
        ),
        (
            {"device": "1003", "requestedAgentState": "loggedOn", "agentID": "2002"},
            "invalidDeviceIdentifier",
            "only at 1002",
        ),
        (
            {"device": "1003", "requestedAgentState": "ready", "agentID": "2002"},
            "invalidAgentState",
            "logged off",
        ),
        (
            {"device": "1003", "requestedAgentState": "loggedOn", "agentID": "2002", "group": "x"},
            "invalidAgentGroup",
            "not a member",
        ),
    ],
)
async def test_bad_set_agent_state(
    autojump_clock: Any, params: dict[str, Any], csta: str, words: str
) -> None:
    async with acd_centre(config()) as cc:
        admin = await cc.client()
        code, message = await _error(admin, params)
        assert code == csta
        assert words in message
        for agent_id in ("2001", "2002"):
            assert (await snapshot(admin, agent_id))["agentState"] == "loggedOff"


async def test_bad_requests_of_a_logged_on_agent(autojump_clock: Any) -> None:
    async with acd_centre(config()) as cc:
        admin = await cc.client()
        alice = await cc.client(token=AGENT_TOKEN)
        code, message = await _error(
            alice, {"device": "1001", "requestedAgentState": "loggedOn", "agentPassword": "0000"}
        )
        assert (code, "wrong PIN" in message) == ("invalidAgentPassword", True)
        await alice.call(
            "SetAgentState",
            {"device": "1001", "requestedAgentState": "loggedOn", "agentPassword": "4711"},
        )
        before = await snapshot(admin, "2001")
        cases = [
            ({"requestedAgentState": "notReady", "reasonCode": "nap"}, "invalidParameterValue"),
            ({"requestedAgentState": "ready", "reasonCode": "lunch"}, "invalidParameterValue"),
            ({"requestedAgentState": "loggedOn"}, "invalidAgentState"),
            ({"requestedAgentState": "loggedOff", "group": "support"}, "invalidAgentGroup"),
        ]
        for extra, csta in cases:
            code, _ = await _error(alice, {"device": "1001", **extra})
            assert code == csta, extra
        code, message = await _error(
            admin, {"device": "1003", "requestedAgentState": "ready", "agentID": "2001"}
        )
        assert code == "invalidDeviceIdentifier"
        assert "logged on at 1001, not 1003" in message
        code, _ = await _error(
            admin, {"device": "1001", "requestedAgentState": "loggedOn", "agentID": "2002"}
        )
        assert code == "invalidDeviceIdentifier"  # 2002 may use 1002 only
        with pytest.raises(RpcErrorReply) as err:
            await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "asleep"})
        assert err.value.code == -32602
        assert "requestedAgentState" in err.value.message
        assert await snapshot(admin, "2001") == before
        for method, params in (
            ("agent.snapshot", {"agentID": "nobody"}),
            ("queue.snapshot", {"queue": "nowhere"}),
            ("GetAgentState", {"device": "nowhere"}),
        ):
            with pytest.raises(RpcErrorReply) as err:
                await admin.call(method, params)
            assert err.value.csta_error in ("invalidAgentIdentifier", "invalidDeviceIdentifier")


async def test_an_agent_id_is_needed_when_none_can_be_inferred(autojump_clock: Any) -> None:
    async with acd_centre(config()) as cc:
        admin = await cc.client()
        code, message = await _error(admin, {"device": "1003", "requestedAgentState": "ready"})
        assert code == "invalidAgentIdentifier"
        assert "agentID: required (no agent is logged on at 1003)" in message


async def test_a_device_takes_one_agent(autojump_clock: Any) -> None:
    async with acd_centre(config()) as cc:
        admin = await cc.client()
        await log_on(admin, "2002", "1002")
        code, message = await _error(
            admin, {"device": "1002", "requestedAgentState": "loggedOn", "agentID": "2001"}
        )
        assert code == "invalidObjectState"
        assert "2002 is logged on at 1002" in message


async def test_an_agent_reads_the_reason_codes_it_may_give(autojump_clock: Any) -> None:
    async with acd_centre(config()) as cc:
        alice = await cc.client(token=AGENT_TOKEN)
        codes = (await alice.call("agent.reasonCodes"))["reasonCodes"]
        assert codes == ["break", "lunch"]
        await alice.call(
            "SetAgentState",
            {"device": "1001", "requestedAgentState": "loggedOn", "agentPassword": "4711"},
        )
        for code in codes:
            await alice.call(
                "SetAgentState",
                {"device": "1001", "requestedAgentState": "notReady", "reasonCode": code},
            )
            assert (await snapshot(alice, "2001"))["reasonCode"] == code


async def test_without_an_acd_its_methods_say_so(autojump_clock: Any) -> None:
    async with call_centre(sim_config()) as cc:
        admin = await cc.client()
        with pytest.raises(RpcErrorReply) as err:
            await admin.call("queue.list")
        assert err.value.csta_error == "invalidFeature"
        with pytest.raises(RpcErrorReply) as err:
            await admin.call("MonitorStart", {"monitorObject": {"queueObject": "sales"}})
        assert err.value.csta_error == "invalidObjectType"


async def test_discover_lists_the_acd(autojump_clock: Any) -> None:
    async with acd_centre(config()) as cc:
        admin = await cc.client()
        found = await admin.call("rpc.discover")
        names = {m["name"] for m in found["methods"]}
        assert {
            "SetAgentState",
            "GetAgentState",
            "SingleStepConferenceCall",
            "supervisor.whisper",
            "agent.list",
            "agent.snapshot",
            "agent.reasonCodes",
            "queue.list",
            "queue.snapshot",
        } <= names
        assert {"AgentReadyEvent", "agent.reserved", "queue.figures", "queue.allBusy"} <= {
            e["name"] for e in found["x-events"]
        }
        await trio.lowlevel.checkpoint()
