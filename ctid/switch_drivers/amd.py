"""Answering-machine detection (AMD): what a switch says about who answered an outside call.

ctid asks for detection with ``Originate(detect_machines=True)``; after the
far end answers, the switch listens to the greeting and reports ``AmdResult``:
a person ("Hello?" and silence), a machine (a long greeting), or unknown (it
could not tell in time). Asterisk does it with the ``AMD()`` dialplan
application (its ``AMDSTATUS`` variable: ``HUMAN``, ``MACHINE``, ``NOTSURE``,
``HANGUP``), FreeSWITCH with ``mod_avmd``; the simulator's outside parties are
people or machines (``simulator.config.Callees``). Kept apart from ``base`` so
drivers that do not detect machines need nothing from it.
"""

from __future__ import annotations

import enum

import attrs

from .base import SwitchEvent

__all__ = ["AmdResult", "AnsweredBy", "from_asterisk"]


class AnsweredBy(enum.Enum):
    """Who answered, as far as the switch could tell."""

    HUMAN = "human"
    MACHINE = "machine"
    UNKNOWN = "unknown"


@attrs.frozen(kw_only=True)
class AmdResult(SwitchEvent):
    """The detection's verdict on an answered channel that asked for it."""

    channel_id: str
    result: AnsweredBy
    #: The switch's own words for it (``AMDCAUSE`` on Asterisk), for the logs.
    detail: str = ""


def from_asterisk(status: str) -> AnsweredBy:
    """``AMDSTATUS`` as ctid sees it: ``NOTSURE`` (and anything unknown) is unknown."""
    return {"HUMAN": AnsweredBy.HUMAN, "MACHINE": AnsweredBy.MACHINE}.get(
        status.strip().upper(), AnsweredBy.UNKNOWN
    )
