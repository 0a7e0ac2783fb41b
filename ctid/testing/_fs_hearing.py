"""Who hears whom on the fake FreeSWITCH, from the state its commands left.

The rules are FreeSWITCH's own, for the primitives the fake simulates:

* Two legs joined by ``uuid_bridge`` (or a dialplan ``bridge``) hear each other.
* Members of one conference hear each other; ``conference NAME play`` adds
  the file (music on hold) for every member.
* A leg running a playback of ``local_stream://`` (``uuid_broadcast``) hears
  music.
* An eavesdropper hears its target and whatever the target hears (the media
  bug taps both directions). Its own audio is mixed into what the target's
  phone gets when ``mux_write`` is on (``eavesdrop_whisper_bleg``, DTMF/command
  ``2``), and into what the target sends to its partners when ``mux_read`` is
  on (``eavesdrop_whisper_aleg``, ``1``); ``3`` is both, ``0`` neither.
* A leg that is not answered hears nothing and is heard by nobody.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ._fs_events import SimChannel
    from ._fs_switch import SimSwitch

__all__ = ["channel_hears", "hears_music"]

#: Eavesdroppers of eavesdroppers are followed this deep.
_DEPTH: Final = 4


def hears_music(switch: SimSwitch, ch: SimChannel) -> bool:
    """Whether ``ch`` hears music on hold now."""
    playing = switch.playing(ch.uuid)
    if playing is not None and playing.startswith("local_stream://"):
        return True
    music = switch.conference_music.get(ch.conference or "")
    return ch.conference is not None and music is not None


def channel_hears(switch: SimSwitch, a: SimChannel, b: SimChannel, depth: int = _DEPTH) -> bool:
    """Whether ``a`` hears ``b``'s voice now."""
    if a is b or depth <= 0 or not (_up(a) and _up(b)):
        return False
    listening = switch.eavesdrops.get(a.uuid)
    if listening is not None:
        target = switch.channels.get(listening.target)
        return target is not None and (b is target or channel_hears(switch, target, b, depth - 1))
    speaking = switch.eavesdrops.get(b.uuid)
    if speaking is not None:
        target = switch.channels.get(speaking.target)
        if target is None:
            return False
        if a is target:
            return speaking.mux_write
        return speaking.mux_read and channel_hears(switch, a, target, depth - 1)
    if a.partner == b.uuid and b.partner == a.uuid:
        return True
    return a.conference is not None and a.conference == b.conference


def _up(ch: SimChannel) -> bool:
    return ch.answer_state == "answered" and not ch.hungup
