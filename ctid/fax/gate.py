"""May a fax be dialled now? The do-not-call list and the calling windows of ``[fax]``.

The same rules as outbound campaigns (``ctid.outbound``), asked by the fax
service before each dial (``FaxService.may_dial``):

* a number on the global do-not-call list (``dnc.add``, ``ctid dnc``) is never
  faxed: the fax fails at once, without retry (``[fax] check_dnc = false`` turns
  the check off);
* outside ``[fax] windows`` in the callee's time zone (the longest prefix of
  ``[outbound] zone_prefixes``, else ``[fax] timezone``), or on one of
  ``[fax] holidays``, the fax waits, as queued, until the next window opens; no
  window within 14 days fails it. No windows: any time.

``decide`` is pure (the list lookup is done before); ``FaxGate`` reads the
list in the records database, in a worker thread.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

from ..outbound import store as outbound_store
from ..outbound.campaign_config import CampaignSpec
from ..outbound.numbers import InvalidNumber, normalise
from ..outbound.windows import callee_zone, in_window, next_opening

__all__ = ["DialCheck", "DialKind", "FaxGate", "allow_all", "decide", "window_spec"]


class DialKind(enum.Enum):
    #: Dial it now.
    DIAL = "dial"
    #: Not now: wait until ``until`` and ask again.
    WAIT = "wait"
    #: Never: the fax fails with ``reason``, without retry.
    REFUSE = "refuse"


@attrs.frozen(kw_only=True)
class DialCheck:
    kind: DialKind
    until: dt.datetime | None = None
    reason: str = ""


#: The answer when nothing stands in the way.
DIAL_NOW = DialCheck(kind=DialKind.DIAL)


def window_spec(
    windows: tuple[Any, ...], timezone: str, holidays: tuple[str, ...]
) -> CampaignSpec | None:
    """The windows as a ``CampaignSpec`` (what ``ctid.outbound.windows`` reads); None
    without windows (any time)."""
    if not windows:
        return None
    return CampaignSpec(
        name="fax", queue="fax", timezone=timezone, windows=windows, holidays=holidays
    )


def dialled_form(number: str) -> str:
    """The number as the do-not-call lists hold it (``normalise``); as given if it
    is not one that list could hold (``*`` and ``#`` codes)."""
    try:
        return normalise(number)
    except InvalidNumber:
        return number


def decide(
    number: str,
    now: dt.datetime,
    *,
    on_dnc: bool,
    spec: CampaignSpec | None,
    zone_prefixes: Mapping[str, str],
) -> DialCheck:
    """The rule for one number at ``now`` (aware); ``on_dnc``: found on the list."""
    if on_dnc:
        return DialCheck(kind=DialKind.REFUSE, reason="on the do-not-call list")
    if spec is None:
        return DIAL_NOW
    zone = callee_zone(spec, number, {}, zone_prefixes)
    if in_window(spec, zone, now):
        return DIAL_NOW
    opening = next_opening(spec, zone, now)
    if opening is None:
        return DialCheck(
            kind=DialKind.REFUSE, reason=f"no calling window opens within 14 days in {zone}"
        )
    return DialCheck(
        kind=DialKind.WAIT, until=opening, reason=f"outside the calling windows in {zone}"
    )


async def allow_all(number: str) -> DialCheck:
    """The check of a service without a gate (tests of the service alone)."""
    return DIAL_NOW


@attrs.define
class FaxGate:
    """``FaxService.may_dial``: the list lookup, then ``decide``."""

    #: ``RecordsService.read``: runs a blocking function on the records engine.
    read: Callable[..., Awaitable[Any]]
    now: Callable[[], dt.datetime]
    spec: CampaignSpec | None
    zone_prefixes: Mapping[str, str]
    check_dnc: bool = True

    async def __call__(self, number: str) -> DialCheck:
        on_dnc = False
        if self.check_dnc:
            form = dialled_form(number)
            found = await self.read(
                outbound_store.dnc_numbers_for, outbound_store.GLOBAL_DNC, [form]
            )
            on_dnc = form in found
        return decide(
            number, self.now(), on_dnc=on_dnc, spec=self.spec, zone_prefixes=self.zone_prefixes
        )
