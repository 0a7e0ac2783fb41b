"""The IVR in the daemon, on the simulator and trio's mock clock: calls, data, reload, API."""

from __future__ import annotations

import json
import math
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing
from ivr_helpers import tts

from ctid.calls.notices import CallEnded, Notice
from ctid.config import ConfigError
from ctid.facts import (
    FACT_IVR_ENTERED_AT,
    FACT_IVR_EXIT,
    FACT_IVR_FLOW,
    FACT_IVR_LEFT_AT,
    FACT_RECORDINGS,
    IvrFinished,
    IvrNodeVisited,
    RecordingStateChanged,
)
from ctid.testing import CallCentre, RpcErrorReply, call_centre, sim_config
from ctid.wiring.reload import reload_config

CALLER = "+8613800138000"
FRONT = "4008001234"


def main_flow(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "start": "greeting",
        "languages": ["en", "zh"],
        "user_data": ["menu", "LANGUAGE"],
        "nodes": {
            "greeting": {
                "type": "play",
                "prompt": tts("Welcome to Example Trading.", "欢迎致电示例贸易公司。"),
                "barge_in": True,
                "next": "menu",
            },
            "menu": {
                "type": "menu",
                "prompt": tts("Sales 1, support 2, Chinese 8.", "销售请按1。支持请按2。"),
                "choices": {"1": "sales", "2": "support", "8": "lang", "9": "menu"},
                "store": "menu",
                "on_failure": "bye",
            },
            "lang": {"type": "language", "cycle": ["en", "zh"], "next": "menu"},
            "sales": {"type": "queue", "queue": "sales"},
            "support": {"type": "queue", "queue": "support"},
            "bye": {"type": "hangup", "prompt": tts("Goodbye.", "再见。")},
        },
    }
    doc.update(changes)
    return doc


def config(
    tmp_path: Path,
    flows: dict[str, dict[str, Any]],
    *,
    ivr: dict[str, Any] | None = None,
    routing: dict[str, Any] | None = None,
) -> Any:
    folder = tmp_path / "flows"
    folder.mkdir(exist_ok=True)
    for name, doc in flows.items():
        (folder / f"{name}.json").write_text(json.dumps(doc), encoding="utf-8")
    ivr_table = {
        "flows_dir": str(folder),
        "tts": "silent",
        "timezone": "Asia/Shanghai",
        "queues": {"sales": "1001", "support": "1002"},
        "agents": {"a7": "1007"},
    } | (ivr or {})
    routing_table = routing or {
        "rules": [{"name": "front", "dnis": [FRONT], "destination": {"flow": "main"}}]
    }
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path / "state")},
            "ivr": ivr_table,
            "routing": routing_table,
        }
    )


