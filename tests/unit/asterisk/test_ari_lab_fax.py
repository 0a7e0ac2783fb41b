"""Real frames from fax on the lab's Asterisk 22.10.1 (res_fax + res_fax_spandsp).

``tests/fixtures/ari/lab-fax-local.jsonl``: ctid's fax.send dialled an outside number
through a trunk ``dial = "Local/{number}@faxmachine"``. Asterisk made the Local pair
``3m9pt8d-ch6`` (ctid's id, the ``;1`` half, into Stasis) and ``3m9pt8d-ch6;2`` (the
dialplan half, which ran ``Answer()`` and ``ReceiveFax()``). The driver took the
``;2`` half for a new call from outside to 5557777, routed it out again through the
same trunk, and so on until Asterisk refused ("Max forwards exceeded"): 54 calls in
a minute and a half.

``lab-fax-receive.jsonl``: the channel ctid received a 3-page fax on, in the
``ctid-fax`` context; what res_fax set (its variables, twice at the start and once
at the end) is what the fake Asterisk must model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ctid.switch_drivers.asterisk.endpoints import EndpointConfig, TrunkConfig
from ctid.switch_drivers.asterisk.mapping import AriMapper
from ctid.switch_drivers.base import (
    ChannelCreated,
    Direction,
    EndpointKind,
    FaxFinished,
    Originate,
)
from ctid.testing.ari_schema import AriSchema

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ari"
CONFIG = EndpointConfig(
    extension_endpoint="PJSIP/{extension}",
    trunks=(
        TrunkConfig(
            name="faxline",
            endpoint="Local/4008003290@from-provider",
            dial="Local/{number}@faxmachine",
        ),
    ),
)


def _frames(name: str) -> list[dict[str, Any]]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_the_frames_are_valid_events(ari_schema: AriSchema) -> None:
    for name in ("lab-fax-local.jsonl", "lab-fax-receive.jsonl"):
        for event in _frames(name):
            assert ari_schema.check_event(event) == []


def test_the_dialplan_half_of_ctids_local_channel_is_no_call() -> None:
    mapper = AriMapper(config=CONFIG, app="ctid")
    mapper.expect_originate(
        Originate(
            channel_id="3m9pt8d-ch6", kind=EndpointKind.EXTERNAL, device="5557777", trunk="faxline"
        )
    )
    out = []
    for event in _frames("lab-fax-local.jsonl"):
        out.extend(mapper.feed(event))
    assert [o for o in out if "ch6;2" in repr(o)] == []
    created = [o for o in out if isinstance(o, ChannelCreated)]
    assert created == [
        ChannelCreated(
            channel_id="3m9pt8d-ch6",
            kind=EndpointKind.EXTERNAL,
            device="5557777",
            direction=Direction.OUTBOUND,
            called_number="5557777",
            trunk="faxline",
        )
    ]
    # (The frames came to a second application, so without ctid's StasisStart.)
    assert [type(o).__name__ for o in out] == [
        "ChannelCreated",
        "BridgeJoined",
        "BridgeLeft",
        "ChannelHungUp",
    ]


def test_a_fax_sent_whole_before_the_far_end_hangs_up_is_a_success() -> None:
    """``lab-fax-send.jsonl``: fax.send's channel ran SendFax() in ``ctid-fax``; the far
    machine took the 3 pages and hung up at once, so the channel never came back to
    Stasis. res_fax had set its result (SUCCESS, 3 pages) just before the channel was
    destroyed; ctid reported 49 "The call dropped prematurely"."""
    mapper = AriMapper(config=CONFIG, app="ctid")
    mapper.expect_originate(
        Originate(
            channel_id="3m9q5be-ch4", kind=EndpointKind.EXTERNAL, device="5557777", trunk="faxline"
        )
    )
    frames = _frames("lab-fax-send.jsonl")
    into_fax = next(i for i, e in enumerate(frames) if e.get("variable") == "CTID_FAX_ID")
    out = []
    for event in frames[:into_fax]:
        out.extend(mapper.feed(event))
    mapper.fax_started("3m9q5be-ch4", "3m9q5be-fx2", "/faxes/out/3m9q5be-fx2.tif")
    for event in frames[into_fax:]:
        out.extend(mapper.feed(event))
    assert [o for o in out if isinstance(o, FaxFinished)] == [
        FaxFinished(
            fax_id="3m9q5be-fx2",
            success=True,
            pages=3,
            result_code=0,
            result_text="OK",
            path="/faxes/out/3m9q5be-fx2.tif",  # as when it comes back to Stasis
            remote_station_id="5557777",
            bit_rate=14400,
        )
    ]


def test_a_channel_gone_before_res_fax_ended_is_a_dropped_fax() -> None:
    """The same frames cut after res_fax's hang-up block ("remote channel hungup"),
    before its final one: the fax is "The call dropped prematurely" (49)."""
    mapper = AriMapper(config=CONFIG, app="ctid")
    mapper.expect_originate(
        Originate(
            channel_id="3m9q5be-ch4", kind=EndpointKind.EXTERNAL, device="5557777", trunk="faxline"
        )
    )
    frames = _frames("lab-fax-send.jsonl")
    hungup = next(i for i, e in enumerate(frames) if e.get("value") == "remote channel hungup")
    final = next(i for i, e in enumerate(frames) if i > hungup and e.get("variable") == "FAXSTATUS")
    out = []
    cut = [*frames[:final], frames[-1]]
    for event in cut:
        if event.get("variable") == "CTID_FAX_ID":
            mapper.fax_started("3m9q5be-ch4", "3m9q5be-fx2", "/faxes/out/3m9q5be-fx2.tif")
        out.extend(mapper.feed(event))
    [result] = [o for o in out if isinstance(o, FaxFinished)]
    assert (result.success, result.pages, result.result_code) == (False, 0, 49)
    assert frames[-1]["type"] == "ChannelDestroyed"
