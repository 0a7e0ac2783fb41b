"""The fake FreeSWITCH's ``rxfax``/``txfax`` (mod_spandsp), with its CUSTOM events.

As ``mod_spandsp_fax.c`` does: after each page ``spandsp::rxfaxpageresult`` (or
``txfaxpageresult``) with ``fax-document-transferred-pages``; at the end (phase E)
``spandsp::rxfaxresult`` (or ``txfaxresult``) with ``fax-success``,
``fax-result-code``, ``fax-result-text`` (spandsp's), pages, ``fax-transfer-rate``,
``fax-remote-station-id``..., each event carrying the channel's data and
variables (``switch_channel_event_set_data``). The far end is the simulator's fax
machine for the outside party's number, timed as on the simulator; a received fax
is written as a real TIFF. A hang-up mid-fax ends it with 49 ("The call dropped
prematurely").
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

__all__ = ["start_fax"]

_MACHINES = SimulatorConfig()


def start_fax(switch: SimSwitch, ch: SimChannel, app: str, path: str) -> None:
    """Run ``rxfax``/``txfax <path>`` on ``ch`` in the switch's nursery."""
    switch.nursery.start_soon(_fax, switch, ch, app == "rxfax", path)


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
    if machine is None or not sizes:
        await trio.sleep(simfax.T0)
        code = t30.T0_EXPIRED
    elif receiving and not Path(path).parent.is_dir():
        # spandsp opens the TIFF once the machines have met, in a directory it does
        # not make: 41, no page (as res_fax_spandsp did on Asterisk 22.10.1).
        await trio.sleep(simfax.PHASE_B)
        code = t30.FILE_ERROR
    else:
        await trio.sleep(simfax.PHASE_B)
        for size in sizes:
            await trio.sleep(size * 8 / rate + simfax.PAGE_END)
            if ch.hungup:
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
    if ch.hungup and code == t30.OK and pages < len(sizes):
        code = t30.CALL_DROPPED
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


def _write(path: Path, data: bytes) -> None:
    # A fake's own small file, written at once (trio's MockClock must not advance).
    path.write_bytes(data)
