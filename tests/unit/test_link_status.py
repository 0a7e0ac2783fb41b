"""What clients see of the switch link: one SystemStatusEvent per visible change."""

from __future__ import annotations

from ctid.calls.directory import Directory
from ctid.calls.model import CallModel
from ctid.ids import IdFactory
from ctid.switch_drivers.base import LinkState, LinkStateChanged


def statuses(*states: LinkState) -> list[tuple[str, str | None]]:
    model = CallModel(ids=IdFactory("t", deterministic=True), directory=Directory(), now=lambda: 0)
    for state in states:
        model.apply(LinkStateChanged(state=state, detail=f"now {state.value}"))
    out = []
    for emitted in model.outbox:
        event = emitted.event
        assert emitted.broadcast
        out.append((event.system_status, event.detail))  # type: ignore[attr-defined]
    return out


def test_a_driver_retrying_with_backoff_does_not_flap() -> None:
    S = LinkState
    assert statuses(
        S.CONNECTING, S.SYNCING, S.UP, S.DOWN, S.CONNECTING, S.DOWN, S.CONNECTING, S.SYNCING, S.UP
    ) == [
        ("initializing", "now syncing"),
        ("normal", "now up"),
        ("disabled", "now down"),
        ("initializing", "now syncing"),
        ("normal", "now up"),
    ]


def test_the_simulator_sequence() -> None:
    S = LinkState
    assert [s for s, _ in statuses(S.SYNCING, S.UP, S.DOWN, S.SYNCING, S.UP)] == [
        "initializing",
        "normal",
        "disabled",
        "initializing",
        "normal",
    ]
