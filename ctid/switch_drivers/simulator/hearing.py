"""Who hears whom on the simulated card: the media model that tests check supervision against.

* Two answered channels in one bridge hear each other, unless either is
  hearing music on its own channel (waiting in a queue, or held by its
  phone's key): music replaces the conversation for both.
* A supervisor hears its target and everything its target hears (the switch
  taps the target's line both ways), in every mode.
* Who hears a supervisor depends on the mode: nobody when ``silent``; the
  target only when ``whisper``; when ``barge``, the target and everybody who
  hears the target.
* A channel that is not answered hears nothing and is heard by nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Protocol

from .. import base as sw
from .objects import Channel, Supervision

__all__ = ["MAX_SUPERVISION_DEPTH", "Card", "channel_hears", "supervision_of"]


class Card(Protocol):
    """What the media model reads of the card (``SimSwitch`` is one): no import of the core."""

    @property
    def channels(self) -> Mapping[str, Channel]: ...

    @property
    def supervisions(self) -> Mapping[str, Supervision]: ...


#: Supervisors of supervisors are followed this deep when deciding who hears whom.
MAX_SUPERVISION_DEPTH: Final = 4


def supervision_of(card: Card, chan: Channel) -> Supervision | None:
    """The supervision in which ``chan`` is the supervisor, if any."""
    for sup in card.supervisions.values():
        if sup.supervisor == chan.channel_id:
            return sup
    return None


def channel_hears(card: Card, a: Channel, b: Channel, depth: int = MAX_SUPERVISION_DEPTH) -> bool:
    if a is b or depth <= 0 or not (a.answered and b.answered):
        return False
    listening = supervision_of(card, a)
    if listening is not None:
        target = card.channels.get(listening.target)
        return target is not None and (b is target or channel_hears(card, target, b, depth - 1))
    speaking = supervision_of(card, b)
    if speaking is not None:
        target = card.channels.get(speaking.target)
        if target is None or speaking.mode is sw.SupervisionMode.SILENT:
            return False
        if speaking.mode is sw.SupervisionMode.WHISPER:
            return a is target
        return a is target or channel_hears(card, a, target, depth - 1)
    return a.bridge_id is not None and a.bridge_id == b.bridge_id and not a.music and not b.music
