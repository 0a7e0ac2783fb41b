"""The flow engine by hand: every node type, its error paths, hang-up handling, guards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ivr_helpers import Driver, tts

from ctid.ivr import engine as E
from ctid.ivr.load import FlowError
from ctid.ivr.say import vocabulary


def menu_flow(**menu: Any) -> dict[str, Any]:
    node = {
        "type": "menu",
        "prompt": tts("Press 1 for sales"),
        "choices": {"1": "sales", "9": "menu"},
        "store": "choice",
        "no_input_prompt": tts("I did not hear you"),
        "invalid_prompt": tts("Not a choice"),
        "on_failure": "bye",
    } | menu
    return {
        "start": "menu",
        "user_data": ["choice"],
        "nodes": {
            "menu": node,
            "sales": {"type": "queue", "queue": "sales", "priority": 3, "data": {"from": "${ANI}"}},
            "bye": {"type": "hangup", "prompt": tts("Goodbye")},
        },
    }


def test_play_then_next_node() -> None:
    d = Driver(
        {
            "start": "hello",
            "nodes": {
                "hello": {
                    "type": "play",
                    "prompt": [tts("Hello ${ANI}"), {"silence": 0.5}, {"sound": "beep"}],
                    "next": "bye",
                },
                "bye": {"type": "hangup"},
            },
        }
    )
    d.start()
    play = d.last(E.PlayPrompt)
    assert play.items == (
        E.SpeakText(text="Hello +8613800138000", language="en"),
        E.PlaySilence(seconds=0.5),
        E.PlaySound(name="beep"),
    )
    assert play.barge_in is False
    d.press("5")  # not barge-in: ignored, the prompt goes on
    assert d.finished is None
    d.finish_play()
    assert E.HangUp() in d.actions
    assert d.finished == E.Finished(exit=E.EXIT_SELF_SERVICE)
    assert [v.node for v in d.all(E.Visited)] == ["hello", "bye"]


def test_menu_choice_is_stored_and_travels_in_user_data() -> None:
    d = Driver(menu_flow())
    d.start()
    assert d.last(E.PlayPrompt).barge_in is True
    d.finish_play()
    assert d.last(E.StartTimer).seconds == 5.0
    d.press("1")
    assert d.user_data == {"choice": "1"}
    assert d.last(E.EnterQueue) == E.EnterQueue(
        token=d.last(E.EnterQueue).token,
        queue="sales",
        priority=3,
        data={"from": "+8613800138000"},
    )
    assert E.Visited(node="menu", kind="menu", choice="1") in d.actions
    d.feed(E.RouteResult(token=d.last(E.EnterQueue).token, ok=True))
    assert d.finished == E.Finished(exit=E.EXIT_AGENT)


def test_menu_barge_in_key_is_used_without_waiting() -> None:
    d = Driver(menu_flow())
    d.start()
    d.press("1")  # during the prompt: the switch stops it
    assert not d.all(E.EnterQueue)
    d.finish_play("stopped")
    assert d.all(E.EnterQueue)
    assert not d.all(E.StartTimer)


def test_menu_no_input_then_invalid_then_failure() -> None:
    d = Driver(menu_flow(retries=2))
    d.start()
    d.finish_play()
    d.time_out()
    assert d.spoken() == "I did not hear you | Press 1 for sales"
    d.finish_play()
    d.press("7")
    assert d.spoken() == "Not a choice | Press 1 for sales"
    d.finish_play()
    d.time_out()
    assert d.spoken() == "Goodbye"
    assert E.Visited(node="menu", kind="menu", choice=None) in d.actions
    d.finish_play()
    assert d.finished == E.Finished(exit=E.EXIT_SELF_SERVICE)


def test_menu_without_on_failure_takes_the_error_exit() -> None:
    doc = menu_flow(retries=0)
    del doc["nodes"]["menu"]["on_failure"]
    doc["nodes"].pop("bye")
    d = Driver(doc)
    d.start()
    d.finish_play()
    d.time_out()
    assert E.HangUp() in d.actions
    finished = d.finished
    assert finished is not None
    assert finished.exit == E.EXIT_ERROR
    assert "no valid choice" in finished.detail


def test_stale_timer_is_ignored() -> None:
    d = Driver(menu_flow())
    d.start()
    d.finish_play()
    old = d.last(E.StartTimer).token
    d.press("9")  # repeat: a new prompt, then a new timer
    d.feed(E.TimerFired(token=old))
    assert d.spoken() == "Press 1 for sales"
    assert len(d.all(E.PlayPrompt)) == 2


def collect_flow(**collect: Any) -> dict[str, Any]:
    node = {
        "type": "collect",
        "variable": "account",
        "prompt": tts("Enter your account number"),
        "min_length": 4,
        "max_length": 6,
        "first_digit_timeout": 8,
        "inter_digit_timeout": 3,
        "invalid_prompt": tts("That is not valid"),
        "retries": 1,
        "next": "thanks",
        "on_failure": "bye",
    } | collect
    return {
        "start": "ask",
        "user_data": ["account"],
        "nodes": {
            "ask": node,
            "thanks": {"type": "play", "prompt": tts("Account ${account}"), "next": "bye"},
            "bye": {"type": "hangup"},
        },
    }


def test_collect_ends_on_terminator() -> None:
    d = Driver(collect_flow())
    d.start()
    d.finish_play()
    assert d.last(E.StartTimer).seconds == 8
    d.press("1234")
    assert d.last(E.StartTimer).seconds == 3
    d.press("#")
    assert d.user_data["account"] == "1234"
    assert d.spoken() == "Account 1234"


def test_collect_ends_at_max_length_and_on_inter_digit_timeout() -> None:
    d = Driver(collect_flow())
    d.start()
    d.finish_play()
    d.press("123456")
    assert d.run.variables["account"] == "123456"
    d2 = Driver(collect_flow())
    d2.start()
    d2.finish_play()
    d2.press("98765")
    d2.time_out()
    assert d2.run.variables["account"] == "98765"


def test_collect_invalid_input_retries_then_fails() -> None:
    d = Driver(collect_flow(pattern="[1-5]+"))
    d.start()
    d.finish_play()
    d.press("1239#")  # a 9 does not match
    assert d.spoken() == "That is not valid | Enter your account number"
    d.finish_play()
    d.press("12#")  # too short
    assert "account" not in d.run.variables
    assert d.finished == E.Finished(exit=E.EXIT_SELF_SERVICE)  # on_failure: bye


def test_collect_type_ahead_skips_the_prompt() -> None:
    doc = {
        "start": "intro",
        "nodes": {
            "intro": {"type": "play", "prompt": tts("Welcome"), "barge_in": True, "next": "ask"},
            "ask": collect_flow()["nodes"]["ask"],
            "thanks": {"type": "hangup"},
            "bye": {"type": "hangup"},
        },
    }
    d = Driver(doc)
    d.start()
    d.press("4321")
    d.finish_play("stopped")
    assert len(d.all(E.PlayPrompt)) == 1  # the collect prompt was skipped
    d.press("#")
    assert d.run.variables["account"] == "4321"


@pytest.mark.parametrize(
    ("language", "kind", "value", "spoken"),
    [
        ("en", "money", "12.30", "twelve dollars and thirty cents"),
        ("zh", "money", "12.30", "十二元三角"),
        ("en", "number", "${amount}", "two thousand twenty"),
        ("zh", "number", "${amount}", "两千零二十"),
        ("zh", "date", "${DATE}", "二零二七年一月十五日"),
        ("en", "time", "${TIME}", "nine thirty a m"),
        ("zh", "digits", "${ANI}", "加八六一三八零零一三八零零零"),
    ],
)
def test_say_in_the_callers_language(language: str, kind: str, value: str, spoken: str) -> None:
    d = Driver(
        {
            "start": "lang",
            "languages": ["en", "zh"],
            "variables": {"amount": 2020},
            "nodes": {
                "lang": {"type": "language", "set": language, "next": "say"},
                "say": {"type": "say", "value": value, "as": kind, "next": "bye"},
                "bye": {"type": "hangup"},
            },
        }
    )
    d.start()
    assert d.spoken() == spoken
    assert d.last(E.PlayPrompt).language == language


def test_say_a_value_that_is_no_number_takes_the_error_exit() -> None:
    d = Driver(
        {
            "start": "say",
            "variables": {"amount": "lots"},
            "on_error": "sorry",
            "nodes": {
                "say": {"type": "say", "value": "${amount}", "as": "money", "next": "bye"},
                "sorry": {"type": "play", "prompt": tts("Sorry"), "next": "bye"},
                "bye": {"type": "hangup"},
            },
        }
    )
    d.start()
    assert d.spoken() == "Sorry"
    d.finish_play()
    finished = d.finished
    assert finished is not None
    assert finished.exit == E.EXIT_ERROR
    assert "'lots' is not a number" in finished.detail


def test_language_cycle_switches_prompts_and_user_data() -> None:
    d = Driver(
        {
            "start": "hello",
            "languages": ["en", "zh"],
            "user_data": ["LANGUAGE"],
            "nodes": {
                "hello": {"type": "play", "prompt": tts("Hello", "你好"), "next": "toggle"},
                "toggle": {"type": "language", "cycle": ["en", "zh"], "next": "again"},
                "again": {"type": "play", "prompt": tts("Hello", "你好"), "next": "bye"},
                "bye": {"type": "hangup", "prompt": tts("Bye", "再见")},
            },
        }
    )
    d.start()
    assert d.user_data == {"LANGUAGE": "en"}
    assert d.spoken() == "Hello"
    d.finish_play()
    assert d.user_data == {"LANGUAGE": "zh"}
    assert d.spoken() == "你好"
    assert d.run.variable("LANGUAGE") == "zh"
    d.finish_play()
    assert d.spoken() == "再见"


def lookup_flow() -> dict[str, Any]:
    return {
        "start": "ask",
        "variables": {"name": "", "tier": ""},
        "user_data": ["name", "tier"],
        "nodes": {
            "ask": {
                "type": "lookup",
                "http": {
                    "url": "http://crm.example/customers?phone=${ANI}",
                    "method": "POST",
                    "headers": {"X-Call": "${CALLID}"},
                    "body": {"dnis": "${DNIS}"},
                },
                "timeout": 2,
                "map": {"name": "customer.name", "tier": "customer.tiers.0"},
                "next": "hello",
                "on_error": "anon",
            },
            "hello": {"type": "play", "prompt": tts("Hello ${name}"), "next": "bye"},
            "anon": {"type": "play", "prompt": tts("Hello"), "next": "bye"},
            "bye": {"type": "hangup"},
        },
    }


def test_lookup_fills_the_request_and_maps_the_answer() -> None:
    d = Driver(lookup_flow())
    d.start()
    ask = d.last(E.DoLookup)
    assert ask.timeout == 2
    assert ask.request == E.HttpCall(
        url="http://crm.example/customers?phone=%2B8613800138000",
        method="POST",
        headers={"X-Call": "c1"},
        body={"dnis": "4008001234"},
    )
    d.feed(
        E.LookupFinished(token=ask.token, answer={"customer": {"name": "Ann", "tiers": ["gold"]}})
    )
    assert d.user_data == {"name": "Ann", "tier": "gold"}
    assert d.spoken() == "Hello Ann"


@pytest.mark.parametrize(
    ("answer", "error"),
    [(None, "no answer within 2 s"), ({"customer": {"name": "Ann"}}, None), ([1, 2], None)],
)
def test_lookup_failure_or_missing_value_takes_on_error(answer: Any, error: str | None) -> None:
    d = Driver(lookup_flow())
    d.start()
    d.feed(E.LookupFinished(token=d.last(E.DoLookup).token, answer=answer, error=error))
    assert d.spoken() == "Hello"
    assert d.user_data == {"name": "", "tier": ""}


@pytest.mark.parametrize(
    ("value", "op", "to", "branch"),
    [
        ("5", "=", "5.0", "yes"),
        ("abc", "!=", "abd", "yes"),
        ("10", ">", "9", "yes"),  # numbers, not text
        ("10", "<", "9", "no"),
        ("gold", "in", ["gold", "silver"], "yes"),
        ("bronze", "in", ["gold", "silver"], "no"),
        ("4008001234", "regex", "400\\d+", "yes"),
        ("093005", "time_between", ["09:00", "17:00"], "yes"),
        ("173000", "time_between", ["09:00", "17:00"], "no"),
        ("230000", "time_between", ["22:00", "06:00"], "yes"),
        ("053000", "time_between", ["22:00", "06:00"], "yes"),
    ],
)
def test_compare_branches(value: str, op: str, to: Any, branch: str) -> None:
    d = Driver(
        {
            "start": "test",
            "variables": {"v": value},
            "nodes": {
                "test": {
                    "type": "compare",
                    "value": "${v}",
                    "op": op,
                    "to": to,
                    "then": "yes",
                    "else": "no",
                },
                "yes": {"type": "hangup"},
                "no": {"type": "hangup"},
            },
        }
    )
    d.start()
    assert [v.node for v in d.all(E.Visited)] == ["test", branch]


def test_compare_with_the_clock() -> None:
    d = Driver(
        {
            "start": "open",
            "nodes": {
                "open": {
                    "type": "compare",
                    "value": "${TIME}",
                    "op": "time_between",
                    "to": ["09:00", "18:00"],
                    "then": "yes",
                    "else": "no",
                },
                "yes": {"type": "set", "values": {"when": "${DATE} ${DATETIME}"}, "next": "bye"},
                "no": {"type": "hangup"},
                "bye": {"type": "hangup"},
            },
        }
    )
    d.start()
    assert d.run.variables["when"] == "20270115 20270115093005"


def test_set_assigns_and_exports() -> None:
    d = Driver(
        {
            "start": "s",
            "user_data": ["customer"],
            "nodes": {
                "s": {
                    "type": "set",
                    "values": {"customer": "C-${userData.crm}", "n": 3},
                    "next": "bye",
                },
                "bye": {"type": "hangup"},
            },
        },
        user_data={"crm": "77"},
    )
    d.start()
    assert d.run.variables["customer"] == "C-77"
    assert d.run.variables["n"] == 3
    assert d.user_data["customer"] == "C-77"


@pytest.mark.parametrize(
    ("node", "action"),
    [
        ({"type": "agent", "agent": "a${n}"}, E.ToAgent),
        ({"type": "transfer", "to": "100${n}"}, E.TransferTo),
        ({"type": "queue", "queue": "support"}, E.EnterQueue),
    ],
)
def test_route_nodes_and_their_failure_branch(node: dict[str, Any], action: type[Any]) -> None:
    doc = {
        "start": "go",
        "variables": {"n": "7"},
        "nodes": {
            "go": node | {"on_failure": "sorry"},
            "sorry": {"type": "play", "prompt": tts("Nobody is there"), "next": "bye"},
            "bye": {"type": "hangup"},
        },
    }
    ok = Driver(doc)
    ok.start()
    asked = ok.last(action)
    if action is E.ToAgent:
        assert asked.agent == "a7"
    if action is E.TransferTo:
        assert asked.number == "1007"
    ok.feed(E.RouteResult(token=asked.token, ok=True))
    assert ok.finished == E.Finished(exit=E.EXIT_AGENT)
    failed = Driver(doc)
    failed.start()
    failed.feed(E.RouteResult(token=failed.last(action).token, ok=False, detail="nobody"))
    assert failed.spoken() == "Nobody is there"
    assert failed.finished is None


def record_doc(kind: str = "record") -> dict[str, Any]:
    node: dict[str, Any] = {
        "type": kind,
        "prompt": tts("Speak after the tone"),
        "max_seconds": 30,
        "variable": "complaint",
        "next": "thanks",
    }
    if kind == "voicemail":
        node["mailbox"] = {"queue": "sales"}
    return {
        "start": "rec",
        "user_data": ["complaint"],
        "nodes": {"rec": node, "thanks": {"type": "hangup", "prompt": tts("Thank you")}},
    }


@pytest.mark.parametrize("kind", ["record", "voicemail"])
def test_record_until_the_terminator(kind: str) -> None:
    d = Driver(record_doc(kind))
    d.start()
    d.finish_play()
    start = d.last(E.StartRecording)
    assert start.mailbox == (("queue", "sales") if kind == "voicemail" else None)
    assert d.last(E.StartTimer).seconds == 30
    d.press("5")
    assert not d.all(E.StopRecording)
    d.press("#")
    assert d.last(E.StopRecording).token == start.token
    d.feed(E.RecordFinished(token=start.token, path="/state/x.wav", duration=4.0))
    assert d.user_data["complaint"] == "/state/x.wav"
    assert d.spoken() == "Thank you"


def test_record_stops_at_max_seconds_and_a_failed_recording_is_an_error() -> None:
    d = Driver(record_doc())
    d.start()
    d.finish_play()
    d.time_out()
    token = d.last(E.StopRecording).token
    d.feed(E.RecordFinished(token=token, path=None, duration=0, failed=True))
    finished = d.finished
    assert finished is not None
    assert finished.exit == E.EXIT_ERROR


def test_caller_hangs_up_mid_menu_and_the_handler_runs() -> None:
    doc = menu_flow()
    doc["on_hangup"] = "log"
    doc["nodes"]["log"] = {
        "type": "lookup",
        "http": {"url": "http://crm.example/abandoned?at=${menu_seen}"},
        "next": "done",
        "on_error": "done",
    }
    doc["nodes"]["done"] = {"type": "hangup"}
    doc["variables"] = {"menu_seen": "no"}
    d = Driver(doc)
    d.start()
    d.feed(E.CallerHungUp())
    assert E.Visited(node="menu", kind="menu", choice=None) in d.actions
    ask = d.last(E.DoLookup)
    assert ask.request.url == "http://crm.example/abandoned?at=no"  # type: ignore[union-attr]
    assert d.finished is None  # the handler still runs
    d.feed(E.LookupFinished(token=ask.token, answer={}))
    assert d.finished == E.Finished(exit=E.EXIT_HANGUP, detail="caller hung up at menu")
    assert E.HangUp() not in d.actions


def test_caller_hangs_up_without_handler() -> None:
    d = Driver(menu_flow())
    d.start()
    d.feed(E.CallerHungUp())
    assert d.finished == E.Finished(exit=E.EXIT_HANGUP, detail="caller hung up at menu")
    assert d.feed(E.DigitPressed(digit="1")) == []


def test_step_limit_stops_a_caller_who_repeats_forever() -> None:
    doc = menu_flow()
    doc["max_steps"] = 4
    d = Driver(doc)
    d.start()
    for _ in range(3):
        d.finish_play()
        d.press("9")
    assert d.finished is None  # four menus so far
    d.finish_play()
    d.press("9")
    finished = d.finished
    assert finished is not None
    assert finished.exit == E.EXIT_ERROR
    assert finished.detail == "step limit: more than 4 nodes"
    assert E.HangUp() in d.actions


def test_loop_guard_stops_a_polling_loop_and_takes_on_error() -> None:
    d = Driver(
        {
            "start": "poll",
            "loop_limit": 5,
            "variables": {"status": "wait"},
            "on_error": "sorry",
            "nodes": {
                "poll": {
                    "type": "lookup",
                    "http": {"url": "http://x/status"},
                    "map": {"status": "status"},
                    "next": "check",
                    "on_error": "check",
                },
                "check": {
                    "type": "compare",
                    "value": "${status}",
                    "op": "=",
                    "to": "wait",
                    "then": "poll",
                    "else": "bye",
                },
                "sorry": {"type": "queue", "queue": "support"},
                "bye": {"type": "hangup"},
            },
        }
    )
    d.start()
    while not d.all(E.EnterQueue):
        d.feed(E.LookupFinished(token=d.last(E.DoLookup).token, answer={"status": "wait"}))
    assert len(d.all(E.DoLookup)) == 3  # poll, check, poll, check, poll: then the guard
    d.feed(E.RouteResult(token=d.last(E.EnterQueue).token, ok=True))
    finished = d.finished
    assert finished is not None
    assert finished.exit == E.EXIT_ERROR
    assert finished.detail.startswith("loop guard: 5 nodes in a row")


def test_a_prompt_that_cannot_be_made_takes_the_error_exit() -> None:
    d = Driver(
        {
            "start": "hello",
            "on_error": "agent",
            "nodes": {
                "hello": {"type": "play", "prompt": tts("Hello"), "next": "bye"},
                "agent": {"type": "transfer", "to": "1001"},
                "bye": {"type": "hangup"},
            },
        }
    )
    d.start()
    d.feed(E.PlayFinished(token=d.last(E.PlayPrompt).token, reason="failed", detail="no engine"))
    d.feed(E.RouteResult(token=d.last(E.TransferTo).token, ok=True))
    assert d.finished == E.Finished(exit=E.EXIT_ERROR, detail="prompt failed: no engine")


def test_say_with_recorded_pieces(tmp_path: Path) -> None:
    for language in ("en", "zh"):
        folder = tmp_path / language
        folder.mkdir()
        for piece in vocabulary(language):
            (folder / f"{piece}.wav").write_bytes(b"")
    d = Driver(
        {
            "start": "lang",
            "languages": ["en", "zh"],
            "say_pieces": str(tmp_path),
            "nodes": {
                "lang": {"type": "language", "set": "zh", "next": "amount"},
                "amount": {"type": "say", "value": "20000.5", "as": "money", "next": "bye"},
                "bye": {"type": "hangup"},
            },
        }
    )
    d.start()
    files = [Path(item.path) for item in d.last(E.PlayPrompt).items]
    assert [f.stem for f in files] == ["两", "万", "元", "五", "角"]
    assert {f.parent for f in files} == {tmp_path / "zh"}


def test_missing_pieces_are_named_at_load(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "one.wav").write_bytes(b"")
    with pytest.raises(FlowError) as info:
        Driver(
            {
                "start": "n",
                "say_pieces": str(tmp_path),
                "nodes": {
                    "n": {"type": "say", "value": "1", "as": "number", "next": "bye"},
                    "bye": {"type": "hangup"},
                },
            }
        )
    (problem,) = info.value.problems
    assert problem.problem.startswith(f"say_pieces: {tmp_path / 'en'} lacks April, August, ")
    assert problem.problem.endswith(" and 79 more")
