"""The simulated switch of the fake Asterisk: phones, trunk, channels, bridges, Stasis apps.

``AriSwitch`` is the state; ``_fake_ari_rest`` answers REST requests on it,
``_fake_ari_wire`` speaks HTTP and the events WebSocket, and
``ctid.testing.fake_asterisk.FakeAsterisk`` puts the three together (it hands
out the streams). The layers import downward only: switch <- rest <- wire <- facade.

A small, faithful fake Asterisk that speaks ARI over any trio stream.

``FakeAsterisk`` serves ARI's REST interface and the ``/ari/events``
WebSocket (h11 for HTTP, wsproto for the WebSocket) over streams it hands
out from ``open_stream``, so a driver under test connects to it exactly as to a
real Asterisk, over ``trio.testing.memory_stream_pair``, on the mock clock. It
checks every request against Asterisk's API descriptions (an
``ari_schema.AriSchema``) and every event it sends against their models, and
answers with Asterisk's own error bodies.

What it simulates:

* PJSIP phones (``phone("1001")``) that ring, and that the test makes answer,
  hang up, press digits, hold, or dial into the Stasis app.
* A trunk (``PJSIP/trunk-provider``) whose numbers answer, are busy, never
  answer or are unreachable (``set_number``), and inbound trunk calls
  (``inbound_call``) that enter Stasis with arguments.
* Stasis apps with Asterisk's registration rules: a second socket for the same
  app name gets the events and the first one receives ``ApplicationReplaced``;
  an app whose socket closed keeps its channels in Stasis.
* Originate (no StasisStart until answered, and then only ``stasis_delay``
  later, as in Asterisk where the app starts after the answer), mixing bridges, music on hold,
  playbacks that finish after ``playback_seconds`` on the trio clock, live
  recordings, snoop channels, DTMF, and ``ChannelVarset`` noise.

Time is read from trio only; timestamps are a fixed wall-clock anchor plus
``trio.current_time()``.

The REST handlers are in ``_fake_ari_rest`` and the wire protocol in
``_fake_ari_wire``; this module holds the simulated switch, its objects are in
``_fake_ari_objects`` and their JSON in ``_fake_ari_json``.
"""

from __future__ import annotations

import abc
import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import trio

from ctid.switch_drivers.simulator.config import SimulatorConfig
from ctid.testing._fake_ari_json import AriJson
from ctid.testing._fake_ari_objects import (
    _CAUSE_TEXT,
    _SIP_TIMER_B,
    JSON,
    AriError,
    NumberBehaviour,
    _App,
    _Bridge,
    _Channel,
    _Playback,
    _Recording,
)
from ctid.testing.ari_schema import AriSchema

__all__ = ["AriError", "AriSwitch", "FakeOutsideParty", "FakePhone", "NumberBehaviour"]


class _Party(abc.ABC):
    """Somebody at the end of a channel whom the test drives: a phone, an outside party."""

    def __init__(self, fake: AriSwitch, what: str) -> None:
        self._fake = fake
        self._what = what

    @abc.abstractmethod
    def _mine(self, channel: _Channel) -> bool:
        """Whether ``channel`` is one of the party's."""

    def _channel(self) -> _Channel:
        chans = [c for c in self._fake.channels.values() if self._mine(c)]
        if not chans:
            raise LookupError(f"{self._what} has no call")
        return chans[-1]

    @property
    def channel_id(self) -> str | None:
        """The id of the party's newest channel, if it has one."""
        try:
            return self._channel().id
        except LookupError:
            return None

    @property
    def digits_heard(self) -> list[str]:
        """The DTMF ARI sent to the party's newest channel."""
        return list(self._channel().digits_heard)

    def hangup(self) -> None:
        """Hang up (a SIP BYE or CANCEL from the party's side, Q.850 16)."""
        self._fake.hangup_channel(self._channel(), cause=16, soft=False)

    def press(self, digits: str) -> None:
        """Press keys during a call (DTMF towards Asterisk)."""
        self._fake.press(self._channel(), digits)


