"""The simulator's media model: who hears whom, with supervisors in every mode."""

from __future__ import annotations

import pytest

from ctid.switch_drivers import base as sw
from ctid.switch_drivers.simulator.config import SimulatorConfig
from ctid.switch_drivers.simulator.core import LineState, SimSwitch

CUSTOMER = "+15550100"
AGENT = "1001"
SUP = "1002"
SUP2 = "1003"
OTHER = "1004"
M = sw.SupervisionMode


def _card() -> SimSwitch:
    return SimSwitch(SimulatorConfig(extensions=("1001", "1002", "1003", "1004"), trunks=2))


def _ring(card: SimSwitch, channel: str, device: str, *, auto: bool = False) -> None:
    card.execute(
        sw.Originate(
            channel_id=channel, kind=sw.EndpointKind.EXTENSION, device=device, auto_answer=auto
        ),
        0.0,
    )


def _talking(card: SimSwitch) -> str:
    """A customer and an agent talking in bridge ``b``; returns the customer's channel."""
    customer = card.incoming_call(CUSTOMER, "sales", 0.0)
    card.execute(sw.Answer(channel_id=customer), 0.0)
    _ring(card, "agent", AGENT)
    card.off_hook(AGENT, 1.0)
    for channel in (customer, "agent"):
        card.execute(sw.BridgeAdd(bridge_id="b", channel_id=channel), 1.0)
    return customer


def _supervise(card: SimSwitch, channel: str, device: str, sid: str, mode: sw.SupervisionMode):
    _ring(card, channel, device, auto=True)
    card.advance(1.0)  # the supervisor's phone answers by itself
    card.execute(
        sw.StartSupervision(
            supervision_id=sid, supervisor_channel_id=channel, target_channel_id="agent", mode=mode
        ),
        1.0,
    )


def _matrix(card: SimSwitch, parties: list[str]) -> set[tuple[str, str]]:
    return {(a, b) for a in parties for b in parties if a != b and card.hears(a, b)}


PAIR = {(CUSTOMER, AGENT), (AGENT, CUSTOMER)}
HEARS_BOTH = {(SUP, AGENT), (SUP, CUSTOMER)}


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (M.SILENT, PAIR | HEARS_BOTH),
        (M.WHISPER, PAIR | HEARS_BOTH | {(AGENT, SUP)}),
        (M.BARGE, PAIR | HEARS_BOTH | {(AGENT, SUP), (CUSTOMER, SUP)}),
    ],
)
def test_each_mode(mode: sw.SupervisionMode, expected: set[tuple[str, str]]) -> None:
    card = _card()
    _talking(card)
    assert _matrix(card, [CUSTOMER, AGENT, SUP]) == PAIR
    _supervise(card, "sup", SUP, "s1", mode)
    assert _matrix(card, [CUSTOMER, AGENT, SUP, OTHER]) == expected


def test_switching_modes_on_a_live_call() -> None:
    card = _card()
    _talking(card)
    _supervise(card, "sup", SUP, "s1", M.SILENT)
    seen = []
    for mode in (M.WHISPER, M.BARGE, M.SILENT, M.BARGE):
        card.execute(sw.ChangeSupervision(supervision_id="s1", mode=mode), 2.0)
        seen.append((card.hears(AGENT, SUP), card.hears(CUSTOMER, SUP), card.hears(SUP, CUSTOMER)))
    assert seen == [
        (True, False, True),
        (True, True, True),
        (False, False, True),
        (True, True, True),
    ]


def test_a_silent_supervisor_hears_a_whispering_one() -> None:
    card = _card()
    _talking(card)
    _supervise(card, "sup", SUP, "s1", M.WHISPER)
    _supervise(card, "sup2", SUP2, "s2", M.SILENT)
    # The silent one hears what the agent hears, the coach included; nobody hears it.
    assert card.hears(SUP2, SUP)
    assert not card.hears(SUP, SUP2)
    assert not card.hears(CUSTOMER, SUP)
    assert not card.hears(AGENT, SUP2)


def test_music_replaces_the_conversation() -> None:
    card = _card()
    customer = _talking(card)
    _supervise(card, "sup", SUP, "s1", M.BARGE)
    card.execute(sw.StartMusic(target=sw.MediaTarget.channel(customer)), 2.0)
    assert not card.hears(AGENT, CUSTOMER)
    assert not card.hears(CUSTOMER, AGENT)
    # The supervisor still hears the agent, and the agent the barging supervisor.
    assert card.hears(SUP, AGENT)
    assert card.hears(AGENT, SUP)
    assert not card.hears(SUP, CUSTOMER)
    assert not card.hears(CUSTOMER, SUP)
    assert card.hears_music(CUSTOMER)


def test_a_ringing_supervisor_hears_nothing_and_supervision_ends_with_the_target() -> None:
    card = _card()
    _talking(card)
    _ring(card, "sup", SUP)
    assert not card.hears(SUP, AGENT)
    card.off_hook(SUP, 2.0)
    card.execute(
        sw.StartSupervision(
            supervision_id="s1",
            supervisor_channel_id="sup",
            target_channel_id="agent",
            mode=M.SILENT,
        ),
        2.0,
    )
    assert card.hears(SUP, AGENT)
    card.on_hook(AGENT, 3.0)
    assert card.supervisions == {}
    assert not card.hears(SUP, CUSTOMER)


def test_an_auto_answered_phone_is_idle_again_when_the_call_ends() -> None:
    card = _card()
    _ring(card, "x", OTHER, auto=True)
    card.advance(0.0)
    assert card.line_state(OTHER) is LineState.CONNECTED
    card.execute(sw.Hangup(channel_id="x"), 5.0)
    assert card.line_state(OTHER) is LineState.IDLE
    # A phone answered by hand waits for its handset to go down (busy tone).
    _ring(card, "y", OTHER)
    card.off_hook(OTHER, 6.0)
    card.execute(sw.Hangup(channel_id="y"), 7.0)
    assert card.line_state(OTHER) is LineState.WAITING_HANGUP
