"""The fake FreeSWITCH's ``rxfax``/``txfax`` (mod_spandsp), with its CUSTOM events.

As ``mod_spandsp_fax.c`` does: after each page ``spandsp::rxfaxpageresult`` (or
``txfaxpageresult``) with ``fax-document-transferred-pages``; at the end (phase E)
``spandsp::rxfaxresult`` (or ``txfaxresult``) with ``fax-success``,
``fax-result-code``, ``fax-result-text`` (spandsp's), pages, ``fax-transfer-rate``,
``fax-remote-station-id``..., each event carrying the channel's data and
variables (``switch_channel_event_set_data``). The far end is the simulator's fax
machine for the outside party's number, timed as on the simulator; a received fax
is written as a real TIFF. A hang-up mid-fax ends it with 49 ("The call dropped
prematurely"), and so does mod_spandsp's ``stopfax`` run on the channel (it sets the
fax's ``done``; spandsp's ``t30_terminate`` reports the call dropped), which leaves the
call up. ``uuid_break`` does not stop a fax: the rxfax/txfax loop never looks at
``CF_BREAK`` (seen on a real FreeSWITCH 1.10.12: the fax went on to the end).
"""

from __future__ import annotations

from pathlib import Path

import trio

from .. import faximage
from ..switch_drivers import t30
from ..switch_drivers.simulator import fax as simfax
from ..switch_drivers.simulator.config import SimulatorConfig
from ._fs_events import SimChannel
from ._fs_switch import SimSwitch

__all__ = ["break_fax", "start_fax", "start_fax_detect"]

_MACHINES = SimulatorConfig()
#: Channel uuid -> set when ``stopfax`` stops its fax (channel uuids are unique).
_BREAKS: dict[str, trio.Event] = {}


def start_fax(switch: SimSwitch, ch: SimChannel, app: str, path: str) -> None:
    """Run ``rxfax``/``txfax <path>`` on ``ch`` in the switch's nursery."""
    ch.application, ch.application_data = app, path
    _BREAKS[ch.uuid] = trio.Event()
    switch.nursery.start_soon(_fax, switch, ch, app == "rxfax", path)


def start_fax_detect(switch: SimSwitch, ch: SimChannel, arg: str) -> None:
    """``spandsp_start_fax_detect <app> <arg> [timeout] [cng|ced]`` (mod_spandsp.c): a
    calling fax machine's CNG, heard ``CNG_AFTER`` later within the timeout, runs the
    application (``set`` here) and fires ``DETECTED_TONE`` with ``Detected-Fax-Tone``
    and the channel's data (``tone_detect_callback``)."""
    words = arg.split(" ")
    if len(words) < 2:
        return  # "Cannot Enable fax detection": nothing happens
    app, app_arg = words[0], words[1]
    timeout = int(words[2]) if len(words) > 2 and words[2].isdigit() else 0
    machine = _MACHINES.fax_machine(ch.party)
    if machine is None or not machine.cng or (timeout and timeout < simfax.CNG_AFTER):
        return
    switch.nursery.start_soon(_detected, switch, ch, app, app_arg)


async def _detected(switch: SimSwitch, ch: SimChannel, app: str, app_arg: str) -> None:
    await trio.sleep(simfax.CNG_AFTER)
    if ch.hungup:
        return
    if app == "set" and "=" in app_arg:
        name, _, value = app_arg.partition("=")
        ch.variables[name] = value
    pairs = switch.events.base("DETECTED_TONE", "tone_detect_callback", "mod_spandsp_fax.c")
    pairs.append(("Detected-Fax-Tone", "true"))
    pairs += switch.events.channel_block(ch)
    pairs += switch.events.variables(ch)
    switch.emit("DETECTED_TONE", pairs)


def break_fax(ch: SimChannel) -> bool:
    """``stopfax``: the fax application on ``ch`` (if one runs) stops at once."""
    broken = _BREAKS.get(ch.uuid)
    if broken is None or broken.is_set():
        return False
    broken.set()
    return True


