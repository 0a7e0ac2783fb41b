"""Carry out base.py's switch commands as ARI requests.

``CommandRunner`` lives for one ARI connection. Each command becomes one or a
few REST requests (built by ``rest``), and an ARI error becomes
``CommandRejected`` (``rest.rejection``). Before a request whose events may
beat its HTTP answer (originate, play, record, supervision), the mapper is
told what to expect.

Supervision uses snoop channels: a private mixing bridge holds the
supervisor's channel and a snoop on the agent's channel that hears both
directions (``spy=both``) and whispers nowhere (silent), to the agent only
(``whisper=out``, whisper) or to both parties (``whisper=both``, barge). A
mode change swaps in a new snoop; ARI cannot change a snoop's directions.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import posixpath
from collections.abc import Callable, Mapping
from typing import Final

import attrs
import trio

from ctid.switch_drivers.asterisk import fax, rest
from ctid.switch_drivers.asterisk.endpoints import EndpointConfig, hangup_reason
from ctid.switch_drivers.asterisk.http import HttpClient, HttpError, Response
from ctid.switch_drivers.asterisk.mapping import (
    ORIGIN_VARIABLE,
    ORIGINATE_ARG,
    SNOOP_ARG,
    SUPERVISION_BRIDGE,
    AriMapper,
)
from ctid.switch_drivers.base import (
    Answer,
    BridgeAdd,
    BridgeDestroy,
    BridgeRemove,
    ChangeSupervision,
    CommandRejected,
    DriverError,
    DriverUnavailable,
    EndpointKind,
    Hangup,
    MediaTarget,
    Originate,
    PauseRecording,
    Play,
    ReceiveFax,
    RejectReason,
    ResumeRecording,
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
    SupervisionMode,
    SwitchCommand,
    SwitchEvent,
    TrackRecording,
)

__all__ = [
    "DEFAULT_MAILBOX",
    "DEFAULT_RECORDING_DIR",
    "CommandRunner",
    "SupervisionState",
    "bridge_name",
    "media_uri",
    "recording_name",
]

log = logging.getLogger(__name__)

_WHISPER: Final = {
    SupervisionMode.SILENT: "none",
    SupervisionMode.WHISPER: "out",
    SupervisionMode.BARGE: "both",
}
#: A new snoop channel enters Stasis a moment after ARI answers: addChannel may
#: say 422 "not in Stasis" until it has. Retry this often, this far apart.
_SNOOP_TRIES: Final = 5
_SNOOP_WAIT: Final = 0.05
#: Where Asterisk writes recordings (``astspooldir`` in asterisk.conf, plus ``/recording``).
DEFAULT_RECORDING_DIR: Final = "/var/spool/asterisk/recording"
#: The external MWI mailbox whose counts show on a phone's lamp (``{extension}`` is
#: replaced); the phone's PJSIP endpoint lists it in ``mailboxes``.
DEFAULT_MAILBOX: Final = "{extension}@ctid"


def recording_name(path: str, recording_dir: str) -> str:
    """The ARI name that makes Asterisk record into ``path`` (a file name without extension).

    Asterisk writes a recording named ``name`` to ``<recording_dir>/<name>.<format>``
    (its astspooldir's ``recording``), so ctid's recordings directory must lie
    inside that directory; a path outside it cannot be recorded to.
    """
    root = posixpath.normpath(recording_dir)
    full = posixpath.normpath(path)
    prefix = root if root.endswith("/") else root + "/"
    if not full.startswith(prefix) or full == root:
        raise CommandRejected(
            RejectReason.NOT_SUPPORTED,
            f"Asterisk records under {recording_dir}; ctid's recordings directory must be "
            f"inside it, and {path} is not",
        )
    return full[len(prefix) :]


def bridge_name(app: str) -> str:
    """The name of every bridge ctid creates for ``app``: how it knows its own later."""
    return f"ctid:{app}"


def media_uri(uri: str) -> str:
    """ctid's media URI in ARI's terms: ``file:/p/x.wav`` is ``sound:/p/x``."""
    if uri.startswith("file:"):
        path = uri[len("file:") :]
        stem, dot, ext = path.rpartition(".")
        return "sound:" + (stem if dot and "/" not in ext else path)
    return uri


@attrs.define
class SupervisionState:
    """One running supervision; the driver keeps these across reconnections."""

    target: str
    supervisor: str
    bridge: str
    snoop: str
    generation: int


class CommandRunner:
    """Runs commands over one connection's ``HttpClient``."""

    def __init__(
        self,
        *,
        http: HttpClient,
        mapper: AriMapper,
        endpoints: EndpointConfig,
        app: str,
        auto_answer: Mapping[str, str],
        supervisions: dict[str, SupervisionState],
        variables: Mapping[str, str] | None = None,
        recording_dir: str = DEFAULT_RECORDING_DIR,
        fax_context: str = fax.DEFAULT_FAX_CONTEXT,
        report: Callable[[list[SwitchEvent]], None] | None = None,
        mailbox: str = DEFAULT_MAILBOX,
    ) -> None:
        self._http = http
        self._mailbox = mailbox
        self._fax_context = fax_context
        #: Where events the runner learns itself (not from Asterisk's socket) go.
        self._report = report
        self._mapper = mapper
        self._endpoints = endpoints
        self._app = app
        self._auto_answer = dict(auto_answer)
        #: Channel variables set on every channel ctid originates.
        self._variables = dict(variables or {})
        self._supervisions = supervisions
        self._recording_dir = recording_dir

    async def call(self, request: rest.AriRequest) -> Response:
        """Send one request; raise for anything but a 2xx answer."""
        try:
            response = await self._http.request(request)
        except HttpError as exc:
            raise DriverUnavailable(f"ARI request failed: {exc}") from exc
        if response.status in (401, 403):
            raise DriverUnavailable(f"ARI refused the credentials ({response.status})")
        if not response.ok:
            raise rest.rejection(request, response.status, response.body)
        return response

    async def execute(self, command: SwitchCommand) -> None:
        """Carry out ``command``; see ``SwitchDriver.execute``."""
        match command:
            case Originate():
                await self._originate(command)
            case Answer(channel_id=cid):
                await self.call(rest.answer(cid))
            case Ring(channel_id=cid):
                await self.call(rest.ring(cid))
            case Hangup(channel_id=cid, cause=cause):
                await self.call(rest.hangup(cid, reason=hangup_reason(cause)))
            case BridgeAdd():
                await self._bridge_add(command)
            case BridgeRemove(bridge_id=bid, channel_id=cid):
                await self.call(rest.remove_channel(bid, [cid]))
            case BridgeDestroy(bridge_id=bid):
                await self.call(rest.destroy_bridge(bid))
            case StartMusic(target=target, music_class=music):
                await self._music(target, music)
            case StopMusic(target=target):
                await self._music(target, None)
            case Play():
                await self._play(command)
            case StopPlayback(playback_id=pid):
                self._mapper.playback_stopping(pid)
                await self.call(rest.stop_playback(pid))
            case SendDigits(channel_id=cid, digits=digits):
                await self.call(rest.send_dtmf(cid, digits))
            case StartRecording():
                await self._record(command)
            case PauseRecording(recording_id=rid):
                await self.call(rest.pause_recording(self._recording(rid)))
            case ResumeRecording(recording_id=rid):
                await self.call(rest.unpause_recording(self._recording(rid)))
            case StopRecording(recording_id=rid):
                await self.call(rest.stop_recording(self._recording(rid)))
            case ReceiveFax() | SendFax():
                await self._fax(command)
            case StopFax(channel_id=cid):
                # The fax runs in the dialplan (ReceiveFax/SendFax), where ARI can only
                # hang the channel up; res_fax ends it then ("call dropped", 49).
                await self.call(rest.hangup(cid))
            case TrackRecording(recording_id=rid, path=path):
                self._mapper.expect_recording(rid, recording_name(path, self._recording_dir))
            case StartSupervision():
                await self._start_supervision(command)
            case ChangeSupervision(supervision_id=sid, mode=mode):
                await self._change_supervision(sid, mode)
            case StopSupervision(supervision_id=sid):
                await self._stop_supervision(sid)
            case SetMessageWaiting():
                await self._message_waiting(command)
            case _:
                raise CommandRejected(
                    RejectReason.NOT_SUPPORTED, f"{type(command).__name__} on Asterisk"
                )

    # -------------------------------------------------------------- calls

    async def _originate(self, command: Originate) -> None:
        try:
            endpoint = self._endpoints.dial_string(command.kind, command.device, command.trunk)
        except ValueError as exc:
            raise CommandRejected(RejectReason.INVALID_DESTINATION, str(exc)) from None
        variables = {**self._variables, **command.variables, ORIGIN_VARIABLE: self._app}
        if command.auto_answer and command.kind is EndpointKind.EXTENSION:
            variables.update(self._auto_answer)
        caller_id = None
        if command.caller_number:
            caller_id = command.caller_number
            if command.caller_name:
                caller_id = f'"{command.caller_name}" <{command.caller_number}>'
        request = rest.originate_with_id(
            command.channel_id,
            endpoint=endpoint,
            app=self._app,
            app_args=ORIGINATE_ARG,
            caller_id=caller_id,
            timeout=max(1, math.ceil(command.timeout)),
            originator=command.originator_channel_id,
            variables=variables,
        )
        self._mapper.expect_originate(command)
        try:
            await self.call(request)
        except CommandRejected as exc:
            if (
                exc.reason is RejectReason.INVALID_DESTINATION
                and command.kind is EndpointKind.EXTENSION
                and self._report is not None
            ):
                # A phone that is not registered: Asterisk refuses at once, where
                # FreeSWITCH and the simulator accept the call and fail it. One
                # semantics for every switch (docs/protocol.md): the request
                # succeeds and the phone's connection fails (destNotObtainable).
                log.warning(
                    "Asterisk cannot dial %s (%s): is the phone registered "
                    "('pjsip show contacts')?",
                    endpoint,
                    exc,
                )
                self._report(self._mapper.originate_unreachable(command.channel_id, str(exc)))
                return
            self._mapper.forget_originate(command.channel_id)
            raise
        except BaseException:
            self._mapper.forget_originate(command.channel_id)
            raise

    async def _bridge_add(self, command: BridgeAdd) -> None:
        if not self._mapper.knows_bridge(command.bridge_id):
            await self._create_bridge(command.bridge_id)
        # A channel in another Stasis bridge is moved by Asterisk itself.
        await self.call(rest.add_channel(command.bridge_id, [command.channel_id]))

    async def _create_bridge(self, bridge_id: str) -> None:
        try:
            await self.call(
                rest.create_bridge_with_id(
                    bridge_id, bridge_type="mixing", name=bridge_name(self._app)
                )
            )
        except CommandRejected as exc:
            if exc.reason is not RejectReason.INVALID_STATE:  # 409: it exists already
                raise
        self._mapper.note_bridge(bridge_id)

    # -------------------------------------------------------------- media

    async def _music(self, target: MediaTarget, music_class: str | None) -> None:
        if target.channel_id is not None:
            if music_class is None:
                await self.call(rest.stop_moh(target.channel_id))
            else:
                await self.call(rest.start_moh(target.channel_id, moh_class=music_class))
            return
        assert target.bridge_id is not None
        if music_class is None:
            await self.call(rest.bridge_stop_moh(target.bridge_id))
        else:
            await self.call(rest.bridge_start_moh(target.bridge_id, moh_class=music_class))
        self._mapper.set_music(target.bridge_id, music_class is not None)

    async def _play(self, command: Play) -> None:
        media = [media_uri(m) for m in command.media]
        target = command.target
        try:
            if target.channel_id is not None:
                request = rest.play_with_id(
                    target.channel_id, command.playback_id, media, lang=command.language
                )
            else:
                assert target.bridge_id is not None
                request = rest.bridge_play_with_id(
                    target.bridge_id, command.playback_id, media, lang=command.language
                )
        except ValueError as exc:
            raise CommandRejected(RejectReason.INVALID_STATE, str(exc)) from None
        self._mapper.expect_playback(command.playback_id, target, command.stop_on_digit)
        try:
            await self.call(request)
        except BaseException:
            self._mapper.forget_playback(command.playback_id)
            raise

    async def _fax(self, command: ReceiveFax | SendFax) -> None:
        """Variables, then ``continue`` into the fax context; the fax ends when the
        channel is back in Stasis (``FaxReturned``) or hangs up."""
        self._mapper.fax_started(command.channel_id, command.fax_id, command.path)
        try:
            for request in fax.start_requests(command, context=self._fax_context):
                await self.call(request)
        except BaseException:
            self._mapper.fax_not_started(command.channel_id)
            raise

    async def _record(self, command: StartRecording) -> None:
        target = command.target
        name = recording_name(command.path, self._recording_dir)
        if target.channel_id is not None:
            request = rest.record_channel(target.channel_id, name=name, format=command.format)
        else:
            assert target.bridge_id is not None
            request = rest.record_bridge(target.bridge_id, name=name, format=command.format)
        self._mapper.expect_recording(command.recording_id, name)
        try:
            await self.call(request)
        except BaseException:
            self._mapper.forget_recording(name)
            raise

    def _recording(self, recording_id: str) -> str:
        name = self._mapper.recording_name(recording_id)
        if name is None:
            raise CommandRejected(RejectReason.NO_SUCH_RECORDING, recording_id)
        return name

    # -------------------------------------------------------------- lamps

    async def _message_waiting(self, command: SetMessageWaiting) -> None:
        """Set the counts of the phone's external MWI mailbox; Asterisk lights the lamp."""
        if self._endpoints.number_kind(command.device) is not EndpointKind.EXTENSION:
            raise CommandRejected(
                RejectReason.INVALID_DESTINATION, f"{command.device} is not an extension"
            )
        name = self._mailbox.replace("{extension}", command.device)
        request = rest.update_mailbox(
            name, new_messages=max(command.new, 0), old_messages=max(command.old, 0)
        )
        await self.call(request)

    # -------------------------------------------------------------- supervision

    async def _snoop(self, sup: SupervisionState, mode: SupervisionMode) -> None:
        snoop_id = f"{sup.bridge}-snoop-{sup.generation}"
        self._mapper.expect_internal_channel(snoop_id)
        await self.call(
            rest.snoop_channel_with_id(
                sup.target,
                snoop_id,
                app=self._app,
                spy="both",
                whisper=_WHISPER[mode],
                app_args=SNOOP_ARG,
            )
        )
        sup.snoop = snoop_id
        for attempt in range(_SNOOP_TRIES):
            try:
                await self.call(rest.add_channel(sup.bridge, [snoop_id]))
                return
            except CommandRejected as exc:
                if exc.reason is not RejectReason.INVALID_STATE or attempt == _SNOOP_TRIES - 1:
                    raise
            await trio.sleep(_SNOOP_WAIT)

    async def _start_supervision(self, command: StartSupervision) -> None:
        sid = command.supervision_id
        if sid in self._supervisions:
            raise CommandRejected(RejectReason.INVALID_STATE, f"supervision {sid} exists")
        sup = SupervisionState(
            target=command.target_channel_id,
            supervisor=command.supervisor_channel_id,
            bridge=f"{SUPERVISION_BRIDGE}{sid}",
            snoop="",
            generation=1,
        )
        self._mapper.expect_internal_bridge(sup.bridge)
        if command.restored and await self._adopt_supervision(sup, command.mode):
            self._supervisions[sid] = sup
            return
        await self.call(
            rest.create_bridge_with_id(
                sup.bridge, bridge_type="mixing", name=bridge_name(self._app)
            )
        )
        try:
            await self._snoop(sup, command.mode)
            await self.call(rest.add_channel(sup.bridge, [sup.supervisor]))
        except BaseException:
            with trio.CancelScope(shield=True):
                await self._teardown(sup)
            raise
        self._supervisions[sid] = sup

    async def _adopt_supervision(self, sup: SupervisionState, mode: SupervisionMode) -> bool:
        """Take over the bridge a previous ctid left for this supervision (False: none).

        The bridge outlives ctid on Asterisk, with the supervisor and the snoop in
        it. A fresh snoop in ``mode`` is swapped in (ARI cannot tell a snoop's
        directions, and the mode stored may be newer than the snoop's), with a
        generation past the old ones' so no id is reused.
        """
        try:
            response = await self.call(rest.get_bridge(sup.bridge))
        except CommandRejected:
            return False
        members = [str(c) for c in json.loads(response.body).get("channels", [])]
        if sup.supervisor not in members:
            await self._quietly(rest.destroy_bridge(sup.bridge))
            return False
        old = [c for c in members if c != sup.supervisor]
        prefix = f"{sup.bridge}-snoop-"
        sup.generation = 1 + max(
            (int(c[len(prefix) :]) for c in old if c[len(prefix) :].isdigit()), default=0
        )
        await self._snoop(sup, mode)
        for snoop in old:
            await self._quietly(rest.hangup(snoop))
        return True

    async def _change_supervision(self, sid: str, mode: SupervisionMode) -> None:
        sup = self._supervisions.get(sid)
        if sup is None:
            raise CommandRejected(RejectReason.INVALID_STATE, f"no supervision {sid}")
        old = sup.snoop
        sup.generation += 1
        await self._snoop(sup, mode)
        await self._quietly(rest.hangup(old))

    async def _stop_supervision(self, sid: str) -> None:
        sup = self._supervisions.pop(sid, None)
        if sup is None:
            raise CommandRejected(RejectReason.INVALID_STATE, f"no supervision {sid}")
        await self._teardown(sup)

    async def end_supervisions_of(self, channel_id: str) -> None:
        """``channel_id`` ended: a supervision of it, or by it, is over.

        ctid sends no ``StopSupervision`` for a supervision whose call ended (the
        switch has ended it), so the driver forgets it and removes its snoop and
        bridge; otherwise both would stay on Asterisk, one per supervised call.
        """
        for sid, sup in list(self._supervisions.items()):
            if channel_id in (sup.target, sup.supervisor):
                del self._supervisions[sid]
                try:
                    await self._teardown(sup)
                except DriverError as exc:  # the link is going; resync drops empty bridges
                    log.warning("could not remove supervision %s: %s", sid, exc)
        # A previous run's supervision bridge whose supervisor was not taken over.
        kept = {sup.bridge for sup in self._supervisions.values()}
        for bridge_id in self._mapper.supervision_bridges_left(kept):
            try:
                await self._quietly(rest.destroy_bridge(bridge_id))
            except DriverError as exc:
                log.warning("could not remove bridge %s: %s", bridge_id, exc)

    async def _teardown(self, sup: SupervisionState) -> None:
        if sup.snoop:
            await self._quietly(rest.hangup(sup.snoop))
        await self._quietly(rest.destroy_bridge(sup.bridge))

    async def _quietly(self, request: rest.AriRequest) -> None:
        """Clean-up requests: a 404 means it is already gone, which is the goal."""
        with contextlib.suppress(CommandRejected):
            await self.call(request)
