"""Every report against numbers computed by hand for one scripted day, on both databases.

The day (2027-01-15, UTC), reported from 08:00 to 12:00 (14,400 s):

=====  ==========  =======  ======  ====================  ====  ====  =====  ===
call   start       queue    wait    disposition           talk  hold  ACW    trk
=====  ==========  =======  ======  ====================  ====  ====  =====  ===
C1     08:00:00    sales    15      answered (a1)         300   30    60     T/1
C2     08:10:00    sales    40      answered (a2)         120   0     30     T/2
C3     08:20:00    sales    5       abandonedInQueue                         T/1
C4     08:30:00    support  25      abandonedWhileRinging                    T/2
C5     09:00:00    support  10      transferred (a1)      200   0     0      T/1
C6     09:02:00    sales    70      abandonedInQueue                         T/2
C7     09:30:00    -        -       answered (outbound)   60                 T/3
C8     10:00:00    -        -       abandonedInIvr                           T/1
C9     10:10:00    -        -       interrupted (left out of every report)
=====  ==========  =======  ======  ====================  ====  ====  =====  ===
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ctid.cli import main
from ctid.records import ops as o
from ctid.records import store
from ctid.records.report_queries import load
from ctid.records.reports import Report, ReportRequest, run_report
from ctid.testing import RpcErrorReply, call_centre, sim_config

DAY = dt.datetime(2027, 1, 15, tzinfo=dt.UTC)
START = DAY + dt.timedelta(hours=8)
END = DAY + dt.timedelta(hours=12)
NOW = DAY + dt.timedelta(hours=11)


def at(hms: str) -> float:
    h, m, s = (int(x) for x in hms.split(":"))
    return (DAY + dt.timedelta(hours=h, minutes=m, seconds=s)).timestamp()


def leg(device: str, trunk: str | None, start: float, end: float) -> o.LegRecord:
    return o.LegRecord(
        device=device,
        kind="external" if trunk else "extension",
        trunk=trunk,
        joined_at=start,
        answered_at=None,
        ended_at=end,
        hold_seconds=0.0,
        end_cause="normalClearing",
        failed=False,
    )


def call(
    call_id: str,
    start: str,
    duration: float,
    *,
    trunk: str | None,
    disposition: str,
    queue: str | None = None,
    wait: float | None = None,
    agent: str | None = None,
    talk: float = 0.0,
    hold: float = 0.0,
    direction: str = "inbound",
) -> o.CallClose:
    begin = at(start)
    end = begin + duration
    answered = begin + (wait or 0.0) if disposition in ("answered", "transferred") else None
    legs = [leg("0600" + call_id, trunk, begin, end)] if trunk else []
    if agent:
        legs.append(leg("1001", None, answered or begin, end))
    return o.CallClose(
        call_id=call_id,
        node="n1",
        run_id="r1",
        direction=direction,
        caller="0600" + call_id,
        called="800",
        dnis="800",
        trunk=trunk,
        queue=queue,
        queue_outcome=None,
        agent_id=agent,
        agent_device="1001" if agent else None,
        answered_by="1001" if agent else None,
        ivr_flow=None,
        ivr_exit=None,
        started_at=begin,
        answered_at=answered,
        ivr_entered_at=None,
        ivr_left_at=None,
        queue_entered_at=begin if queue else None,
        queue_left_at=begin + wait if queue and wait is not None else None,
        ended_at=end,
        wait_seconds=wait,
        hold_seconds=hold,
        talk_seconds=talk,
        disposition=disposition,
        end_cause="normalClearing",
        merged_into=None,
        recording_ids=(),
        correlator_data=None,
        user_data={},
        facts={},
        legs=tuple(legs),
    )


class States:
    """An agent's state log, as the records service writes it."""

    def __init__(self, agent: str) -> None:
        self.agent = agent
        self.ops: list[o.Op] = []
        self.previous: tuple[str, float] | None = None
        self.n = 0

    def go(self, state: str, when: str, call_id: str | None = None) -> None:
        self.n += 1
        row = f"{self.agent}-{self.n}"
        self.ops.append(
            o.AgentStateOp(
                id=row,
                node="n1",
                run_id="r1",
                agent_id=self.agent,
                device="1001",
                state=state,
                previous_state="?",
                reason_code=None,
                call_id=call_id,
                queues=("sales", "support"),
                started_at=at(when),
                previous_id=self.previous[0] if self.previous else None,
                previous_started_at=self.previous[1] if self.previous else None,
            )
        )
        self.previous = (row, at(when))


