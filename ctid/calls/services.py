"""CSTA call control services (ECMA-269 §17) on the call model.

Each service first validates everything it needs, raising ``CstaError`` with
the ECMA-269 error value before touching any state, so a refused request
changes nothing. Then it mutates the model through the model's primitives,
which emit the CSTA events and queue the switch commands; the owner runs those
commands afterwards (``calls.service``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..switch_drivers import base as sw
from .errors import CstaError, CstaErrorValue
from .events import (
    CallInformationEvent,
    ConferencedEvent,
    ConnectionPair,
    DigitsGeneratedEvent,
    DivertedEvent,
    ServiceInitiatedEvent,
    TransferredEvent,
)
from .model import Call, CallModel, Connection
from .notices import CallEnded
from .states import ConnectionState, Trigger
from .values import ConnectionID, DeviceType, EventCause

__all__ = ["CstaServices", "check_user_data"]

S = ConnectionState
E = CstaErrorValue

#: Limits on the data attached to a call; it travels in every event of the call.
MAX_USER_DATA_KEYS: Final = 64
MAX_USER_DATA_BYTES: Final = 8192
MAX_CORRELATOR_DATA: Final = 256
DTMF_CHARACTERS: Final = frozenset("0123456789*#ABCDabcd,")
MAX_DIGITS: Final = 64


def check_user_data(user_data: Mapping[str, Any]) -> None:
    """Raise ``valueOutOfRange`` unless ``user_data`` is a small flat key/value map."""
    if len(user_data) > MAX_USER_DATA_KEYS:
        raise CstaError(E.VALUE_OUT_OF_RANGE, f"userData has more than {MAX_USER_DATA_KEYS} keys")
    size = 0
    for key, value in user_data.items():
        if not isinstance(key, str) or not key:
            raise CstaError(E.VALUE_OUT_OF_RANGE, "userData keys must be non-empty strings")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise CstaError(
                E.VALUE_OUT_OF_RANGE,
                f"userData[{key!r}] must be a string, number, boolean or null, "
                f"not {type(value).__name__}",
            )
        size += len(key) + len(str(value))
    if size > MAX_USER_DATA_BYTES:
        raise CstaError(
            E.VALUE_OUT_OF_RANGE, f"userData is larger than {MAX_USER_DATA_BYTES} bytes"
        )


def _check_correlator(value: str | None) -> None:
    if value is not None and len(value) > MAX_CORRELATOR_DATA:
        raise CstaError(
            E.VALUE_OUT_OF_RANGE, f"correlatorData is longer than {MAX_CORRELATOR_DATA} characters"
        )


class CstaServices:
    """The CSTA services, validated against and carried out on one ``CallModel``."""

    def __init__(self, model: CallModel, capabilities: frozenset[sw.Capability] = frozenset()):
        self.model = model
        self.capabilities = capabilities

    # ------------------------------------------------------------ validation

    def _require_link(self) -> None:
        if self.model.link_state is not sw.LinkState.UP:
            raise CstaError(
                E.RESOURCE_OUT_OF_SERVICE,
                f"the switch is not connected (link {self.model.link_state.value})",
            )

    def _conn(self, cid: ConnectionID, what: str) -> Connection:
        conn = self.model.connection(cid)
        if conn is None:
            raise CstaError(
                E.INVALID_CONNECTION_IDENTIFIER,
                f"{what}: no connection of device {cid.device_id!r} in call {cid.call_id!r}",
            )
        return conn

    def _call(self, call_id: str, what: str) -> Call:
        call = self.model.calls.get(call_id)
        if call is None:
            raise CstaError(E.INVALID_CALL_IDENTIFIER, f"{what}: no call {call_id!r}")
        return call

    def _state(
        self,
        conn: Connection,
        allowed: tuple[ConnectionState, ...],
        what: str,
        value: CstaErrorValue = E.INVALID_OBJECT_STATE,
    ) -> None:
        if conn.state not in allowed:
            want = " or ".join(s.value for s in allowed)
            raise CstaError(
                value,
                f"{what}: connection of {conn.device} in call {conn.call.call_id} is "
                f"{conn.state.value}, not {want}",
            )

    def _destination(self, number: str, what: str, value: CstaErrorValue) -> DeviceType:
        kind = self.model.directory.classify(number)
        if kind is None:
            raise CstaError(value, f"{what}: {number!r} is not a number this switch can reach")
        return kind

    def _pair(self, held: ConnectionID, active: ConnectionID) -> tuple[Connection, Connection]:
        h = self._conn(held, "heldCall")
        a = self._conn(active, "activeCall")
        if h.device != a.device:
            raise CstaError(
                E.REQUEST_INCOMPATIBLE_WITH_OBJECT,
                "heldCall and activeCall must be connections of the same device",
            )
        if h.call is a.call:
            raise CstaError(
                E.REQUEST_INCOMPATIBLE_WITH_OBJECT, "heldCall and activeCall are the same call"
            )
        self._state(h, (S.HOLD,), "heldCall", E.NO_HELD_CALL)
        self._state(a, (S.CONNECTED,), "activeCall", E.NO_ACTIVE_CALL)
        return h, a

    # -------------------------------------------------------------- services

    def make_call(
        self,
        calling: str,
        called: str,
        *,
        prompt: bool = True,
        correlator_data: str | None = None,
        user_data: Mapping[str, Any] | None = None,
    ) -> ConnectionID:
        """MakeCall: ring ``calling`` (auto-answer with ``prompt=False``), then dial ``called``."""
        model = self.model
        if model.directory.classify(calling) is not DeviceType.EXTENSION:
            raise CstaError(
                E.INVALID_CALLING_DEVICE, f"callingDevice {calling!r} is not an extension"
            )
        self._destination(called, "calledDirectoryNumber", E.INVALID_CALLED_DEVICE)
        if called == calling:
            raise CstaError(E.INVALID_CALLED_DEVICE, "a device cannot call itself")
        _check_correlator(correlator_data)
        check_user_data(user_data or {})
        self._require_link()
        conns = model.device_connections(calling)
        idle_line = None
        for conn in conns:
            if conn.state is S.INITIATED and len(conn.call.connections) == 1:
                idle_line = conn  # off-hook with dial tone: dial on that line
            elif conn.state is not S.HOLD:
                raise CstaError(
                    E.INVALID_OBJECT_STATE,
                    f"callingDevice {calling} is busy: it is {conn.state.value} in call "
                    f"{conn.call.call_id}",
                )
        if idle_line is not None:
            call = idle_line.call
            self._attach(call, correlator_data, user_data)
            model.dialed(idle_line, called)
            return idle_line.id
        held_leg = next((c.leg for c in conns if c.leg is not None), None)
        call = model.new_call(calling=calling, called=called, direction="internal")
        self._attach(call, correlator_data, user_data)
        if held_leg is not None:
            # The phone holds another call: the new one uses the same line.
            return self._dial_on_leg(call, calling, held_leg, called, EventCause.MAKE_CALL)
        conn = model.originate(
            call,
            calling,
            sw.EndpointKind.EXTENSION,
            auto_answer=not prompt,
            caller_number=called,
            prompt=True,
        )
        return conn.id

    def _attach(
        self, call: Call, correlator: str | None, user_data: Mapping[str, Any] | None
    ) -> None:
        if correlator is not None:
            call.correlator_data = correlator
        if user_data:
            call.user_data.update({k: v for k, v in user_data.items() if v is not None})

    def _dial_on_leg(
        self, call: Call, device: str, leg: Any, called: str, cause: EventCause
    ) -> ConnectionID:
        """A new call from ``device`` on a line it already has up (it holds another call)."""
        model = self.model
        conn = model.add_connection(call, device, S.NULL, leg)
        model.transition(conn, Trigger.INITIATE)
        model.emit(
            ServiceInitiatedEvent(
                initiated_connection=conn.id,
                initiating_device=device,
                cause=cause,
                correlator_data=call.correlator_data,
                user_data=call.user_data,
            ),
            [call],
        )
        model.bridge(call, leg)
        model.dialed(conn, called)
        return conn.id

    def answer_call(self, cid: ConnectionID) -> None:
        conn = self._conn(cid, "callToBeAnswered")
        self._state(conn, (S.ALERTING,), "callToBeAnswered", E.NO_CALL_TO_ANSWER)
        leg = conn.leg
        if leg is None:
            raise CstaError(E.INVALID_OBJECT_STATE, "callToBeAnswered has no line to answer")
        if (
            leg.direction is sw.Direction.OUTBOUND
            and sw.Capability.REMOTE_ANSWER not in self.capabilities
        ):
            raise CstaError(
                E.INVALID_FEATURE,
                f"this switch cannot answer device {conn.device} remotely; answer on the phone",
            )
        self._require_link()
        self.model.command(sw.Answer(channel_id=leg.channel_id))

    def clear_connection(self, cid: ConnectionID) -> None:
        conn = self._conn(cid, "connectionToBeCleared")
        self._require_link()
        self._drop(conn)
        self.model.settle(conn.call)

    def _drop(self, conn: Connection) -> None:
        model = self.model
        leg = conn.leg
        if conn.state is S.FAIL or leg is None or not leg.created or len(leg.connections) > 1:
            if leg is not None:
                model.unbridge(conn.call, leg)
                if not leg.created and len(leg.connections) == 1:
                    model.hangup_leg(leg, sw.HangupCause.CANCELLED)
            model.drop(conn, EventCause.NORMAL_CLEARING)
        else:
            model.hangup_leg(leg)

    def clear_call(self, call_id: str) -> None:
        call = self._call(call_id, "callToBeCleared")
        self._require_link()
        for conn in list(call.connections.values()):
            self._drop(conn)
        self.model.settle(call)

    def hold_call(self, cid: ConnectionID) -> None:
        conn = self._conn(cid, "callToBeHeld")
        self._state(conn, (S.CONNECTED,), "callToBeHeld")
        if conn.leg is None:
            raise CstaError(E.INVALID_OBJECT_STATE, f"{conn.device} has no line to hold")
        self._require_link()
        self.model.hold(conn)

    def retrieve_call(self, cid: ConnectionID) -> None:
        conn = self._conn(cid, "callToBeRetrieved")
        self._state(conn, (S.HOLD,), "callToBeRetrieved", E.NO_HELD_CALL)
        self._check_retrievable(conn)
        self._require_link()
        self.model.retrieve(conn)

    def _check_retrievable(self, conn: Connection, *, ignore: Connection | None = None) -> None:
        if conn.held_by_device:
            raise CstaError(
                E.INVALID_FEATURE,
                f"the phone {conn.device} holds this call itself; retrieve it on the phone",
            )
        assert conn.leg is not None
        for other in conn.leg.connections:
            if other is not conn and other is not ignore and other.state is not S.HOLD:
                raise CstaError(
                    E.INVALID_OBJECT_STATE,
                    f"{conn.device} is active in call {other.call.call_id}: "
                    "use AlternateCall or ReconnectCall",
                )

    def consultation_call(
        self, existing: ConnectionID, consulted: str, *, user_data: Mapping[str, Any] | None = None
    ) -> ConnectionID:
        """Hold ``existing`` and call ``consulted`` from the same device; returns the new one."""
        conn = self._conn(existing, "existingCall")
        self._state(conn, (S.CONNECTED,), "existingCall")
        self._destination(consulted, "consultedDevice", E.INVALID_CALLED_DEVICE)
        if consulted == conn.device or consulted in conn.call.connections:
            raise CstaError(E.INVALID_CALLED_DEVICE, f"{consulted} is already in the call")
        if conn.leg is None:
            raise CstaError(E.INVALID_OBJECT_STATE, f"{conn.device} has no line to consult on")
        check_user_data(user_data or {})
        self._require_link()
        model = self.model
        leg = conn.leg
        model.hold(conn, EventCause.CONSULTATION)
        first = conn.call
        call = model.new_call(calling=conn.device, called=consulted, direction="internal")
        # The consulted party sees the customer's data too (screen pop for the expert).
        call.correlator_data = first.correlator_data
        call.user_data.update(first.user_data)
        self._attach(call, None, user_data)
        return self._dial_on_leg(call, conn.device, leg, consulted, EventCause.CONSULTATION)

    def transfer_call(self, held: ConnectionID, active: ConnectionID) -> tuple[str, str]:
        """Join the held call's parties with the active call's; the transferring device leaves.

        Returns the resulting call's id and the device the call was transferred to.
        """
        h, a = self._pair(held, active)
        self._require_link()
        model = self.model
        primary, secondary = h.call, a.call
        device = h.device
        leg = h.leg
        for conn in (h, a):
            if conn.leg is not None:
                model.unbridge(conn.call, conn.leg)
            model.transition(conn, Trigger.CLEAR)
            model.detach(conn)
        pairs = self._merge(secondary, into=primary)
        model.join_connected(primary)
        to_device = pairs[0].new_connection.device_id if pairs else device
        model.emit(
            TransferredEvent(
                primary_old_call=primary.call_id,
                secondary_old_call=secondary.call_id,
                transferring_device=device,
                transferred_to_device=to_device,
                transferred_connections=tuple(pairs),
                correlator_data=primary.correlator_data,
                user_data=primary.user_data,
            ),
            [primary],
            [device],
        )
        if leg is not None and not leg.connections:
            model.hangup_leg(leg)
        model.settle(primary)
        return primary.call_id, to_device

    def conference_call(self, held: ConnectionID, active: ConnectionID) -> str:
        """Join the held and the active call into one, with the conferencing device in it."""
        h, a = self._pair(held, active)
        self._require_link()
        model = self.model
        primary, secondary = h.call, a.call
        device = h.device
        added = [c.device for c in secondary.connections.values() if c.device != device]
        old_a = a.id
        if a.leg is not None:
            model.unbridge(secondary, a.leg)
        model.transition(a, Trigger.CLEAR)
        model.detach(a)
        pairs = self._merge(secondary, into=primary)
        model.transition(h, Trigger.RETRIEVE)
        pairs.append(ConnectionPair(old_connection=old_a, new_connection=h.id))
        model.join_connected(primary)
        model.emit(
            ConferencedEvent(
                primary_old_call=primary.call_id,
                secondary_old_call=secondary.call_id,
                conferencing_device=device,
                added_party=added[0] if added else device,
                conference_connections=tuple(pairs),
                correlator_data=primary.correlator_data,
                user_data=primary.user_data,
            ),
            [primary],
        )
        model.settle(primary)
        return primary.call_id

    def _merge(self, secondary: Call, *, into: Call) -> list[ConnectionPair]:
        """Move every connection of ``secondary`` into ``into`` and retire ``secondary``."""
        model = self.model
        pairs = []
        for conn in list(secondary.connections.values()):
            if conn.leg is not None:
                model.unbridge(secondary, conn.leg)
            old = model.move(conn, into)
            pairs.append(ConnectionPair(old_connection=old, new_connection=conn.id))
        # The consultation call began as a copy of the customer's data, so what
        # differs in it is newer: it wins.
        into.user_data.update(secondary.user_data)
        for key, value in secondary.facts.items():
            into.facts.setdefault(key, value)
        if secondary.correlator_data is not None:
            into.correlator_data = secondary.correlator_data
        if into.answered_at is None:
            into.answered_at = secondary.answered_at
        del model.calls[secondary.call_id]
        # Its live-state row goes too: a restart would bring the merged call back.
        model.dirty.add(secondary.call_id)
        model.music(secondary, False)
        model.command(sw.BridgeDestroy(bridge_id=secondary.bridge_id))
        model.notify(
            CallEnded(
                call_id=secondary.call_id,
                calling_device=secondary.calling_device,
                called_device=secondary.called_device,
                trunk=secondary.trunk,
                direction=secondary.direction,
                created_at=secondary.created_at,
                answered_at=secondary.answered_at,
                ended_at=model.now(),
                cause=f"mergedInto:{into.call_id}",
                correlator_data=secondary.correlator_data,
                user_data=dict(secondary.user_data),
                devices=tuple(secondary.devices_seen),
                facts=dict(secondary.facts),
            )
        )
        return pairs

    def single_step_transfer(self, active: ConnectionID, to: str) -> str:
        """The device leaves its call, which goes on to ``to``."""
        conn = self._conn(active, "activeCall")
        self._state(conn, (S.CONNECTED, S.HOLD), "activeCall")
        call = conn.call
        self._destination(to, "transferredTo", E.INVALID_DESTINATION)
        if to in call.connections:
            raise CstaError(E.INVALID_DESTINATION, f"{to} is already in the call")
        others = [c for c in call.other_connections(conn.device) if c.state is S.CONNECTED]
        if not others:
            raise CstaError(E.INVALID_OBJECT_STATE, "activeCall has no other party to transfer")
        self._require_link()
        model = self.model
        leg = conn.leg
        if leg is not None:
            model.unbridge(call, leg)
        model.transition(conn, Trigger.CLEAR)
        model.detach(conn)
        model.emit(
            TransferredEvent(
                primary_old_call=call.call_id,
                secondary_old_call=None,
                transferring_device=conn.device,
                transferred_to_device=to,
                cause=EventCause.SINGLE_STEP_TRANSFER,
                correlator_data=call.correlator_data,
                user_data=call.user_data,
            ),
            [call],
            [conn.device],
        )
        if leg is not None and not leg.connections:
            model.hangup_leg(leg)
        call.last_redirection_device = conn.device
        call.called_device = to
        model.music(call, True)
        model.route(call, to, from_leg=others[0].leg)
        return call.call_id

    def deflect_call(self, cid: ConnectionID, to: str) -> None:
        """Send a call that rings at a device on to ``to`` before it is answered."""
        conn = self._conn(cid, "callToBeDiverted")
        self._state(conn, (S.ALERTING,), "callToBeDiverted")
        call = conn.call
        self._destination(to, "newDestination", E.INVALID_DESTINATION)
        if to in call.connections:
            raise CstaError(E.INVALID_DESTINATION, f"{to} is already in the call")
        self._require_link()
        model = self.model
        leg = conn.leg
        model.transition(conn, Trigger.CLEAR)
        model.detach(conn)
        model.emit(
            DivertedEvent(
                connection=conn.id,
                diverting_device=conn.device,
                new_destination=to,
                calling_device=call.calling_device,
                called_device=call.called_device,
                last_redirection_device=call.last_redirection_device,
            ),
            [call],
            [conn.device],
        )
        if leg is not None and not leg.connections:
            model.hangup_leg(leg, sw.HangupCause.CANCELLED)
        call.last_redirection_device = conn.device
        origin = call.connections.get(call.calling_device)
        model.route(call, to, from_leg=origin.leg if origin else None)

    def alternate_call(self, held: ConnectionID, active: ConnectionID) -> None:
        """Hold the active call and retrieve the held one, in one step."""
        h, a = self._pair(held, active)
        self._check_retrievable(h, ignore=a)
        self._require_link()
        self.model.hold(a, EventCause.ALTERNATE)
        self.model.retrieve(h, EventCause.ALTERNATE)

    def reconnect_call(self, held: ConnectionID, active: ConnectionID) -> None:
        """Leave the active call and retrieve the held one."""
        h, a = self._pair(held, active)
        self._check_retrievable(h, ignore=a)
        self._require_link()
        model = self.model
        if a.leg is not None:
            model.unbridge(a.call, a.leg)
        model.clear(a, EventCause.NORMAL_CLEARING)
        model.settle(a.call)
        model.retrieve(h)

    def generate_digits(self, cid: ConnectionID, digits: str) -> None:
        conn = self._conn(cid, "connectionToSendDigits")
        self._state(conn, (S.CONNECTED,), "connectionToSendDigits")
        if not digits or len(digits) > MAX_DIGITS or not set(digits) <= DTMF_CHARACTERS:
            raise CstaError(
                E.VALUE_OUT_OF_RANGE,
                f"charactersToSend must be 1 to {MAX_DIGITS} of 0-9 * # A-D and ',' (pause)",
            )
        # The device sends the digits into its call: the other parties hear them
        # (a remote IVR the agent navigates), so they go out on their legs.
        hearers = [
            c.leg
            for c in conn.call.other_connections(conn.device)
            if c.state is S.CONNECTED and c.leg is not None
        ]
        if not hearers:
            raise CstaError(
                E.INVALID_OBJECT_STATE, f"nobody in call {conn.call.call_id} hears {conn.device}"
            )
        self._require_link()
        for leg in hearers:
            self.model.command(sw.SendDigits(channel_id=leg.channel_id, digits=digits))
        self.model.emit(
            DigitsGeneratedEvent(connection=conn.id, digits_generated_list=digits), [conn.call]
        )

    def associate_data(
        self,
        call_id: str,
        *,
        correlator_data: str | None = None,
        user_data: Mapping[str, Any] | None = None,
        device: str | None = None,
    ) -> None:
        """Change a call's data. ``userData`` keys merge; a key set to null is removed."""
        call = self._call(call_id, "existingCall")
        _check_correlator(correlator_data)
        merged = dict(call.user_data)
        for key, value in (user_data or {}).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        check_user_data(merged)
        call.user_data = merged
        if correlator_data is not None:
            call.correlator_data = correlator_data
        self.model.emit(
            CallInformationEvent(
                call_id=call.call_id,
                device=device,
                correlator_data=call.correlator_data,
                user_data=call.user_data,
            ),
            [call],
        )

    # -------------------------------------------------------------- snapshots

    def snapshot_device(self, device: str) -> list[dict[str, Any]]:
        if self.model.directory.classify(device) is None and device not in self.model.by_device:
            raise CstaError(E.INVALID_DEVICE_IDENTIFIER, f"snapshotObject: no device {device!r}")
        # The call's data is included so that a toolbar opened in mid-call can
        # show its screen pop without a SnapshotCall per call.
        return [
            {
                "connectionIdentifier": conn.id.to_wire(),
                "localCallState": conn.state.value,
                "callingDevice": conn.call.calling_device,
                "calledDevice": conn.call.called_device,
                "correlatorData": conn.call.correlator_data,
                "userData": dict(conn.call.user_data),
            }
            for conn in self.model.device_connections(device)
        ]

    def snapshot_call(self, call_id: str) -> dict[str, Any]:
        call = self._call(call_id, "snapshotObject")
        return {
            "snapshotData": [
                {
                    "deviceOnCall": device,
                    "callIdentifier": conn.id.to_wire(),
                    "localConnectionState": conn.state.value,
                }
                for device, conn in call.connections.items()
            ],
            "callingDevice": call.calling_device,
            "calledDevice": call.called_device,
            "correlatorData": call.correlator_data,
            "userData": dict(call.user_data),
        }
