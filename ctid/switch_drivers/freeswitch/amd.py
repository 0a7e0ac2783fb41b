"""Answering-machine detection on FreeSWITCH (mod_avmd), sans-IO: commands and verdicts.

mod_avmd does not tell a person from a machine: it listens for the *beep* that
ends a voicemail greeting ("leave your message after the tone"). ctid uses it
so: when an outside leg that asked for detection (``Originate.detect_machines``)
is answered, the driver runs the application ``avmd_start`` on it (``sendmsg``
execute), then waits for ``CUSTOM avmd::beep`` (headers ``Unique-ID``,
``Beep-Status: DETECTED``, ``Frequency``, ``Detection-time`` in microseconds:
``avmd_fire_event`` in mod_avmd.c) for at most ``amd_seconds``, and stops it
with the api ``avmd <uuid> stop`` (mod_avmd keeps its media bug after a beep
until told; the api, unlike an application, does not take a bridged leg out of
its bridge).

Not the api ``avmd <uuid> start`` (mod_avmd 1.10.12 has no ``uuid_avmd``): it
starts a session whose settings are never filled in (``avmd_api_main`` calls
``init_avmd_session_data`` without copying ``avmd_globals.settings``, which
``avmd_start_app`` does), so it runs no detector and assumes 48000 samples/s: on
the lab's FreeSWITCH 1.10.12 it never heard the beep that ``avmd_start`` heard.

* a beep within ``amd_seconds``: ``machine``;
* no beep: ``unknown``, not ``human``. Silence from avmd only means no
  greeting *ended with a beep* in that time: a person, or a machine whose
  greeting is longer (most are 5 to 15 s) sound the same to it. ``unknown``
  goes to an agent as a person does (docs/outbound.md), so the dialler treats
  both alike; the call record keeps what was really known.

mod_avmd 1.10.12 sends no ``avmd::timeout`` (its events are ``avmd::beep``,
``avmd::start`` and ``avmd::stop``); the wait is ctid's. Whether mod_avmd is
loaded is asked once per connection (``module_exists mod_avmd``); without it,
or when ``sendmsg`` is refused (the leg is gone), the verdict is ``unknown`` at
once and the log says why. ``avmd_start`` reports its own failures only in
FreeSWITCH's log (``outbound_channel`` off in avmd.conf: no direction): then no
beep comes and the verdict is ``unknown`` after ``amd_seconds``.
"""

from __future__ import annotations

from typing import Final

from ..amd import AmdResult, AnsweredBy
from .frames import EslEvent

__all__ = [
    "BEEP",
    "DEFAULT_AMD_SECONDS",
    "MODULE",
    "START_APP",
    "SUBCLASSES",
    "beep_result",
    "no_beep",
    "stop_args",
]

#: The CUSTOM subclass of a detected beep.
BEEP: Final = "avmd::beep"
#: What the driver subscribes to (the start and stop events say nothing ctid needs).
SUBCLASSES: Final = (BEEP,)
MODULE: Final = "mod_avmd"
#: The application that starts detection with avmd.conf's settings.
START_APP: Final = "avmd_start"
#: How long ctid waits for a beep after the answer: below the dialler's 5 s
#: (``outbound.abandon.AMD_SECONDS``), after which it no longer waits for a verdict.
DEFAULT_AMD_SECONDS: Final = 4.0


def stop_args(uuid: str) -> str:
    """The arguments of the api ``avmd`` that stop it."""
    return f"{uuid} stop"


def beep_result(event: EslEvent) -> AmdResult | None:
    """``avmd::beep`` as a verdict: a machine (None for any other event)."""
    uuid = event.unique_id
    if event.subclass != BEEP or not uuid or event.get("Beep-Status") != "DETECTED":
        return None
    detail = "beep"
    frequency = event.get("Frequency")
    if frequency:
        try:
            detail += f" {float(frequency):.0f} Hz"
        except ValueError:
            detail += f" {frequency}"
    return AmdResult(channel_id=uuid, result=AnsweredBy.MACHINE, detail=detail)


def no_beep(channel_id: str, seconds: float) -> AmdResult:
    """No beep within ``seconds`` of the answer: ``unknown`` (see the module docstring)."""
    return AmdResult(
        channel_id=channel_id, result=AnsweredBy.UNKNOWN, detail=f"no beep in {seconds:g} s"
    )