def wait_op(n: int, call_id: str, queue: str, seconds: float, outcome: str, when: str) -> o.Op:
    return o.QueueWaitOp(
        id=f"w{n}", call_id=call_id, queue=queue, seconds=seconds, outcome=outcome, at=at(when)
    )


def visit(n: int, call_id: str, node: str, kind: str, when: str, choice: str | None = None) -> o.Op:
    return o.IvrVisitOp(
        id=f"v{n}",
        call_id=call_id,
        flow="main",
        version="1",
        node=node,
        node_type=kind,
        choice=choice,
        at=at(when),
    )


def scripted_day() -> list[o.Op]:
    a1 = States("a1")
    a2 = States("a2")
    a1.go("notReady", "07:50:00")
    a1.go("ready", "08:00:00")
    a2.go("ready", "08:00:00")
    a1.go("reserved", "08:00:20", "C1")
    a1.go("busy", "08:00:25", "C1")
    ops: list[o.Op] = []
    ops.append(
        call("C1", "08:00:00", 355, trunk="T/1", disposition="answered", queue="sales", wait=15,
             agent="a1", talk=300, hold=30)
    )  # fmt: skip
    a1.go("workingAfterCall", "08:05:55", "C1")
    a1.go("ready", "08:06:55")
    a2.go("reserved", "08:10:35", "C2")
    a2.go("busy", "08:10:40", "C2")
    ops.append(
        call("C2", "08:10:00", 160, trunk="T/2", disposition="answered", queue="sales", wait=40,
             agent="a2", talk=120)
    )  # fmt: skip
    a2.go("workingAfterCall", "08:12:40", "C2")
    a2.go("notReady", "08:13:10")
    ops.append(
        call("C3", "08:20:00", 5, trunk="T/1", disposition="abandonedInQueue", queue="sales",
             wait=5)
    )  # fmt: skip
    ops.append(
        call("C4", "08:30:00", 25, trunk="T/2", disposition="abandonedWhileRinging",
             queue="support", wait=25)
    )  # fmt: skip
    a1.go("busy", "09:00:10", "C5")
    ops.append(
        call("C5", "09:00:00", 210, trunk="T/1", disposition="transferred", queue="support",
             wait=10, agent="a1", talk=200)
    )  # fmt: skip
    a1.go("ready", "09:03:30")
    ops.append(
        call("C6", "09:02:00", 70, trunk="T/2", disposition="abandonedInQueue", queue="sales",
             wait=70)
    )  # fmt: skip
    ops.append(
        call("C7", "09:30:00", 60, trunk="T/3", disposition="answered", talk=60,
             direction="outbound")
    )  # fmt: skip
    a1.go("notReady", "09:30:00")
    ops.append(call("C8", "10:00:00", 90, trunk="T/1", disposition="abandonedInIvr"))
    a1.go("ready", "10:00:00")
    # Interrupted calls have no legs (the start-up sweep closes them without).
    ops.append(call("C9", "10:10:00", 30, trunk=None, disposition="interrupted"))
    # a2 is not ready until 12:30, after the report ends.
    a2.go("ready", "12:30:00")
    waits = [
        wait_op(1, "C1", "sales", 15, "answered", "08:00:25"),
        wait_op(2, "C2", "sales", 40, "answered", "08:10:40"),
        wait_op(3, "C3", "sales", 5, "abandoned", "08:20:05"),
        wait_op(4, "C4", "support", 25, "abandoned", "08:30:25"),
        wait_op(5, "C5", "support", 10, "answered", "09:00:10"),
        wait_op(6, "C6", "sales", 70, "abandoned", "09:03:10"),
    ]
    visits = [
        visit(1, "C10", "welcome", "play", "08:45:00"),
        visit(2, "C10", "menu", "menu", "08:45:10", "2"),
        visit(3, "C8", "welcome", "play", "10:00:05"),
        visit(4, "C8", "menu", "menu", "10:00:15", "1"),
        visit(5, "C8", "menu", "menu", "10:00:30"),
        visit(6, "C8", "goodbye", "play", "10:00:45"),
    ]
    # In the order the daemon would write them (times interleave, as they happen).
    timed = [(op, _when(op)) for op in [*ops, *a1.ops, *a2.ops, *waits, *visits]]
    return [op for op, _ in sorted(timed, key=lambda pair: pair[1])]


