"""A fake FreeSWITCH event socket for tests, shipped like ``trio.testing``.

``FakeFreeSwitch`` speaks ESL (inbound mode) over any trio ``Stream`` and
simulates a small switch, faithful to the captured FreeSWITCH 1.10.12 traffic
in tests/fixtures/esl:

* replies have ``Content-Type`` first, events ``Content-Length`` first; ``bgapi``
  replies carry the Job-UUID twice; ``BACKGROUND_JOB`` goes to every subscribed
  connection; ``exit`` and a wrong password end with the disconnect notice;
  before ``auth`` every command gets ``-ERR command not found``;
* one command at a time per connection, and events queued for a connection are
  written only between commands (so an ``api`` reply comes before the events
  its command caused, as on the real switch);
* a directory of users (phones answering by themselves after ``answer_delay``,
  or ringing until answered unless the originate asks for auto-answer),
  unregistered users, one gateway whose outside numbers answer, are busy,
  never answer or do not exist, and calls from the provider on the
  ``external`` profile;
* two dialplans (``_fs_dialplan``): the captured lab's, and the one
  docs/drivers.md asks for, which hands every call to ctid (``set
  ctid_dialed``, ``park``);
* ``originate`` with ``{origination_uuid=...}``, ``uuid_answer``, ``uuid_kill``,
  ``uuid_bridge``, ``uuid_park``, ``uuid_transfer ... conference:...  inline``,
  ``uuid_hold``, ``uuid_send_dtmf`` (no DTMF event, as on the real switch; the
  digits are kept per leg), ``uuid_record`` (the file is written, silence
  while masked), ``uuid_broadcast``/``uuid_break``, ``sendmsg`` playback,
  eavesdrop and hangup, ``sendevent`` with an ``eavesdrop-command``,
  ``sendevent MESSAGE_WAITING`` lighting the phones' lamps (``_fs_mwi``;
  ``lamps`` holds what each phone shows), ``global_getvar domain``,
  ``uuid_setvar[_multi]``, ``uuid_getvar``, ``conference`` play/stop/list,
  ``module_exists``, mod_avmd's ``avmd_start`` and ``avmd <uuid> start|stop``
  (``_fs_avmd``: outside machines beep) and ``show channels``/``show calls as json``;
* who hears whom, from all of that (``_fs_hearing``).

Time is read only through trio, so it runs on ``MockClock``. Test controls:
``connect()`` (a client stream, usable as a driver's ``open_stream``; it fails
while ``reachable`` is False), ``phone_dials``, ``outside_calls``,
``phone_answers``, ``phone_hangs_up``, ``phone_sends_dtmf``, ``phone_holds``,
``channel_of``, ``drop_connections`` (the link dies without a word) and
``shutdown``. Plain and JSON event formats are simulated; XML is not.
"""

from __future__ import annotations

import uuid as uuid_module
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Final

import attrs
import trio
import trio.testing

from ctid.switch_drivers.freeswitch.errors import EslProtocolError
from ctid.switch_drivers.freeswitch.framing import FrameReader, RawFrame
from ctid.switch_drivers.simulator.config import SimulatorConfig

from .._fs_avmd import avmd_api, avmd_start
from .._fs_dialplan import DialplanKind
from .._fs_events import EventBuilder, Pairs, SimChannel, serialize
from .._fs_fax import break_fax, start_fax, start_fax_detect
from .._fs_mwi import Lamp, message_query, message_waiting
from .._fs_show import show_calls, show_channels
from .._fs_switch import NO_SUCH_CHANNEL, External, SimSwitch

__all__ = ["DialplanKind", "External", "FakeFreeSwitch", "Lamp", "SimChannel"]

