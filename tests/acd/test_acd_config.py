"""The [acd] table: good configurations, and each mistake named by its key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ctid.acd.config import Condition, OverflowAction, acd_config
from ctid.acd.schedule import parse_hours
from ctid.cli import main
from ctid.config import ConfigError


def test_a_full_configuration() -> None:
    config = acd_config(
        {
            "timezone": "Europe/Paris",
            "reason_codes": ["break", "lunch"],
            "schedules": {"mornings": {"days": ["mon", "tue"], "hours": ["08:00-12:00"]}},
            "queues": [
                {
                    "name": "sales",
                    "number": "5001",
                    "strategy": "skill-level",
                    "wrap_up": "manual",
                    "max_wait": 120,
                    "overflow": [
                        {"when": "timeout", "action": "queue", "target": "support"},
                        {"when": "full", "action": "hangup", "message": ["sound:full"]},
                    ],
                    "blacklist": ["+15550666"],
                    "blacklist_action": {"action": "device", "target": "1010"},
                },
                {"name": "support"},
            ],
            "agents": [
                {
                    "id": "2001-2003",
                    "name": "Desk",
                    "skills": [
                        {"queue": "sales", "level": 5},
                        {"queue": "support", "penalty": 2, "schedule": "mornings"},
                    ],
                }
            ],
        }
    )
    sales = config.queue("sales")
    assert sales is not None
    assert sales.wrap_up is None
    assert sales.points == ("sales", "5001")
    timeout = sales.rule(Condition.TIMEOUT)
    assert timeout is not None
    assert (timeout.action, timeout.target) == (OverflowAction.QUEUE, "support")
    assert sales.blacklist_action.action is OverflowAction.DEVICE
    assert [a.agent_id for a in config.agents] == ["2001", "2002", "2003"]
    assert [a.name for a in config.agents] == ["Desk 2001", "Desk 2002", "Desk 2003"]
    assert [a.skills[0].position for a in config.agents] == [0, 1, 2]
    assert config.reason_codes == ("break", "lunch")


@pytest.mark.parametrize(
    ("table", "key", "problem"),
    [
        ({"queues": [{"name": "q", "strategy": "fastest"}]}, "acd.queues[0].strategy", "unknown"),
        ({"timezone": "Mars/Olympus"}, "acd.timezone", "unknown time zone"),
        ({"queues": [{"name": "q", "wrap_up": -1.0}]}, "acd.queues[0].wrap_up", "negative"),
        ({"queues": [{"name": "q", "ring_timeout": 0}]}, "acd.queues[0].ring_timeout", "more"),
        (
            {"queues": [{"name": "q", "overflow": [{"when": "full", "action": "queue"}]}]},
            "acd.queues[0].overflow[0].target",
            "required",
        ),
        (
            {
                "queues": [
                    {"name": "q", "overflow": [{"when": "full", "action": "queue", "target": "x"}]}
                ]
            },
            "acd.queues[0].overflow[0].target",
            'no queue "x"',
        ),
        (
            {"queues": [{"name": "q", "overflow": [{"when": "soon", "action": "hangup"}]}]},
            "acd.queues[0].overflow[0].when",
            "expected one of",
        ),
        ({"queues": [{"name": "q"}, {"name": "q"}]}, "acd.queues[1].name", "defined twice"),
        (
            {"queues": [{"name": "q", "number": "1"}, {"name": "r", "number": "1"}]},
            "acd.queues[1].number",
            "twice",
        ),
        (
            {"agents": [{"id": "1", "skills": [{"queue": "nope"}]}]},
            "acd.agents[0].skills[0].queue",
            "no queue",
        ),
        (
            {
                "queues": [{"name": "q"}],
                "agents": [{"id": "1", "skills": [{"queue": "q", "schedule": "x"}]}],
            },
            "acd.agents[0].skills[0].schedule",
            "no schedule",
        ),
        ({"agents": [{"id": "1"}, {"id": "1"}]}, "acd.agents[1].id", "defined twice"),
        ({"agents": [{"id": "1", "pin": "1"}]}, "acd.agents[0].pin", "4 to 32"),
        ({"schedules": {"s": {"days": ["monday"]}}}, "acd.schedules.s.days[0]", "expected one of"),
        (
            {"schedules": {"s": {"hours": ["17:00-08:00"]}}},
            "acd.schedules.s.hours[0]",
            "ends before",
        ),
        (
            {"queues": [{"name": "q", "callback_digit": "12"}]},
            "acd.queues[0].callback_digit",
            "one of",
        ),
        ({"reason_codes": ["a", "a"]}, "acd.reason_codes", "twice"),
        ({"queus": []}, "acd.queus", "unknown key"),
    ],
)
def test_mistakes_name_their_key(table: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        acd_config(table, "ctid.toml")
    assert err.value.key == key
    assert problem in err.value.problem


def test_hours() -> None:
    assert (parse_hours("08:30-17:00").start, parse_hours("08:30-17:00").end) == (510, 1020)
    assert parse_hours("00:00-24:00").end == 1440
    for bad in ("8-17", "08:00-25:00", "10:00-10:00", "08:61-09:00"):
        with pytest.raises(ValueError):  # noqa: PT011 - the message is checked above
            parse_hours(bad)


def test_schedule_next_change_crosses_days() -> None:
    config = acd_config({"schedules": {"s": {"days": ["fri"], "hours": ["09:00-10:00"]}}})
    schedule = config.schedules["s"]
    tz = dt.UTC
    saturday = dt.datetime(2027, 1, 16, 12, 0, tzinfo=tz)
    assert not schedule.active(saturday)
    assert schedule.next_change(saturday) == dt.datetime(2027, 1, 22, 9, 0, tzinfo=tz)
    friday = dt.datetime(2027, 1, 22, 9, 30, tzinfo=tz)
    assert schedule.active(friday)
    assert schedule.next_change(friday) == dt.datetime(2027, 1, 22, 10, 0, tzinfo=tz)


def test_check_config_reports_acd_mistakes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[acd]\n[[acd.queues]]\nname = "sales"\n')
    assert main(["check-config", str(good)]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('[acd]\n[[acd.queues]]\nname = "sales"\nstrategy = "fastest"\n')
    assert main(["check-config", str(bad)]) == 1
    assert 'acd.queues[0].strategy: unknown strategy "fastest"' in capsys.readouterr().err
