"""Message-waiting lamps on FreeSWITCH: ``SetMessageWaiting`` is ``sendevent
MESSAGE_WAITING`` with mod_voicemail's ``MWI-`` headers (the bytes), and the fake
FreeSWITCH does what mod_event_socket and mod_sofia do with it: fires the event to
its subscribers and notifies the phone registered as that user at that domain."""

from __future__ import annotations

import pytest
import trio
import trio.testing
from esl_client import Client
from test_fs_driver import running

from ctid.switch_drivers.base import CommandRejected, RejectReason, SetMessageWaiting
from ctid.switch_drivers.freeswitch import commands, mwi
from ctid.switch_drivers.freeswitch.config import driver_options
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
