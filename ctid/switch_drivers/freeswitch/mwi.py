"""Message-waiting lamps on FreeSWITCH: a ``MESSAGE_WAITING`` event ctid fires itself.

mod_sofia sends a phone its ``message-summary`` NOTIFY when a ``MESSAGE_WAITING``
event is fired (``sofia_presence.c``, ``actual_sofia_presence_mwi_event_handler``):
``MWI-Message-Account`` (``user@domain``, required) names the mailbox,
``MWI-Messages-Waiting`` (``yes``/``no``, required) lights or clears the lamp, and
every other ``MWI-`` header becomes a line of the NOTIFY body, so
``MWI-Voice-Message: 2/1 (0/0)`` is ``Voice-Message: 2/1 (0/0)`` (new/old, then
urgent new/urgent old), the same headers mod_voicemail sends. ESL's
``sendevent MESSAGE_WAITING`` fires such an event with the command's header lines
as its headers, unencoded (mes.c ``parse_command``), and answers ``+OK <uuid>``.

mod_sofia notifies the phones registered (or subscribed) as that user at that
domain; the domain is ``[switch.freeswitch] mwi_domain``, or FreeSWITCH's own
``domain`` global variable (``global_getvar domain``), read once per connection.
"""

from __future__ import annotations

from typing import Final

from ..base import CommandRejected, DriverUnavailable, RejectReason, SetMessageWaiting
from .endpoints import EndpointConfig
from .frames import CommandReply
from .link import EslLink

__all__ = ["EVENT_NAME", "account", "headers", "send_event", "set_lamp"]

#: The event type a lamp change fires.
EVENT_NAME: Final = "MESSAGE_WAITING"


def account(extension: str, domain: str) -> str:
    """``MWI-Message-Account``: the phone's user at its domain."""
    if not extension or not domain or any(c.isspace() or c == "@" for c in extension + domain):
        raise CommandRejected(
            RejectReason.INVALID_DESTINATION, f"no MWI account for {extension!r}@{domain!r}"
        )
    return f"{extension}@{domain}"


def headers(mwi_account: str, new: int, old: int) -> list[tuple[str, str]]:
    """The header lines of ``sendevent MESSAGE_WAITING`` for ``new`` and ``old`` messages."""
    new, old = max(new, 0), max(old, 0)
    return [
        ("MWI-Messages-Waiting", "yes" if new else "no"),
        ("MWI-Message-Account", mwi_account),
        # ctid has no urgent messages: (0/0), as mod_voicemail's full header says.
        ("MWI-Voice-Message", f"{new}/{old} (0/0)"),
    ]


async def send_event(link: EslLink | None, name: str, lines: list[tuple[str, str]]) -> None:
    """``sendevent NAME`` with ``lines`` as its headers; ``CommandRejected`` on ``-ERR``."""
    if link is None:
        raise DriverUnavailable("not connected to FreeSWITCH")
    reply = await link.request(lambda c: c.send_command(f"sendevent {name}", lines))
    if not isinstance(reply, CommandReply) or not reply.ok:
        text = reply.reply_text if isinstance(reply, CommandReply) else reply.body
        raise CommandRejected(RejectReason.SWITCH_ERROR, text)


async def set_lamp(
    link: EslLink | None, command: SetMessageWaiting, endpoints: EndpointConfig, domain: str
) -> None:
    """Show ``command``'s counts on the lamp of its phone (an extension)."""
    if not endpoints.is_extension(command.device):
        raise CommandRejected(
            RejectReason.INVALID_DESTINATION, f"{command.device} is not an extension"
        )
    lines = headers(account(command.device, domain), command.new, command.old)
    await send_event(link, EVENT_NAME, lines)