def _when(op: o.Op) -> float:
    if isinstance(op, o.CallClose):
        return op.ended_at
    if isinstance(op, o.AgentStateOp):
        return op.started_at
    assert isinstance(op, o.QueueWaitOp | o.IvrVisitOp)
    return op.at


@pytest.fixture
def day(engine: sa.Engine) -> sa.Engine:
    store.apply(engine, scripted_day())
    return engine


def report(engine: sa.Engine, name: str, **options: Any) -> Report:
    req = ReportRequest(start=START, end=END, **options)
    return run_report(name, load(engine, name, req, NOW), req)


def test_handle_times(day: sa.Engine) -> None:
    r = report(day, "handle-times")
    assert r.columns == ("answered", "avgHandle", "avgTalk", "avgHold", "avgAcw", "avgWait")
    # C1 390 + C2 150 + C5 200 + C7 60 = 800 / 4; waits (15 + 40 + 10) / 3.
    assert r.rows == ((4, 200.0, 170.0, 7.5, 22.5, 21.67),)
    assert report(day, "handle-times", queue="sales").rows == ((2, 270.0, 210.0, 15.0, 45.0, 27.5),)
    assert report(day, "handle-times", interval="hour").rows == (
        ("2027-01-15 08:00", 2, 270.0, 210.0, 15.0, 45.0, 27.5),
        ("2027-01-15 09:00", 2, 130.0, 130.0, 0.0, 0.0, 10.0),
    )


def test_answer_rate(day: sa.Engine) -> None:
    assert report(day, "answer-rate").rows == ((7, 3, 4, 0.4286),)
    assert report(day, "answer-rate", interval="hour").rows == (
        ("2027-01-15 08:00", 4, 2, 2, 0.5),
        ("2027-01-15 09:00", 2, 1, 1, 0.5),
        ("2027-01-15 10:00", 1, 0, 1, 0.0),
    )
    assert report(day, "answer-rate", queue="support").rows == ((2, 1, 1, 0.5),)


def test_service_level(day: sa.Engine) -> None:
    assert report(day, "service-level").rows == (
        ("sales", 4, 1, 1, 0.25),
        ("support", 2, 1, 0, 0.5),
    )
    # A 60 s threshold: C2 (40 s) counts too; C4 abandoned within it.
    assert report(day, "service-level", threshold=60).rows == (
        ("sales", 4, 2, 1, 0.5),
        ("support", 2, 1, 1, 0.5),
    )


def test_abandoned_by_wait_bucket(day: sa.Engine) -> None:
    r = report(day, "abandoned")
    assert r.rows == (
        ("0-10s", 1, 0.3333),
        ("10-20s", 0, 0.0),
        ("20-30s", 1, 0.3333),
        ("30-60s", 0, 0.0),
        ("60-120s", 1, 0.3333),
        ("120s+", 0, 0.0),
    )