class FakePhone(_Party):
    """One PJSIP phone, driven by the test."""

    def __init__(self, fake: AriSwitch, extension: str) -> None:
        super().__init__(fake, f"phone {extension}")
        self.extension = extension
        self.endpoint = f"PJSIP/{extension}"
        #: Answer by itself when a call carries an auto-answer header.
        self.honours_auto_answer = True
        #: Refuse new calls with "busy".
        self.busy = False
        #: Registered (has a contact). An endpoint without one cannot be dialled:
        #: Asterisk 22 answers the originate with 500 "Allocation failed" at once
        #: and makes no channel (seen on the lab's Asterisk 22.10.1).
        self.registered = True
        #: pjsip.conf ``mailboxes``: the MWI mailboxes this phone's lamp shows.
        self.mailboxes: tuple[str, ...] = (f"{extension}@ctid",)

    def _mine(self, channel: _Channel) -> bool:
        return channel.endpoint == self.endpoint

    def answer(self) -> None:
        """Pick up the ringing call."""
        self._fake.answer_channel(self._channel())

    def hold(self) -> None:
        channel = self._channel()
        channel.held = True
        self._fake.emit_channel(channel, "ChannelHold", musicclass="default")

    def unhold(self) -> None:
        channel = self._channel()
        channel.held = False
        self._fake.emit_channel(channel, "ChannelUnhold")

    def dial(self, number: str, *, app: str = "ctid") -> str:
        """Go off-hook and dial ``number``; the dialplan runs ``Stasis(app,inbound,number)``."""
        caller = {"name": f"Phone {self.extension}", "number": self.extension}
        return self._fake.incoming(self.endpoint, caller, number, app=app)


class FakeOutsideParty(_Party):
    """The far end of a trunk call, by its number, driven by the test."""

    def __init__(self, fake: AriSwitch, number: str) -> None:
        super().__init__(fake, f"outside party {number}")
        self.number = number

    def _mine(self, channel: _Channel) -> bool:
        return channel.party == self.number


