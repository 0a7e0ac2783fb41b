"""What a waiting caller hears: music, a greeting, and announcements of its position,
its estimated wait and the callback offer.

Prompts are media URIs as the switch drivers take them: ``sound:NAME`` (a
recorded prompt), ``number:N`` (said as a number) and ``digits:D``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from ..calls.control import NoSuchCall
from .entry_states import EntryState

if TYPE_CHECKING:
    from .core import AcdCore
    from .queue import Entry, QueueRuntime

__all__ = [
    "CALLBACK_CONFIRMED",
    "music",
    "play",
    "position_prompts",
    "schedule_announcement",
    "stop_media",
]

_WAITING = (EntryState.WAITING, EntryState.OFFERED)

#: Played to a caller who asked to be called back, before the ACD hangs up.
CALLBACK_CONFIRMED: Final = ("sound:queue-callback-confirmed",)


def position_prompts(queue: QueueRuntime, entry: Entry) -> list[str]:
    """The periodic announcement for ``entry`` (empty if the queue announces nothing)."""
    cfg = queue.config
    media: list[str] = []
    position = queue.position(entry)
    if cfg.announce_position:
        media += ["sound:queue-youarenumber", f"number:{position}"]
    if cfg.announce_wait_time:
        wait = queue.estimated_wait(position)
        if wait is not None:
            if wait < 60:
                media.append("sound:queue-less-than-a-minute")
            else:
                minutes = math.ceil(wait / 60)
                media += ["sound:queue-estimated-wait", f"number:{minutes}", "sound:minutes"]
    if cfg.callback_digit is not None:
        media += ["sound:queue-callback-press", f"digits:{cfg.callback_digit}"]
    return media


# ------------------------------------------------------------- the media


def music(engine: AcdCore, entry: Entry, on: bool) -> None:
    """Music on hold to the waiting caller's own line."""
    with contextlib.suppress(NoSuchCall):  # the caller has just left
        engine.control.music(entry.call_id, on, engine.queues[entry.queue].config.music_class)


def stop_media(engine: AcdCore, entry: Entry) -> None:
    """Silence the waiting caller's line (before an agent talks, or the call moves on)."""
    if entry.playback_id is not None:
        engine.after_playback.pop(entry.playback_id, None)
        engine.control.stop_playback(entry.playback_id)
        entry.playback_id = None
    if entry.call_id in engine.model.calls and engine.queues[entry.queue].config.answer:
        music(engine, entry, False)


def play(engine: AcdCore, entry: Entry, media: Sequence[str]) -> None:
    """Play prompts to a waiting caller (its music pauses), then music again."""
    queue = engine.queues[entry.queue]
    music(engine, entry, False)
    try:
        playback = engine.control.play(
            entry.call_id, list(media), stop_on_digit=queue.config.callback_digit is not None
        )
    except NoSuchCall:
        return
    entry.playback_id = playback
    engine.after_playback[playback] = lambda: _played(engine, entry, playback)


def _played(engine: AcdCore, entry: Entry, playback: str) -> None:
    if entry.playback_id != playback or entry.state not in _WAITING:
        return
    entry.playback_id = None
    music(engine, entry, True)
    schedule_announcement(engine, entry)


def schedule_announcement(engine: AcdCore, entry: Entry) -> None:
    interval = engine.queues[entry.queue].config.announce_interval
    if interval > 0 and entry.announce_timer is None:
        entry.announce_timer = engine.scheduler.call_at(
            engine.now() + interval, lambda: _announce(engine, entry)
        )


def _announce(engine: AcdCore, entry: Entry) -> None:
    entry.announce_timer = None
    if entry.state is not EntryState.WAITING or entry.playback_id is not None:
        # Not while an agent's phone rings, nor over a prompt: try at the next interval.
        if entry.state in _WAITING:
            schedule_announcement(engine, entry)
        return
    media = position_prompts(engine.queues[entry.queue], entry)
    if media:
        play(engine, entry, media)
    else:
        schedule_announcement(engine, entry)
