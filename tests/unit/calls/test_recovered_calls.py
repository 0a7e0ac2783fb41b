"""Calls ctid finds on the switch after it restarts: who is calling whom.

A restarted ctid knows nothing of the calls already up; the switch's snapshot
(``Resynchronized``) is all it has. The parties must come out right whatever
order the switch lists the legs in.
"""

from __future__ import annotations

import itertools

import pytest

from ctid.calls.directory import Directory
from ctid.calls.model import CallModel
from ctid.ids import IdFactory
from ctid.switch_drivers import base as sw

EXT = sw.EndpointKind.EXTENSION
OUT = sw.EndpointKind.EXTERNAL
IN_, OUT_ = sw.Direction.INBOUND, sw.Direction.OUTBOUND


def leg(
    channel_id: str,
    kind: sw.EndpointKind,
    device: str,
    direction: sw.Direction,
    caller: str = "",
    called: str | None = None,
    trunk: str | None = None,
    created: float | None = None,
) -> sw.ChannelInfo:
    return sw.ChannelInfo(
        channel_id=channel_id,
        kind=kind,
        device=device,
        direction=direction,
        state=sw.ChannelState.UP,
        caller_number=caller,
        called_number=called,
        trunk=trunk,
        bridge_id="b1",
        created=created,
    )


CASES = {
    # MakeCall: ctid rang the calling phone with the called number as caller id,
    # then the called phone with the calling one. Both legs are ctid's (outbound)
    # and show each other's number: the one made first is the caller.
    "make call": (
        [
            leg("a", EXT, "1001", OUT_, caller="1002", called="1001", created=100.0),
            leg("b", EXT, "1002", OUT_, caller="1001", called="1002", created=104.5),
        ],
        ("1001", "1002", "internal", None),
    ),
    "phone dialled a phone": (
        [
            leg("a", EXT, "1001", IN_, caller="1001", called="1002"),
            leg("b", EXT, "1002", OUT_, caller="1001"),
        ],
        ("1001", "1002", "internal", None),
    ),
    "outside caller to an agent": (
        [
            leg("a", OUT, "+15550100", IN_, caller="+15550100", called="8001", trunk="T"),
            leg("b", EXT, "1003", OUT_, caller="+15550100"),
        ],
        ("+15550100", "8001", "inbound", "T"),
    ),
    "phone dialled out": (
        [
            leg("a", EXT, "1001", IN_, caller="1001", called="5550100"),
            leg("b", OUT, "5550100", OUT_, caller="1001", trunk="T"),
        ],
        ("1001", "5550100", "outbound", "T"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_parties_of_a_call_found_after_a_restart(case: str) -> None:
    legs, expected = CASES[case]
    for order in itertools.permutations(legs):
        m = CallModel(
            ids=IdFactory("t", deterministic=True),
            directory=Directory(extensions={"1001", "1002", "1003"}),
            now=lambda: 0.0,
        )
        m.apply(sw.LinkStateChanged(state=sw.LinkState.SYNCING))
        m.apply(
            sw.Resynchronized(
                channels=order,
                bridges=(sw.BridgeInfo(bridge_id="b1", channel_ids=("a", "b")),),
            )
        )
        (call,) = m.calls.values()
        found = (call.calling_device, call.called_device, call.direction, call.trunk)
        assert found == expected, [info.channel_id for info in order]
        assert sorted(call.connections) == sorted(info.device for info in legs)
        # The call is up: one party answered it, never the calling one.
        answered = [
            e.event.answering_device
            for e in m.outbox
            if type(e.event).__name__ == "EstablishedEvent"
        ]
        assert len(answered) == 1 and answered[0] != call.calling_device, answered