def test_trunk_occupancy(day: sa.Engine) -> None:
    assert report(day, "trunk-occupancy").rows == (
        # 355 + 5 + 210 + 90 s of 14,400.
        ("T/1", 4, 660.0, 0.0458, 1),
        ("T/2", 3, 255.0, 0.0177, 1),
        ("T/3", 1, 60.0, 0.0042, 1),
        # C5 and C6 overlap from 09:02:00 to 09:03:10.
        ("all", 8, 975.0, 0.0226, 2),
    )
    hourly = report(day, "trunk-occupancy", interval="hour").rows
    assert hourly[:4] == (
        ("2027-01-15 08:00", "T/1", 2, 360.0, 0.1, 1),
        ("2027-01-15 08:00", "T/2", 2, 185.0, 0.0514, 1),
        ("2027-01-15 08:00", "T/3", 0, 0.0, 0.0, 0),
        ("2027-01-15 08:00", "all", 4, 545.0, 0.0505, 1),
    )
    assert len(hourly) == 16  # four hours, three lines and "all"
    assert hourly[7] == ("2027-01-15 09:00", "all", 3, 340.0, 0.0315, 2)


def test_agents(day: sa.Engine) -> None:
    r = report(day, "agents")
    assert r.columns == (
        "agent",
        "calls",
        "talkSeconds",
        "acwSeconds",
        "readySeconds",
        "notReadySeconds",
    )
    assert r.rows == (
        # ready 20 + 3,195 + 1,590 + 3,600 (still ready at 11:00, "now"); not ready 09:30-10:00.
        ("a1", 2, 500.0, 60.0, 8405.0, 1800.0),
        # not ready from 08:13:10 to the end of the report (12:00).
        ("a2", 1, 120.0, 30.0, 635.0, 13610.0),
    )
    assert report(day, "agents", agent="a2").rows == (("a2", 1, 120.0, 30.0, 635.0, 13610.0),)


def test_queue_waits(day: sa.Engine) -> None:
    assert report(day, "queue-waits").rows == (
        ("sales", 4, 2, 2, 32.5, 15.0, 70.0, 70.0),
        ("support", 2, 1, 1, 17.5, 10.0, 25.0, 25.0),
    )


def test_ivr_nodes(day: sa.Engine) -> None:
    assert report(day, "ivr-nodes").rows == (
        ("main", "goodbye", "play", 1, 1, ""),
        ("main", "menu", "menu", 3, 2, "1:1 2:1 none:1"),
        ("main", "welcome", "play", 2, 2, ""),
    )
    assert report(day, "ivr-nodes", interval="day").rows[0][0] == "2027-01-15"


def test_acw_reached_the_call_records(day: sa.Engine) -> None:
    from ctid.records.schema import calls

    with day.connect() as conn:
        acw = dict(conn.execute(sa.select(calls.c.call_id, calls.c.acw_seconds)).all())
    assert (acw["C1"], acw["C2"], acw["C5"]) == (60.0, 30.0, 0.0)


def test_days_follow_the_time_zone(day: sa.Engine) -> None:
    # In Auckland (UTC+13 in January) the morning of the 15th UTC is the evening of the 15th.
    rows = report(day, "answer-rate", interval="day", timezone="Pacific/Auckland").rows
    assert rows == (("2027-01-15", 7, 3, 4, 0.4286),)
    rows = report(day, "answer-rate", interval="hour", timezone="Pacific/Auckland").rows
    assert rows[0][0] == "2027-01-15 21:00"


def test_an_unknown_report_is_refused(day: sa.Engine) -> None:
    with pytest.raises(ValueError, match="no report 'nope'"):
        report(day, "nope")


# ------------------------------------------------------------- ctid report


@pytest.fixture
def config_file(day: sa.Engine, tmp_path: Path) -> Path:
    url = day.url.render_as_string(hide_password=False)
    path = tmp_path / "ctid.toml"
    path.write_text(f'[server]\nstate_dir = "{tmp_path}"\n[records]\ndatabase = "{url}"\n')
    return path


def ctid_report(config: Path, *args: str) -> list[str]:
    return [
        "report",
        *args,
        "--config",
        str(config),
        "--from",
        "2027-01-15T08:00:00Z",
        "--to",
        "2027-01-15T12:00:00Z",
    ]


