"""``ctid check-config`` lists every problem it finds, each with its path: several in
each table (queues, agents, the nodes of one IVR flow and a second flow, IVR numbers,
routing rules, voicemail boxes, webhooks, and keys of one core table), none hiding
another. The whole output is compared."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctid.cli import main

CONFIG = """
[server]
listen = "127.0.0.1:0"

[switch]
driver = "simulator"

[switch.simulator]
extensions = "1001-1004"

[[auth.tokens]]
role = "admin"
name = "admin"
token = "admin-token-0123456789abcdef"

[acd]
[[acd.queues]]
name = "sales"
ring_timeout = -1
[[acd.queues]]
name = "support"
wrap_up = -5
[[acd.queues]]
name = "sales"
[[acd.agents]]
id = "2001"
skills = [{queue = "nosuch"}, {queue = "support", level = 101}]
[[acd.agents]]
id = "2002"
skills = [{queue = "alsonot"}]

[ivr]
flows_dir = "flows"
tts = "silent"
[ivr.numbers]
"1001" = "main"
"4000" = "nosuchflow"
"4001" = "alsonot"

[routing]
[[routing.rules]]
name = "r1"
dnis = ["5000"]
destination = {queue = "nosuch"}
[[routing.rules]]
name = "r2"
dnis = ["5001"]
destination = {flow = "nosuchflow"}

[voicemail]
retention_days = -1
[[voicemail.mailboxes]]
number = ""
[[voicemail.mailboxes]]
number = "1005"
[[voicemail.mailboxes]]
number = "1005"

[[webhooks]]
name = "a"
url = "https://hooks.example.com/a"
events = ["CallCleared"]
[[webhooks]]
name = "b"
url = "https://hooks.example.com/b"
events = ["CallCleared"]
"""
MAIN = """
name: main
start: greeting
nodes:
  greeting:
    type: play
    prompt: {tts: {en: Hello}}
    next: main_mneu
  bye:
    type: play
    prompt: {tts: {en: Bye}}
    next: nowhere
"""
OTHER = """
name: other
start: q
nodes:
  q:
    type: queue
    queue: nosuchqueue
"""


def test_every_problem_of_every_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "main.yaml").write_text(MAIN)
    (tmp_path / "flows" / "other.yaml").write_text(OTHER)
    path = tmp_path / "ctid.toml"
    path.write_text(CONFIG)
    assert main(["check-config", str(path)]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    f, flows = str(path), tmp_path / "flows"
    secret = "secret_env: required but missing"
    assert out.err.splitlines() == [
        f'error: {f}: acd.queues[2].name: queue "sales" is defined twice',
        f"error: {f}: acd.queues[0].ring_timeout: must be more than 0",
        f"error: {f}: acd.queues[1].wrap_up: must not be negative",
        f'error: {f}: acd.agents[0].skills[0].queue: no queue "nosuch"',
        f"error: {f}: acd.agents[0].skills[1].level: must be between 0 and 100",
        f'error: {f}: acd.agents[1].skills[0].queue: no queue "alsonot"',
        f"error: {flows / 'main.yaml'}: node greeting: next: no node 'main_mneu'",
        f"error: {flows / 'main.yaml'}: node bye: next: no node 'nowhere'",
        f"error: {flows / 'other.yaml'}: node q: unknown queue 'nosuchqueue'",
        f"error: {f}: ivr.numbers.1001: 1001 is already an extension",
        f"error: {f}: ivr.numbers.4000: no flow 'nosuchflow'",
        f"error: {f}: ivr.numbers.4001: no flow 'alsonot'",
        f"error: {f}: routing.rules[0].destination.queue: no queue 'nosuch'",
        f"error: {f}: routing.rules[1].destination.flow: no flow 'nosuchflow'",
        f"error: {f}: voicemail.retention_days: must be 0 (keep) or more",
        f"error: {f}: voicemail.mailboxes[0].number: must not be empty",
        f"error: {f}: voicemail.mailboxes[2].number: 1005 is listed twice",
        f"error: {f}: webhooks[0].{secret}",
        f"error: {f}: webhooks[1].{secret}",
        f"{path}: 19 problem(s)",
    ]


def test_every_problem_of_a_core_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ctid.toml"
    path.write_text('[server]\nlisten = "127.0.0.1:0"\nbogus = 1\nlog_level = 3\n')
    assert main(["check-config", str(path)]) == 1
    known = (
        "listen, log_level, max_connections, max_connections_per_address, metrics_listen, "
        "metrics_tls, state_dir, tls_certificate, tls_private_key, trusted_proxies"
    )
    assert capsys.readouterr().err.splitlines() == [
        f"error: {path}: server.bogus: unknown key (known keys: {known})",
        f"error: {path}: server.log_level: "
        'expected one of "debug", "info", "warning", "error", got 3',
        f"{path}: 2 problem(s)",
    ]


def test_every_problem_of_one_queue() -> None:
    from ctid.acd.config import acd_config
    from ctid.config import ConfigError, each_problem

    table = {
        "queues": [
            {"name": "q", "strategy": "nosuch", "ring_timeout": 0, "max_length": -1},
            {"name": "r", "overflow": [{"action": "queue", "target": "x"}, {"action": "hangup"}]},
        ]
    }
    with pytest.raises(ConfigError) as info:
        acd_config(table, "ctid.toml")
    known = "linear, round-robin, fewest-calls, least-talk-time, longest-idle, skill-level, "
    known += "random, ring-all, last-agent"
    assert [(p.key, p.problem) for p in each_problem(info.value)] == [
        ("acd.queues[0].strategy", f'unknown strategy "nosuch" (known: {known})'),
        ("acd.queues[0].ring_timeout", "must be more than 0"),
        ("acd.queues[0].max_length", "must not be negative"),
        ("acd.queues[1].overflow[0].target", 'no queue "x"'),
        ("acd.queues[1].overflow[1].when", "required"),
    ]
    assert info.value.problem.endswith("(and 4 more problems)")
