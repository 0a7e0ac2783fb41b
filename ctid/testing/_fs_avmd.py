"""The fake FreeSWITCH's mod_avmd: ``avmd_start``, the api ``avmd <uuid> start|stop``
and their CUSTOM events.

As mod_avmd.c (FreeSWITCH 1.10.12: ``avmd_start_app``, ``avmd_api_main``,
``avmd_fire_event``) does, with its default avmd.conf (``report_status`` 1,
``outbound_channel`` 1, ``inbound_channel`` 0):

* the application ``avmd_start`` (``sendmsg`` execute) on an answered outbound
  leg fires ``avmd::start`` (``Start-time``) and listens; on an inbound leg, or
  twice, it only logs (nothing happens);
* the api ``avmd <uuid> start`` answers ``+OK\\n [uuid] [name] started!`` and
  fires ``avmd::start``, but its session's settings are never filled in (no
  detector runs: it never hears a beep, as on the lab's 1.10.12); on an inbound
  leg it cannot set the direction, on a leg without media yet it has no read
  codec: ``-ERR, ...``; twice, ``-ERR, ... already started``; an unknown uuid,
  ``-ERR, no FreeSWITCH session``;
* the beep: the outside party is the fake's ``parties`` (by default the
  simulator's: ``...263`` is an answering machine with a 6 s greeting); a
  machine's greeting ends with a beep, heard then, ``avmd::beep``
  (``Beep-Status: DETECTED``, ``Frequency``...);
  a person says "Hello?" and never beeps;
* ``stop`` answers ``+OK\\n [uuid] [name] stopped`` and fires ``avmd::stop``
  (from the api: ``Beep-Status: NOTDETECTED`` and the "session object not
  found" ``Stop-status``, whatever was heard, as mod_avmd 1.10.12 does),
  ``+ERR, avmd has not yet been started`` when none runs.

Every event carries the base headers, ``Unique-ID`` and ``Call-command: avmd``,
and no channel data (mod_avmd adds none).
"""

from __future__ import annotations

import trio

from ..switch_drivers.simulator.config import SimulatorConfig
from ._fs_events import SimChannel
from ._fs_switch import SimSwitch

__all__ = ["avmd_api", "avmd_start"]

SYNTAX = (
    "<uuid> < start | stop | set [inbound|outbound|default] | load [inbound|outbound] "
    "| reload | show >"
)
#: Channel uuid -> (the running session's cancel scope, its start in µs).
_SESSIONS: dict[str, tuple[trio.CancelScope, int]] = {}


def avmd_api(switch: SimSwitch, words: list[str], parties: SimulatorConfig) -> str:
    """The api ``avmd`` with ``words`` as its arguments; ``parties`` say who answers."""
    if len(words) != 2:
        return f"-ERR, avmd takes [1] min and [2] max parameters!\n-USAGE: {SYNTAX}\n\n"
    uuid, command = words
    ch = switch.channels.get(uuid)
    if ch is None or ch.hungup:
        return f"-ERR, no FreeSWITCH session for uuid [{uuid}]!\n-USAGE: {SYNTAX}\n\n"
    running = _SESSIONS.get(uuid)
    if running is not None:
        if command.lower() == "stop":
            del _SESSIONS[uuid]
            running[0].cancel()
            _event(
                switch,
                ch,
                "avmd::stop",
                [
                    ("Beep-Status", "NOTDETECTED"),
                    ("Stop-status", "ERROR (AVMD SESSION OBJECT NOT FOUND IN MEDIA BUG)"),
                    ("Total-time", str(-running[1])),
                ],
            )
            return f"+OK\n [{uuid}] [{ch.name}] stopped\n\n"
        return f"-ERR, avmd for FreeSWITCH session [{uuid}]\n already started\n\n"
    if command.lower() == "stop":
        return f"+ERR, avmd has not yet been started on\n [{uuid}] [{ch.name}]\n\n"
    not_started = f"+ERR\n [{uuid}] [{ch.name}] NOT started!\n\n"
    if ch.direction != "outbound":
        return (
            f"-ERR, can't set direction for channel [{ch.name}]\n for FreeSWITCH session "
            f"[{uuid}]. Please check avmd configuration\n\n" + not_started
        )
    if not ch.media:
        return (
            f"-ERR, channel [{ch.name}] for FreeSWITCH session [{uuid}]\n has no read codec "
            "assigned yet. Please try again.\n\n" + not_started
        )
    if command.lower() != "start":
        return f"-ERR, did you mean\n api avmd {uuid} start ?\n-USAGE: {SYNTAX}\n\n"
    _start(switch, ch)  # with zeroed settings: no detector listens
    return f"+OK\n [{uuid}] [{ch.name}] started!\n\n"


def avmd_start(switch: SimSwitch, ch: SimChannel, parties: SimulatorConfig) -> None:
    """The application ``avmd_start`` on ``ch``: avmd.conf's settings, detectors listen."""
    if ch.hungup or ch.uuid in _SESSIONS or ch.direction != "outbound" or not ch.media:
        return  # mod_avmd logs why; no event
    scope = _start(switch, ch)
    rule = parties.behaviour_for(ch.party)
    if rule.machine:
        switch.nursery.start_soon(_listen, switch, ch, scope, rule.greeting_seconds)


def _start(switch: SimSwitch, ch: SimChannel) -> trio.CancelScope:
    start_us = switch.now_us()
    scope = trio.CancelScope()
    _SESSIONS[ch.uuid] = (scope, start_us)
    _event(switch, ch, "avmd::start", [("Start-time", str(start_us))])
    return scope


async def _listen(switch: SimSwitch, ch: SimChannel, scope: trio.CancelScope, at: float) -> None:
    """A machine's greeting ends with its beep, ``at`` seconds after the answer."""
    with scope:
        answered = ch.answered_us / 1_000_000 if ch.answered_us else 0.0
        await trio.sleep(max(0.0, at - (switch.now_us() / 1_000_000 - answered)))
        if ch.hungup:
            return
        start = _SESSIONS.get(ch.uuid, (scope, switch.now_us()))[1]
        _event(
            switch,
            ch,
            "avmd::beep",
            [
                ("Beep-Status", "DETECTED"),
                ("Frequency", "1000.000000"),
                ("Frequency-variance", "0.000012"),
                ("Amplitude", "2245.126953"),
                ("Amplitude-variance", "17.318359"),
                ("Detection-time", str(switch.now_us() - start)),
                ("Detector-resolution", "1"),
                ("Detector-offset", "0"),
                ("Detector-index", "12"),
            ],
        )
        ch.variables["avmd_detect"] = "TRUE"


def _event(
    switch: SimSwitch, ch: SimChannel, subclass: str, headers: list[tuple[str, str]]
) -> None:
    pairs = switch.events.base("CUSTOM", "avmd_fire_event", "mod_avmd.c")
    pairs.insert(0, ("Event-Subclass", subclass))
    pairs += [("Unique-ID", ch.uuid), ("Call-command", "avmd"), *headers]
    switch.emit(f"CUSTOM {subclass}", pairs)