class Notices(list[Notice]):
    """The notices of the call model and services, in order; ``wait_for`` one of a kind."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = trio.Event()

    def sink(self, notice: Notice) -> None:
        self.append(notice)
        self._changed.set()
        self._changed = trio.Event()

    async def wait_for(self, kind: type[Any]) -> Any:
        while True:
            found = [n for n in self if isinstance(n, kind)]
            if found:
                return found[0]
            await self._changed.wait()


@asynccontextmanager
async def ivr_centre(cfg: Any) -> AsyncIterator[tuple[CallCentre, Notices]]:
    async with call_centre(cfg) as cc:
        notices = Notices()
        cc.app.calls.notice_sinks.append(notices.sink)
        yield cc, notices


async def test_menu_choice_reaches_the_agent_in_delivered_event_and_survives_transfer(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    async with ivr_centre(config(tmp_path, {"main": main_flow()})) as (cc, notices):
        client = await cc.client()
        for device in ("1001", "1003"):
            await client.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
        entered = trio.current_time()
        cc.sim.incoming_call(CALLER, FRONT)
        await trio.sleep(3)  # in the greeting
        cc.sim.press_digits(CALLER, "1")
        delivered = await client.event("DeliveredEvent", alertingDevice="1001")
        assert delivered["userData"] == {"menu": "1", "LANGUAGE": "en"}
        assert delivered["callingDevice"] == CALLER
        assert delivered["calledDevice"] == "1001"
        call_id = delivered["connection"]["callID"]
        # The agent answers, consults 1003 and transfers: the data goes along.
        cc.sim.off_hook("1001")
        await client.event("EstablishedEvent", answeringDevice="1001")
        consult = await client.call(
            "ConsultationCall",
            {"existingCall": {"callID": call_id, "deviceID": "1001"}, "consultedDevice": "1003"},
        )
        consulted = await client.event("DeliveredEvent", alertingDevice="1003")
        assert consulted["userData"]["menu"] == "1"
        cc.sim.off_hook("1003")
        await client.event("EstablishedEvent", answeringDevice="1003")
        await client.call(
            "TransferCall",
            {
                "heldCall": {"callID": call_id, "deviceID": "1001"},
                "activeCall": consult["initiatedCall"],
            },
        )
        transferred = await client.event("TransferredEvent")
        assert transferred["userData"]["menu"] == "1"
        # 1003 brings 1004 in for a conference: the data is there too.
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1004"}})
        consult = await client.call(
            "ConsultationCall",
            {"existingCall": {"callID": call_id, "deviceID": "1003"}, "consultedDevice": "1004"},
        )
        assert (await client.event("DeliveredEvent", alertingDevice="1004"))["userData"][
            "menu"
        ] == "1"
        cc.sim.off_hook("1004")
        await client.event("EstablishedEvent", answeringDevice="1004")
        await client.call(
            "ConferenceCall",
            {
                "heldCall": {"callID": call_id, "deviceID": "1003"},
                "activeCall": consult["initiatedCall"],
            },
        )
        conferenced = await client.event("ConferencedEvent")
        assert conferenced["userData"]["menu"] == "1"
        await client.call("AssociateData", {"existingCall": call_id, "userData": {"ticket": "T-9"}})
        info = await client.event("CallInformationEvent", callID=call_id)
        assert info["userData"] == {"menu": "1", "LANGUAGE": "en", "ticket": "T-9"}
        snap = await client.call("SnapshotCall", {"snapshotObject": call_id})
        assert snap["userData"]["menu"] == "1"
        for device in ("1003", "1004"):
            cc.sim.on_hook(device)
        await cc.settle()
        ended = [n for n in notices if isinstance(n, CallEnded) and n.call_id == call_id]
        assert len(ended) == 1
        facts = ended[0].facts
        assert facts[FACT_IVR_FLOW] == "main"
        assert facts[FACT_IVR_EXIT] == "agent"
        assert facts[FACT_IVR_LEFT_AT] - facts[FACT_IVR_ENTERED_AT] == 3.0
        assert facts["inbound_route"] == "rule front"
        visits = [(n.node, n.choice) for n in notices if isinstance(n, IvrNodeVisited)]
        assert visits == [("greeting", None), ("menu", "1"), ("sales", None)]
        finished = [n for n in notices if isinstance(n, IvrFinished)]
        assert [(f.exit, f.entered_at, f.left_at) for f in finished] == [
            ("agent", entered, entered + 3.0)
        ]
        stats = await client.call("ivr.statistics", {"flow": "main"})
        (day,) = stats["statistics"]
        assert day["day"] == "2027-01-15"
        assert day["calls"] == 1
        assert day["exits"] == {"agent": 1}
        assert day["secondsInIvr"] == 3.0
        assert day["menuChoices"] == {"menu": {"1": 1}}
        assert day["nodeVisits"] == {"greeting": 1, "menu": 1, "sales": 1}


async def test_language_switch_and_menu_repeat_then_timeouts(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    async with ivr_centre(config(tmp_path, {"main": main_flow()})) as (cc, notices):
        client = await cc.client()
        cc.sim.incoming_call(CALLER, FRONT)
        await trio.sleep(1)
        cc.sim.press_digits(CALLER, "8")
        await cc.settle()
        (now,) = (await client.call("ivr.calls"))["calls"]
        assert (now["node"], now["nodeType"], now["language"]) == ("menu", "menu", "zh")
        call_id = now["callID"]
        snap = await client.call("SnapshotCall", {"snapshotObject": call_id})
        assert snap["userData"] == {"menu": "8", "LANGUAGE": "zh"}
        # Nobody presses anything: three tries of 5 s after each prompt, then goodbye.
        with trio.fail_after(120):
            await notices.wait_for(CallEnded)
        finished = [n for n in notices if isinstance(n, IvrFinished)]
        assert [f.exit for f in finished] == ["selfService"]
        menus = [n.choice for n in notices if isinstance(n, IvrNodeVisited) and n.node == "menu"]
        assert menus == ["8", None]


async def test_caller_hangs_up_mid_menu(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    async with ivr_centre(config(tmp_path, {"main": main_flow()})) as (cc, notices):
        client = await cc.client()
        cc.sim.incoming_call(CALLER, FRONT)
        await trio.sleep(4.5)
        cc.sim.on_hook(CALLER)
        await cc.settle()
        (ended,) = [n for n in notices if isinstance(n, CallEnded)]
        assert ended.facts[FACT_IVR_EXIT] == "hangup"
        assert ended.facts[FACT_IVR_LEFT_AT] - ended.facts[FACT_IVR_ENTERED_AT] == 4.5
        (finished,) = [n for n in notices if isinstance(n, IvrFinished)]
        assert finished.exit == "hangup"
        assert (await client.call("ivr.calls"))["calls"] == []
        stats = (await client.call("ivr.statistics"))["statistics"]
        assert stats[0]["exits"] == {"hangup": 1}


async def test_hot_reload_keeps_calls_on_their_version(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    cfg = config(tmp_path, {"main": main_flow()})
    async with ivr_centre(cfg) as (cc, _):
        client = await cc.client()
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})
        cc.sim.incoming_call("+8613800000001", FRONT)
        await trio.sleep(1)
        (old,) = (await client.call("ivr.calls"))["calls"]
        # Version 2: key 1 now means support.
        changed = main_flow()
        changed["nodes"]["menu"]["choices"].update({"1": "support", "3": "sales"})
        (tmp_path / "flows" / "main.json").write_text(json.dumps(changed))
        # The reload reads files in a worker thread. While it runs, time must
        # not jump, or the waiting caller's menu would time out meanwhile.
        autojump_clock.autojump_threshold = math.inf
        result = await client.call("ivr.reload")
        autojump_clock.autojump_threshold = 0
        assert result["changed"] == ["main"]
        cc.sim.incoming_call("+8613800000002", FRONT)
        await trio.sleep(1)
        calls = {c["callID"]: c for c in (await client.call("ivr.calls"))["calls"]}
        assert calls[old["callID"]]["version"] == old["version"]
        (new,) = [c for c in calls.values() if c["callID"] != old["callID"]]
        assert new["version"] == result["flows"]["main"] != old["version"]
        cc.sim.press_digits("+8613800000001", "1")
        first = await client.event("DeliveredEvent")
        cc.sim.press_digits("+8613800000002", "1")
        second = await client.event("DeliveredEvent")
        assert (first["alertingDevice"], second["alertingDevice"]) == ("1001", "1002")
        listed = (await client.call("ivr.listFlows"))["flows"]
        assert [(f["name"], f["version"]) for f in listed] == [("main", new["version"])]


async def test_a_bad_reload_changes_nothing(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    async with ivr_centre(config(tmp_path, {"main": main_flow()})) as (cc, _):
        client = await cc.client()
        before = (await client.call("ivr.listFlows"))["flows"]
        broken = main_flow()
        broken["nodes"]["menu"]["choices"]["2"] = "nowhere"
        (tmp_path / "flows" / "main.json").write_text(json.dumps(broken))
        with pytest.raises(RpcErrorReply) as info:
            await client.call("ivr.reload")
        assert info.value.data is not None
        assert info.value.data["key"] == "node menu"
        assert info.value.data["problem"] == "choices.2: no node 'nowhere'"
        assert info.value.data["file"].endswith("main.json")
        assert (await client.call("ivr.listFlows"))["flows"] == before
        # Validation without loading: by name (the file on disk) and as a body.
        checked = await client.call("ivr.validateFlow", {"name": "main"})
        assert checked["valid"] is False
        assert checked["problems"][0]["node"] == "menu"
        body = json.dumps(main_flow())
        good = await client.call("ivr.validateFlow", {"body": body, "format": "json"})
        assert good["valid"] is True
        bad = await client.call("ivr.validateFlow", {"body": "start: x\nnodes: {}\n"})
        assert bad["valid"] is False
        assert bad["problems"][0]["file"] == "<body>"


async def test_blacklisted_caller_is_refused_before_anything_else(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    routing = {
        "blacklist": ["+1555000066?"],
        "rules": [{"name": "front", "dnis": [FRONT], "destination": {"flow": "main"}}],
    }
    async with ivr_centre(config(tmp_path, {"main": main_flow()}, routing=routing)) as (
        cc,
        notices,
    ):
        cc.sim.incoming_call("+15550000666", FRONT)
        await cc.settle()
        (ended,) = [n for n in notices if isinstance(n, CallEnded)]
        assert ended.answered_at is None
        assert (
            ended.facts["inbound_route"]
            == "blacklist "
            + "+1555000066?".replace("?", "")[:0]
            + ended.facts["inbound_route"].split(" ", 1)[1]
        )
        assert ended.facts["inbound_route"].startswith("blacklist")
        assert not [n for n in notices if isinstance(n, IvrFinished)]
        assert cc.sim.line_state("T/1").value == "idle"


async def test_routing_by_time_window_holiday_and_override(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    routing = {
        "holidays": ["2027-01-18"],
        "rules": [
            {
                "name": "holiday",
                "dnis": ["400*"],
                "holidays": "only",
                "destination": {"device": "1003"},
            },
            {
                "name": "open",
                "dnis": ["400*"],
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "hours": ["09:00-18:00"],
                "destination": {"device": "1001"},
            },
            {
                "name": "night",
                "dnis": ["400*"],
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "hours": ["18:00-09:00"],
                "destination": {"queue": "support"},
            },
            {
                "name": "weekend",
                "dnis": ["400*"],
                "destination": {"message": "We are closed at the weekend."},
            },
        ],
        "overrides": [
            {"name": "closed", "destination": {"voicemail": "queue:sales"}},
        ],
    }
    cfg = config(tmp_path, {"main": main_flow()}, routing=routing)
    hours = 3600.0

    async def where(client: Any) -> tuple[Any, str]:
        found = await client.call("routing.test", {"calledNumber": FRONT, "callingNumber": "1"})
        return found["destination"], found["reason"]

    async with ivr_centre(cfg) as (cc, _):
        client = await cc.client()
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        # The test clock starts on Friday 2027-01-15 at 16:00 in Asia/Shanghai.
        assert await where(client) == ({"device": "1001"}, "rule open")
        cc.sim.incoming_call(CALLER, FRONT)
        assert (await client.event("DeliveredEvent"))["alertingDevice"] == "1001"
        cc.sim.on_hook(CALLER)
        await trio.sleep(2 * hours - 1)  # Friday 17:59:59
        assert await where(client) == ({"device": "1001"}, "rule open")
        await trio.sleep(1)  # 18:00:00
        assert await where(client) == ({"queue": "support"}, "rule night")
        await trio.sleep(14 * hours)  # Saturday 08:00, still Friday night's window
        assert await where(client) == ({"queue": "support"}, "rule night")
        await trio.sleep(1 * hours)  # Saturday 09:00
        assert await where(client) == ({"message": "We are closed at the weekend."}, "rule weekend")
        cc.sim.incoming_call(CALLER, FRONT)
        await cc.settle()
        (now,) = (await client.call("ivr.calls"))["calls"]
        assert now["flow"] == "routing.rule.weekend"
        await trio.sleep(2 * 24 * hours)  # Monday 2027-01-18 09:00: a holiday
        assert await where(client) == ({"device": "1003"}, "rule holiday")
        await trio.sleep(24 * hours)  # Tuesday 09:00
        assert await where(client) == ({"device": "1001"}, "rule open")
        # The admin closes the centre: every call goes to the sales voicemail.
        switched = await client.call("routing.setOverride", {"name": "closed", "active": True})
        assert switched["overrides"][0]["active"] is True
        assert await where(client) == ({"voicemail": "queue:sales"}, "override closed")
        saved = json.loads((tmp_path / "state" / "routing-overrides.json").read_text())
        assert saved == {"active": ["closed"]}
        await client.call("routing.setOverride", {"name": "closed", "active": False})
        assert await where(client) == ({"device": "1001"}, "rule open")
        with pytest.raises(RpcErrorReply):
            await client.call("routing.setOverride", {"name": "nope", "active": True})


@pytest.mark.slow
async def test_an_override_stays_on_across_a_restart(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    routing = {
        "rules": [{"name": "front", "dnis": [FRONT], "destination": {"flow": "main"}}],
        "overrides": [{"name": "closed", "destination": {"message": "Closed."}}],
    }
    cfg = config(tmp_path, {"main": main_flow()}, routing=routing)
    async with ivr_centre(cfg) as (cc, _):
        client = await cc.client()
        await client.call("routing.setOverride", {"name": "closed", "active": True})
    async with ivr_centre(cfg) as (cc, _):
        client = await cc.client()
        overrides = (await client.call("routing.overrides"))["overrides"]
        assert overrides == [
            {
                "name": "closed",
                "active": True,
                "destination": {"message": "Closed."},
                "description": "",
            }
        ]


async def test_voicemail_records_into_the_state_dir(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    flow = {
        "start": "vm",
        "user_data": ["message"],
        "nodes": {
            "vm": {
                "type": "voicemail",
                "mailbox": {"queue": "sales"},
                "max_seconds": 60,
                "prompt": tts("Leave a message after the tone."),
                "variable": "message",
                "next": "thanks",
            },
            "thanks": {"type": "hangup", "prompt": tts("Thank you.")},
        },
    }
    routing = {"rules": [{"name": "vm", "destination": {"flow": "vm"}}]}
    async with ivr_centre(config(tmp_path, {"vm": flow}, routing=routing)) as (cc, notices):
        cc.sim.incoming_call(CALLER, FRONT)
        await trio.sleep(10)
        cc.sim.press_digits(CALLER, "#")
        await cc.settle()
        (rec,) = [n for n in notices if isinstance(n, RecordingStateChanged)]
        assert rec.state == "stopped"
        assert rec.path is not None
        assert Path(rec.path).parent == tmp_path / "state" / "voicemail" / "queue-sales"
        assert rec.path.endswith(".wav")
        with trio.fail_after(30):
            await notices.wait_for(CallEnded)
        (ended,) = [n for n in notices if isinstance(n, CallEnded)]
        assert ended.facts[FACT_RECORDINGS] == [rec.recording_id]
        assert ended.facts[FACT_IVR_EXIT] == "selfService"
        assert ended.user_data["message"] == rec.path


async def test_without_tts_the_flow_takes_its_error_exit(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    flow = main_flow(on_error="operator")
    flow["nodes"]["operator"] = {"type": "agent", "agent": "a7"}
    cfg = config(tmp_path, {"main": flow}, ivr={"tts": "none"})
    async with ivr_centre(cfg) as (cc, notices):
        client = await cc.client()
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1007"}})
        cc.sim.incoming_call(CALLER, FRONT)
        delivered = await client.event("DeliveredEvent", alertingDevice="1007")
        assert delivered["callingDevice"] == CALLER
        (finished,) = [n for n in notices if isinstance(n, IvrFinished)]
        assert finished.exit == "error"
        assert finished.detail == "prompt failed: no TTS engine configured"


async def test_espeak_prompt_plays_for_its_real_duration(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    flow = {
        "start": "hello",
        "languages": ["en", "zh"],
        "nodes": {
            "hello": {"type": "play", "prompt": tts("Hello and welcome."), "next": "amount"},
            "amount": {"type": "say", "value": "${ANI}", "as": "digits", "next": "bye"},
            "bye": {"type": "hangup"},
        },
    }
    routing = {"rules": [{"name": "all", "destination": {"flow": "hello"}}]}
    cfg = config(tmp_path, {"hello": flow}, ivr={"tts": "espeak-ng"}, routing=routing)
    async with ivr_centre(cfg) as (cc, notices):
        folder = tmp_path / "state" / "prompts"
        # Made at start-up: the fixed prompt, in both languages of the flow.
        assert len(list(folder.glob("en/*.wav"))) == len(list(folder.glob("zh/*.wav"))) == 1
        cc.sim.incoming_call("12", FRONT)
        # No deadline around this wait: "one two" is made in a worker thread
        # during the call, and the mock clock would jump to the deadline meanwhile.
        ended = await notices.wait_for(CallEnded)
        made = sorted(folder.glob("en/*.wav"))
        assert len(made) == 2  # and "one two", made during the call
        seconds = sum(_wav_seconds(p) for p in made)
        # Both prompts played for their real length (the simulator reads the WAV
        # headers); the caller then hung up by the flow.
        assert ended.ended_at - ended.created_at == pytest.approx(seconds, abs=0.2)


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


async def test_sighup_reloads_the_flows_or_changes_nothing(
    tmp_path: Path, autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    # SIGHUP runs reload_config: the IVR is one section of it (ctid.reloading).
    async with ivr_centre(config(tmp_path, {"main": main_flow()})) as (cc, _):
        version = cc.app.ivr.flows["main"].version
        broken = main_flow()
        broken["nodes"]["menu"]["prompt"] = tts("Hello ${nobody}")
        (tmp_path / "flows" / "main.json").write_text(json.dumps(broken))
        autojump_clock.autojump_threshold = math.inf
        assert await reload_config(cc.app) is None
        assert "reload refused, nothing changed (1 problem(s))" in caplog.text
        assert "node menu: prompt: undefined variable ${nobody}" in caplog.text
        assert cc.app.ivr.flows["main"].version == version
        (tmp_path / "flows" / "main.json").write_text(json.dumps(main_flow(description="v2")))
        report = await reload_config(cc.app)
        assert report is not None
        assert report.applied["ivr"]["changed"] == ["main"]
        assert cc.app.ivr.flows["main"].version != version


async def test_who_may_use_the_ivr_api(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    tokens = [
        {"role": "supervisor", "name": "sup", "token": "supervisor-token-0123456789"},
        {"role": "agent", "name": "ann", "token": "agent-token-0123456789ab", "devices": ["1001"]},
    ]
    cfg = config(tmp_path, {"main": main_flow()})
    cfg = sim_config(
        {
            "server": {"state_dir": str(tmp_path / "state")},
            "ivr": dict(cfg.sections["ivr"]),
            "routing": dict(cfg.sections["routing"]),
            "auth": {"tokens": tokens},
        }
    )
    async with ivr_centre(cfg) as (cc, _):
        supervisor = await cc.client(token="supervisor-token-0123456789")
        agent = await cc.client(token="agent-token-0123456789ab")
        cc.sim.incoming_call(CALLER, FRONT)
        await cc.settle()
        assert cc.app.ivr.calls_in_flows() == {"main": 1}
        assert len((await supervisor.call("ivr.calls"))["calls"]) == 1
        assert (await supervisor.call("ivr.listFlows"))["flows"][0]["callsNow"] == 1
        for method in ("ivr.reload", "routing.setOverride"):
            with pytest.raises(RpcErrorReply) as denied:
                await supervisor.call(
                    method, {"name": "x", "active": True} if "Override" in method else None
                )
            assert denied.value.code == -32005
        with pytest.raises(RpcErrorReply) as denied:
            await agent.call("ivr.calls")
        assert denied.value.code == -32005


async def test_an_extension_dials_an_ivr_number(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    cfg = config(tmp_path, {"main": main_flow()}, ivr={"numbers": {"7000": "main"}})
    async with ivr_centre(cfg) as (cc, _):
        client = await cc.client()
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1005"}})
        cc.sim.off_hook("1005")
        cc.sim.press_digits("1005", "7000#")
        established = await client.event("EstablishedEvent")
        assert established["answeringDevice"] == "7000"
        await cc.settle()
        (now,) = (await client.call("ivr.calls"))["calls"]
        assert now["flow"] == "main"
        cc.sim.press_digits("1005", "2")
        delivered = await client.event("DeliveredEvent", alertingDevice="1002")
        assert delivered["userData"]["menu"] == "2"


async def test_an_ivr_number_cannot_be_an_extension(tmp_path: Path) -> None:
    cfg = config(tmp_path, {"main": main_flow()}, ivr={"numbers": {"1003": "main"}})
    with pytest.raises(ExceptionGroup) as info:
        async with call_centre(cfg):
            pass
    assert info.group_contains(
        ConfigError, match=r"ivr.numbers.1003: 1003 is already an extension", depth=None
    )
