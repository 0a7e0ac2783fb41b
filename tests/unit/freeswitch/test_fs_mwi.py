"""Message-waiting lamps on FreeSWITCH: ``SetMessageWaiting`` is ``sendevent
MESSAGE_WAITING`` with mod_voicemail's ``MWI-`` headers (the bytes), and the fake
FreeSWITCH does what mod_event_socket and mod_sofia do with it: fires the event to
its subscribers and notifies the phone registered as that user at that domain."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio
import trio.testing
from esl_client import Client
from test_fs_driver import running

from ctid.switch_drivers.base import CommandRejected, RejectReason, SetMessageWaiting
from ctid.switch_drivers.freeswitch import commands, mwi
from ctid.switch_drivers.freeswitch.config import driver_options
from ctid.switch_drivers.freeswitch.frames import EslEvent, parse_event_plain
from ctid.switch_drivers.freeswitch.framing import FrameReader
from ctid.testing.fake_freeswitch import FakeFreeSwitch, Lamp


def test_the_command_bytes() -> None:
    lines = mwi.headers(mwi.account("1001", "127.0.0.1"), 2, 1)
    assert commands.raw_command("sendevent MESSAGE_WAITING", lines) == (
        b"sendevent MESSAGE_WAITING\n"
        b"MWI-Messages-Waiting: yes\n"
        b"MWI-Message-Account: 1001@127.0.0.1\n"
        b"MWI-Voice-Message: 2/1 (0/0)\n"
        b"\n"
    )
    assert mwi.headers("1001@pbx", 0, 3) == [
        ("MWI-Messages-Waiting", "no"),
        ("MWI-Message-Account", "1001@pbx"),
        ("MWI-Voice-Message", "0/3 (0/0)"),
    ]
    for extension, domain in (("", "pbx"), ("1001", ""), ("10 01", "pbx"), ("1001@x", "pbx")):
        with pytest.raises(CommandRejected) as info:
            mwi.account(extension, domain)
        assert info.value.reason is RejectReason.INVALID_DESTINATION


async def test_lamps_on_the_fake_switch(autojump_clock: trio.testing.MockClock) -> None:
    fake = FakeFreeSwitch()
    async with running(fake) as h:
        watcher = Client(await fake.connect())
        await watcher.login()
        await watcher.command(watcher.conn.send_event(["MESSAGE_WAITING"]))
        await h.driver.execute(SetMessageWaiting(device="1001", new=2, old=1))
        assert fake.lamps == {"1001": Lamp(lit=True, new=2, old=1)}
        # The domain came from the switch itself, asked once.
        assert fake.commands.count("api global_getvar domain") == 1
        event = await watcher.wait_event(lambda e: e.name == "MESSAGE_WAITING")
        assert (
            event.get("MWI-Message-Account"),
            event.get("MWI-Messages-Waiting"),
            event.get("MWI-Voice-Message"),
            event.get("Command"),
        ) == ("1001@127.0.0.1", "yes", "2/1 (0/0)", "sendevent MESSAGE_WAITING")
        await h.driver.execute(SetMessageWaiting(device="1001", new=0, old=3))
        assert fake.lamps["1001"] == Lamp(lit=False, new=0, old=3)
        assert fake.commands.count("api global_getvar domain") == 1
        # 1004 is not registered: mod_sofia has nobody to notify.
        await h.driver.execute(SetMessageWaiting(device="1004", new=1, old=0))
        assert "1004" not in fake.lamps
        # Not an extension: refused before anything is sent.
        sent = len(fake.commands)
        with pytest.raises(CommandRejected) as info:
            await h.driver.execute(SetMessageWaiting(device="+15550100", new=1, old=0))
        assert info.value.reason is RejectReason.INVALID_DESTINATION
        assert len(fake.commands) == sent


async def test_mod_sofia_needs_the_account_and_its_domain(
    autojump_clock: trio.testing.MockClock,
) -> None:
    fake = FakeFreeSwitch()
    async with trio.open_nursery() as nursery:
        await nursery.start(fake.run)
        client = Client(await fake.connect())
        await client.login()
        assert await client.api("global_getvar", "domain") == "127.0.0.1"

        async def send(lines: list[tuple[str, str]]) -> str:
            reply = await client.command(
                client.conn.send_command("sendevent MESSAGE_WAITING", lines)
            )
            return reply.reply_text  # type: ignore[union-attr]

        # The event is fired (+OK <uuid>) whatever it says; mod_sofia acts on good ones.
        assert (await send([("MWI-Message-Account", "1002@127.0.0.1")])).startswith("+OK ")
        assert (await send([("MWI-Messages-Waiting", "yes")])).startswith("+OK ")
        await send([("MWI-Messages-Waiting", "yes"), ("MWI-Message-Account", "1002@elsewhere")])
        assert fake.lamps == {}
        await send([("MWI-Messages-Waiting", "yes"), ("MWI-Message-Account", "sip:1002@internal")])
        assert fake.lamps == {"1002": Lamp(lit=True, new=0, old=0)}
        nursery.cancel_scope.cancel()


async def test_a_configured_domain_is_used_as_is(autojump_clock: trio.testing.MockClock) -> None:
    fake = FakeFreeSwitch(domain="pbx.example.com")
    async with running(fake) as h:
        h.driver._mwi_domain = "pbx.example.com"  # what [switch.freeswitch] mwi_domain sets
        await h.driver.execute(SetMessageWaiting(device="1003", new=1, old=0))
        assert fake.lamps == {"1003": Lamp(lit=True, new=1, old=0)}
        assert "api global_getvar domain" not in fake.commands


def test_mwi_domain_config() -> None:
    base = {"password": "pw", "extensions": "1001-1002"}
    assert driver_options(base)["mwi_domain"] is None
    assert driver_options({**base, "mwi_domain": "pbx.example.com"})["mwi_domain"] == (
        "pbx.example.com"
    )


def _captured_queries() -> list[EslEvent]:
    """The MESSAGE_QUERY events of the lab's FreeSWITCH 1.10.12 (phones 1001/1002
    registering, 2026-12-07)."""
    raw = Path(__file__).resolve().parents[2] / "fixtures" / "esl" / "lab-mwi-faxstop-events.txt"
    reader = FrameReader()
    reader.feed(raw.read_bytes())
    events = []
    while (frame := reader.next_frame()) is not None:
        if frame.get("Content-Type") == "text/event-plain":
            event = parse_event_plain(frame.body)
            if event.name == mwi.QUERY_EVENT:
                events.append(event)
    return events


def test_a_real_message_query_is_answered_with_the_last_counts() -> None:
    """mod_voicemail answered these with "no" while ctid had a new message (lamp out);
    ctid answers with its own counts, addressed as mod_voicemail addresses its answer."""
    queries = _captured_queries()
    assert [(q.get("Message-Account"), q.get("VM-Call-ID")) for q in queries[:2]] == [
        ("sip:1001@127.0.0.1", "ec77db3828ffc2b2"),
        ("sip:1002@127.0.0.1", "6bc7a0f028192d5d"),
    ]
    book = mwi.LampBook()
    assert book.answer(queries[0], "127.0.0.1") is None  # no lamp set yet
    book._counts["1001"] = (1, 0)
    assert book.answer(queries[0], "127.0.0.1") == [
        ("MWI-Messages-Waiting", "yes"),
        ("MWI-Message-Account", "sip:1001@127.0.0.1"),
        ("MWI-Voice-Message", "1/0 (0/0)"),
        ("Sofia-Profile", "internal"),
        ("Call-ID", "ec77db3828ffc2b2"),
    ]
    assert book.answer(queries[1], "127.0.0.1") is None  # 1002: ctid set no lamp
    assert book.answer(queries[0], "pbx.example.com") is None  # another domain's 1001
    forged = EslEvent(headers={**queries[0].headers, "VM-Call-ID": "x\nMWI-Messages-Waiting: no"})
    assert book.answer(forged, "127.0.0.1") is None


async def test_a_phone_that_registers_gets_its_lamp_back(
    autojump_clock: trio.testing.MockClock,
) -> None:
    fake = FakeFreeSwitch()
    async with running(fake) as h:
        await h.driver.execute(SetMessageWaiting(device="1001", new=2, old=1))
        assert fake.lamps["1001"] == Lamp(lit=True, new=2, old=1)
        sent = fake.commands.count("sendevent MESSAGE_WAITING")
        # The phone restarts: it shows nothing until someone answers mod_sofia's query.
        fake.lamps["1001"] = Lamp(lit=False)
        fake.phone_registers("1001")
        await trio.sleep(1)  # the query, ctid's answer, mod_sofia's NOTIFY
        assert fake.lamps["1001"] == Lamp(lit=True, new=2, old=1)
        assert fake.commands.count("sendevent MESSAGE_WAITING") == sent + 1
        # 1002 has no lamp from ctid: its query is left to others.
        fake.phone_registers("1002")
        await trio.sleep(5)
        assert fake.commands.count("sendevent MESSAGE_WAITING") == sent + 1
        assert "1002" not in fake.lamps
