"""Call handling for ctid's own services: what an IVR or the ACD does with a call it holds.

A call that reaches a route point (a queue number, an IVR number) arrives as a
``CallArrived`` notice with a connection at the route point in state
``null``. The route point's service then *takes* the call and drives it with
these operations: connect it (the IVR answers), queue it (ACD), play prompts
or music to the caller, offer it to agents (one or several at once), withdraw
an offer (ring-no-answer), route it on (overflow, or the IVR handing it to a
queue), attach data, or hang it up.

While a service owns a call (``Call.owner``), a caller left alone in it, for
example after an agent did not answer, is not released by the model: the
service decides. Each operation emits its CSTA events and queues its switch
commands on the model, like the CSTA services do; the caller then runs them
(``CallService.sync()`` from a synchronous handler, ``CallService.execute()``
from a task).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..switch_drivers import base as sw
from .events import CallInformationEvent, DivertedEvent, EstablishedEvent, QueuedEvent
from .model import Call, CallModel, Connection
from .states import ConnectionState, Trigger
from .values import ConnectionID, DeviceType, EventCause

__all__ = ["CallControl", "NoSuchCall"]

S = ConnectionState


class NoSuchCall(LookupError):
    """The call has ended (or never existed); the service should forget it."""


class CallControl:
    """Service-side operations on calls held at route points."""

    def __init__(self, model: CallModel) -> None:
        self.model = model

    # ---------------------------------------------------------------- lookups

    def call(self, call_id: str) -> Call:
        call = self.model.calls.get(call_id)
        if call is None:
            raise NoSuchCall(call_id)
        # A service that looks a call up may write its facts or data: keep them.
        self.model.dirty.add(call_id)
        return call

    def caller(self, call_id: str) -> Connection | None:
        """The party who made the call (the customer for an inbound call), if still in it."""
        call = self.call(call_id)
        return call.connections.get(call.calling_device)

    def _point(self, call: Call, device: str) -> Connection:
        conn = call.connections.get(device)
        if conn is None:
            conn = self.model.add_connection(call, device, S.NULL)
        return conn

    # --------------------------------------------------------------- owning

    def take(self, call_id: str, route_point: str) -> Call:
        """The service of ``route_point`` owns the call from now on."""
        call = self.call(call_id)
        call.owner = route_point
        self._point(call, route_point)
        return call

    def release(self, call_id: str) -> None:
        """The service lets go; the call now lives or ends like any other."""
        call = self.model.calls.get(call_id)
        if call is not None:
            call.owner = None
            self.model.settle(call)

    # ------------------------------------------------------------ at a point

    def connect(self, call_id: str, route_point: str) -> None:
        """The route point answers (an IVR): EstablishedEvent, and the caller's line is answered."""
        call = self.call(call_id)
        conn = self._point(call, route_point)
        if conn.state is not S.CONNECTED:
            self.model.transition(conn, Trigger.CONNECT)
            if call.answered_at is None:
                call.answered_at = self.model.now()
            self.model.emit(
                EstablishedEvent(
                    established_connection=conn.id,
                    answering_device=route_point,
                    calling_device=call.calling_device,
                    called_device=call.called_device,
                    last_redirection_device=call.last_redirection_device,
                    correlator_data=call.correlator_data,
                    user_data=call.user_data,
                ),
                [call],
            )
        self.answer_caller(call_id)

    def queue(self, call_id: str, queue: str, *, number_queued: int | None = None) -> ConnectionID:
        """The call waits at ``queue``: QueuedEvent."""
        call = self.call(call_id)
        call.owner = queue
        conn = self._point(call, queue)
        if conn.state is not S.QUEUED:
            self.model.transition(conn, Trigger.QUEUE)
        self.model.emit(
            QueuedEvent(
                queued_connection=conn.id,
                queue=queue,
                calling_device=call.calling_device,
                called_device=call.called_device,
                number_queued=number_queued,
                correlator_data=call.correlator_data,
                user_data=call.user_data,
            ),
            [call],
        )
        return conn.id

    def leave(self, call_id: str, route_point: str, *, to: str, cause: EventCause) -> None:
        """The call leaves ``route_point`` for ``to``: DivertedEvent at the point."""
        call = self.call(call_id)
        conn = call.connections.get(route_point)
        if conn is None:
            return
        if conn.state is S.NULL:
            # Never queued or answered: it leaves without a trace.
            self.model.detach(conn)
            call.last_redirection_device = route_point
            return
        self.model.transition(conn, Trigger.CLEAR)
        self.model.detach(conn)
        self.model.emit(
            DivertedEvent(
                connection=conn.id,
                diverting_device=route_point,
                new_destination=to,
                calling_device=call.calling_device,
                called_device=call.called_device,
                last_redirection_device=call.last_redirection_device,
                cause=cause,
            ),
            [call],
            [route_point],
        )
        call.last_redirection_device = route_point

    # --------------------------------------------------------- to the caller

    def answer_caller(self, call_id: str) -> None:
        """Answer the caller's line if it is still offered (before prompts or music)."""
        conn = self.caller(call_id)
        leg = conn.leg if conn else None
        if (
            leg is not None
            and leg.direction is sw.Direction.INBOUND
            and not leg.answered
            and not leg.hangup_sent
            and not leg.answer_sent
        ):
            leg.answer_sent = True
            self.model.command(sw.Answer(channel_id=leg.channel_id))

    def _caller_channel(self, call_id: str) -> str:
        conn = self.caller(call_id)
        if conn is None or conn.leg is None:
            raise NoSuchCall(call_id)
        return conn.leg.channel_id

    def play(
        self,
        call_id: str,
        media: Sequence[str],
        *,
        language: str = "en",
        stop_on_digit: bool = False,
    ) -> str:
        """Play prompts to the caller; returns the playback id (``PlaybackDone`` ends it)."""
        playback_id = self.model.ids.new("pb")
        self.model.command(
            sw.Play(
                playback_id=playback_id,
                target=sw.MediaTarget.channel(self._caller_channel(call_id)),
                media=tuple(media),
                language=language,
                stop_on_digit=stop_on_digit,
            )
        )
        return playback_id

    def stop_playback(self, playback_id: str) -> None:
        self.model.command(sw.StopPlayback(playback_id=playback_id))

    def music(self, call_id: str, on: bool, music_class: str = "default") -> None:
        """Music on hold to the waiting caller (their own channel, not the call's bridge)."""
        target = sw.MediaTarget.channel(self._caller_channel(call_id))
        self.model.command(
            sw.StartMusic(target=target, music_class=music_class)
            if on
            else sw.StopMusic(target=target)
        )

    def record(self, call_id: str, path: str, *, format: str = "wav") -> str:
        """Record what the caller says into ``path`` (no extension); returns the recording id.

        ``RecordingDone`` reports the end: after ``stop_recording``, or when the
        caller hangs up (the recording is kept).
        """
        recording_id = self.model.ids.new("rec")
        self.model.command(
            sw.StartRecording(
                recording_id=recording_id,
                target=sw.MediaTarget.channel(self._caller_channel(call_id)),
                path=path,
                format=format,
            )
        )
        return recording_id

    def stop_recording(self, recording_id: str) -> None:
        self.model.command(sw.StopRecording(recording_id=recording_id))

    def receive_fax(self, call_id: str, fax_id: str, path: str, *, station_id: str = "") -> None:
        """Take a fax from the caller into ``path`` (a TIFF); ``FaxDone`` reports the end."""
        self.model.command(
            sw.ReceiveFax(
                fax_id=fax_id,
                channel_id=self._caller_channel(call_id),
                path=path,
                station_id=station_id,
            )
        )

    def send_fax_on(
        self, channel_id: str, fax_id: str, path: str, *, header: str = "", station_id: str = ""
    ) -> None:
        """Send the TIFF ``path`` over an answered channel; ``FaxDone`` reports the end."""
        self.model.command(
            sw.SendFax(
                fax_id=fax_id,
                channel_id=channel_id,
                path=path,
                header=header,
                station_id=station_id,
            )
        )

    def stop_fax(self, fax_id: str, channel_id: str) -> None:
        """Stop a fax on a channel; ``FaxDone`` reports its end (``sw.StopFax``)."""
        self.model.command(sw.StopFax(fax_id=fax_id, channel_id=channel_id))

    def caller_channel(self, call_id: str) -> str:
        """The caller's channel (raises ``NoSuchCall`` once it is gone)."""
        return self._caller_channel(call_id)

    # -------------------------------------------------------------- offering

    def offer(
        self,
        call_id: str,
        device: str,
        *,
        timeout: float,
        auto_answer: bool = False,
        via: str | None = None,
    ) -> ConnectionID:
        """Ring ``device`` (an agent's phone) with the call; DeliveredEvent carries its data.

        Offer several devices in turn for ring-all; the first to answer wins.
        ``via`` (a queue) becomes the call's ``lastRedirectionDevice``.
        If the offer is not taken (no answer in ``timeout``, busy, withdrawn)
        the agent's connection is cleared and the call stays with its owner.
        """
        call = self.call(call_id)
        if device in call.connections:
            raise ValueError(f"{device} is already in call {call_id}")
        if via is not None:
            # The agent's DeliveredEvent names the queue the call comes from.
            call.last_redirection_device = via
        caller = call.connections.get(call.calling_device)
        conn = self.model.originate(
            call,
            device,
            sw.EndpointKind.EXTENSION,
            auto_answer=auto_answer,
            timeout=timeout,
            originator=caller.leg if caller else None,
            offer=True,
        )
        return conn.id

    def dial_out(
        self,
        number: str,
        *,
        owner: str,
        caller_number: str,
        timeout: float,
        user_data: Mapping[str, Any] | None = None,
        facts: Mapping[str, Any] | None = None,
        detect_machines: bool = False,
    ) -> str:
        """Call an outside ``number`` for a service (a campaign); returns the call id.

        The call is the customer's: its calling device is ``number``, so once the
        customer answers the service can hand the call to a queue (``route``) as
        it would an inbound caller. ``owner`` keeps the answered customer in the
        call while alone. The number goes through outbound routing; the switch
        shows ``caller_number`` to the customer. With ``detect_machines`` the switch
        says who answered (an ``AnswerClassified`` notice, the fact ``answeredBy``).
        """
        model = self.model
        call = model.new_call(calling=number, called=number, direction="outbound")
        call.owner = owner
        if user_data:
            call.user_data.update(user_data)
        if facts:
            call.facts.update(facts)
        model.dial_outside(
            call,
            number,
            timeout=timeout,
            caller_number=caller_number,
            detect_machines=detect_machines,
        )
        return call.call_id

    def withdraw(self, connection: ConnectionID) -> None:
        """Stop an offer that is still ringing (ring-no-answer)."""
        conn = self.model.connection(connection)
        if conn is None or conn.leg is None or conn.leg.answered:
            return
        leg = conn.leg
        if not leg.created:
            # The switch has not reported the leg yet: drop the connection now.
            self.model.drop(conn, EventCause.NO_ANSWER)
            self.model.hangup_leg(leg, sw.HangupCause.NO_ANSWER)
            return
        self.model.hangup_leg(leg, sw.HangupCause.NO_ANSWER)

    # --------------------------------------------------------------- onwards

    def route(
        self, call_id: str, number: str, *, cause: EventCause = EventCause.REDIRECTED
    ) -> None:
        """Send the call on to ``number`` (a device, outside number, queue or IVR); let it go."""
        call = self.call(call_id)
        owner = call.owner
        call.owner = None
        if owner is not None and owner in call.connections:
            self.leave(call_id, owner, to=number, cause=cause)
        caller = call.connections.get(call.calling_device)
        ringing = self.model.directory.classify(number) is not DeviceType.ROUTE_POINT
        if ringing and caller is not None and caller.leg is not None and caller.leg.answered:
            # Ringing an outside number or a phone: the caller hears music until answered.
            self.music(call_id, True)
        call.called_device = number
        self.model.route(call, number, from_leg=caller.leg if caller else None)

    def hang_up(self, call_id: str, cause: sw.HangupCause = sw.HangupCause.NORMAL) -> None:
        """End the call for everybody in it."""
        call = self.call(call_id)
        call.owner = None
        for conn in list(call.connections.values()):
            leg = conn.leg
            if leg is None or conn.state is S.FAIL:
                self.model.drop(conn, EventCause.NORMAL_CLEARING)
            elif len(leg.connections) > 1:
                self.model.unbridge(call, leg)
                self.model.drop(conn, EventCause.NORMAL_CLEARING)
            else:
                self.model.hangup_leg(leg, cause)
        self.model.settle(call)

    def update_data(
        self, call_id: str, user_data: Mapping[str, Any], *, device: str | None = None
    ) -> None:
        """Merge ``user_data`` into the call's data (None removes a key): CallInformationEvent."""
        call = self.call(call_id)
        for key, value in user_data.items():
            if value is None:
                call.user_data.pop(key, None)
            else:
                call.user_data[key] = value
        self.model.emit(
            CallInformationEvent(
                call_id=call.call_id,
                device=device,
                correlator_data=call.correlator_data,
                user_data=call.user_data,
            ),
            [call],
        )
