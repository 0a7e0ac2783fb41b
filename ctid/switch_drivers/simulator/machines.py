"""Answering machines on the simulated card, and its answering-machine detection.

The outside party of a call is drawn when it is dialled (``SimulatorConfig.behaviour_for``
with the card's ``callee_rng``): a person or a machine, each with a greeting of its
own length. When ctid asked for detection (``Originate.detect_machines``), the card
listens to the answer as Asterisk's ``AMD()`` does with its default settings: a
person says a short "Hello?" and falls silent, so the verdict ``human`` comes
``AFTER_GREETING_SILENCE`` seconds after the greeting ends; speech that goes on past
``GREETING_LIMIT`` seconds is a machine, reported at that moment. A machine whose
greeting is shorter than the limit is taken for a person, as on a real switch.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial
from typing import Final, Protocol

from .. import base as sw
from ..amd import AmdResult, AnsweredBy
from .config import OutsideRule, SimulatorConfig
from .objects import Channel

__all__ = ["AFTER_GREETING_SILENCE", "GREETING_LIMIT", "answered", "party"]

#: Asterisk ``AMD()``'s ``afterGreetingSilence`` (800 ms): silence that ends a person's hello.
AFTER_GREETING_SILENCE: Final = 0.8
#: Asterisk ``AMD()``'s ``greeting`` (1500 ms): speech longer than this is a machine.
GREETING_LIMIT: Final = 1.5


class SimSwitch(Protocol):
    """What this module uses of ``core.SimSwitch`` (kept apart: no import circle)."""

    config: SimulatorConfig
    channels: dict[str, Channel]
    callee_rng: random.Random

    def _at(self, when: float, key: str, action: Callable[[float], None]) -> None: ...
    def _emit(self, event: sw.SwitchEvent) -> None: ...


def party(card: SimSwitch, chan: Channel, cmd: sw.Originate) -> OutsideRule:
    """Draw the outside party of a call ctid dials; the channel remembers it."""
    rule = card.config.behaviour_for(cmd.device, card.callee_rng)
    chan.party_rule = rule
    chan.detect_machines = cmd.detect_machines
    return rule


def answered(card: SimSwitch, chan: Channel, now: float) -> None:
    """An outside party answered a call ctid dialled: detect, when asked."""
    rule = chan.party_rule
    if rule is None or not chan.detect_machines:
        return
    if rule.machine and rule.greeting_seconds > GREETING_LIMIT:
        result, after = AnsweredBy.MACHINE, GREETING_LIMIT
    else:
        result, after = AnsweredBy.HUMAN, rule.greeting_seconds + AFTER_GREETING_SILENCE
    card._at(now + after, f"amd:{chan.channel_id}", partial(_verdict, card, chan, result))


def _verdict(card: SimSwitch, chan: Channel, result: AnsweredBy, now: float) -> None:
    if chan.channel_id in card.channels:
        card._emit(AmdResult(channel_id=chan.channel_id, result=result))