class AriSwitch(AriJson):
    """The fake switch's state; ``FakeAsterisk`` adds the network (see ``fake_asterisk``)."""

    def __init__(
        self,
        *,
        schema: AriSchema,
        user: str = "ctid",
        password: str = "secret",
        extensions: Iterable[str] = ("1001", "1002", "1003", "1004"),
        trunk_endpoint: str = "PJSIP/trunk-provider",
        playback_seconds: float = 2.0,
        answer_delay: float = 1.0,
        stasis_delay: float = 0.001,
        asterisk_id: str = "02:fc:00:00:00:01",
        recording_dir: str | None = None,
    ) -> None:
        self.schema = schema
        self.user = user
        self.password = password
        self.trunk_endpoint = trunk_endpoint
        self.playback_seconds = playback_seconds
        self.answer_delay = answer_delay
        #: Seconds between an originated channel's answer and its StasisStart: the
        #: channel is Up (ChannelStateChange, Dial ANSWER) a moment before it is
        #: in the app, and ARI refuses to bridge it (422) in that moment.
        self.stasis_delay = stasis_delay
        self.asterisk_id = asterisk_id
        #: Asterisk's recording directory: when set, a finished recording named
        #: ``n`` is written to ``<recording_dir>/n.<format>``, as Asterisk does.
        self.recording_dir = recording_dir
        #: While False, ``open_stream`` fails as a refused TCP connect would.
        self.reachable = True
        #: While False, the events socket ignores WebSocket pings (a hung switch).
        self.answer_pings = True
        #: While False, ``app_stasis`` is not loaded: ARI still originates, but a
        #: channel that answers cannot run Stasis() and is hung up ("No such
        #: application 'Stasis'", res/ari/resource_channels.c) without StasisStart.
        self.stasis_loaded = True
        self.phones = {ext: FakePhone(self, ext) for ext in extensions}
        self.numbers: dict[str, NumberBehaviour] = {}
        #: Every REST request served: (method, path, query).
        self.requests: list[tuple[str, str, tuple[tuple[str, str], ...]]] = []
        #: Every event sent, per app name, in order.
        self.sent: list[JSON] = []
        #: How many events sockets were opened, in total.
        self.sockets_opened = 0
        #: ari.conf's ``channelvars``: the variables every channel's JSON shows
        #: (``channelvars``, a value of ``""`` when unset), as Asterisk 22 does.
        self.channelvars: tuple[str, ...] = ()
        self.channels: dict[str, _Channel] = {}
        self.bridges: dict[str, _Bridge] = {}
        self.playbacks: dict[str, _Playback] = {}
        self.recordings: dict[str, _Recording] = {}
        self.apps: dict[str, _App] = {}
        self._ids = itertools.count(1)
        self._nursery: trio.Nursery | None = None
        self._connections: set[trio.abc.Stream] = set()
        self._epoch = 0  # bumps on restart: timers of a previous life do nothing
        #: Calls the trunk carries at once (None: no limit); past it a dial ends CONGESTION.
        self.trunk_lines: int | None = None
        #: External MWI mailboxes (``_fake_ari_mwi``): name -> (new, old); while
        #: ``mwi_loaded`` is False, res_mwi_external is not loaded.
        self.mailboxes: dict[str, tuple[int, int]] = {}
        self.mwi_loaded = True
        #: Loaded modules (``GET /asterisk/modules/{name}``), the dialplan's AMD
        #: context (None: none) and who answers outside numbers, person or machine
        #: (the simulator's rules: ``_fake_ari_amd``).
        self.modules: set[str] = {"app_amd.so"}
        self.amd_context: str | None = "ctid-amd"
        self.parties = SimulatorConfig()

    # ------------------------------------------------------------ running

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Serve connections until cancelled."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    def trunk_calls(self) -> int:
        """Channels on the trunk now (inbound and outbound)."""
        return sum(
            1 for c in self.channels.values() if c.endpoint == self.trunk_endpoint and not c.dying
        )

    def forget_connection(self, stream: trio.abc.Stream) -> None:
        self._connections.discard(stream)

    async def drop_connections(self) -> None:
        """Break every open connection at once (a network failure)."""
        for stream in list(self._connections):
            await trio.aclose_forcefully(stream)
        self._connections.clear()
        for app in self.apps.values():
            app.socket = None

    async def restart(self) -> None:
        """Asterisk restarts: connections break and every call, bridge and app is gone."""
        await self.drop_connections()
        self._epoch += 1
        self.channels.clear()
        self.bridges.clear()
        self.playbacks.clear()
        self.recordings.clear()
        self.apps.clear()

    def phone(self, extension: str) -> FakePhone:
        return self.phones[extension]

    def outside(self, number: str) -> FakeOutsideParty:
        """The outside party ``number`` on its newest trunk call."""
        return FakeOutsideParty(self, number)

    def press(self, channel: _Channel, digits: str) -> None:
        """DTMF from the channel's device, one event per key."""
        for digit in digits:
            self.emit_channel(channel, "ChannelDtmfReceived", digit=digit, duration_ms=120)

    def set_number(self, number: str, behaviour: NumberBehaviour) -> None:
        """How an outside number reached through the trunk behaves (default: answer)."""
        self.numbers[number] = behaviour

    def inbound_call(self, caller_number: str, dnis: str, *, app: str = "ctid") -> str:
        """A call arrives on the trunk; the dialplan runs ``Stasis(app,inbound,dnis)``."""
        return self.incoming(
            self.trunk_endpoint,
            {"name": "", "number": caller_number},
            dnis,
            app=app,
            party=caller_number,
        )

    # ------------------------------------------------------------- apps

    def register(
        self, app_name: str, sink: trio.MemorySendChannel[JSON], *, subscribe_all: bool = False
    ) -> None:
        """An events socket for ``app_name`` opened (``ApplicationReplaced`` to a previous one).

        As in Asterisk, ``subscribe_all`` counts only when the app is new.
        """
        self.sockets_opened += 1
        app = self.apps.setdefault(app_name, _App(app_name, subscribe_all=subscribe_all))
        if app.socket is not None:
            self._send_to(app, {"type": "ApplicationReplaced"})
        app.socket = sink

    def unregister(self, app_name: str, sink: trio.MemorySendChannel[JSON]) -> None:
        app = self.apps.get(app_name)
        if app is not None and app.socket is sink:
            app.socket = None

    def _send_to(self, app: _App, body: JSON) -> None:
        if app.socket is None:
            return
        event = {"type": body["type"], **body, "timestamp": self.timestamp()}
        event.update(asterisk_id=self.asterisk_id, application=app.name)
        problems = self.schema.check_event(event)
        if problems:
            raise AssertionError(f"fake Asterisk built an invalid {event['type']}: {problems}")
        self.sent.append(event)
        try:
            app.socket.send_nowait(event)
        except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
            # Asterisk drops a consumer that cannot keep up.
            app.socket = None

    def send_raw(self, app_name: str, message: JSON) -> None:
        """Send ``message`` as is, unchecked: for tests of a client's robustness."""
        app = self.apps.get(app_name)
        if app is not None and app.socket is not None:
            app.socket.send_nowait(message)

    def emit(self, subscribers: Iterable[str], kind: str, **fields: Any) -> None:
        for name in sorted(set(subscribers)):
            app = self.apps.get(name)
            if app is not None:
                self._send_to(app, {"type": kind, **fields})

    def emit_channel(self, channel: _Channel, kind: str, **fields: Any) -> None:
        self.emit(
            self.channel_subscribers(channel), kind, channel=self.channel_json(channel), **fields
        )

    def channel_subscribers(self, channel: _Channel) -> set[str]:
        subs = set(channel.subscribers)
        if channel.stasis_app:
            subs.add(channel.stasis_app)
        for app in self.apps.values():
            if app.subscribe_all or f"endpoint:{channel.endpoint}" in app.subscribed:
                subs.add(app.name)
        return subs

    def all_subscribers(self) -> set[str]:
        """Apps that asked for every event (``subscribeAll=true``)."""
        return {app.name for app in self.apps.values() if app.subscribe_all}

    def new_id(self) -> int:
        return next(self._ids)

    def later(self, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` after ``delay`` seconds of trio time, unless Asterisk restarted."""
        if self._nursery is None:
            raise RuntimeError("FakeAsterisk.run is not running")
        epoch = self._epoch

        async def timer() -> None:
            await trio.sleep(delay)
            if self._epoch == epoch:
                action()

        self._nursery.start_soon(timer)

    # ------------------------------------------------------------ channels

    def new_channel(
        self, *, channel_id: str | None, endpoint: str, state: str, caller: JSON, exten: str
    ) -> _Channel:
        seq = self.new_id()
        cid = channel_id or f"{1795325600 + seq}.{seq}"
        channel = _Channel(
            id=cid,
            name=f"{endpoint}-{seq:08x}",
            endpoint=endpoint,
            state=state,
            caller=dict(caller),
            connected={"name": "", "number": ""},
            dialplan={
                "context": "from-phones",
                "exten": exten,
                "priority": 1,
                "app_name": "",
                "app_data": "",
            },
            created=trio.current_time(),
        )
        self.channels[cid] = channel
        return channel

    def incoming(
        self, endpoint: str, caller: JSON, exten: str, *, app: str, party: str | None = None
    ) -> str:
        """A call enters the switch on ``endpoint`` and the dialplan runs ``Stasis``."""
        channel = self.new_channel(
            channel_id=None, endpoint=endpoint, state="Ring", caller=caller, exten=exten
        )
        channel.party = party
        self.emit_channel(channel, "ChannelCreated")
        registered = self.apps.get(app)
        if registered is None or registered.socket is None:
            # Stasis() fails for an app nobody is connected as; the dialplan hangs up.
            self.destroy(channel, cause=16)
            return channel.id
        self.enter_stasis(channel, app, ["inbound", exten])
        return channel.id

    def enter_stasis(self, channel: _Channel, app: str, args: list[str]) -> None:
        channel.stasis_app = app
        channel.dialplan.update(app_name="Stasis", app_data=",".join([app, *args]), priority=2)
        self.emit_channel(channel, "ChannelVarset", variable="STASISSTATUS", value="")
        self.emit_channel(channel, "StasisStart", args=args)

    def leave_stasis(self, channel_id: str, *, then_hang_up: bool = False) -> None:
        """The channel goes back to the dialplan (a transfer, ``continue``): StasisEnd, alive.

        With ``then_hang_up`` it ends at once, before the app could subscribe to it.
        """
        channel = self.channels[channel_id]
        if channel.bridge is not None and channel.bridge in self.bridges:
            self.leave_bridge(channel, self.bridges[channel.bridge])
        self.emit_channel(channel, "StasisEnd")
        channel.stasis_app = None
        channel.dialplan.update(app_name="Dial", app_data="PJSIP/1003,30", priority=3)
        if then_hang_up:
            self.hangup_channel(channel, cause=16, soft=False)

    def hang_up(self, channel_id: str) -> None:
        """The far end of any channel hangs up (Q.850 16)."""
        self.hangup_channel(self.channels[channel_id], cause=16, soft=False)

    def set_state(self, channel: _Channel, state: str) -> None:
        if channel.state != state:
            channel.state = state
            self.emit_channel(channel, "ChannelStateChange")

    def originate(
        self,
        *,
        channel_id: str,
        endpoint: str,
        app: str,
        app_args: list[str],
        caller: JSON,
        timeout: int,
        variables: Mapping[str, str],
    ) -> _Channel:
        if channel_id in self.channels:
            raise AriError(409, "Channel with given unique ID already exists")
        tech_endpoint, number = self._route(endpoint)
        channel = self.new_channel(
            channel_id=channel_id, endpoint=tech_endpoint, state="Down", caller=caller, exten="s"
        )
        channel.connected = dict(caller)
        channel.dialplan.update(app_name="AppDial2", app_data="(Outgoing Line)")
        channel.subscribers.add(app)
        channel.originated_into = (app, app_args)
        channel.variables.update(variables)
        channel.party = number
        auto = any("answer-after" in v or "autoanswer" in v for v in variables.values())
        self.later(0, lambda: self._ring(channel, number, timeout, auto))
        return channel

    def _route(self, endpoint: str) -> tuple[str, str | None]:
        tech, _, rest = endpoint.partition("/")
        if tech != "PJSIP" or not rest:
            raise AriError(500, "Allocation failed", key="error")
        if "@" in rest:
            number, _, trunk = rest.partition("@")
            if f"PJSIP/{trunk}" != self.trunk_endpoint or not number:
                raise AriError(500, "Allocation failed", key="error")
            return self.trunk_endpoint, number
        if rest not in self.phones or not self.phones[rest].registered:
            raise AriError(500, "Allocation failed", key="error")
        return endpoint, None

    def _ring(self, channel: _Channel, number: str | None, timeout: int, auto: bool) -> None:
        if channel.id not in self.channels or channel.dying:
            return
        phone = next((p for p in self.phones.values() if p.endpoint == channel.endpoint), None)
        behaviour: NumberBehaviour = "answer"
        if number is not None:
            behaviour = self.numbers.get(number, "answer")
            if self.trunk_lines is not None and self.trunk_calls() > self.trunk_lines:
                # Every line of the trunk is taken: the provider answers 503.
                self.emit_dial(channel, "CONGESTION")
                self.destroy(channel, cause=34)
                return
        elif phone is not None and phone.busy:
            behaviour = "busy"
        if behaviour == "unreachable":
            self.emit_dial(channel, "CHANUNAVAIL")
            self.destroy(channel, cause=20)
            return
        if behaviour == "dead":
            # Nothing answers SIP at the trunk's address: PJSIP ignores the ICMP
            # error and gives up on its INVITE when timer B ends (32 s), as a
            # 408 that Asterisk makes cause 18 (tests/fixtures/ari/lab-issue14.jsonl).
            self.emit_dial(channel, "")

            def timed_out() -> None:
                if channel.id in self.channels and not channel.dying:
                    channel.dying = True
                    self.emit_channel(channel, "ChannelHangupRequest", cause=18, tech_cause=408)
                    self.emit_dial(channel, "NOANSWER")
                    self.destroy(channel, cause=18, tech_cause=408)

            self.later(_SIP_TIMER_B, timed_out)
            return
        if behaviour == "busy":
            # A busy far end answers the INVITE with 486 at once: no 180, so the
            # channel never reaches "Ringing"; the dial just ends BUSY.
            self.emit_dial(channel, "")
            self.emit_dial(channel, "BUSY")
            self.destroy(channel, cause=17)
            return
        self.set_state(channel, "Ringing")
        self.emit_dial(channel, "")
        self.emit_dial(channel, "RINGING")
        if number is not None and behaviour == "answer":
            self.later(self.answer_delay, lambda: self.answer_channel(channel))
        elif phone is not None and auto and phone.honours_auto_answer:
            self.answer_channel(channel)
        if timeout > 0:
            self.later(timeout, lambda: self._no_answer(channel))

    def _no_answer(self, channel: _Channel) -> None:
        if channel.id in self.channels and channel.state != "Up" and not channel.dying:
            self.emit_dial(channel, "NOANSWER")
            self.destroy(channel, cause=19)

    def emit_dial(self, channel: _Channel, status: str) -> None:
        self.emit(
            self.channel_subscribers(channel),
            "Dial",
            peer=self.channel_json(channel),
            dialstatus=status,
            forward="",
            dialstring=channel.endpoint.partition("/")[2],
        )

    def answer_channel(self, channel: _Channel) -> None:
        if channel.id not in self.channels or channel.dying or channel.state == "Up":
            return
        self.set_state(channel, "Up")
        if channel.originated_into is not None:
            self.emit_dial(channel, "ANSWER")
            app, args = channel.originated_into
            channel.originated_into = None

            def start_app() -> None:
                if channel.id in self.channels and not channel.dying:
                    if not self.stasis_loaded:
                        # As captured (tests/fixtures/ari/lab-issue14.jsonl): no
                        # hang-up request, and cause 0.
                        self.destroy(channel, cause=0)
                        return
                    self.enter_stasis(channel, app, args)

            self.later(self.stasis_delay, start_app)

    def hangup_channel(self, channel: _Channel, *, cause: int, soft: bool) -> None:
        if channel.id not in self.channels or channel.dying:
            return
        channel.dying = True
        if soft:
            # As captured: an ARI DELETE is a soft hangup request with cause 32.
            self.emit_channel(channel, "ChannelHangupRequest", cause=32, soft=True)
        else:
            self.emit_channel(channel, "ChannelHangupRequest", cause=cause)
        self.destroy(channel, cause=cause)

    def destroy(self, channel: _Channel, *, cause: int, tech_cause: int = 0) -> None:
        """The channel leaves its bridge and Stasis and is gone."""
        channel.dying = True
        if channel.bridge is not None and channel.bridge in self.bridges:
            self.leave_bridge(channel, self.bridges[channel.bridge])
        self._end_media_of(f"channel:{channel.id}")
        if channel.stasis_app is not None:
            self.emit_channel(channel, "StasisEnd")
            channel.stasis_app = None
        # As on Asterisk 22: an app tied to the channel only by Stasis() (a call
        # the dialplan handed over) stops hearing of it at StasisEnd, so its
        # ChannelDestroyed goes only to apps subscribed to the channel itself
        # (the one that originated it, or subscribed with applications/subscribe).
        subscribers = self.channel_subscribers(channel)
        self.emit_channel(channel, "ChannelVarset", variable="RTPAUDIOQOS", value="ssrc=1")
        self.emit(
            subscribers,
            "ChannelDestroyed",
            cause=cause,
            cause_txt=_CAUSE_TEXT.get(cause, "Unknown"),
            **({"tech_cause": tech_cause} if tech_cause else {}),
            channel=self.channel_json(channel),
        )
        del self.channels[channel.id]
        for other in list(self.channels.values()):
            if other.snoop is not None and other.snoop[0] == channel.id:
                self.destroy(other, cause=16)

    def _end_media_of(self, target_uri: str) -> None:
        for playback in list(self.playbacks.values()):
            if playback.target_uri == target_uri:
                self.finish_playback(playback)
        for recording in list(self.recordings.values()):
            if recording.target_uri == target_uri:
                self.finish_recording(recording)

    # -------------------------------------------------------------- bridges

    def bridge_subscribers(self, bridge: _Bridge) -> set[str]:
        subs = set(bridge.subscribers)
        for cid in bridge.channels:
            if cid in self.channels:
                subs |= self.channel_subscribers(self.channels[cid])
        return subs

    def join_bridge(self, channel: _Channel, bridge: _Bridge) -> None:
        if channel.bridge == bridge.id:
            return
        if channel.bridge is not None and channel.bridge in self.bridges:
            # Asterisk moves a channel between Stasis bridges by itself.
            self.leave_bridge(channel, self.bridges[channel.bridge])
        channel.bridge = bridge.id
        bridge.channels.append(channel.id)
        if channel.stasis_app is not None:
            # A Stasis channel's app follows the bridge it joins from then on.
            bridge.subscribers.add(channel.stasis_app)
        bridge.technology = "native_rtp" if len(bridge.channels) == 2 else "simple_bridge"
        subs = self.bridge_subscribers(bridge) | self.channel_subscribers(channel)
        self.emit(
            subs,
            "ChannelEnteredBridge",
            bridge=self.bridge_json(bridge),
            channel=self.channel_json(channel),
        )
        self.emit_channel(channel, "ChannelVarset", variable="BRIDGEPEER", value="")

    def leave_bridge(self, channel: _Channel, bridge: _Bridge) -> None:
        if channel.id not in bridge.channels:
            return
        subs = self.bridge_subscribers(bridge) | self.channel_subscribers(channel)
        bridge.channels.remove(channel.id)
        channel.bridge = None
        self.emit(
            subs,
            "ChannelLeftBridge",
            bridge=self.bridge_json(bridge),
            channel=self.channel_json(channel),
        )

    def destroy_bridge(self, bridge: _Bridge) -> None:
        subs = self.bridge_subscribers(bridge)
        for cid in list(bridge.channels):
            self.leave_bridge(self.channels[cid], bridge)
        self._end_media_of(f"bridge:{bridge.id}")
        del self.bridges[bridge.id]
        self.emit(subs, "BridgeDestroyed", bridge=self.bridge_json(bridge))

    # ------------------------------------------------------- playbacks, recordings

    def start_playback(
        self, *, playback_id: str, media: list[str], target_uri: str, lang: str, subs: set[str]
    ) -> _Playback:
        if playback_id in self.playbacks:
            raise AriError(409, "Playback with this ID already exists")
        playback = _Playback(
            id=playback_id, media=media, target_uri=target_uri, language=lang, subscribers=subs
        )
        self.playbacks[playback_id] = playback
        self.emit(subs, "PlaybackStarted", playback=self.playback_json(playback))
        self.later(self.playback_seconds * len(media), lambda: self.finish_playback(playback))
        return playback

    def finish_playback(self, playback: _Playback) -> None:
        if self.playbacks.get(playback.id) is not playback:
            return
        del self.playbacks[playback.id]
        playback.state = "done"  # Asterisk reports a stopped playback as "done" too
        self.emit(playback.subscribers, "PlaybackFinished", playback=self.playback_json(playback))

    def start_recording(
        self, *, name: str, format: str, target_uri: str, if_exists: str, subs: set[str]
    ) -> _Recording:
        if format not in ("wav", "gsm", "ulaw", "alaw", "sln", "g722"):
            raise AriError(422, "The format specified is unknown on this system")
        if name in self.recordings:
            raise AriError(409, "Recording already in progress")
        del if_exists  # no stored recordings are simulated, so nothing can clash
        recording = _Recording(
            name=name,
            format=format,
            target_uri=target_uri,
            subscribers=subs,
            started=trio.current_time(),
        )
        self.recordings[name] = recording
        self.emit(subs, "RecordingStarted", recording=self.recording_json(recording))
        return recording

    def finish_recording(self, recording: _Recording) -> None:
        if self.recordings.get(recording.name) is not recording:
            return
        del self.recordings[recording.name]
        recording.state = "done"
        if self.recording_dir is not None:
            self._write_recording(recording)
        self.emit(
            recording.subscribers, "RecordingFinished", recording=self.recording_json(recording)
        )
