"""Fax on Asterisk (res_fax with res_fax_spandsp), sans-IO: requests and the result.

ARI has no fax operation: ctid sets channel variables, then continues the
channel into a dialplan context (``fax_context``, default ``ctid-fax``) whose
``receive`` or ``send`` extension runs ``ReceiveFax()``/``SendFax()`` and hands
the channel back to ctid's Stasis application with ``fax`` and the fax id as
arguments (docs/fax.md has the dialplan)::

    [ctid-fax]
    exten => receive,1,Set(FAXOPT(localstationid)=${CTID_FAX_STATION})
     same => n,ReceiveFax(${CTID_FAX_FILE})
     same => n,Stasis(ctid,fax,${CTID_FAX_ID})
    exten => send,1,Set(FAXOPT(localstationid)=${CTID_FAX_STATION})
     same => n,Set(FAXOPT(headerinfo)=${CTID_FAX_HEADER})
     same => n,SendFax(${CTID_FAX_FILE})
     same => n,Stasis(ctid,fax,${CTID_FAX_ID})

Back in Stasis, ctid reads res_fax's channel variables (``FAXSTATUS``,
``FAXERROR``, ``FAXSTATUSSTRING``, ``FAXPAGES``, ``REMOTESTATIONID``,
``FAXBITRATE``: ``set_channel_variables`` in res_fax.c) and reports
``FaxFinished``. ``FAXSTATUSSTRING`` is spandsp's completion text, whose code
``t30.code_of`` knows. A channel that hangs up during the fax never comes
back: its fax ends as "The call dropped prematurely". res_fax sends no page
progress to ARI, so there is no ``FaxProgress`` on Asterisk.

A real fax machine hangs up as soon as the last page is confirmed, so a channel
that sent or took every page often never reaches ``Stasis()`` again (seen on
Asterisk 22.10.1: res_fax set ``FAXSTATUS=SUCCESS``, ``FAXPAGES=3``, then the
channel was destroyed). ``FaxVariables`` follows res_fax's ``ChannelVarset``
events on the channels in the fax context, block by block (each block ends with
``FAXPAGES``), so such a channel's fax ends with res_fax's own last result; only a
channel with no final block (spandsp's text in ``FAXSTATUSSTRING``) is "dropped".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from .. import t30
from ..base import FaxFinished, ReceiveFax, SendFax
from . import rest

__all__ = [
    "DEFAULT_FAX_CONTEXT",
    "FAX_STASIS_ARG",
    "RESULT_VARIABLES",
    "FaxVariables",
    "dropped",
    "finished",
    "start_requests",
]

DEFAULT_FAX_CONTEXT: Final = "ctid-fax"
#: The first Stasis argument of a channel the fax context hands back.
FAX_STASIS_ARG: Final = "fax"
#: What res_fax leaves on the channel, read when it comes back.
RESULT_VARIABLES: Final = (
    "FAXSTATUS",
    "FAXERROR",
    "FAXSTATUSSTRING",
    "FAXPAGES",
    "REMOTESTATIONID",
    "FAXBITRATE",
)


def start_requests(command: ReceiveFax | SendFax, *, context: str) -> list[rest.AriRequest]:
    """The requests that start a fax: the variables the context reads, then continue."""
    cid = command.channel_id
    variables = {
        "CTID_FAX_ID": command.fax_id,
        "CTID_FAX_FILE": command.path,
        "CTID_FAX_STATION": command.station_id,
    }
    if isinstance(command, SendFax):
        variables["CTID_FAX_HEADER"] = command.header
    out = [rest.set_variable(cid, name, value) for name, value in variables.items()]
    extension = "receive" if isinstance(command, ReceiveFax) else "send"
    out.append(rest.continue_in_dialplan(cid, context=context, extension=extension))
    return out


def _int(value: str | None) -> int:
    try:
        return int(value or "0")
    except ValueError:
        return 0


def finished(fax_id: str, path: str | None, values: Mapping[str, str | None]) -> FaxFinished:
    """The end of a fax from res_fax's variables (missing ones read as empty)."""
    success = (values.get("FAXSTATUS") or "") == "SUCCESS"
    pages = _int(values.get("FAXPAGES"))
    text = values.get("FAXSTATUSSTRING") or values.get("FAXERROR") or ""
    code = t30.code_of(text)
    if code is None:
        # res_fax's own endings (no spandsp text): FAXERROR says which.
        code = t30.OK if success else -1
    return FaxFinished(
        fax_id=fax_id,
        success=success,
        pages=pages,
        result_code=code,
        result_text=text or ("OK" if success else "failed"),
        path=path if path is not None and pages else None,
        remote_station_id=values.get("REMOTESTATIONID") or "",
        bit_rate=_int(values.get("FAXBITRATE")),
    )


def dropped(fax_id: str) -> FaxFinished:
    """A fax whose channel hung up in the dialplan (it never came back)."""
    return FaxFinished(
        fax_id=fax_id,
        success=False,
        pages=0,
        result_code=t30.CALL_DROPPED,
        result_text=t30.TEXT[t30.CALL_DROPPED],
    )


class FaxVariables:
    """res_fax's variables as ``ChannelVarset`` events set them, per faxing channel."""

    def __init__(self) -> None:
        self._block: dict[str, dict[str, str]] = {}
        self._last: dict[str, dict[str, str]] = {}

    def varset(self, channel_id: str, name: str, value: str) -> None:
        """One ``ChannelVarset`` on a channel in the fax context."""
        block = self._block.setdefault(channel_id, {})
        block[name] = value
        if name == "FAXPAGES":  # res_fax sets it last in each block
            self._last[channel_id] = block
            self._block[channel_id] = {}

    def ended(self, channel_id: str, fax_id: str, path: str) -> FaxFinished:
        """The fax of a channel destroyed in the fax context: res_fax's final result if
        it set one (spandsp's completion text), else "The call dropped prematurely"."""
        last = self._last.get(channel_id)
        self.forget(channel_id)
        if last is None or t30.code_of(last.get("FAXSTATUSSTRING") or "") is None:
            return dropped(fax_id)
        return finished(fax_id, path, last)

    def forget(self, channel_id: str) -> None:
        self._block.pop(channel_id, None)
        self._last.pop(channel_id, None)
