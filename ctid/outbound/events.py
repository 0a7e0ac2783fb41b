"""Campaign events for supervisors: run states and ``campaign.figures``.

Monitors of ``{"campaignObject": NAME}`` (topic ``campaign:NAME``) and of
``{"campaignObject": "*"}`` (topic ``campaigns``) receive:

* ``campaign.started``, ``campaign.paused``, ``campaign.stopped``,
  ``campaign.finished`` (the running campaign has no record left to dial, on
  preview or on a call): ``{campaign, state, mode, queue}``;
* ``campaign.figures``, throttled like ``queue.figures``: the running
  campaign's figures are computed at every pacing round and sent when they
  differ from the last sent, at most once per ``interval`` seconds (the ACD's
  ``wallboard_interval``): today's ``dialled``,
  ``answered`` (by a person), ``abandoned``, ``abandonRate`` (abandoned /
  answered), ``connected`` (to an agent), ``agents`` by state, ``recordsLeft``
  (records that may still be dialled: new, retry, callback, on preview) and
  ``inFlight`` (calls up now).

While nobody watches a campaign (no monitor of its topics, no webhook tap:
``heard``), its figures are neither read nor built (``recordsLeft`` is a count
over the whole list); the first pacing round once someone watches sends them
at once, even if they did not change since they were last sent.

"Today" is the campaign's day in its ``timezone``. Counts are kept across a
restart or a takeover in the live state (``keep.py``); a new day starts at 0.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

__all__ = ["EVENT_NAMES", "STATE_EVENTS", "CampaignBoard", "DayCounts", "topics_of"]

#: Run state -> the event announcing it.
STATE_EVENTS: Final = {
    "running": "campaign.started",
    "paused": "campaign.paused",
    "stopped": "campaign.stopped",
    "finished": "campaign.finished",
}

Publish = Callable[..., None]
#: Whether an event for these topics would reach anyone (``CstaPublisher.wants``).
Heard = Callable[..., bool]

#: Every event of campaigns (``rpc.discover`` lists them).
EVENT_NAMES: Final = (*STATE_EVENTS.values(), "campaign.figures", "campaign.preview")


def topics_of(campaign: str) -> tuple[str, str]:
    """The bus topics of a campaign's events."""
    return (f"campaign:{campaign}", "campaigns")


@attrs.define
class DayCounts:
    day: dt.date
    dialled: int = 0
    answered: int = 0
    abandoned: int = 0
    connected: int = 0
    machines: int = 0

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0


class CampaignBoard:
    """Today's counts per campaign, and the events; see the module docstring."""

    def __init__(
        self,
        publish: Publish | None,
        *,
        utcnow: Callable[[], dt.datetime],
        clock: Callable[[], float],
        interval: float = 1.0,
        heard: Heard | None = None,
    ) -> None:
        self._publish = publish
        self._heard = heard
        self._utcnow = utcnow
        self._clock = clock
        self.interval = interval
        self.days: dict[str, DayCounts] = {}
        self._touched: set[str] = set()
        self._last: dict[str, float] = {}
        self._sent: dict[str, dict[str, Any]] = {}

    def _today(self, campaign: str, zone: str) -> DayCounts:
        try:
            tz: dt.tzinfo = zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = dt.UTC
        day = self._utcnow().astimezone(tz).date()
        counts = self.days.get(campaign)
        if counts is None or counts.day != day:
            counts = self.days[campaign] = DayCounts(day=day)
        return counts

    def count(self, campaign: str, zone: str, **added: int) -> None:
        """Add to today's counts (``dialled=1``, ``answered=1``...)."""
        counts = self._today(campaign, zone)
        for key, n in added.items():
            setattr(counts, key, getattr(counts, key) + n)
        self._touched.add(campaign)

    def touch(self, campaign: str) -> None:
        self._touched.add(campaign)

    def state(self, campaign: str, state: str, spec: Mapping[str, Any]) -> None:
        """Announce a run state (``running``, ``paused``, ``stopped``, ``finished``)."""
        self._touched.add(campaign)
        if self._publish is None:
            return
        self._publish(
            STATE_EVENTS[state],
            {
                "campaign": campaign,
                "state": state,
                "mode": spec.get("mode"),
                "queue": spec.get("queue"),
            },
            topics=topics_of(campaign),
        )

    def watched(self, campaign: str) -> bool:
        """Whether ``campaign.figures`` of ``campaign`` would reach anyone now. While
        it would not, what was sent last is forgotten: the next figures go at once."""
        if self._publish is None:
            return False
        if self._heard is None or self._heard(topics=topics_of(campaign)):
            return True
        self._sent.pop(campaign, None)
        self._last.pop(campaign, None)
        return False

    def figures_due(self, campaign: str) -> bool:
        """Whether ``campaign.figures`` may go now (the interval since the last is up)."""
        last = self._last.get(campaign)
        return last is None or self._clock() - last >= self.interval

    def figures(
        self,
        campaign: str,
        zone: str,
        *,
        agents: Mapping[str, int],
        records_left: int,
        in_flight: int,
    ) -> dict[str, Any]:
        counts = self._today(campaign, zone)
        return {
            "campaign": campaign,
            "day": counts.day.isoformat(),
            "dialled": counts.dialled,
            "answered": counts.answered,
            "machines": counts.machines,
            "connected": counts.connected,
            "abandoned": counts.abandoned,
            "abandonRate": round(counts.abandon_rate, 4),
            "agents": dict(sorted(agents.items())),
            "recordsLeft": records_left,
            "inFlight": in_flight,
        }

    def send_figures(self, params: dict[str, Any]) -> None:
        """Send ``params`` unless they are the figures sent last."""
        campaign = params["campaign"]
        if self._sent.get(campaign) == params and campaign not in self._touched:
            return
        self._touched.discard(campaign)
        self._sent[campaign] = params
        self._last[campaign] = self._clock()
        if self._publish is not None:
            self._publish("campaign.figures", params, topics=topics_of(campaign))