GOODBYE: Final = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
SHUTTING_DOWN: Final = "The system is being shut down.\n"
#: Events a listener may have queued before it is killed, like mod_event_socket.
MAX_QUEUED_EVENTS: Final = 100_000
#: Event type names FreeSWITCH knows (the subset ctid or the captures use).
EVENT_NAMES: Final = frozenset(
    [
        "API",
        "BACKGROUND_JOB",
        "CALL_UPDATE",
        "CHANNEL_ANSWER",
        "CHANNEL_BRIDGE",
        "CHANNEL_CALLSTATE",
        "CHANNEL_CREATE",
        "CHANNEL_DATA",
        "CHANNEL_DESTROY",
        "CHANNEL_EXECUTE",
        "CHANNEL_EXECUTE_COMPLETE",
        "CHANNEL_HANGUP",
        "CHANNEL_HANGUP_COMPLETE",
        "CHANNEL_HOLD",
        "CHANNEL_ORIGINATE",
        "CHANNEL_OUTGOING",
        "CHANNEL_PARK",
        "CHANNEL_PROGRESS",
        "CHANNEL_PROGRESS_MEDIA",
        "CHANNEL_STATE",
        "CHANNEL_UNBRIDGE",
        "CHANNEL_UNHOLD",
        "CHANNEL_UNPARK",
        "CODEC",
        "DETECTED_TONE",
        "DTMF",
        "HEARTBEAT",
        "MEDIA_BUG_START",
        "MEDIA_BUG_STOP",
        "MESSAGE_QUERY",
        "MESSAGE_WAITING",
        "MODULE_UNLOAD",
        "PLAYBACK_START",
        "PLAYBACK_STOP",
        "PRESENCE_IN",
        "PRIVATE_COMMAND",
        "RECORD_START",
        "RECORD_STOP",
        "RE_SCHEDULE",
        "SHUTDOWN",
    ]
)
# Time zero of the fake's Event-Date-Timestamp: 2026-11-22 05:55:00 UTC.
_EPOCH_US: Final = 1_795_326_900_000_000


def _reply(text: str, extra: Iterable[tuple[str, str]] = ()) -> bytes:
    lines = ["Content-Type: command/reply", f"Reply-Text: {text}"]
    lines += [f"{k}: {v}" for k, v in extra]
    return ("\n".join(lines) + "\n\n").encode()


def _api_response(body: str) -> bytes:
    data = body.encode()
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(data) + data


def _notice(text: str) -> bytes:
    data = text.encode()
    return b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n" % len(data) + data


@attrs.define
class _Listener:
    """One ESL connection's subscription and queue."""

    stream: trio.abc.Stream
    authed: bool = False
    format: str = "plain"
    events: set[str] = attrs.field(factory=set)
    custom: set[str] = attrs.field(factory=set)
    all_events: bool = False
    filters: list[tuple[str, str]] = attrs.field(factory=list)
    queue: deque[bytes] = attrs.field(factory=deque)
    wakeup: trio.Event = attrs.field(factory=trio.Event)
    closed: bool = False

    def wants(self, name: str, pairs: Pairs) -> bool:
        if not (self.events or self.all_events or self.custom):
            return False
        if name.startswith("CUSTOM "):
            subclass = name.split(" ", 1)[1]
            ok = self.all_events or subclass in self.custom
        else:
            ok = self.all_events or name in self.events
        if ok and self.filters:
            headers = dict(pairs)
            ok = any(headers.get(h) == v for h, v in self.filters)
        return ok


