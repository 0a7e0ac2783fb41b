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

When a phone registers or subscribes to ``message-summary``, mod_sofia fires
``MESSAGE_QUERY`` (``Message-Account: sip:1001@127.0.0.1``, ``VM-Sofia-Profile``, and
``VM-Call-ID`` of the registration or ``VM-sub-call-id`` of the subscription) and
sends that phone whatever ``MESSAGE_WAITING`` answers it. mod_voicemail answers with
its own box's counts (``actual_message_query_handler``: the ``MWI-`` headers, then
each ``VM-`` header without its prefix), which on the lab's FreeSWITCH 1.10.12 put
out a lamp ctid had lit. ``LampBook`` answers the same way with the counts ctid last
set, for the phones it has set.
"""

from __future__ import annotations

import logging
from typing import Final

from ..base import CommandRejected, DriverUnavailable, RejectReason, SetMessageWaiting
from .endpoints import EndpointConfig
from .frames import CommandReply, EslEvent
from .link import EslLink

__all__ = [
    "EVENT_NAME",
    "QUERY_EVENT",
    "LampBook",
    "account",
    "headers",
    "send_event",
    "set_lamp",
]

log = logging.getLogger(__name__)

#: The event type a lamp change fires.
EVENT_NAME: Final = "MESSAGE_WAITING"
#: The event mod_sofia fires when a phone registers or subscribes (asks for its lamp).
QUERY_EVENT: Final = "MESSAGE_QUERY"


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


class LampBook:
    """The counts ctid last set on each phone's lamp, to answer ``MESSAGE_QUERY``."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int]] = {}

    async def set_lamp(
        self,
        link: EslLink | None,
        command: SetMessageWaiting,
        endpoints: EndpointConfig,
        domain: str,
    ) -> None:
        """``set_lamp``, remembering the counts once the switch took them."""
        await set_lamp(link, command, endpoints, domain)
        self._counts[command.device] = (command.new, command.old)

    def answer(self, query: EslEvent, domain: str | None) -> list[tuple[str, str]] | None:
        """The ``MESSAGE_WAITING`` header lines answering ``query``, as mod_voicemail's;
        None for a phone ctid has set no lamp on (another domain, or not yet)."""
        mwi_account = query.get("Message-Account") or ""
        user, _, host = mwi_account.removeprefix("sip:").partition("@")
        counts = self._counts.get(user)
        if counts is None or (domain and host != domain):
            return None
        lines = headers(mwi_account, *counts)
        lines += [(k[3:], query.get(k) or "") for k in query.headers if k.lower().startswith("vm-")]
        # A header line cannot hold a line break (a forged value would add headers).
        if any("\n" in k + v or "\r" in k + v for k, v in lines):
            return None
        return lines

    async def answer_query(self, link: EslLink | None, query: EslEvent, domain: str | None) -> None:
        """Answer one ``MESSAGE_QUERY`` on the link (run as its own task: the reader
        that delivered the query must stay free to read the reply)."""
        lines = self.answer(query, domain)
        if lines is None:
            return
        try:
            await send_event(link, EVENT_NAME, lines)
        except (CommandRejected, DriverUnavailable) as exc:
            log.info("MWI: could not answer %s's MESSAGE_QUERY: %s", lines[1][1], exc)
