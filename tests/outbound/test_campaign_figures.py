"""``campaign.figures`` only while someone watches the campaign (issue 12: a campaign
counted its whole list at every pacing round, for nobody), sent at once on first watch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import trio
import trio.testing

from ctid.outbound.events import CampaignBoard
from ctid.outbound.service import CampaignService
from ctid.testing import call_centre, sim_config

DAY = dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.UTC)


class Watchers:
    """Who watches which topics (what ``CstaPublisher.wants`` answers), and what was sent."""

    def __init__(self) -> None:
        self.topics: set[str] = set()
        self.asked: list[tuple[str, ...]] = []
        self.sent: list[tuple[str, dict[str, Any], tuple[str, ...]]] = []

    def heard(self, *, topics: tuple[str, ...] = ()) -> bool:
        self.asked.append(tuple(topics))
        return bool(self.topics & set(topics))

    def publish(self, name: str, params: dict[str, Any], *, topics: tuple[str, ...]) -> None:
        self.sent.append((name, params, tuple(topics)))


def board(watchers: Watchers, clock: list[float]) -> CampaignBoard:
    return CampaignBoard(
        watchers.publish,
        utcnow=lambda: DAY,
        clock=lambda: clock[0],
        interval=1.0,
        heard=watchers.heard,
    )


def figures(b: CampaignBoard) -> dict[str, Any]:
    return b.figures("c", "UTC", agents={"ready": 2}, records_left=7, in_flight=1)


def test_nobody_watching_no_figures_first_watch_at_once() -> None:
    watchers = Watchers()
    clock = [100.0]
    b = board(watchers, clock)
    b.count("c", "UTC", dialled=1)
    assert not b.watched("c")
    assert watchers.asked == [("campaign:c", "campaigns")]
    # A watcher of every campaign: the figures go at once.
    watchers.topics = {"campaigns"}
    assert b.watched("c") and b.figures_due("c")
    b.send_figures(figures(b))
    assert watchers.sent == [
        (
            "campaign.figures",
            {
                "campaign": "c",
                "day": "2027-01-15",
                "dialled": 1,
                "answered": 0,
                "machines": 0,
                "connected": 0,
                "abandoned": 0,
                "abandonRate": 0.0,
                "agents": {"ready": 2},
                "recordsLeft": 7,
                "inFlight": 1,
            },
            ("campaign:c", "campaigns"),
        )
    ]
    # Unchanged figures are not sent again, and not before the interval.
    clock[0] += 0.5
    assert not b.figures_due("c")
    clock[0] += 1.0
    b.send_figures(figures(b))
    assert len(watchers.sent) == 1
    # The watcher leaves; another comes: the same figures go again, at once.
    watchers.topics = set()
    assert not b.watched("c")
    watchers.topics = {"campaign:c"}
    assert b.watched("c") and b.figures_due("c")
    b.send_figures(figures(b))
    assert len(watchers.sent) == 2
    assert watchers.sent[1][1] == watchers.sent[0][1]


def test_another_campaigns_watcher_does_not_count() -> None:
    watchers = Watchers()
    watchers.topics = {"campaign:other"}
    b = board(watchers, [0.0])
    assert not b.watched("c")
    assert b.watched("other")


def test_no_publisher_no_figures() -> None:
    b = CampaignBoard(None, utcnow=lambda: DAY, clock=lambda: 0.0)
    assert not b.watched("c")


def test_without_heard_every_campaign_is_watched() -> None:
    watchers = Watchers()
    b = CampaignBoard(watchers.publish, utcnow=lambda: DAY, clock=lambda: 0.0)
    assert b.watched("c")


async def test_a_running_campaign_builds_figures_only_for_a_watcher(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    config = sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            "records": {"enabled": True, "database": database_url},
            "acd": {
                "queues": [{"name": "sales", "number": "8001"}],
                "agents": [{"id": "2001", "skills": [{"queue": "sales"}]}],
            },
            "campaigns": [
                {
                    "name": "renewals",
                    "queue": "sales",
                    "caller_id": "0170000000",
                    "timezone": "UTC",
                    "windows": [
                        {
                            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                            "start": "00:00",
                            "end": "24:00",
                        }
                    ],
                }
            ],
        }
    )
    async with call_centre(config) as cc:
        admin = await cc.client()
        service = cc.app.api.services["campaigns"]
        assert isinstance(service, CampaignService) and service.dialler is not None
        board = service.dialler.board
        built: list[dict[str, Any]] = []
        build = board.figures

        def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
            built.append(build(*args, **kwargs))
            return built[-1]

        board.figures = counting  # type: ignore[method-assign]
        await admin.call(
            "campaign.importList",
            {
                "campaign": "renewals",
                "list": "l",
                "numberColumn": "phone",
                "csv": "phone\n5550101\n",
            },
        )
        # The agent is logged off: the campaign runs and dials nothing; nobody watches.
        await admin.call("campaign.setState", {"name": "renewals", "state": "running"})
        await trio.sleep(30)
        assert built == []
        watch = await admin.call("MonitorStart", {"monitorObject": {"campaignObject": "renewals"}})
        figures = await admin.event("campaign.figures")
        assert {k: figures[k] for k in ("campaign", "dialled", "recordsLeft", "inFlight")} == {
            "campaign": "renewals",
            "dialled": 0,
            "recordsLeft": 1,
            "inFlight": 0,
        }
        assert len(built) == 1
        # Unchanged figures are not sent again; the watcher leaves: nothing is built.
        await admin.call("MonitorStop", {"monitorCrossRefID": watch["monitorCrossRefID"]})
        count = len(built)
        await trio.sleep(30)
        assert len(built) == count
        # A new watcher gets the same figures at once.
        await admin.call("MonitorStart", {"monitorObject": {"campaignObject": "*"}})
        again = await admin.event("campaign.figures")
        stamps = ("monitorCrossRefID", "seq", "timestamp")
        assert {k: v for k, v in again.items() if k not in stamps} == {
            k: v for k, v in figures.items() if k not in stamps
        }
