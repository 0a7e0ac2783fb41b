"""Fax on Asterisk: requests that send a channel to the fax context, its return to
Stasis (read res_fax's variables) and a hang-up during the fax; built from Asterisk's
captured events."""

from __future__ import annotations

import copy
from typing import Any

from test_ari_mapping import CONFIG, _stasis, pick

from ctid.switch_drivers.asterisk import fax
from ctid.switch_drivers.asterisk.mapping import AriMapper, FaxReturned, FollowChannel
from ctid.switch_drivers.base import (
    ChannelHungUp,
    FaxFinished,
    HangupCause,
    ReceiveFax,
    SendFax,
)
from ctid.testing.ari_schema import AriSchema

Event = dict[str, Any]
FILE = "/var/lib/ctid/faxes/in/2027/01/15/t-fx1.tif"


def test_a_fax_is_variables_then_continue_into_the_fax_context(ari_schema: AriSchema) -> None:
    receive = ReceiveFax(fax_id="t-fx1", channel_id="c1", path=FILE, station_id="+1 555 0100")
    send = SendFax(fax_id="t-fx2", channel_id="c1", path="/f.tif", header="ACME", station_id="")
    got = [
        (r.method, r.path, r.query)
        for r in fax.start_requests(receive, context="ctid-fax")
        + fax.start_requests(send, context="faxes")
    ]
    assert got == [
        ("POST", "/channels/c1/variable", (("variable", "CTID_FAX_ID"), ("value", "t-fx1"))),
        ("POST", "/channels/c1/variable", (("variable", "CTID_FAX_FILE"), ("value", FILE))),
        (
            "POST",
            "/channels/c1/variable",
            (("variable", "CTID_FAX_STATION"), ("value", "+1 555 0100")),
        ),
        (
            "POST",
            "/channels/c1/continue",
            (("context", "ctid-fax"), ("extension", "receive"), ("priority", "1")),
        ),
        ("POST", "/channels/c1/variable", (("variable", "CTID_FAX_ID"), ("value", "t-fx2"))),
        ("POST", "/channels/c1/variable", (("variable", "CTID_FAX_FILE"), ("value", "/f.tif"))),
        ("POST", "/channels/c1/variable", (("variable", "CTID_FAX_STATION"), ("value", ""))),
        ("POST", "/channels/c1/variable", (("variable", "CTID_FAX_HEADER"), ("value", "ACME"))),
        (
            "POST",
            "/channels/c1/continue",
            (("context", "faxes"), ("extension", "send"), ("priority", "1")),
        ),
    ]
    for r in fax.start_requests(send, context="faxes"):
        ari_schema.check_request(r.method, r.path, r.query, r.body)


def test_back_in_stasis_the_variables_are_read(sample_events: list[Event]) -> None:
    mapper = AriMapper(config=CONFIG, app="ctid")
    mapper.feed(_stasis(sample_events, "c1"))
    mapper.fax_started("c1", "t-fx1", FILE)
    end = pick(sample_events, "StasisEnd")
    end["channel"]["id"] = "c1"
    assert mapper.feed(end) == [FollowChannel("c1")]  # off to ReceiveFax()
    back = _stasis(sample_events, "c1")
    back["args"] = ["fax", "t-fx1"]
    assert [o for o in mapper.feed(back) if isinstance(o, FaxReturned)] == [
        FaxReturned("c1", "t-fx1", FILE)
    ]
    # Only once: a later Stasis entry is an ordinary one.
    assert not [o for o in mapper.feed(copy.deepcopy(back)) if isinstance(o, FaxReturned)]


def test_res_fax_variables_make_the_result() -> None:
    ok = fax.finished(
        "t-fx1",
        FILE,
        {
            "FAXSTATUS": "SUCCESS",
            "FAXERROR": "",
            "FAXSTATUSSTRING": "OK",
            "FAXPAGES": "3",
            "REMOTESTATIONID": "+1 555 111 3290",
            "FAXBITRATE": "14400",
        },
    )
    assert ok == FaxFinished(
        fax_id="t-fx1",
        success=True,
        pages=3,
        result_code=0,
        result_text="OK",
        path=FILE,
        remote_station_id="+1 555 111 3290",
        bit_rate=14400,
    )
    failed = fax.finished(
        "t-fx2",
        None,
        {
            "FAXSTATUS": "FAILED",
            "FAXERROR": "FAX_TRANSFER_FAILED",
            "FAXSTATUSSTRING": "Carrier lost during fax receive",
            "FAXPAGES": "1",
            "REMOTESTATIONID": None,
            "FAXBITRATE": "9600",
        },
    )
    assert (failed.success, failed.result_code, failed.result_text, failed.pages) == (
        False,
        26,
        "Carrier lost during fax receive",
        1,
    )
    # A res_fax ending with no spandsp text: the error name, and code -1.
    own = fax.finished("t-fx3", FILE, {"FAXSTATUS": "FAILED", "FAXERROR": "INIT_ERROR"})
    assert (own.result_code, own.result_text, own.path) == (-1, "INIT_ERROR", None)


def test_a_hang_up_during_the_fax_ends_it_as_dropped(sample_events: list[Event]) -> None:
    mapper = AriMapper(config=CONFIG, app="ctid")
    mapper.feed(_stasis(sample_events, "c1"))
    mapper.fax_started("c1", "t-fx1", FILE)
    end = pick(sample_events, "StasisEnd")
    end["channel"]["id"] = "c1"
    mapper.feed(end)
    destroyed = pick(sample_events, "ChannelDestroyed", lambda e: e["cause"] == 16)
    destroyed["channel"]["id"] = "c1"
    out = mapper.feed(destroyed)
    assert out[0] == FaxFinished(
        fax_id="t-fx1",
        success=False,
        pages=0,
        result_code=49,
        result_text="The call dropped prematurely",
    )
    assert isinstance(out[1], ChannelHungUp) and out[1].cause is HangupCause.NORMAL
