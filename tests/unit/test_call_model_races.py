"""Switch events already in flight when a CSTA request changed the call."""

from __future__ import annotations

from ctid.calls.directory import Directory
from ctid.calls.model import CallModel
from ctid.calls.services import CstaServices
from ctid.ids import IdFactory
from ctid.switch_drivers import base as sw


def model() -> tuple[CallModel, CstaServices]:
    m = CallModel(
        ids=IdFactory("t", deterministic=True),
        directory=Directory(extensions={"1001", "1002"}),
        now=lambda: 0.0,
    )
    m.apply(sw.LinkStateChanged(state=sw.LinkState.UP))
    m.outbox.clear()
    return m, CstaServices(m)


def names(m: CallModel) -> list[str]:
    out = [type(e.event).__name__ for e in m.outbox]
    m.outbox.clear()
    return out


def test_make_call_cleared_before_the_calling_phone_answered() -> None:
    """The phone's answer was on its way when ClearCall hung it up: nothing is dialled."""
    m, csta = model()
    cid = csta.make_call("1001", "1002", prompt=False)
    (originate,) = m.take_commands()
    assert isinstance(originate, sw.Originate)
    ch = originate.channel_id
    m.apply(
        sw.ChannelCreated(
            channel_id=ch,
            kind=sw.EndpointKind.EXTENSION,
            device="1001",
            direction=sw.Direction.OUTBOUND,
        )
    )
    assert names(m) == ["ServiceInitiatedEvent"]
    csta.clear_call(cid.call_id)
    assert m.take_commands() == [sw.Hangup(channel_id=ch)]
    assert m.apply(sw.ChannelAlerting(channel_id=ch)) == []
    assert m.apply(sw.ChannelAnswered(channel_id=ch)) == []  # no BridgeAdd, no Originate
    assert names(m) == []
    assert m.apply(sw.ChannelHungUp(channel_id=ch)) == [
        sw.BridgeDestroy(bridge_id=f"{cid.call_id}-b")
    ]
    assert names(m) == ["ConnectionClearedEvent", "CallClearedEvent"]
    assert m.calls == {}


def test_a_ringing_leg_cleared_before_its_alerting_arrived() -> None:
    m, csta = model()
    cid = csta.make_call("1001", "1002", prompt=False)
    (originate,) = m.take_commands()
    a = originate.channel_id  # type: ignore[attr-defined]
    m.apply(
        sw.ChannelCreated(
            channel_id=a,
            kind=sw.EndpointKind.EXTENSION,
            device="1001",
            direction=sw.Direction.OUTBOUND,
        )
    )
    commands = m.apply(sw.ChannelAnswered(channel_id=a))
    b = next(c for c in commands if isinstance(c, sw.Originate)).channel_id
    m.apply(
        sw.ChannelCreated(
            channel_id=b,
            kind=sw.EndpointKind.EXTENSION,
            device="1002",
            direction=sw.Direction.OUTBOUND,
            originator_channel_id=a,
        )
    )
    names(m)
    csta.clear_connection(sw_conn := m.calls[cid.call_id].connections["1002"].id)
    assert sw_conn.device_id == "1002"
    assert m.take_commands() == [sw.Hangup(channel_id=b)]
    assert m.apply(sw.ChannelAlerting(channel_id=b)) == []
    assert names(m) == []  # no DeliveredEvent for a connection ctid already cleared
