"""Flow files: the JSON Schema, the checks after it, and their messages (file, node, problem)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ivr_helpers import KNOWN, make_flow, tts

from ctid.cli import main
from ctid.ivr.load import FlowError, flow_schema, load_flow_file, load_flow_text

ROOT = Path(__file__).resolve().parents[3]


def base() -> dict[str, Any]:
    return {
        "start": "menu",
        "nodes": {
            "menu": {
                "type": "menu",
                "prompt": tts("Press 1"),
                "choices": {"1": "sales"},
                "on_failure": "bye",
            },
            "sales": {"type": "queue", "queue": "sales"},
            "bye": {"type": "hangup"},
        },
    }


def problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(FlowError) as info:
        make_flow(doc)
    return [str(p) for p in info.value.problems]


def test_a_good_flow_loads_from_json_and_yaml(tmp_path: Path) -> None:
    doc = base()
    (tmp_path / "a.json").write_text(json.dumps(doc))
    (tmp_path / "b.yaml").write_text(
        "start: menu\nnodes:\n  menu: {type: menu, prompt: Press 1, choices: {'1': sales},"
        " on_failure: bye}\n  sales: {type: queue, queue: sales}\n  bye: {type: hangup}\n"
    )
    a = load_flow_file(tmp_path / "a.json", KNOWN)
    b = load_flow_file(tmp_path / "b.yaml", KNOWN)
    assert (a.name, b.name) == ("a", "b")
    assert set(a.nodes) == set(b.nodes) == {"menu", "sales", "bye"}
    assert len(a.version) == 12
    (tmp_path / "a.json").write_text(json.dumps(doc | {"description": "changed"}))
    assert load_flow_file(tmp_path / "a.json", KNOWN).version != a.version


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["nodes"]["menu"].update(colour="red"),
            "test.json: node menu: Additional properties are not allowed ('colour' was unexpected)",
        ),
        (
            lambda d: d["nodes"]["menu"].update(timeout="soon"),
            "test.json: node menu: timeout: 'soon' is not of type 'number'",
        ),
        (
            lambda d: d["nodes"]["sales"].update(type="queu"),
            "test.json: node sales: type: 'queu' is not one of",
        ),
        (
            lambda d: d["nodes"]["menu"]["choices"].update({"12": "sales"}),
            "test.json: node menu: choices: '12' does not match",
        ),
        (lambda d: d.pop("start"), "test.json: 'start' is a required property"),
        (
            lambda d: d["nodes"].update({"bad name": {"type": "hangup"}}),
            "test.json: nodes: 'bad name' does not match",
        ),
        (
            lambda d: d["nodes"]["sales"].pop("queue"),
            "test.json: node sales: 'queue' is a required property",
        ),
    ],
)
def test_schema_errors_name_file_node_and_problem(change: Any, expected: str) -> None:
    doc = base()
    change(doc)
    found = problems(doc)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["nodes"]["menu"]["choices"].update({"2": "support_q"}),
            "test.json: node menu: choices.2: no node 'support_q'",
        ),
        (lambda d: d.update(start="begin"), "test.json: start: no node 'begin'"),
        (lambda d: d.update(on_error="oops"), "test.json: on_error: no node 'oops'"),
        (
            lambda d: d["nodes"]["sales"].update(queue="billing"),
            "test.json: node sales: unknown queue 'billing'",
        ),
        (
            lambda d: d["nodes"]["menu"].update(prompt=tts("Hello ${customer_name}")),
            "test.json: node menu: prompt: undefined variable ${customer_name}",
        ),
        (
            lambda d: d["nodes"]["menu"].update(prompt=tts("Hello ${1abc}")),
            "test.json: node menu: prompt: bad variable reference ${1abc}",
        ),
        (
            lambda d: d["nodes"].update(lost={"type": "hangup"}),
            "test.json: node lost: unreachable: no node leads here",
        ),
        (
            lambda d: (
                d["nodes"].update(
                    voicemail={"type": "voicemail", "mailbox": {"queue": "billing"}, "next": "bye"}
                )
                or d["nodes"]["menu"]["choices"].update({"3": "voicemail"})
            ),
            "test.json: node voicemail: mailbox: unknown queue 'billing'",
        ),
        (
            lambda d: (
                d["nodes"].update(
                    ask={
                        "type": "lookup",
                        "sql": {"database": "erp", "query": "select 1"},
                        "next": "bye",
                        "on_error": "bye",
                    }
                )
                or d["nodes"]["menu"]["choices"].update({"4": "ask"})
            ),
            "test.json: node ask: sql.database: unknown database 'erp' (known: crm)",
        ),
        (
            lambda d: (
                d.update(languages=["en", "zh"])
                or d["nodes"]["menu"].update(prompt={"tts": {"en": "Press 1"}})
            ),
            "test.json: node menu: prompt: no prompt in zh",
        ),
        (lambda d: d.update(language="fr", languages=["fr"]), "test.json: language 'fr'"),
        (
            lambda d: (
                d["nodes"].update(
                    c={"type": "collect", "variable": "ANI", "next": "bye", "pattern": "(["}
                )
                or d["nodes"]["menu"]["choices"].update({"5": "c"})
            ),
            "test.json: node c: cannot set the built-in variable ANI",
        ),
        (
            lambda d: (
                d["nodes"].update(
                    c={"type": "collect", "variable": "x", "next": "bye", "pattern": "(["}
                )
                or d["nodes"]["menu"]["choices"].update({"5": "c"})
            ),
            "test.json: node c: pattern: bad regular expression",
        ),
        (
            lambda d: (
                d["nodes"].update(
                    c={
                        "type": "collect",
                        "variable": "x",
                        "next": "bye",
                        "min_length": 5,
                        "max_length": 2,
                    }
                )
                or d["nodes"]["menu"]["choices"].update({"5": "c"})
            ),
            "test.json: node c: min_length 5 is more than max_length 2",
        ),
        (
            lambda d: d["nodes"]["menu"].update(prompt={"file": "missing.wav"}),
            "test.json: node menu: prompt: no prompt file",
        ),
        (
            lambda d: d.update(user_data=["account"]),
            "test.json: user_data: variable 'account' is never set",
        ),
        (
            lambda d: d.update(on_hangup="menu"),
            "test.json: node menu: a menu node cannot run after the caller hung up",
        ),
        (
            lambda d: (
                d["nodes"].update(
                    a={"type": "set", "values": {"x": 1}, "next": "b"},
                    b={
                        "type": "compare",
                        "value": "1",
                        "op": "=",
                        "to": 1,
                        "then": "a",
                        "else": "bye",
                    },
                )
                or d["nodes"]["menu"]["choices"].update({"6": "a"})
            ),
            "test.json: node a: loop without waiting for the caller: a -> b -> a",
        ),
        (
            lambda d: (
                d["nodes"].update(
                    t={
                        "type": "compare",
                        "value": "${TIME}",
                        "op": "time_between",
                        "to": ["9"],
                        "then": "bye",
                        "else": "bye",
                    }
                )
                or d["nodes"]["menu"]["choices"].update({"7": "t"})
            ),
            'test.json: node t: to: op time_between needs ["HH:MM", "HH:MM"]',
        ),
    ],
)
def test_checks_after_the_schema(change: Any, expected: str) -> None:
    doc = base()
    change(doc)
    found = problems(doc)
    assert any(p.startswith(expected) for p in found), found


def test_a_dangling_reference_does_not_also_report_every_node_unreachable() -> None:
    doc = base()
    doc["start"] = "menuu"
    assert problems(doc) == ["test.json: start: no node 'menuu'"]


@pytest.mark.parametrize(("fmt", "text"), [("json", "{nodes: 1"), ("yaml", "a: [1, 2")])
def test_unparsable_files(fmt: str, text: str) -> None:
    with pytest.raises(FlowError) as info:
        load_flow_text(text, fmt=fmt, file="f", name="f", known=KNOWN)
    assert str(info.value).startswith(f"f: not valid {fmt.upper()}: ")


def test_the_published_schema_is_the_one_used() -> None:
    published = json.loads((ROOT / "docs" / "ivr-flow.schema.json").read_text())
    assert published == flow_schema()


def test_demo_flow_is_valid() -> None:
    flow = load_flow_file(ROOT / "ctid" / "demo" / "flows" / "main.yaml", KNOWN)
    assert flow.nodes["main_menu"].kind == "menu"


def test_check_config_rejects_a_bad_flow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    doc = base()
    doc["nodes"]["menu"]["choices"]["2"] = "suport"
    (flows / "main.json").write_text(json.dumps(doc))
    conf = tmp_path / "ctid.toml"
    conf.write_text('[ivr]\nflows_dir = "flows"\nqueues = { sales = "1001" }\n')
    assert main(["check-config", str(conf)]) == 1
    err = capsys.readouterr().err
    assert f"error: {flows / 'main.json'}: node menu: choices.2: no node 'suport'" in err
    doc["nodes"]["menu"]["choices"]["2"] = "sales"
    (flows / "main.json").write_text(json.dumps(doc))
    assert main(["check-config", str(conf)]) == 0
    conf.write_text('[ivr]\nflows_dir = "flows"\n')
    assert main(["check-config", str(conf)]) == 1
    assert "node sales: unknown queue 'sales'" in capsys.readouterr().err


def test_check_config_checks_routing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "ctid.toml"
    conf.write_text(
        '[ivr]\nqueues = { sales = "1001" }\n'
        '[[routing.rules]]\nname = "r"\ndnis = ["400*"]\nhours = ["9-17"]\n'
        'destination = { queue = "sales" }\n'
    )
    assert main(["check-config", str(conf)]) == 1
    assert 'routing.rules[0]: expected "HH:MM-HH:MM", got "9-17"' in capsys.readouterr().err
    conf.write_text('[[routing.rules]]\nname = "r"\ndestination = { flow = "nowhere" }\n')
    assert main(["check-config", str(conf)]) == 1
    assert "routing.rules[0].destination.flow: no flow 'nowhere'" in capsys.readouterr().err


def test_check_config_rejects_an_ivr_number_that_is_a_phone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.json").write_text(json.dumps(base()))
    conf = tmp_path / "ctid.toml"
    conf.write_text(
        '[switch.simulator]\nextensions = "1001-1005"\n'
        '[ivr]\nflows_dir = "flows"\nqueues = { sales = "1001" }\nnumbers = { "1003" = "main" }\n'
    )
    assert main(["check-config", str(conf)]) == 1
    assert "ivr.numbers.1003: 1003 is already an extension" in capsys.readouterr().err


def test_check_config_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The issue: "node greeting: next: no node 'main_mneu' (and 1 more problems)".
    flows = tmp_path / "flows"
    flows.mkdir()
    doc = base()
    doc["nodes"]["menu"]["choices"]["2"] = "suport"
    doc["nodes"]["menu"]["choices"]["3"] = "slaes"
    (flows / "main.json").write_text(json.dumps(doc))
    conf = tmp_path / "ctid.toml"
    conf.write_text(
        '[ivr]\nflows_dir = "flows"\nqueues = { sales = "1001" }\n'
        "[recording]\nretention_days = -1\n"
    )
    assert main(["check-config", str(conf)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"error: {flows / 'main.json'}: node menu: choices.2: no node 'suport'",
        f"error: {flows / 'main.json'}: node menu: choices.3: no node 'slaes'",
        f"error: {conf}: recording.retention_days: must be 0 (keep) or more",
        f"{conf}: 3 problem(s)",
    ]
