"""Fax on FreeSWITCH (mod_spandsp), sans-IO: the commands' arguments and the result events.

ctid runs ``rxfax <file>`` / ``txfax <file>`` on the channel (``sendmsg``
execute) after setting ``ctid_fax_id`` and ``ctid_fax_file`` on it, so that
mod_spandsp's events, which carry the channel's variables
(``switch_channel_event_set_data``), name the fax:

* ``spandsp::rxfaxpageresult`` / ``txfaxpageresult`` after each page, with
  ``fax-document-transferred-pages``: ``FaxProgress``;
* ``spandsp::rxfaxresult`` / ``txfaxresult`` at the end (phase E), with
  ``fax-success`` (``1``/``0``), ``fax-result-code`` and ``fax-result-text``
  (spandsp's T.30 completion code and ``t30_completion_code_to_str``),
  ``fax-document-transferred-pages``, ``fax-remote-station-id`` and
  ``fax-transfer-rate``: ``FaxFinished``.

The header names are mod_spandsp's own (``mod_spandsp_fax.c``), lower case.

With ``fax_detect_seconds``, each inbound channel ctid answers gets
``spandsp_start_fax_detect``; a calling fax machine's tone (CNG) fires
``DETECTED_TONE`` with ``Detected-Fax-Tone: true``: ``FaxToneDetected``.
"""

from __future__ import annotations

from typing import Final

from ..base import FaxFinished, FaxProgress, FaxToneDetected, SwitchEvent
from .frames import EslEvent

__all__ = [
    "FAX_ID_VARIABLE",
    "FILE_VARIABLE",
    "SUBCLASSES",
    "TONE_VARIABLE",
    "detect_argument",
    "fax_events",
    "fax_variables",
    "tone_events",
]

FAX_ID_VARIABLE: Final = "ctid_fax_id"
FILE_VARIABLE: Final = "ctid_fax_file"
RESULTS: Final = ("spandsp::rxfaxresult", "spandsp::txfaxresult")
PAGES: Final = ("spandsp::rxfaxpageresult", "spandsp::txfaxpageresult")
#: The CUSTOM subclasses the driver subscribes to.
SUBCLASSES: Final = (*RESULTS, *PAGES)


def _int(value: str | None) -> int:
    try:
        return int(value or "0")
    except ValueError:
        return 0


def fax_events(event: EslEvent) -> list[SwitchEvent]:
    """The fax events of one mod_spandsp CUSTOM event (none if ctid did not start the fax)."""
    fax_id = event.get(f"variable_{FAX_ID_VARIABLE}")
    if not fax_id:
        return []
    pages = _int(event.get("fax-document-transferred-pages"))
    if event.subclass in PAGES:
        return [FaxProgress(fax_id=fax_id, pages=pages)]
    if event.subclass not in RESULTS:
        return []
    success = event.get("fax-success") == "1"
    receiving = event.subclass == "spandsp::rxfaxresult"
    return [
        FaxFinished(
            fax_id=fax_id,
            success=success,
            pages=pages,
            result_code=_int(event.get("fax-result-code")),
            result_text=event.get("fax-result-text") or "",
            path=event.get(f"variable_{FILE_VARIABLE}") if receiving and pages else None,
            remote_station_id=event.get("fax-remote-station-id") or "",
            bit_rate=_int(event.get("fax-transfer-rate")),
        )
    ]


#: The channel variable ``spandsp_start_fax_detect``'s application sets on a hit.
TONE_VARIABLE: Final = "ctid_fax_tone"


def detect_argument(seconds: float) -> str:
    """``spandsp_start_fax_detect``'s argument: ``<app> <arg> <timeout> cng`` (mod_spandsp.c
    needs an application to run on a hit; ``set`` only marks the channel)."""
    return f"set {TONE_VARIABLE}=true {max(1, int(seconds))} cng"


def tone_events(event: EslEvent) -> list[SwitchEvent]:
    """``DETECTED_TONE`` with ``Detected-Fax-Tone: true`` (mod_spandsp_fax.c's
    ``tone_detect_callback``, with the channel's data): ``FaxToneDetected``."""
    uuid = event.unique_id
    if event.get("Detected-Fax-Tone") != "true" or not uuid:
        return []
    return [FaxToneDetected(channel_id=uuid)]


def fax_variables(
    fax_id: str, path: str, *, station_id: str = "", header: str = ""
) -> dict[str, str]:
    """The channel variables set before ``rxfax``/``txfax`` (mod_spandsp reads ``fax_ident``
    and ``fax_header``)."""
    out = {FAX_ID_VARIABLE: fax_id, FILE_VARIABLE: path}
    if station_id:
        out["fax_ident"] = station_id
    if header:
        out["fax_header"] = header
    return out
