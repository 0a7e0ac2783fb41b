"""Fax: typed values, the ``fax.*`` requests and the fax events (docs/fax.md).

Documents go up and faxes come down over HTTP on the API port:
``Client.fax_upload`` and ``Client.fax_download``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ._calls import Call, _drop_none
from ._events import FAX_EVENT_NAMES, Event
from ._values import field, items, optional, strings

__all__ = [
    "FAX_EVENT_NAMES",
    "Fax",
    "FaxBatch",
    "FaxDocument",
    "FaxEvent",
    "fax_cancel",
    "fax_get",
    "fax_search",
    "fax_send",
    "fax_send_batch",
    "fax_tag",
]


def _int(data: Mapping[str, Any], key: str, where: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: {key} is not an integer: {value!r}")
    return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class FaxDocument:
    """A document to fax, as ``POST /fax/documents`` answers."""

    document_id: str
    name: str | None
    #: ``pdf`` or ``tiff``: what was uploaded (it is kept as a fax TIFF).
    source: str
    pages: int
    size_bytes: int
    sha256: str

    @classmethod
    def from_wire(cls, data: Any, where: str = "fax document") -> FaxDocument:
        return cls(
            document_id=field(data, "documentID", str, where),
            name=optional(data, "name", str, where),
            source=field(data, "source", str, where),
            pages=field(data, "pages", int, where),
            size_bytes=field(data, "sizeBytes", int, where),
            sha256=field(data, "sha256", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Fax:
    """A fax received or sent (``fax.get``, ``fax.search``)."""

    fax_id: str
    batch_id: str | None
    #: ``in`` or ``out``.
    direction: str
    #: ``queued``, ``dialing``, ``sending``, ``receiving``, ``completed``, ``failed``,
    #: ``cancelled`` or ``deleted``.
    state: str
    mailbox: str
    call_id: str | None
    remote_number: str
    pages: int
    total_pages: int | None
    attempts: int
    max_attempts: int
    #: spandsp's T.30 completion code and text (None while it runs or if never reached).
    result_code: int | None
    result_text: str | None
    remote_station_id: str | None
    documents: tuple[str, ...]
    #: Download paths (``tiff``, ``pdf``) while there is an image.
    download: Mapping[str, str] | None
    tags: tuple[str, ...] = ()
    #: The ctid node that handled it (None for faxes older than the column).
    node: str | None = None
    #: The mail of the fax (``[fax.email]``): its addresses (empty: not mailed),
    #: ``pending``/``sent``/``failed`` (given up), attempts, when the relay took it
    #: (ISO 8601), the last failure.
    email_to: tuple[str, ...] = ()
    email_status: str | None = None
    email_attempts: int | None = None
    emailed_at: str | None = None
    email_error: str | None = None

    @classmethod
    def from_wire(cls, data: Any, where: str = "fax.get") -> Fax:
        download = data.get("download") if isinstance(data, Mapping) else None
        return cls(
            fax_id=field(data, "faxID", str, where),
            batch_id=optional(data, "batchID", str, where),
            direction=field(data, "direction", str, where),
            state=field(data, "state", str, where),
            mailbox=field(data, "mailbox", str, where),
            call_id=optional(data, "callID", str, where),
            remote_number=field(data, "remoteNumber", str, where),
            pages=field(data, "pages", int, where),
            total_pages=_int(data, "totalPages", where),
            attempts=field(data, "attempts", int, where),
            max_attempts=field(data, "maxAttempts", int, where),
            result_code=_int(data, "resultCode", where),
            result_text=optional(data, "resultText", str, where),
            remote_station_id=optional(data, "remoteStationID", str, where),
            documents=strings(data, "documents", where),
            download=dict(download) if isinstance(download, Mapping) else None,
            tags=strings(data, "tags", where)
            if isinstance(data, Mapping) and "tags" in data
            else (),
            node=optional(data, "node", str, where),
            email_to=strings(data, "emailTo", where)
            if isinstance(data, Mapping) and data.get("emailTo") is not None
            else (),
            email_status=optional(data, "emailStatus", str, where),
            email_attempts=_int(data, "emailAttempts", where),
            emailed_at=optional(data, "emailedAt", str, where),
            email_error=optional(data, "emailError", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class FaxBatch:
    """The reply of ``fax.send`` to a list of numbers: one fax per number."""

    batch_id: str
    #: (number, fax id), in the order given.
    faxes: tuple[tuple[str, str], ...]

    @classmethod
    def from_wire(cls, data: Any, where: str = "fax.send") -> FaxBatch:
        return cls(
            batch_id=field(data, "batchID", str, where),
            faxes=tuple(
                (field(x, "to", str, where), field(x, "faxID", str, where))
                for x in items(data, "faxes", where)
            ),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class FaxEvent:
    """``fax.progress``, ``fax.received``, ``fax.completed`` or ``fax.failed``."""

    name: str
    seq: int | None
    monitor_cross_ref_id: str | None
    fax_id: str
    direction: str
    state: str
    mailbox: str
    remote_number: str
    pages: int
    attempt: int
    call_id: str | None
    batch_id: str | None
    total_pages: int | None
    result_code: int | None
    result_text: str | None
    #: ``fax.failed``: whether it will be tried again.
    will_retry: bool | None

    @classmethod
    def from_event(cls, event: Event) -> FaxEvent:
        """Read a fax event; ``ValueError`` for an event of another name."""
        if event.name not in FAX_EVENT_NAMES:
            raise ValueError(f"{event.name} is not a fax event")
        p, w = event.params, event.name
        return cls(
            name=event.name,
            seq=event.seq,
            monitor_cross_ref_id=event.monitor_cross_ref_id,
            fax_id=field(p, "faxID", str, w),
            direction=field(p, "direction", str, w),
            state=field(p, "state", str, w),
            mailbox=field(p, "mailbox", str, w),
            remote_number=field(p, "remoteNumber", str, w),
            pages=field(p, "pages", int, w),
            attempt=field(p, "attempt", int, w),
            call_id=optional(p, "callID", str, w),
            batch_id=optional(p, "batchID", str, w),
            total_pages=_int(p, "totalPages", w),
            result_code=_int(p, "resultCode", w),
            result_text=optional(p, "resultText", str, w),
            will_retry=optional(p, "willRetry", bool, w),
        )


def _send_params(
    to: str | Sequence[str],
    documents: Sequence[str],
    header: str | None,
    caller_id: str | None,
    retries: int | None,
    mailbox: str | None,
    email_to: str | Sequence[str] | None = None,
) -> dict[str, Any]:
    return _drop_none(
        to=to if isinstance(to, str) else list(to),
        documents=list(documents),
        header=header,
        callerId=caller_id,
        retries=retries,
        mailbox=mailbox,
        emailTo=email_to if email_to is None or isinstance(email_to, str) else list(email_to),
    )


def fax_send(
    to: str,
    documents: Sequence[str],
    *,
    header: str | None = None,
    caller_id: str | None = None,
    retries: int | None = None,
    mailbox: str | None = None,
    email_to: str | Sequence[str] | None = None,
    timeout: float | None = None,
) -> Call[str]:
    """``fax.send`` to one number: documents (ids or names) one after the other; the fax id.
    ``email_to``: an address or a list the result is mailed to (needs ``[fax.email]``)."""
    return Call(
        method="fax.send",
        params=_send_params(to, documents, header, caller_id, retries, mailbox, email_to),
        parse=lambda r: field(r, "faxID", str, "fax.send"),
        timeout=timeout,
    )


def fax_send_batch(
    to: Sequence[str],
    documents: Sequence[str],
    *,
    header: str | None = None,
    caller_id: str | None = None,
    retries: int | None = None,
    mailbox: str | None = None,
    email_to: str | Sequence[str] | None = None,
    timeout: float | None = None,
) -> Call[FaxBatch]:
    """``fax.send`` to a list of numbers: one fax each, with its own state."""
    if isinstance(to, str):
        raise TypeError("fax_send_batch takes a list of numbers; fax_send takes one")
    return Call(
        method="fax.send",
        params=_send_params(to, documents, header, caller_id, retries, mailbox, email_to),
        parse=FaxBatch.from_wire,
        timeout=timeout,
    )


def fax_get(fax_id: str, *, timeout: float | None = None) -> Call[Fax]:
    """``fax.get``: one fax."""
    return Call(method="fax.get", params={"faxID": fax_id}, parse=Fax.from_wire, timeout=timeout)


def fax_cancel(fax_id: str, *, timeout: float | None = None) -> Call[str]:
    """``fax.cancel``: stop a fax waiting or being sent; its state after."""
    return Call(
        method="fax.cancel",
        params={"faxID": fax_id},
        parse=lambda r: field(r, "state", str, "fax.cancel"),
        timeout=timeout,
    )


def fax_tag(
    fax_id: str, tags: Sequence[str], *, timeout: float | None = None
) -> Call[tuple[str, ...]]:
    """``fax.tag``: add tags to a fax (``important``: kept whatever the retention); all
    its tags after."""
    return Call(
        method="fax.tag",
        params={"faxID": fax_id, "tags": list(tags)},
        parse=lambda r: strings(r, "tags", "fax.tag"),
        timeout=timeout,
    )


def fax_search(
    *,
    from_: str | None = None,
    to: str | None = None,
    direction: str | None = None,
    number: str | None = None,
    state: str | None = None,
    mailbox: str | None = None,
    batch_id: str | None = None,
    min_pages: int | None = None,
    max_pages: int | None = None,
    tags: Sequence[str] = (),
    email_status: str | None = None,
    limit: int | None = None,
    timeout: float | None = None,
) -> Call[tuple[Fax, ...]]:
    """``fax.search``: faxes by time (``[from_, to)``, ISO 8601), direction, number, state,
    mailbox, batch, pages and tags; newest first."""
    return Call(
        method="fax.search",
        params=_drop_none(
            **{"from": from_},
            to=to,
            direction=direction,
            number=number,
            state=state,
            mailbox=mailbox,
            batchID=batch_id,
            minPages=min_pages,
            maxPages=max_pages,
            tags=list(tags) if tags else None,
            emailStatus=email_status,
            limit=limit,
        ),
        parse=lambda r: tuple(
            Fax.from_wire(x, "fax.search.faxes[]") for x in items(r, "faxes", "fax.search")
        ),
        timeout=timeout,
    )
