"""What a resync asks FreeSWITCH beyond ``show channels``: the channel variables that
say which legs are ctid's, read one ``uuid_getvar`` at a time after the snapshot.

Kept apart from the driver, whose job is the link and the commands: this is the
only place the resync's round trips per channel are made, and the place to look
when a resync of many channels is slow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from . import fax
from .frames import ApiResponse, CommandReply
from .link import EslLink, LinkLost
from .mapping import HANDOVER_VARIABLE, ORIGIN_VARIABLE, EventMapper
from .proto import EslConnection

__all__ = ["ResyncFacts", "getvar", "read_resync_facts", "rows_of"]


@attrs.frozen(kw_only=True)
class ResyncFacts:
    #: Parked channels handed to ctid by the dialplan while it was away: uuid -> number dialled.
    dialed: Mapping[str, str]
    #: Legs through a gateway: uuid -> gateway name.
    gateways: Mapping[str, str]
    #: Legs ctid originated (ringing ones, and ctid's own faxes).
    originated: frozenset[str]


def getvar(uuid: str, name: str) -> Callable[[EslConnection], bytes]:
    """A request for one channel variable (``uuid_getvar``)."""

    def build(conn: EslConnection) -> bytes:
        return conn.send_api("uuid_getvar", f"{uuid} {name}")

    return build


def rows_of(reply: CommandReply | ApiResponse) -> list[Mapping[str, str]]:
    """The rows of a ``show ... as json`` reply; a reply that is not one loses the link."""
    if not isinstance(reply, ApiResponse):
        raise LinkLost(f"unexpected reply to show: {reply}")
    try:
        data: Any = json.loads(reply.body)
    except ValueError as exc:
        raise LinkLost(f"show ... as json gave no JSON: {reply.body[:80]!r}") from exc
    rows = data.get("rows", []) if isinstance(data, dict) else []
    return [{str(k): str(v) for k, v in row.items()} for row in rows if isinstance(row, dict)]


async def _value(link: EslLink, uuid: str, name: str) -> str | None:
    """The variable's value, or None when the channel has none (``_undef_``, ``-ERR``)."""
    reply = await link.request(getvar(uuid, name))
    if not isinstance(reply, ApiResponse):
        return None
    text = reply.body.strip()
    if not text or text == "_undef_" or text.startswith("-"):
        return None
    return text


async def read_resync_facts(
    link: EslLink, mapper: EventMapper, rows: list[Mapping[str, str]]
) -> ResyncFacts:
    """Ask the switch, channel by channel, what the snapshot ``rows`` cannot say."""
    dialed: dict[str, str] = {}
    for uuid in mapper.waiting(rows):
        # Parked while ctid was away: handed to ctid only if the dialplan said so.
        text = await _value(link, uuid, HANDOVER_VARIABLE)
        if text is not None:
            dialed[uuid] = text
    gateways: dict[str, str] = {}
    for uuid in mapper.gateway_legs(rows):
        text = await _value(link, uuid, "sip_gateway_name")
        if text is not None:
            gateways[uuid] = text
    originated: set[str] = set()
    for uuid in mapper.ringing_legs(rows):
        if await _value(link, uuid, ORIGIN_VARIABLE) == "true":
            originated.add(uuid)
    for uuid in mapper.fax_legs(rows):
        # In rxfax/txfax after ctid restarted: ctid's if it named the fax (its
        # result event will say which); a dialplan's own fax is left alone.
        if await _value(link, uuid, fax.FAX_ID_VARIABLE) is not None:
            originated.add(uuid)
    return ResyncFacts(dialed=dialed, gateways=gateways, originated=frozenset(originated))
