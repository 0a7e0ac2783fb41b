"""Message-waiting lamps on Asterisk: ``SetMessageWaiting`` is ARI's ``PUT /mailboxes``
on the phone's external MWI mailbox (res_mwi_external), checked against Asterisk's
API description; the fake Asterisk shows it on the phone whose PJSIP endpoint lists
the mailbox, and a switch without the modules refuses it clearly."""

from __future__ import annotations

import pytest
import trio
import trio.testing
from test_ari_driver import Harness, make_driver

from ctid.structure import StructureError
from ctid.switch_drivers.asterisk import rest
from ctid.switch_drivers.asterisk.config import driver_options
from ctid.switch_drivers.base import CommandRejected, RejectReason, SetMessageWaiting
from ctid.testing import _fake_ari_mwi
from ctid.testing.ari_schema import AriSchema
from ctid.testing.fake_asterisk import FakeAsterisk


@pytest.fixture
async def fake(ari_schema: AriSchema, nursery: trio.Nursery) -> FakeAsterisk:
    asterisk = FakeAsterisk(schema=ari_schema)
    await nursery.start(asterisk.run)
    return asterisk


@pytest.fixture
async def h(fake: FakeAsterisk, nursery: trio.Nursery) -> Harness:
    harness = Harness(fake, make_driver(fake))
    await nursery.start(harness.driver.run, harness.send)
    await harness.events()
    return harness


def test_update_mailbox_is_a_put_with_both_counts(ari_schema: AriSchema) -> None:
    request = rest.update_mailbox("1001@ctid", new_messages=2, old_messages=5)
    assert (request.operation, request.method, request.path, request.query, request.body) == (
        "mailboxes.update",
        "PUT",
        "/mailboxes/1001%40ctid",
        (("oldMessages", "5"), ("newMessages", "2")),
        None,
    )
    assert request.target() == "/ari/mailboxes/1001%40ctid?oldMessages=5&newMessages=2"
    checked = ari_schema.check_request(request.method, request.path, request.query, None)
    assert checked.operation.name == "mailboxes.update"
    assert checked.path_params == {"mailboxName": "1001@ctid"}


def test_a_404_means_the_mailbox_modules_are_not_loaded() -> None:
    request = rest.update_mailbox("1001@ctid", new_messages=1, old_messages=0)
    exc = rest.rejection(request, 404, b'{"message":"Resource not found"}')
    assert exc.reason is RejectReason.NOT_SUPPORTED
    assert "res_mwi_external.so" in str(exc) and "Resource not found" in str(exc)
    other = rest.rejection(request, 500, b'{"message":"Error updating mailbox"}')
    assert (other.reason, str(other)) == (
        RejectReason.SWITCH_ERROR,
        "switchError: 500 Error updating mailbox",
    )


async def test_lamps_follow_the_counts(autojump_clock: trio.testing.MockClock, h: Harness) -> None:
    await h.run(SetMessageWaiting(device="1001", new=2, old=1))
    assert h.fake.mailboxes == {"1001@ctid": (2, 1)}
    assert _fake_ari_mwi.lamp(h.fake, "1001") == (2, 1)
    assert _fake_ari_mwi.lamp(h.fake, "1002") == (0, 0)
    assert h.fake.requests[-1] == (
        "PUT",
        "/mailboxes/1001%40ctid",
        (("oldMessages", "1"), ("newMessages", "2")),
    )
    await h.run(SetMessageWaiting(device="1001", new=0, old=3))
    assert _fake_ari_mwi.lamp(h.fake, "1001") == (0, 3)
    # A phone whose endpoint lists two mailboxes shows them added up.
    h.fake.phones["1002"].mailboxes = ("1002@ctid", "1001@ctid")
    await h.run(SetMessageWaiting(device="1002", new=1, old=0))
    assert _fake_ari_mwi.lamp(h.fake, "1002") == (1, 3)
    # Not a phone: refused before anything is sent.
    sent = len(h.fake.requests)
    with pytest.raises(CommandRejected) as info:
        await h.run(SetMessageWaiting(device="+15550100", new=1, old=0))
    assert info.value.reason is RejectReason.INVALID_DESTINATION
    assert len(h.fake.requests) == sent


async def test_configured_mailbox_name(
    autojump_clock: trio.testing.MockClock, fake: FakeAsterisk, nursery: trio.Nursery
) -> None:
    harness = Harness(fake, make_driver(fake, mwi_mailbox="{extension}@default"))
    await nursery.start(harness.driver.run, harness.send)
    await harness.events()
    await harness.run(SetMessageWaiting(device="1003", new=1, old=0))
    assert fake.mailboxes == {"1003@default": (1, 0)}
    assert _fake_ari_mwi.lamp(fake, "1003") == (0, 0)  # its endpoint lists 1003@ctid
    fake.phones["1003"].mailboxes = ("1003@default",)
    assert _fake_ari_mwi.lamp(fake, "1003") == (1, 0)


async def test_without_res_mwi_external(autojump_clock: trio.testing.MockClock, h: Harness) -> None:
    h.fake.mwi_loaded = False
    with pytest.raises(CommandRejected) as info:
        await h.run(SetMessageWaiting(device="1001", new=1, old=0))
    assert info.value.reason is RejectReason.NOT_SUPPORTED
    assert "load res_mwi_external.so, res_stasis_mailbox.so and res_ari_mailboxes.so" in str(
        info.value
    )
    assert h.fake.mailboxes == {}


def test_mwi_mailbox_config() -> None:
    base = {"user": "ctid", "password": "pw", "extensions": "1001-1002"}
    assert driver_options(base)["mwi_mailbox"] == "{extension}@ctid"
    assert driver_options({**base, "mwi_mailbox": "{extension}@sales"})["mwi_mailbox"] == (
        "{extension}@sales"
    )
    for bad in ("ctid", "{extension}@{extension}", "{extension} @ctid"):
        with pytest.raises(StructureError) as info:
            driver_options({**base, "mwi_mailbox": bad})
        assert info.value.path == "switch.asterisk.mwi_mailbox"
