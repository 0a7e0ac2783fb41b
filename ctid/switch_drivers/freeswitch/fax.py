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
"""

from __future__ import annotations

from typing import Final

from ..base import FaxFinished, FaxProgress, SwitchEvent
from .frames import EslEvent

__all__ = ["FAX_ID_VARIABLE", "FILE_VARIABLE", "SUBCLASSES", "fax_events", "fax_variables"]

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