def _event(
    switch: SimSwitch, ch: SimChannel, subclass: str, headers: list[tuple[str, str]]
) -> None:
    function = "phase_e_handler" if subclass.endswith("faxresult") else "phase_d_handler"
    pairs = switch.events.base("CUSTOM", function, "mod_spandsp_fax.c")
    pairs.insert(0, ("Event-Subclass", subclass))
    pairs += switch.events.channel_block(ch)
    pairs += switch.events.variables(ch)
    # Phase D's events name the channel again in ``uuid``, phase E's do not (as
    # captured on FreeSWITCH 1.10.12: tests/fixtures/esl/lab-fax-events.txt).
    pairs += [("uuid", ch.uuid)] if function == "phase_d_handler" else []
    pairs += headers
    switch.emit(f"CUSTOM {subclass}", pairs)


async def _fax(switch: SimSwitch, ch: SimChannel, receiving: bool, path: str) -> None:
    kind = "rx" if receiving else "tx"
    machine = _MACHINES.fax_machine(ch.party)
    if receiving:
        sizes: tuple[int, ...] = (simfax.PAGE_BYTES,) * (machine.pages if machine else 0)
    else:
        try:
            sizes = faximage.tiff_info(Path(path)).page_bytes
        except (OSError, faximage.FaxImageError):
            sizes = ()
    rate = _MACHINES.fax_bit_rate
    pages = 0
    code = t30.OK
    broken = _BREAKS[ch.uuid]
    if machine is None or not sizes:
        await _sleep_unless_broken(broken, simfax.T0)
        code = t30.T0_EXPIRED
    elif receiving and not Path(path).parent.is_dir():
        # spandsp opens the TIFF once the machines have met, in a directory it does
        # not make: 41, no page (as res_fax_spandsp did on Asterisk 22.10.1).
        await trio.sleep(simfax.PHASE_B)
        code = t30.FILE_ERROR
    else:
        await _sleep_unless_broken(broken, simfax.PHASE_B)
        for size in sizes:
            await _sleep_unless_broken(broken, size * 8 / rate + simfax.PAGE_END)
            if ch.hungup or broken.is_set():
                break
            if machine.fail_at_page == pages + 1:
                code = t30.NO_CARRIER if receiving else t30.TX_PHD_DEAD
                break
            pages += 1
            _event(
                switch,
                ch,
                f"spandsp::{kind}faxpageresult",
                [
                    ("fax-document-transferred-pages", str(pages)),
                    # Only a sender knows the document's length.
                    *([] if receiving else [("fax-document-total-pages", str(len(sizes)))]),
                    ("fax-image-resolution", "8040x7700"),
                    ("fax-image-size", str(size)),
                    ("fax-image-pixel-size", "1728x2292"),
                    ("fax-bad-rows", "0"),
                    ("fax-longest-bad-row-run", "0"),
                ],
            )
    _BREAKS.pop(ch.uuid, None)
    if broken.is_set() or (ch.hungup and code == t30.OK and pages < len(sizes)):
        code = t30.CALL_DROPPED
    if ch.application == ("rxfax" if receiving else "txfax"):
        ch.application, ch.application_data = "", ""
    if receiving and pages:
        _write(Path(path), faximage.make_fax_tiff([f"Fax from {ch.party}"] * pages))
    _event(
        switch,
        ch,
        f"spandsp::{kind}faxresult",
        [
            ("fax-success", "1" if code == t30.OK else "0"),
            ("fax-result-code", str(code)),
            ("fax-result-text", t30.TEXT[code]),
            ("fax-document-transferred-pages", str(pages)),
            ("fax-document-total-pages", str(len(sizes))),
            ("fax-image-resolution", "8040x7700"),
            # The receiver's is 0 (its file is written after phase E), as captured.
            ("fax-image-size", "0" if receiving else str(sizes[pages - 1] if pages else 0)),
            ("fax-bad-rows", "0"),
            ("fax-transfer-rate", str(rate) if machine else "0"),
            ("fax-ecm-used", "on"),
            ("fax-t38-status", "off"),
            ("fax-local-station-id", ch.variables.get("fax_ident", "")),
            ("fax-remote-station-id", ch.party if machine else ""),
        ],
    )


async def _sleep_unless_broken(broken: trio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stopfax`` stops the application."""
    with trio.move_on_after(seconds):
        await broken.wait()


def _write(path: Path, data: bytes) -> None:
    # A fake's own small file, written at once (trio's MockClock must not advance).
    path.write_bytes(data)
