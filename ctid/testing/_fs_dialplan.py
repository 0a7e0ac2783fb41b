"""The fake FreeSWITCH's dialplan and callers: phones dialling and calls from the provider.

Two dialplans (``DialplanKind``):

* ``LAB``, the one the reference traffic was captured with (its README):
  ``1001``-``1004`` bridge to ``user/<n>``, ``2001`` parks without answering,
  any other number sets ``ctid_dialed`` and is answered and parked.
* ``CTID``, the one docs/drivers.md tells operators to write: every call from a
  phone or from the provider gets ``set ctid_dialed=${destination_number}``
  and ``park``, unanswered, so ctid routes it (the handover).

Calls from the provider arrive on the ``external`` sofia profile in context
``public``, with the caller's number and the number called (DNIS).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import trio

    from ._fs_events import SimChannel

__all__ = ["Dialplan", "DialplanKind", "DialplanSwitch"]

#: The channel variable that hands a call to ctid (``mapping.HANDOVER_VARIABLE``).
HANDOVER: str = "ctid_dialed"


class DialplanKind(enum.Enum):
    """Which dialplan the fake switch runs for inbound calls."""

    LAB = "lab"
    CTID = "ctid"


class DialplanSwitch(Protocol):
    """What the dialplan uses of the fake switch (``SimSwitch`` is one): no import of it."""

    nursery: trio.Nursery
    users: dict[str, bool]
    unregistered: frozenset[str]
    domain: str
    channels: dict[str, SimChannel]
    new_uuid: Callable[[], str]

    def create_channel(
        self,
        *,
        uuid: str,
        name: str,
        direction: str,
        cid_name: str,
        cid_number: str,
        destination: str,
        variables: dict[str, str],
        username: str | None = None,
        presence_id: str | None = None,
        context: str = "default",
        party: str = "",
    ) -> SimChannel: ...

    def answer(self, ch: SimChannel) -> None: ...

    def park(self, ch: SimChannel) -> None: ...

    def execute_app(
        self,
        ch: SimChannel,
        app: str,
        data: str,
        *,
        app_uuid: str | None = None,
        complete: bool,
        effect: Callable[[], None] | None = None,
    ) -> None: ...

    async def originate(self, args: str) -> str: ...

    def hangup(self, ch: SimChannel, cause: str) -> None: ...

    def now_us(self) -> int: ...

    def channel_event(
        self,
        name: str,
        function: str,
        ch: SimChannel,
        *,
        before: list[tuple[str, str]] | None = None,
        after: list[tuple[str, str]] | None = None,
        with_other: bool = False,
    ) -> None: ...


class Dialplan:
    """Inbound channels and what the dialplan does with them."""

    def __init__(self, switch: DialplanSwitch, kind: DialplanKind) -> None:
        self.switch = switch
        self.kind = kind

    def phone_dials(self, ext: str, number: str) -> SimChannel:
        """Phone ``ext`` calls ``number``."""
        sw = self.switch
        ch = sw.create_channel(
            uuid=sw.new_uuid(),
            name=f"sofia/internal/{ext}@127.0.0.1:5080",
            direction="inbound",
            cid_name=ext,
            cid_number=ext,
            destination=number,
            username=ext,
            presence_id=f"{ext}@{sw.domain}",
            party=ext,
            variables={
                "sip_from_user": ext,
                "user_name": ext,
                "sip_req_user": number,
                "sofia_profile_name": "internal",
            },
        )
        self._route(ch, number)
        return ch

    def outside_calls(self, caller: str, called: str) -> SimChannel:
        """An outside party ``caller`` calls ``called`` through the provider."""
        sw = self.switch
        ch = sw.create_channel(
            uuid=sw.new_uuid(),
            name=f"sofia/external/{caller}@192.0.2.10:5060",
            direction="inbound",
            cid_name=caller,
            cid_number=caller,
            destination=called,
            context="public",
            party=caller,
            variables={
                "sip_from_user": caller,
                "sip_req_user": called,
                "sofia_profile_name": "external",
            },
        )
        self._route(ch, called)
        return ch

    def _route(self, ch: SimChannel, number: str) -> None:
        sw = self.switch
        ch.media = True
        ch.state = "CS_EXECUTE"
        if self.kind is DialplanKind.CTID:
            self._set(ch, HANDOVER, number)
            ch.callstate = "RING_WAIT"
            sw.park(ch)
        elif number == "2001":
            ch.callstate = "RING_WAIT"
            sw.park(ch)
        elif number in sw.users or number in sw.unregistered:
            sw.execute_app(ch, "bridge", f"user/{number}@{sw.domain}", complete=False)
            sw.nursery.start_soon(self._bridge_to_user, ch.uuid, number)
        else:
            self._set(ch, HANDOVER, number)
            sw.execute_app(ch, "answer", "", complete=True)
            sw.answer(ch)
            sw.park(ch)

    def _set(self, ch: SimChannel, name: str, value: str) -> None:
        """The ``set`` application: the variable is there from its COMPLETE event on."""

        def assign() -> None:
            ch.variables[name] = value

        self.switch.execute_app(ch, "set", f"{name}={value}", complete=True, effect=assign)

    async def _bridge_to_user(self, a_uuid: str, ext: str) -> None:
        sw = self.switch
        b_uuid = sw.new_uuid()
        caller = sw.channels[a_uuid]
        # The b-leg carries the caller's id, as the dialplan bridge does.
        result = await sw.originate(
            f"{{origination_uuid={b_uuid},origination_caller_id_number={caller.cid_number},"
            f"origination_caller_id_name='Extension {caller.cid_name}'}}"
            f"user/{ext}@{sw.domain} &park()"
        )
        a = sw.channels.get(a_uuid)
        b = sw.channels.get(b_uuid)
        if a is None:
            if b is not None:
                sw.hangup(b, "ORIGINATOR_CANCEL")
            return
        if b is None or not result.startswith("+OK"):
            sw.hangup(a, result.split()[-1] if result.startswith("-ERR") else "NORMAL_CLEARING")
            return
        sw.answer(a)
        a.callee_name, a.callee_number = "Outbound Call", b.destination
        a.partner, b.partner = b.uuid, a.uuid
        a.bridge_a, b.bridge_a = True, False
        a.bridged_us = b.bridged_us = sw.now_us()
        a.transfer_source = f"{a.bridged_us // 1_000_000}:{sw.new_uuid()}:bridge:{b.uuid}"
        a.application, a.application_data = "bridge", f"user/{ext}@{sw.domain}"
        sw.channel_event(
            "CHANNEL_BRIDGE",
            "switch_ivr_multi_threaded_bridge",
            a,
            before=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)],
            with_other=True,
        )
