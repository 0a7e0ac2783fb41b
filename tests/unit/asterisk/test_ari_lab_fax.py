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
from ctid.switch_drivers.base import ChannelCreated, Direction, EndpointKind, Originate
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
