"""``FreeSwitchDriver``: the trio I/O shell around the sans-IO ESL cores.

``run`` connects (``open_stream``, by default ``trio.open_tcp_stream``),
authenticates, subscribes with ``event json ...``, resynchronises from ``show
channels as json`` and ``show calls as json``, and then folds every event
through ``EventMapper`` into ``emit``. A lost connection is reported as
``LinkStateChanged(DOWN)`` and retried with exponential backoff and jitter,
timed only through trio. ``execute`` turns commands into api commands (and
``bgapi`` for the slow ``originate``, matched by our own Job-UUID); see
docs/drivers-freeswitch-design.md for the mapping of each command.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import re
import uuid as uuid_module
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import attrs
import trio

from ..base import (
    Answer,
    BridgeAdd,
    BridgeDestroy,
    BridgeInfo,
    BridgeRemove,
    Capability,
    ChangeSupervision,
    ChannelHungUp,
    CommandRejected,
    DriverError,
    DriverUnavailable,
    EndpointKind,
    Hangup,
    LinkState,
    LinkStateChanged,
    MediaTarget,
    Originate,
    PauseRecording,
    Play,
    ReceiveFax,
    RecordingFailed,
    RecordingFinished,
    RejectReason,
    ResumeRecording,
    Resynchronized,
    Ring,
    SendDigits,
    SendFax,
    SetMessageWaiting,
    StartMusic,
    StartRecording,
    StartSupervision,
    StopFax,
    StopMusic,
    StopPlayback,
    StopRecording,
    StopSupervision,
    SwitchCommand,
    SwitchDriver,
    SwitchEvent,
    TrackRecording,
)
from ..lines import WrittenLines, extensions_as_written, trunks_as_written
from . import fax, mwi
from .backoff import Backoff
from .bridges import BridgeBook
from .causes import cause_to_freeswitch
from .commands import ApiResult, originate_args, parse_api_result, parse_background_job
from .config import DEFAULT_AUTO_ANSWER, driver_options
from .detection import DEFAULT_AMD_SECONDS, MachineDetector
from .endpoints import EndpointConfig
from .errors import LocalProtocolError
from .frames import ApiResponse, CommandReply, EslEvent
from .framing import DEFAULT_MAX_FRAME_SIZE
from .link import AuthRefused, EslLink, LinkLost
from .mapping import (
    ORIGIN_VARIABLE,
    SUBSCRIBED_CUSTOM,
    SUBSCRIBED_EVENTS,
    EventMapper,
)
from .resync import read_resync_facts, rows_of
from .supervision import EAVESDROP_COMMAND, EAVESDROP_FLAGS, eavesdropping

__all__ = ["Backoff", "FreeSwitchDriver"]

log = logging.getLogger(__name__)

OpenStream = Callable[[str, int], Awaitable[trio.abc.Stream]]

# FreeSWITCH keeps at most 36 characters of a uuid (SWITCH_UUID_FORMATTED_LENGTH),
# and ctid's ids travel inside api arguments: one safe word.
_CHANNEL_ID = re.compile(r"[A-Za-z0-9_.\-]{1,36}")
_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_DIGITS = re.compile(r"[0-9A-Da-d*#wW]+")
#: How long a bridge command waits for a ``uuid_bridge`` it follows to be up
#: (its CHANNEL_BRIDGE) before touching one of the pair's legs. On FreeSWITCH
#: 1.10.12 the pair is joined by the A leg's own thread after the api replied
#: (tens of ms); a leg moved before that (``uuid_transfer`` into a conference,
#: ``uuid_park``) is lost: the A leg stays in the set-up, and 20 s later both
#: legs are hung up with DESTINATION_OUT_OF_ORDER.
BRIDGE_SETUP_WAIT: Final = 2.0
_TONES: Final = {
    "ring": "tone_stream://%(2000,4000,440,480);loops=-1",
    "busy": "tone_stream://%(500,500,480,620);loops=-1",
    "beep": "tone_stream://%(200,0,800)",
}


class FreeSwitchDriver(SwitchDriver):
    """The FreeSWITCH switch driver (inbound event socket, JSON events)."""

    name = "freeswitch"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8021,
        password: str = "ClueCon",
        endpoints: EndpointConfig | None = None,
        dialplan_context: str | None = None,
        auto_answer_variables: Mapping[str, str] | None = None,
        open_stream: OpenStream | None = None,
        backoff: Backoff | None = None,
        backoff_initial: float | None = None,
        backoff_max: float | None = None,
        jitter: float | None = None,
        rng: random.Random | None = None,
        new_id: Callable[[], str] | None = None,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        conference_profile: str = "default",
        mwi_domain: str | None = None,
        fax_detect_seconds: float = 0.0,
        amd_seconds: float = DEFAULT_AMD_SECONDS,
    ) -> None:
        self._detector = MachineDetector(seconds=amd_seconds, link=lambda: self._link)
        self._fax_detect_seconds = fax_detect_seconds
        self._host = host
        self._port = port
        self._password = password
        self._endpoints = endpoints or EndpointConfig()
        self._auto_answer = dict(
            DEFAULT_AUTO_ANSWER if auto_answer_variables is None else auto_answer_variables
        )
        # Every channel ctid originates carries these (see config.py: dialplan_context).
        self._variables = {"force_transfer_context": dialplan_context} if dialplan_context else {}
        self._open_stream: OpenStream = open_stream or trio.open_tcp_stream
        backoff = backoff or Backoff()
        self._backoff = attrs.evolve(
            backoff,
            initial=backoff.initial if backoff_initial is None else backoff_initial,
            maximum=backoff.maximum if backoff_max is None else backoff_max,
            jitter=backoff.jitter if jitter is None else jitter,
        )
        self._rng = rng or random.Random()
        self._new_id = new_id or (lambda: str(uuid_module.uuid4()))
        self._max_frame_size = max_frame_size
        self._book = BridgeBook(conference_profile=conference_profile)
        self._mapper = EventMapper(self._endpoints, self._book)
        self._link: EslLink | None = None
        self._emit: trio.MemorySendChannel[SwitchEvent] | None = None
        self._nursery: trio.Nursery | None = None
        self._jobs: dict[str, str] = {}  # our Job-UUID -> channel id of the originate
        self._after_conference: dict[str, list[str]] = {}
        self._recordings: dict[str, tuple[str, str]] = {}  # id -> (channel, path)
        self._supervisions: dict[str, str] = {}  # id -> supervisor channel
        self._bridge_lock = trio.Lock()
        # Legs of a uuid_bridge sent but not yet up (no CHANNEL_BRIDGE yet);
        # both legs of a pair share one event, set when the bridge is up or
        # cannot come up any more (a leg hung up, the link broke).
        self._bridging: dict[str, trio.Event] = {}
        # While syncing, events wait here; those before the snapshot are dropped.
        self._held: list[EslEvent] | None = None
        # The domain of the phones' MWI accounts: configured, or the switch's own.
        self._mwi_domain = mwi_domain
        self._lamps = mwi.LampBook()

    @classmethod
    def from_config(
        cls,
        section: Mapping[str, Any],
        *,
        path: str = "switch.freeswitch",
        open_stream: OpenStream | None = None,
    ) -> FreeSwitchDriver:
        """Build the driver from ``[switch.freeswitch]`` (see ``freeswitch.config``).

        ``open_stream`` replaces the TCP connect, for tests against a fake FreeSWITCH.
        """
        return cls(**driver_options(section, path), open_stream=open_stream)

    @classmethod
    def lines_from_config(cls, section: Mapping[str, Any]) -> WrittenLines:
        """The extensions and trunks ``section`` names, even when it has problems."""
        return WrittenLines(
            extensions=extensions_as_written(section.get("extensions")),
            trunk_groups=trunks_as_written(section.get("trunks")),
        )

    @property
    def extensions(self) -> tuple[str, ...]:
        return self._endpoints.extensions

    @property
    def trunk_groups(self) -> Mapping[str, tuple[str, ...]]:
        """Each configured trunk is a group of its own one line (gateway or endpoint)."""
        return {trunk.name: (trunk.name,) for trunk in self._endpoints.trunks}

    def held_objects(self) -> Mapping[str, int]:
        return {
            **self._mapper.held_objects(),
            **{f"book {kind}": n for kind, n in self._book.held_objects().items()},
            "jobs": len(self._jobs),
            "conference commands": len(self._after_conference),
            "recordings started": len(self._recordings),
            "supervisions": len(self._supervisions),
            "bridging": len(self._bridging),
            **self._detector.held(),
        }

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Supervision, playback, recording and its pause, fax (and the fax tone with
        ``fax_detect_seconds``). Not remote answer: the switch cannot make a ringing SIP
        phone pick up."""
        found = {
            Capability.SUPERVISION,
            Capability.PLAYBACK,
            Capability.RECORDING,
            Capability.RECORDING_PAUSE,
            Capability.FAX,
            Capability.SURVIVES_RESTART,
            Capability.MESSAGE_WAITING,
        }
        if self._fax_detect_seconds > 0:
            found.add(Capability.FAX_TONE)
        return frozenset(found)

    # ------------------------------------------------------------------ run

    async def run(
        self,
        emit: trio.MemorySendChannel[SwitchEvent],
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Connect, resync and report events until cancelled; see ``SwitchDriver``."""
        self._emit = emit
        started = False
        attempt = 0
        while True:
            await emit.send(LinkStateChanged(state=LinkState.CONNECTING))
            detail = ""
            fatal: str | None = None
            try:
                stream = await self._open_stream(self._host, self._port)
            except OSError as exc:
                detail = f"cannot connect to {self._host}:{self._port}: {exc}"
            else:
                try:
                    async with trio.open_nursery() as nursery:
                        self._nursery = nursery
                        link = EslLink(
                            stream, max_frame_size=self._max_frame_size, on_event=self._on_event
                        )
                        await link.authenticate(self._password)
                        nursery.start_soon(link.read_forever)
                        await self._sync(link, emit)
                        attempt = 0
                        if not started:
                            started = True
                            task_status.started()
                except* AuthRefused as group:
                    fatal = str(group.exceptions[0])
                except* LinkLost as group:
                    detail = "; ".join(str(e) for e in group.exceptions)
                except* (
                    trio.BrokenResourceError,
                    trio.ClosedResourceError,
                    DriverUnavailable,
                ) as group:
                    detail = f"connection lost: {group.exceptions[0]!r}"
                finally:
                    self._link = None
                    self._nursery = None
                    for event in self._bridging.values():
                        event.set()
                    self._bridging.clear()
                    self._held = None
                    with trio.CancelScope(shield=True):
                        await trio.aclose_forcefully(stream)
            if fatal is not None:
                # Like a wrong ARI password: retrying cannot help, the operator must.
                raise DriverError(f"FreeSWITCH refused the event socket password ({fatal})")
            await emit.send(LinkStateChanged(state=LinkState.DOWN, detail=detail))
            log.warning("FreeSWITCH link down (%s)", detail)
            if not started:
                started = True
                task_status.started()
            await trio.sleep(self._backoff.delay(attempt, self._rng))
            attempt += 1

    async def _sync(self, link: EslLink, emit: trio.MemorySendChannel[SwitchEvent]) -> None:
        self._detector.connected()
        reply = await link.request(
            lambda c: c.send_event(SUBSCRIBED_EVENTS, custom=SUBSCRIBED_CUSTOM)
        )
        if not isinstance(reply, CommandReply) or not reply.ok:
            raise LinkLost(f"subscription refused: {reply}")
        await emit.send(LinkStateChanged(state=LinkState.SYNCING))
        self._held = []

        def snapshot_taken() -> None:
            # The api ran in the connection's thread: events before its reply
            # are in the snapshot, events after it are not.
            self._held = []

        channels = await link.request(
            lambda c: c.send_api("show", "channels as json"), snapshot_taken
        )
        calls = await link.request(lambda c: c.send_api("show", "calls as json"))
        rows = rows_of(channels)
        pairs = [(r["uuid"], r["b_uuid"]) for r in rows_of(calls) if r.get("b_uuid")]
        facts = await read_resync_facts(link, self._mapper, rows)
        alive = {row.get("uuid", "") for row in rows}
        self._book.forget_channels(alive)
        infos = self._mapper.resync(rows, pairs, facts.gateways, facts.originated)
        bridges = [
            BridgeInfo(
                bridge_id=bridge_id, channel_ids=state.members, music=state.music is not None
            )
            for bridge_id, state in self._book.snapshot().items()
        ]
        bridges += [
            BridgeInfo(bridge_id=bridge_id, channel_ids=tuple(sorted(members)))
            for bridge_id, members in self._mapper.own_bridges().items()
        ]
        await emit.send(Resynchronized(channels=tuple(infos), bridges=tuple(bridges)))
        held, self._held = self._held or [], None
        self._link = link
        await emit.send(LinkStateChanged(state=LinkState.UP))
        for out in self._mapper.late_handovers(rows, facts.dialed):
            await emit.send(out)
        for event in held:
            await self._on_event(event)

    async def _on_event(self, event: EslEvent) -> None:
        if self._held is not None:
            self._held.append(event)
            return
        assert self._emit is not None
        self._note_bridge_setup(event)
        if event.name == mwi.QUERY_EVENT and self._nursery is not None:  # a phone asks
            self._nursery.start_soon(self._lamps.answer_query, self._link, event, self._mwi_domain)
            return
        job = parse_background_job(event)
        if job is not None:
            channel_id = self._jobs.pop(job.job_uuid, None)
            if channel_id is not None and not job.result.ok:
                self._detector.wanted.discard(channel_id)
                for out in self._mapper.originate_failed(channel_id, job.result.text):
                    await self._emit.send(out)
            return
        if (
            event.subclass == "conference::maintenance"
            and event.get("Action") == "conference-create"
        ):
            later = self._after_conference.pop(event.get("Conference-Name") or "", [])
            if later and self._nursery is not None:
                self._nursery.start_soon(self._run_later, later)
        self._detector.beep(event)
        for out in self._mapper.feed(event):
            if isinstance(out, RecordingFinished | RecordingFailed):
                self._recordings.pop(out.recording_id, None)
            elif isinstance(out, ChannelHungUp):
                # A supervisor's leg that hangs up ends its supervision.
                for sid, leg in list(self._supervisions.items()):
                    if leg == out.channel_id:
                        del self._supervisions[sid]
            await self._emit.send(out)
            self._detector.saw(out, self._nursery, self._emit.send)

    async def _run_later(self, commands: list[str]) -> None:
        for command in commands:
            try:
                await self._api(command)
            except (CommandRejected, DriverUnavailable):
                return  # the bridge's music is lost with the link; resync reports the truth

    # --------------------------------------------------------------- execute

    async def _api(self, line: str) -> ApiResult:
        link = self._link
        if link is None:
            raise DriverUnavailable("not connected to FreeSWITCH")
        command, _, args = line.partition(" ")
        try:
            reply = await link.request(lambda c: c.send_api(command, args))
        except LocalProtocolError as exc:
            raise CommandRejected(RejectReason.SWITCH_ERROR, str(exc)) from exc
        if not isinstance(reply, ApiResponse):
            raise CommandRejected(RejectReason.SWITCH_ERROR, reply.reply_text)
        result = parse_api_result(reply.body)
        if not result.ok:
            raise CommandRejected(_reason(result), f"{command}: {result.text}")
        return result

    async def execute(self, command: SwitchCommand) -> None:
        """Carry out one command; see ``SwitchDriver.execute``."""
        if self._link is None:
            raise DriverUnavailable("not connected to FreeSWITCH")
        if isinstance(command, Originate):
            await self._originate(command)
        elif isinstance(command, Answer):
            await self._api(f"uuid_answer {_channel(command.channel_id)}")
            if self._fax_detect_seconds > 0:  # mod_spandsp listens for CNG: DETECTED_TONE
                arg = fax.detect_argument(self._fax_detect_seconds)
                with contextlib.suppress(CommandRejected):  # the answer stands
                    await self._execute(command.channel_id, "spandsp_start_fax_detect", arg)
        elif isinstance(command, Ring):
            await self._api(f"uuid_ring_ready {_channel(command.channel_id)}")
        elif isinstance(command, Hangup):
            cause = cause_to_freeswitch(command.cause)
            await self._api(f"uuid_kill {_channel(command.channel_id)} {cause}")
        elif isinstance(command, BridgeAdd | BridgeRemove | BridgeDestroy | StartMusic | StopMusic):
            await self._bridge_command(command)
        elif isinstance(command, Play):
            await self._play(command)
        elif isinstance(command, StopPlayback):
            channel_id = self._mapper.playback_channel(command.playback_id)
            if channel_id is None:
                raise CommandRejected(RejectReason.NO_SUCH_PLAYBACK, command.playback_id)
            await self._api(f"uuid_break {channel_id} all")
        elif isinstance(command, SendDigits):
            if not _DIGITS.fullmatch(command.digits):
                raise CommandRejected(RejectReason.INVALID_STATE, f"bad digits {command.digits!r}")
            await self._api(f"uuid_send_dtmf {_channel(command.channel_id)} {command.digits}")
        elif isinstance(command, StartRecording):
            await self._start_recording(command)
        elif isinstance(command, PauseRecording | ResumeRecording | StopRecording):
            await self._recording_command(command)
        elif isinstance(command, ReceiveFax | SendFax):
            await self._fax(command)
        elif isinstance(command, StopFax):
            # rxfax/txfax ignore uuid_break (their loop never looks at CF_BREAK: seen on
            # 1.10.12). They do run queued messages, so mod_spandsp's own "stopfax"
            # ends the fax; its phase E reports the end and the call goes on.
            await self._execute(command.channel_id, "stopfax", "")
        elif isinstance(command, TrackRecording):
            # FreeSWITCH records on the first leg of the bridge (_start_recording),
            # the same leg now unless the call changed while ctid was away.
            path = f"{command.path}.{command.format}"
            self._mapper.expect_recording(command.recording_id, path)
            self._recordings[command.recording_id] = (self._media_channel(command.target), path)
        elif isinstance(command, SetMessageWaiting):
            if not self._mwi_domain:  # the switch's own domain, asked once
                self._mwi_domain = (await self._api("global_getvar domain")).text.strip()
            await self._lamps.set_lamp(self._link, command, self._endpoints, self._mwi_domain)
        elif isinstance(command, StartSupervision):
            await self._start_supervision(command)
        elif isinstance(command, ChangeSupervision):
            supervisor = self._supervisor(command.supervision_id)
            await self._eavesdrop_command(supervisor, EAVESDROP_COMMAND[command.mode])
        elif isinstance(command, StopSupervision):
            supervisor = self._supervisor(command.supervision_id)
            # "*" ends the eavesdrop; the channel goes back to park.
            await self._eavesdrop_command(supervisor, "*")
            # Gone already if the supervisor's hangup came with the reply.
            self._supervisions.pop(command.supervision_id, None)
        else:
            raise CommandRejected(RejectReason.NOT_SUPPORTED, type(command).__name__)

    async def _originate(self, command: Originate) -> None:
        channel_id = _channel(command.channel_id)
        variables: dict[str, str] = {"origination_uuid": channel_id}
        if command.caller_number:
            variables["origination_caller_id_number"] = command.caller_number
        if command.caller_name:
            variables["origination_caller_id_name"] = command.caller_name
        variables["originate_timeout"] = str(max(1, math.ceil(command.timeout)))
        # A leg whose partner leaves is parked, not hung up (see bridges.py).
        variables["park_after_bridge"] = "true"
        variables["hangup_after_bridge"] = "false"
        variables[ORIGIN_VARIABLE] = "true"
        variables.update(self._variables)
        if command.auto_answer and command.kind is EndpointKind.EXTENSION:
            variables.update(self._auto_answer)
        if command.originator_channel_id:
            variables["ctid_originator"] = command.originator_channel_id
        variables.update(command.variables)
        try:
            dial = self._endpoints.dial_string(command.kind, command.device, command.trunk)
            args = originate_args(dial, variables=variables)
        except (ValueError, LocalProtocolError) as exc:
            raise CommandRejected(RejectReason.INVALID_DESTINATION, str(exc)) from exc
        link = self._link
        if link is None:
            raise DriverUnavailable("not connected to FreeSWITCH")
        job_uuid = self._new_id()
        self._jobs[job_uuid] = channel_id
        self._detector.want(channel_id, command.detect_machines)
        self._mapper.expect_originate(command)
        self._book.mark_prepared(channel_id)
        reply = await link.request(lambda c: c.send_bgapi("originate", args, job_uuid=job_uuid))
        if not isinstance(reply, CommandReply) or reply.job_uuid != job_uuid:
            self._jobs.pop(job_uuid, None)
            self._detector.wanted.discard(channel_id)
            text = reply.reply_text if isinstance(reply, CommandReply) else reply.body
            raise CommandRejected(RejectReason.SWITCH_ERROR, text)

    async def _bridge_command(
        self, command: BridgeAdd | BridgeRemove | BridgeDestroy | StartMusic | StopMusic
    ) -> None:
        async with self._bridge_lock:
            plan = self._book.plan(command)
            # Queued before the transfers go out: the conference-create event
            # can arrive while later commands of the plan still run.
            for name, line in plan.after_conference:
                self._after_conference.setdefault(name, []).append(line)
            try:
                for line in plan.commands:
                    await self._wait_bridges_up(line)
                    await self._send_bridge_line(line)
            except BaseException:
                for name, line in plan.after_conference:
                    queued = self._after_conference.get(name, [])
                    if line in queued:
                        queued.remove(line)
                raise
            self._book.commit(plan)
        assert self._emit is not None
        for event in plan.events:
            await self._emit.send(event)

    async def _send_bridge_line(self, line: str) -> None:
        words = line.split()
        if words[0] != "uuid_bridge":
            await self._api(line)
            return
        # Registered before sending: the CHANNEL_BRIDGE may come before the reply.
        up = trio.Event()
        pair = words[1:3]
        for leg in pair:
            self._bridging[leg] = up
        try:
            await self._api(line)
        except BaseException:
            self._bridge_setup_over(pair)
            raise

    async def _wait_bridges_up(self, line: str) -> None:
        """Before a command touches a leg of a ``uuid_bridge`` not yet up, wait for it."""
        for leg in line.split()[1:3]:
            up = self._bridging.get(leg)
            if up is not None:
                with trio.move_on_after(BRIDGE_SETUP_WAIT):
                    await up.wait()
                self._bridge_setup_over([leg])

    def _note_bridge_setup(self, event: EslEvent) -> None:
        if not self._bridging:
            return
        if event.name == "CHANNEL_BRIDGE":
            self._bridge_setup_over(
                [
                    event.get("Bridge-A-Unique-ID") or event.unique_id or "",
                    event.get("Bridge-B-Unique-ID") or event.get("Other-Leg-Unique-ID") or "",
                ]
            )
        elif event.name in ("CHANNEL_HANGUP", "CHANNEL_DESTROY"):
            self._bridge_setup_over([event.unique_id or ""])

    def _bridge_setup_over(self, legs: list[str]) -> None:
        for leg in legs:
            up = self._bridging.get(leg)
            if up is None:
                continue
            up.set()
            for other, event in list(self._bridging.items()):
                if event is up:
                    del self._bridging[other]

    def _media_channel(self, target: MediaTarget) -> str:
        if target.channel_id is not None:
            return _channel(target.channel_id)
        assert target.bridge_id is not None
        state = self._book.get(target.bridge_id)
        if state is None:
            raise CommandRejected(RejectReason.NO_SUCH_BRIDGE, target.bridge_id)
        if not state.members:
            raise CommandRejected(RejectReason.INVALID_STATE, f"{target.bridge_id} is empty")
        return state.members[0]

    async def _play(self, command: Play) -> None:
        target = command.target
        if target.bridge_id is not None:
            state = self._book.get(target.bridge_id)
            if state is not None and len(state.members) > 1:
                raise CommandRejected(
                    RejectReason.NOT_SUPPORTED, "playback into a bridge of several channels"
                )
        channel_id = self._media_channel(target)
        playback_id = _word(command.playback_id)
        files = [_media_path(uri, command.language) for uri in command.media]
        if not files:
            raise CommandRejected(RejectReason.INVALID_STATE, "nothing to play")
        path = files[0] if len(files) == 1 else "file_string://" + "!".join(files)
        terminators = "any" if command.stop_on_digit else "none"
        await self._api(f"uuid_setvar {channel_id} playback_terminators {terminators}")
        link = self._link
        if link is None:
            raise DriverUnavailable("not connected to FreeSWITCH")
        self._mapper.expect_playback(playback_id, channel_id)
        reply = await link.request(
            lambda c: c.send_execute(channel_id, "playback", path, event_uuid=playback_id)
        )
        if not isinstance(reply, CommandReply) or not reply.ok:
            text = reply.reply_text if isinstance(reply, CommandReply) else reply.body
            raise CommandRejected(RejectReason.NO_SUCH_CHANNEL, text)

    async def _execute(self, channel_id: str, app: str, arg: str) -> None:
        """``sendmsg`` execute: run a dialplan application on a channel."""
        link = self._link
        if link is None:
            raise DriverUnavailable("not connected to FreeSWITCH")
        uuid = _channel(channel_id)
        reply = await link.request(lambda c: c.send_execute(uuid, app, arg))
        if not isinstance(reply, CommandReply) or not reply.ok:
            text = reply.reply_text if isinstance(reply, CommandReply) else reply.body
            raise CommandRejected(RejectReason.NO_SUCH_CHANNEL, text)

    async def _fax(self, command: ReceiveFax | SendFax) -> None:
        """``rxfax``/``txfax`` (mod_spandsp) on the channel; its events say how it went."""
        channel_id = _channel(command.channel_id)
        fax_id = _word(command.fax_id)
        if not _word_ok(command.path):
            raise CommandRejected(RejectReason.INVALID_STATE, f"unusable path {command.path!r}")
        header = command.header if isinstance(command, SendFax) else ""
        for name, value in fax.fax_variables(
            fax_id, command.path, station_id=command.station_id, header=header
        ).items():
            await self._api(f"uuid_setvar {channel_id} {name} {value}")
        app = "rxfax" if isinstance(command, ReceiveFax) else "txfax"
        await self._execute(channel_id, app, command.path)

    async def _start_recording(self, command: StartRecording) -> None:
        channel_id = self._media_channel(command.target)
        recording_id = _word(command.recording_id)
        if recording_id in self._recordings:
            raise CommandRejected(RejectReason.INVALID_STATE, f"{recording_id} already records")
        path = f"{command.path}.{command.format}"
        if not _word_ok(path):
            raise CommandRejected(RejectReason.INVALID_STATE, f"unusable path {path!r}")
        self._mapper.expect_recording(recording_id, path)
        await self._api(f"uuid_record {channel_id} start {path}")
        self._recordings[recording_id] = (channel_id, path)

    async def _recording_command(
        self, command: PauseRecording | ResumeRecording | StopRecording
    ) -> None:
        known = self._recordings.get(command.recording_id)
        if known is None:
            raise CommandRejected(RejectReason.NO_SUCH_RECORDING, command.recording_id)
        channel_id, path = known
        action = {PauseRecording: "mask", ResumeRecording: "unmask", StopRecording: "stop"}[
            type(command)
        ]
        await self._api(f"uuid_record {channel_id} {action} {path}")
        if isinstance(command, StopRecording):
            # The RECORD_STOP may have been handled already: on 1.10.12 it came in
            # the api reply's TCP segment, and the reader folds it (forgetting the
            # recording) before this task runs again. A KeyError here stopped ctid.
            self._recordings.pop(command.recording_id, None)

    async def _start_supervision(self, command: StartSupervision) -> None:
        """``eavesdrop`` on the agent's leg, run on the supervisor's parked leg.

        mod_dptools reads its flags from the supervisor's channel variables:
        ``eavesdrop_whisper_bleg`` mixes the supervisor into what the target's
        phone gets (the agent hears it), ``eavesdrop_whisper_aleg`` into what the
        target sends to its partners (the customer hears it). The supervisor's
        own keys are switched off (``eavesdrop_enable_dtmf=false``): only ctid
        changes the mode, so it always knows it.
        """
        supervision_id = _word(command.supervision_id)
        if supervision_id in self._supervisions:
            raise CommandRejected(
                RejectReason.INVALID_STATE, f"supervision {supervision_id} exists"
            )
        supervisor = _channel(command.supervisor_channel_id)
        target = _channel(command.target_channel_id)
        if command.restored and await eavesdropping(self._link, supervisor, target):
            # A previous ctid started it and FreeSWITCH runs it still: take it over.
            self._supervisions[supervision_id] = supervisor
            await self._eavesdrop_command(supervisor, EAVESDROP_COMMAND[command.mode])
            return
        customer_hears, agent_hears = EAVESDROP_FLAGS[command.mode]
        await self._api(
            f"uuid_setvar_multi {supervisor} eavesdrop_enable_dtmf=false;"
            f"eavesdrop_whisper_aleg={str(customer_hears).lower()};"
            f"eavesdrop_whisper_bleg={str(agent_hears).lower()}"
        )
        link = self._link
        if link is None:
            raise DriverUnavailable("not connected to FreeSWITCH")
        reply = await link.request(lambda c: c.send_execute(supervisor, "eavesdrop", target))
        if not isinstance(reply, CommandReply) or not reply.ok:
            text = reply.reply_text if isinstance(reply, CommandReply) else reply.body
            raise CommandRejected(RejectReason.NO_SUCH_CHANNEL, text)
        self._supervisions[supervision_id] = supervisor

    def _supervisor(self, supervision_id: str) -> str:
        supervisor = self._supervisions.get(supervision_id)
        if supervisor is None:
            raise CommandRejected(RejectReason.INVALID_STATE, f"no supervision {supervision_id}")
        return supervisor

    async def _eavesdrop_command(self, supervisor: str, command: str) -> None:
        """Queue an ``eavesdrop-command`` on the eavesdropper's session (``sendevent``
        with its ``Unique-ID``), which the running eavesdrop takes as it would a digit."""
        headers = [
            ("Event-Subclass", "ctid::supervision"),
            ("Unique-ID", supervisor),
            ("eavesdrop-command", command),
        ]
        await mwi.send_event(self._link, "CUSTOM", headers)


# ---------------------------------------------------------------------- helpers


def _reason(result: ApiResult) -> RejectReason:
    text = result.text.lower()
    if "no such channel" in text or "invalid uuid" in text or "invalid session" in text:
        return RejectReason.NO_SUCH_CHANNEL
    if "cannot stop record" in text or "cannot mask" in text:
        return RejectReason.NO_SUCH_RECORDING
    return RejectReason.SWITCH_ERROR


def _channel(channel_id: str) -> str:
    if not _CHANNEL_ID.fullmatch(channel_id):
        raise CommandRejected(RejectReason.NO_SUCH_CHANNEL, f"unusable channel id {channel_id!r}")
    return channel_id


def _word_ok(value: str) -> bool:
    return bool(value) and not any(ch.isspace() or ch in "{}" for ch in value)


def _word(value: str) -> str:
    if not _ID.fullmatch(value):
        raise CommandRejected(RejectReason.INVALID_STATE, f"unusable id {value!r}")
    return value


def _media_path(uri: str, language: str) -> str:
    scheme, _, rest = uri.partition(":")
    if scheme == "file" and rest.startswith("/") and _word_ok(rest):
        return rest
    if scheme == "sound" and _word_ok(rest):
        # FreeSWITCH finds a relative name under its sound prefix for the language.
        return rest if "/" in rest else f"{language}/{rest}"
    if scheme == "tone" and rest in _TONES:
        return _TONES[rest]
    raise CommandRejected(RejectReason.NOT_SUPPORTED, f"media {uri!r}")