class FakeFreeSwitch:
    """A fake FreeSWITCH; see the module docstring. Start it with ``nursery.start(fake.run)``."""

    def __init__(
        self,
        *,
        password: str = "ClueCon",
        users: Mapping[str, bool] | None = None,
        unregistered: Iterable[str] = ("1004",),
        domain: str = "127.0.0.1",
        gateway: str = "trunk",
        externals: Mapping[str, External] | None = None,
        answer_delay: float = 1.0,
        playback_seconds: float = 2.0,
        honour_auto_answer: bool = True,
        dialplan: DialplanKind = DialplanKind.LAB,
    ) -> None:
        self.password = password
        self._users = dict(
            users if users is not None else {"1001": True, "1002": True, "1003": True}
        )
        self._unregistered = frozenset(unregistered)
        self._domain = domain
        self._gateway = gateway
        self._externals = dict(externals or {})
        self._answer_delay = answer_delay
        self._playback_seconds = playback_seconds
        self._honour_auto_answer = honour_auto_answer
        self._dialplan = dialplan
        #: While False, ``connect`` fails as if the switch could not be reached.
        self.reachable = True
        self._listeners: list[_Listener] = []
        self._switch: SimSwitch | None = None
        self._nursery: trio.Nursery | None = None
        self._uuid_counter = 0
        self._start = 0.0
        #: Every command line received, in order (for assertions).
        self.commands: list[str] = []
        #: How many connections were accepted so far.
        self.connection_count = 0
        #: Calls the gateway carries at once (None: no limit), set before ``run``.
        self.trunk_lines: int | None = None
        #: Each phone's message-waiting lamp, as its last NOTIFY left it.
        self.lamps: dict[str, Lamp] = {}
        #: Loaded modules that matter to ctid (``module_exists``; mod_avmd: ``_fs_avmd``).
        self.modules: set[str] = {"mod_avmd"}
        #: Who answers outside numbers, a person or a machine (the simulator's rules).
        self.parties = SimulatorConfig()

    # ----------------------------------------------------------- life cycle

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run the switch until cancelled."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            self._start = trio.current_time()
            builder = EventBuilder(
                core_uuid="2bda0642-2bd7-4117-a31c-9f9fde0876bc",
                hostname="vm",
                clock_us=self._clock_us,
            )
            self._switch = SimSwitch(
                nursery=nursery,
                publish=self._publish,
                builder=builder,
                clock_us=self._clock_us,
                users=self._users,
                unregistered=self._unregistered,
                domain=self._domain,
                gateway=self._gateway,
                externals=self._externals,
                answer_delay=self._answer_delay,
                playback_seconds=self._playback_seconds,
                new_uuid=self.new_uuid,
                honour_auto_answer=self._honour_auto_answer,
                dialplan=self._dialplan,
            )
            self._switch.trunk_lines = self.trunk_lines
            task_status.started()
            await trio.sleep_forever()

    @property
    def switch(self) -> SimSwitch:
        """The simulated switch (channels, conferences), for assertions."""
        if self._switch is None:
            raise RuntimeError("FakeFreeSwitch.run has not started")
        return self._switch

    def _clock_us(self) -> int:
        return _EPOCH_US + int((trio.current_time() - self._start) * 1_000_000)

    def new_uuid(self) -> str:
        """A deterministic UUID for channels and jobs the switch names itself."""
        self._uuid_counter += 1
        return str(uuid_module.UUID(int=self._uuid_counter))

    async def connect(self) -> trio.abc.Stream:
        """A new client connection: the returned stream is the client's end."""
        if self._nursery is None:
            raise RuntimeError("FakeFreeSwitch.run has not started")
        if not self.reachable:
            raise OSError("connection refused (the fake switch is unreachable)")
        client, server = trio.testing.memory_stream_pair()
        self._nursery.start_soon(self.serve, server)
        return client

    def drop_connections(self) -> None:
        """Every connection dies at once, without a disconnect notice (a lost link)."""
        for listener in self._listeners:
            listener.closed = True
            listener.wakeup.set()

    async def shutdown(self) -> None:
        """``fsctl shutdown``: SHUTDOWN, every channel hung up, then the notice and close."""
        switch = self.switch
        pairs = switch.events.base("SHUTDOWN", "switch_core_destroy", "switch_core.c")
        pairs.append(("Event-Info", "System Shutting Down"))
        self._publish("SHUTDOWN", pairs, None)
        for ch in list(switch.channels.values()):
            switch.hangup(ch, "SYSTEM_SHUTDOWN")
        await trio.sleep(1.0)
        for listener in list(self._listeners):
            listener.queue.append(_notice(SHUTTING_DOWN))
            listener.closed = True
            listener.wakeup.set()

    # ------------------------------------------------------- phone controls

    def phone_dials(self, ext: str, number: str) -> str:
        """Phone ``ext`` calls ``number``; returns the new inbound channel's uuid."""
        return self.switch.dialplan.phone_dials(ext, number).uuid

    def outside_calls(self, caller: str, called: str) -> str:
        """``caller`` calls ``called`` from outside, through the provider; returns the uuid."""
        return self.switch.dialplan.outside_calls(caller, called).uuid

    def channel_of(self, party: str) -> SimChannel | None:
        """The newest live channel whose other end is ``party`` (a phone or an outside number)."""
        found = [ch for ch in self.switch.channels.values() if ch.party == party and not ch.hungup]
        return found[-1] if found else None

    def phone_registers(self, user: str) -> None:
        """``user``'s phone registers again: mod_sofia asks for its lamp (MESSAGE_QUERY)."""
        self.switch.emit("MESSAGE_QUERY", message_query(self.switch, user, self.new_uuid()))

    def phone_answers(self, uuid: str) -> None:
        """The phone of a ringing leg picks up."""
        self.switch.answer(self.switch.channels[uuid])

    def phone_hangs_up(self, uuid: str, cause: str = "NORMAL_CLEARING") -> None:
        """The phone (or far end) of a leg hangs up."""
        self.switch.hangup(self.switch.channels[uuid], cause)

    def phone_sends_dtmf(self, uuid: str, digit: str) -> None:
        """The phone on a leg sends an RFC 2833 digit."""
        self.switch.dtmf(self.switch.channels[uuid], digit)

    def phone_holds(self, uuid: str, on: bool = True) -> None:
        """The phone on a leg presses hold (a re-INVITE)."""
        self.switch.hold(self.switch.channels[uuid], by_phone=True, on=on)

    # ------------------------------------------------------------- events

    def _publish(self, name: str, pairs: Pairs, body: str | None) -> None:
        for listener in self._listeners:
            if listener.authed and not listener.closed and listener.wants(name, pairs):
                if len(listener.queue) >= MAX_QUEUED_EVENTS:
                    listener.closed = True
                listener.queue.append(serialize(pairs, body, listener.format))
                listener.wakeup.set()

    def _job(self, job_uuid: str, command: str, args: str, output: str) -> None:
        pairs = self.switch.events.base("BACKGROUND_JOB", "api_exec", "mod_event_socket.c", 1572)
        pairs += [("Job-UUID", job_uuid), ("Job-Command", command)]
        if args:
            pairs.append(("Job-Command-Arg", args))
        self._publish("BACKGROUND_JOB", pairs, output)

    # ---------------------------------------------------------- connection

    async def serve(self, stream: trio.abc.Stream) -> None:
        """Serve one ESL connection until it closes."""
        listener = _Listener(stream)
        self._listeners.append(listener)
        self.connection_count += 1
        reader = FrameReader(command_lines=True, tolerate_cr=True)
        commands: deque[RawFrame] = deque()
        try:
            await stream.send_all(b"Content-Type: auth/request\n\n")
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._read, listener, reader, commands)
                while not listener.closed or listener.queue:
                    listener.wakeup = trio.Event()
                    if commands:
                        await self._handle(listener, commands.popleft())
                    if listener.queue:
                        # One write for the reply and the events queued behind it:
                        # mod_event_socket writes them back to back, and on 1.10.12
                        # an api reply and the event it caused (RECORD_STOP after
                        # uuid_record stop) came in one TCP segment.
                        data = b"".join(listener.queue)
                        listener.queue.clear()
                        await stream.send_all(data)
                    if listener.closed and not listener.queue:
                        break
                    if not commands:
                        await listener.wakeup.wait()
                nursery.cancel_scope.cancel()
        # except*: a client gone while we write raises inside the nursery, which wraps
        # it in a group; a plain except let that group out and failed the whole fake.
        except* (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            self._listeners.remove(listener)
            await trio.aclose_forcefully(stream)

    async def _read(
        self, listener: _Listener, reader: FrameReader, commands: deque[RawFrame]
    ) -> None:
        try:
            while True:
                data = await listener.stream.receive_some(65536)
                if not data:
                    break
                reader.feed(bytes(data))
                while (frame := reader.next_frame()) is not None:
                    commands.append(frame)
                    listener.wakeup.set()
        except (trio.BrokenResourceError, trio.ClosedResourceError, EslProtocolError):
            pass
        listener.closed = True
        listener.wakeup.set()

    async def _handle(self, listener: _Listener, frame: RawFrame) -> None:
        line = frame.start_line or ""
        self.commands.append(line)
        word, _, rest = line.partition(" ")
        send = listener.queue.appendleft  # the reply goes before queued events
        if word == "exit":
            send(_notice(GOODBYE))
            send(_reply("+OK bye"))
            listener.closed = True
            return
        if not listener.authed:
            if word != "auth":
                send(_reply("-ERR command not found"))
            elif rest == self.password:
                listener.authed = True
                send(_reply("+OK accepted"))
            else:
                send(_notice(GOODBYE))
                send(_reply("-ERR invalid"))
                listener.closed = True
            return
        if word == "api":
            # Like mod_event_socket, the api runs in the connection's own thread:
            # events that arrive meanwhile wait behind the reply.
            body = await self.api(rest)
            listener.queue.appendleft(_api_response(body or "-ERR no reply\n"))
        elif word == "bgapi":
            job_uuid = frame.get("Job-UUID") or self.new_uuid()
            send(_reply(f"+OK Job-UUID: {job_uuid}", [("Job-UUID", job_uuid)]))
            assert self._nursery is not None
            self._nursery.start_soon(self._bgapi, job_uuid, rest)
        elif word in ("event", "nixevent", "noevents"):
            send(_reply(self._subscribe(listener, word, rest)))
        elif word == "filter":
            send(_reply(self._filter(listener, rest)))
        elif word == "sendmsg":
            send(_reply(self._sendmsg(rest.strip(), frame)))
        elif word == "sendevent" and rest.strip() == "MESSAGE_WAITING":
            event_uuid = self.new_uuid()
            self._publish(
                "MESSAGE_WAITING", message_waiting(self.switch, frame, event_uuid, self.lamps), None
            )
            send(_reply(f"+OK {event_uuid}"))
        elif word == "sendevent":
            send(_reply(self._sendevent(frame)))
        else:
            send(_reply("-ERR command not found"))

    async def _bgapi(self, job_uuid: str, command_line: str) -> None:
        command, _, args = command_line.partition(" ")
        if command == "originate":
            await self.switch.originate_then_run(
                args, lambda out: self._job(job_uuid, command, args, out)
            )
            return
        output = await self.api(command_line)
        self._job(job_uuid, command, args, output)

    def _subscribe(self, listener: _Listener, word: str, rest: str) -> str:
        if word == "noevents":
            listener.events.clear()
            listener.custom.clear()
            listener.all_events = False
            return "+OK no longer listening for events"
        words = rest.split()
        if word == "event":
            fmt = words.pop(0) if words and words[0] in ("json", "plain", "xml") else "plain"
        custom = False
        added = 0
        for name in words:
            if custom:
                (listener.custom.add if word == "event" else listener.custom.discard)(name)
                added += 1
            elif name == "CUSTOM":
                custom = True
            elif name == "ALL" and word == "event":
                listener.all_events = True
                added += 1
            elif name in EVENT_NAMES:
                (listener.events.add if word == "event" else listener.events.discard)(name)
                added += 1
        if word == "nixevent":
            return "+OK events removed"
        if not added and not custom:
            return "-ERR no keywords supplied"
        listener.format = fmt
        return f"+OK event listener enabled {fmt}"

    def _filter(self, listener: _Listener, rest: str) -> str:
        words = rest.split(" ", 2)
        if words[0] == "delete" and len(words) >= 2:
            header, value = words[1], words[2] if len(words) > 2 else ""
            listener.filters = [
                f for f in listener.filters if f[0] != header or (value and f[1] != value)
            ]
            return f"+OK filter deleted. [{header}][{value}]"
        if len(words) < 2:
            return "-ERR invalid syntax"
        listener.filters.append((words[0], words[1]))
        return f"+OK filter added. [{words[0]}]=[{words[1]}]"

    def _sendmsg(self, uuid: str, frame: RawFrame) -> str:
        ch = self.switch.channels.get(uuid)
        if ch is None:
            return f"-ERR invalid session id [{uuid}]"
        command = frame.get("call-command")
        if command == "hangup":
            self.switch.hangup(ch, frame.get("hangup-cause") or "NORMAL_CLEARING")
        elif command == "execute":
            app = frame.get("execute-app-name") or ""
            arg = frame.get("execute-app-arg") or ""
            app_uuid = frame.get("Event-UUID") or self.new_uuid()
            if app == "playback":
                self.switch.start_playback(ch, arg, app_uuid)
            elif app == "eavesdrop":
                self.switch.start_eavesdrop(ch, arg, app_uuid)
            elif app in ("rxfax", "txfax"):
                start_fax(self.switch, ch, app, arg)
            elif app == "avmd_start" and "mod_avmd" in self.modules:
                avmd_start(self.switch, ch, self.parties)
            elif app == "stopfax":
                break_fax(ch)
            elif app == "spandsp_start_fax_detect":
                start_fax_detect(self.switch, ch, arg)
            elif app == "set" and "=" in arg:
                name, _, value = arg.partition("=")
                ch.variables[name] = value
        return "+OK"

    def _sendevent(self, frame: RawFrame) -> str:
        """``sendevent``: an event with a ``Unique-ID`` goes to that session's queue,
        where a running ``eavesdrop`` takes its ``eavesdrop-command`` (mes.c:2273)."""
        event_uuid = self.new_uuid()
        target = frame.get("Unique-ID")
        ch = self.switch.channels.get(target) if target else None
        if ch is not None:
            command = frame.get("eavesdrop-command")
            if command:
                self.switch.eavesdrop_command(ch, command)
        return f"+OK {event_uuid}"

    # --------------------------------------------------------------- api

    async def api(self, command_line: str) -> str:
        """Run one api command and return its output."""
        switch = self.switch
        command, _, args = command_line.strip().partition(" ")
        words = args.split()
        channels = switch.channels

        def channel(index: int = 0) -> SimChannel | None:
            return channels.get(words[index]) if len(words) > index else None

        if command == "status":
            return "UP 0 years, 0 days\nFreeSWITCH (Version 1.10.12-release) is ready\n"
        if command == "version":
            return "FreeSWITCH Version 1.10.12-release (fake)\n"
        if command == "show":
            if args == "channels as json":
                return show_channels(switch)
            if args == "calls as json":
                return show_calls(switch)
            return "-USAGE: show channels|calls as json\n"
        if command == "originate":
            return await switch.originate(args)
        if command == "global_getvar":
            return {"domain": switch.domain}.get(args.strip(), "")
        if command == "msleep":
            await trio.sleep(int(words[0]) / 1000 if words else 0)
            return "+OK"
        if command == "module_exists":
            return "true" if args.strip() in self.modules else "false"
        if command == "avmd" and "mod_avmd" in self.modules:
            return avmd_api(switch, words, self.parties)
        if command == "uuid_exists":
            return "true" if channel() else "false"
        if command == "uuid_bridge":
            if len(words) < 2:
                return "-USAGE: <uuid> <other_uuid>\n"
            a, b = channels.get(words[0]), channels.get(words[1])
            if a is None or b is None:
                return "-ERR Invalid uuid\n"
            stuck = [switch.moved_during_bridge_setup(ch) for ch in (a, b)]
            if not any(stuck):
                switch.bridge(a, b)
            return f"+OK {b.uuid}\n"
        if command.startswith("uuid_") and not words:
            return "-USAGE: <uuid> ...\n"
        if command == "conference":
            return self._conference(words)
        hold_off = command == "uuid_hold" and words[:1] == ["off"]
        ch = channel(1 if hold_off else 0)
        if command.startswith("uuid_") and ch is None:
            return NO_SUCH_CHANNEL
        if ch is not None:
            return self._uuid_command(command, ch, words)
        return f"-ERR {command} Command not found!\n"

    def _uuid_command(self, command: str, ch: SimChannel, words: list[str]) -> str:
        switch = self.switch
        if command == "uuid_kill":
            switch.hangup(ch, words[1] if len(words) > 1 else "NORMAL_CLEARING")
            return "+OK\n"
        if command == "uuid_answer":
            switch.answer(ch)
            return "+OK\n"
        if command == "uuid_ring_ready":
            switch.channel_event(
                "CHANNEL_PROGRESS", "switch_channel_perform_mark_ring_ready_value", ch
            )
            return "+OK\n"
        if command in ("uuid_park", "uuid_transfer") and switch.moved_during_bridge_setup(ch):
            return "+OK\n"  # the A leg of a bridge being set up: it stays there
        if command == "uuid_park":
            switch.detach(ch)
            switch.park(ch)
            return "+OK\n"
        if command == "uuid_transfer":
            dest = words[1] if len(words) > 1 else ""
            if dest.startswith("conference:") and "@" in dest:
                switch.conference_join(ch, dest[len("conference:") :].split("@")[0])
                return "+OK\n"
            if dest == "park":
                switch.detach(ch)
                switch.park(ch)
                return "+OK\n"
            return "-ERR not supported by the fake\n"
        if command == "uuid_hold":
            switch.hold(ch, by_phone=False, on=words[0] != "off")
            return "+OK Success\n"
        if command == "uuid_send_dtmf":
            digits = words[1] if len(words) > 1 else ""
            ch.digits_heard.extend(d for d in digits if d not in "wW")
            return f"+OK {ch.uuid} sent DTMF {digits}.\n"
        if command == "uuid_record":
            if len(words) < 3:
                return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>]\n"
            return switch.record(ch, words[1], words[2])
        if command == "uuid_broadcast":
            if len(words) < 2:
                return "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n"
            switch.start_playback(ch, words[1], self.new_uuid())
            return "+OK Message sent\n"
        if command == "uuid_break":
            # Not the fax: rxfax/txfax never look at CF_BREAK (FreeSWITCH 1.10.12).
            switch._stop_media(ch)
            return "+OK\n"
        if command == "uuid_setvar":
            if len(words) < 2:
                return "-USAGE: <uuid> <var> [value]\n"
            ch.variables[words[1]] = words[2] if len(words) > 2 else ""
            return "+OK\n"
        if command == "uuid_setvar_multi":
            for pair in " ".join(words[1:]).split(";"):
                name, _, value = pair.partition("=")
                if name:
                    ch.variables[name] = value
            return "+OK\n"
        if command == "uuid_getvar":
            return ch.variables.get(words[1], "_undef_") if len(words) > 1 else "-USAGE\n"
        return f"-ERR {command} Command not found!\n"

    def _conference(self, words: list[str]) -> str:
        switch = self.switch
        if not words:
            return "-USAGE: conference <name> <command>\n"
        name = words[0]
        if name not in switch.conferences:
            return f"Conference {name} not found\n"
        action = words[1] if len(words) > 1 else "list"
        if action == "play" and len(words) > 2:
            switch.conference_music[name] = words[2]
            return f"+OK Playing file {words[2]}\n"
        if action == "stop":
            stopped = 1 if switch.conference_music.pop(name, None) is not None else 0
            return f"+OK Stopped {stopped} files\n"
        if action == "list":
            return "".join(f"{i + 1};{u}\n" for i, u in enumerate(switch.conferences[name]))
        return "-ERR not supported by the fake\n"
