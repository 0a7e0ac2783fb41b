"""Answering-machine detection on Asterisk (app_amd), sans-IO: the request and the verdict.

ARI has no AMD operation, and a channel ARI originates into the dialplan is not
subscribed to ctid's app (``resource_channels.c`` subscribes only with ``app``),
so its ringing and a busy or unanswered end would never reach ctid. ctid therefore
originates into its Stasis app as always; when a channel that asked for detection
(``Originate.detect_machines``) enters the app answered, ctid *continues* it into
the dialplan context ``amd_context`` (default ``ctid-amd``), whose ``AMD()``
listens to the greeting and hands the channel back with the verdict as Stasis
arguments (docs/drivers.md has the dialplan)::

    [ctid-amd]
    exten => s,1(amd),AMD()
     same => n,Stasis(ctid,amd,${AMDSTATUS},${AMDCAUSE})
     same => n,Hangup()

The verdict rides in the ``StasisStart`` arguments rather than being read with
``GET /channels/{id}/variable``: one event, in order with the others, no request
that could lose a race with the callee hanging up. ctid reports the answer only
then (``ChannelAnswered``, then ``AmdResult``): the call cannot be bridged while
``AMD()`` listens, and the abandon rule's 2 seconds count from the verdict.

``continue`` goes to the label ``amd``, which Asterisk looks up first: a missing
context answers 404 and the channel stays in Stasis (without the label a missing
context would hang the customer up). Without app_amd (``GET
/asterisk/modules/app_amd.so`` says 404), or when ``continue`` fails, the call is
answered at once with the verdict ``unknown`` and a warning in the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ..amd import AmdResult, AnsweredBy, from_asterisk
from . import rest

__all__ = [
    "AMD_LABEL",
    "AMD_MODULE",
    "AMD_STASIS_ARG",
    "DEFAULT_AMD_CONTEXT",
    "module_request",
    "returned",
    "start_request",
    "undetected",
]

DEFAULT_AMD_CONTEXT: Final = "ctid-amd"
#: The extension and priority label of ``AMD()`` in the context.
AMD_EXTENSION: Final = "s"
AMD_LABEL: Final = "amd"
#: The first Stasis argument of a channel the AMD context hands back.
AMD_STASIS_ARG: Final = "amd"
#: The module whose presence the driver checks on each connection.
AMD_MODULE: Final = "app_amd.so"


def module_request() -> rest.AriRequest:
    """``GET /asterisk/modules/app_amd.so``: 200 if loaded, 404 if not."""
    return rest.get_module(AMD_MODULE)


def start_request(channel_id: str, *, context: str) -> rest.AriRequest:
    """``continue`` the answered channel into ``AMD()`` (the label makes a missing context 404)."""
    return rest.continue_in_dialplan(
        channel_id, context=context, extension=AMD_EXTENSION, label=AMD_LABEL
    )


def returned(channel_id: str, args: Sequence[str]) -> AmdResult:
    """The verdict of a channel back from the context: ``amd,STATUS,CAUSE`` in its args.

    A channel that comes back some other way (another dialplan) is ``unknown``.
    """
    if args[:1] != [AMD_STASIS_ARG]:
        return undetected(channel_id, "back in Stasis without an AMD verdict")
    status = args[1] if len(args) > 1 else ""
    cause = args[2] if len(args) > 2 else ""
    detail = f"{status} {cause}".strip() or "AMD set no AMDSTATUS"
    return AmdResult(channel_id=channel_id, result=from_asterisk(status), detail=detail)


def undetected(channel_id: str, why: str) -> AmdResult:
    """The verdict of a call whose detection could not run: ``unknown``, and why."""
    return AmdResult(channel_id=channel_id, result=AnsweredBy.UNKNOWN, detail=why)