def test_cli_csv(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ctid_report(config_file, "service-level"), "--format", "csv"]) == 0
    assert capsys.readouterr().out == (
        "queue,offered,answeredWithin,abandonedWithin,serviceLevel\n"
        "sales,4,1,1,0.25\n"
        "support,2,1,0,0.5\n"
    )


def test_cli_table_and_json(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ctid_report(config_file, "queue-waits"), "--queue", "sales"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table == [
        "Time calls waited in each queue",
        "",
        "queue  waits  answered  abandoned  avgWait  medianWait  p90Wait  maxWait",
        "-----  -----  --------  ---------  -------  ----------  -------  -------",
        "sales      4         2          2     32.5          15       70       70",
    ]
    assert main([*ctid_report(config_file, "agents"), "--format", "json", "--agent", "a1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "agents"
    assert data["rows"] == [["a1", 2, 500.0, 60.0, pytest.approx(data["rows"][0][4]), 1800.0]]


def test_cli_plot(config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "answer-rate.png"
    args = [*ctid_report(config_file, "answer-rate"), "--interval", "hour", "--plot", str(png)]
    assert main(args) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main([*ctid_report(config_file, "answer-rate"), "--plot", str(png)]) == 2
    assert "--interval" in capsys.readouterr().err


def test_cli_refuses_a_backwards_range(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", "abandoned", "--config", str(config_file)]
    assert main([*args, "--from", "2027-01-16", "--to", "2027-01-15"]) == 2
    assert "after --from" in capsys.readouterr().err


# -------------------------------------------------------------- report.* API


async def test_reports_through_the_api(tmp_path: Path, autojump_clock: object) -> None:
    config = sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
            "auth": {
                "tokens": [
                    {"role": "supervisor", "name": "sue", "token": "sue-token-0123456789",
                     "queues": ["sales"]},
                    {"role": "agent", "name": "ann", "token": "ann-token-0123456789"},
                ]
            },
        }
    )  # fmt: skip
    async with call_centre(config) as cc:
        records = cc.app.api.services["records"]
        store.apply(records.engine, scripted_day())
        admin = await cc.client()
        span = {"from": "2027-01-15T08:00:00Z", "to": "2027-01-15T12:00:00Z"}
        result = await admin.call("report.serviceLevel", span)
        assert result == {
            "name": "service-level",
            "title": "Service level: calls answered within 20 s of those offered",
            "columns": ["queue", "offered", "answeredWithin", "abandonedWithin", "serviceLevel"],
            "rows": [["sales", 4, 1, 1, 0.25], ["support", 2, 1, 0, 0.5]],
        }
        hourly = await admin.call("report.answerRate", {**span, "interval": "hour"})
        assert hourly["rows"][0] == ["2027-01-15 08:00", 4, 2, 2, 0.5]
        listed = await admin.call("report.list")
        assert {"name": "queue-waits", "method": "report.queueWaits"} in listed["reports"]
        # A local date: midnight in the time zone given.
        day = await admin.call(
            "report.answerRate", {"from": "2027-01-15", "to": "2027-01-16", "timezone": "UTC"}
        )
        assert day["rows"] == [[7, 3, 4, 0.4286]]
        sue = await cc.client(token="sue-token-0123456789")
        own = await sue.call("report.queueWaits", {**span, "queue": "sales"})
        assert own["rows"] == [["sales", 4, 2, 2, 32.5, 15.0, 70.0, 70.0]]
        for method, extra in (
            ("report.queueWaits", {"queue": "support"}),
            ("report.queueWaits", {}),
            ("report.trunkOccupancy", {"queue": "sales"}),
        ):
            with pytest.raises(RpcErrorReply) as refused:
                await sue.call(method, {**span, **extra})
            assert refused.value.code == -32005
        ann = await cc.client(token="ann-token-0123456789")
        with pytest.raises(RpcErrorReply):
            await ann.call("report.answerRate", span)
        with pytest.raises(RpcErrorReply) as backwards:
            await admin.call("report.answerRate", {"from": span["to"], "to": span["from"]})
        assert backwards.value.code == -32602
