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


def test_commands_lost_with_the_link_are_asked_for_again() -> None:
    """The link broke while ctid answered a caller and bridged the call (seen on a
    real Asterisk): after the resync the parties are joined again."""
    m, csta = model()
    ring, originate = m.apply(
        sw.ChannelCreated(
            channel_id="in-1",
            kind=sw.EndpointKind.EXTERNAL,
            device="5550001",
            direction=sw.Direction.INBOUND,
            called_number="1002",
            trunk="provider",
        )
    )
    assert ring == sw.Ring(channel_id="in-1")
    agent = originate.channel_id  # type: ignore[attr-defined]
    m.apply(
        sw.ChannelCreated(
            channel_id=agent,
            kind=sw.EndpointKind.EXTENSION,
            device="1002",
            direction=sw.Direction.OUTBOUND,
            originator_channel_id="in-1",
        )
    )
    m.apply(sw.ChannelAlerting(channel_id=agent))
    (call,) = m.calls.values()
    bridge = call.bridge_id
    assert m.apply(sw.ChannelAnswered(channel_id=agent)) == [
        sw.Answer(channel_id="in-1"),
        sw.BridgeAdd(bridge_id=bridge, channel_id="in-1"),
        sw.BridgeAdd(bridge_id=bridge, channel_id=agent),
    ]
    # None of them reached the switch: the link went down.
    m.apply(sw.LinkStateChanged(state=sw.LinkState.DOWN))
    m.apply(sw.LinkStateChanged(state=sw.LinkState.SYNCING))

    def info(cid: str, state: sw.ChannelState, bridge_id: str | None) -> sw.ChannelInfo:
        leg = m.legs[cid]
        return sw.ChannelInfo(
            channel_id=cid,
            kind=leg.kind,
            device=leg.device,
            direction=leg.direction,
            state=state,
            bridge_id=bridge_id,
        )

    commands = m.apply(
        sw.Resynchronized(
            channels=(
                info("in-1", sw.ChannelState.RINGING, None),
                info(agent, sw.ChannelState.UP, None),
            ),
            bridges=(),
        )
    )
    assert commands == [
        sw.Answer(channel_id="in-1"),
        sw.BridgeAdd(bridge_id=bridge, channel_id="in-1"),
        sw.BridgeAdd(bridge_id=bridge, channel_id=agent),
    ]
    # A hold whose BridgeRemove and music were lost is redone too; what the switch
    # already shows is not asked for again.
    m.apply(sw.LinkStateChanged(state=sw.LinkState.UP))
    csta.hold_call(call.connections["1002"].id)
    m.take_commands()
    commands = m.apply(
        sw.Resynchronized(
            channels=(
                info("in-1", sw.ChannelState.UP, bridge),
                info(agent, sw.ChannelState.UP, bridge),
            ),
            bridges=(sw.BridgeInfo(bridge_id=bridge, channel_ids=("in-1", agent)),),
        )
    )
    assert commands == [
        sw.BridgeRemove(bridge_id=bridge, channel_id=agent),
        sw.StartMusic(target=sw.MediaTarget.bridge(bridge)),
    ]
