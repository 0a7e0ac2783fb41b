"""The FreeSWITCH driver's answering-machine detection: one task per answered leg.

``amd`` holds the commands and verdicts; this is their I/O. The driver tells the
detector which legs asked for detection (``want``), shows it every normalized
event it emits (``saw``: an answer starts the detection in the connection's
nursery, a hang-up cancels it) and every ESL event (``beep``). A detection task
lives in the connection's nursery: when the link drops it ends with it, and the
call, left without a verdict, is ``unknown`` to the dialler after its wait.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import attrs
import trio

from ..amd import AmdResult, AnsweredBy
from ..base import ChannelAnswered, ChannelHungUp, DriverUnavailable, SwitchEvent
from . import amd
from .frames import ApiResponse, CommandReply, EslEvent
from .link import EslLink

__all__ = ["DEFAULT_AMD_SECONDS", "MachineDetector"]

DEFAULT_AMD_SECONDS = amd.DEFAULT_AMD_SECONDS

log = logging.getLogger(__name__)

Emit = Callable[[SwitchEvent], Awaitable[None]]


@attrs.define(eq=False)
class _Detection:
    scope: trio.CancelScope = attrs.field(factory=trio.CancelScope)
    beeped: trio.Event = attrs.field(factory=trio.Event)
    result: AmdResult | None = None


class MachineDetector:
    """Detections of one driver; see the module docstring."""

    def __init__(
        self, *, link: Callable[[], EslLink | None], seconds: float = amd.DEFAULT_AMD_SECONDS
    ) -> None:
        self.seconds = seconds
        self._link = link
        #: Legs ctid originated with ``detect_machines`` that are not answered yet.
        self.wanted: set[str] = set()
        self._running: dict[str, _Detection] = {}
        #: mod_avmd is loaded (None: not asked on this connection yet).
        self._loaded: bool | None = None

    def held(self) -> dict[str, int]:
        """What the detector tracks (``SwitchDriver.held_objects``)."""
        return {"amd wanted": len(self.wanted), "amd running": len(self._running)}

    def connected(self) -> None:
        """A new connection: ask again whether mod_avmd is loaded."""
        self._loaded = None

    def want(self, channel_id: str, detect_machines: bool) -> None:
        """ctid is about to originate ``channel_id`` (with ``detect_machines``, or not)."""
        if detect_machines:
            self.wanted.add(channel_id)

    def beep(self, event: EslEvent) -> None:
        """An ESL event: a beep on a leg being listened to ends its wait."""
        result = amd.beep_result(event)
        detection = self._running.get(result.channel_id) if result is not None else None
        if detection is not None and detection.result is None:
            detection.result = result
            detection.beeped.set()

    def saw(self, event: SwitchEvent, nursery: trio.Nursery | None, emit: Emit) -> None:
        """A normalized event the driver emitted: start or cancel a detection."""
        if isinstance(event, ChannelAnswered) and event.channel_id in self.wanted:
            self.wanted.discard(event.channel_id)
            if nursery is not None:
                detection = _Detection()
                self._running[event.channel_id] = detection
                nursery.start_soon(self._detect, event.channel_id, detection, emit)
        elif isinstance(event, ChannelHungUp):
            self.wanted.discard(event.channel_id)
            gone = self._running.pop(event.channel_id, None)
            if gone is not None:
                gone.scope.cancel()  # no verdict for a call that is gone

    async def _api(self, command: str, args: str) -> str:
        """An api command's reply body, whatever it says."""
        link = self._link()
        if link is None:
            raise DriverUnavailable("not connected to FreeSWITCH")
        reply = await link.request(lambda c: c.send_api(command, args))
        return reply.body if isinstance(reply, ApiResponse) else reply.reply_text

    async def _detect(self, channel_id: str, detection: _Detection, emit: Emit) -> None:
        try:
            with detection.scope:
                verdict = await self._listen(channel_id, detection)
                await emit(verdict)
        except DriverUnavailable as exc:
            log.info("answering-machine detection on %s ended with the link: %s", channel_id, exc)
        finally:
            if self._running.get(channel_id) is detection:
                del self._running[channel_id]

    async def _listen(self, channel_id: str, detection: _Detection) -> AmdResult:
        api = self._api
        if self._loaded is None:
            self._loaded = (await api("module_exists", amd.MODULE)).strip() == "true"
            if not self._loaded:
                log.warning(
                    "FreeSWITCH has no %s loaded: calls that ask for answering-machine "
                    "detection are answered as 'unknown' (load mod_avmd)",
                    amd.MODULE,
                )
        if not self._loaded:
            return _unknown(channel_id, f"{amd.MODULE} is not loaded")
        link = self._link()
        if link is None:
            raise DriverUnavailable("not connected to FreeSWITCH")
        reply = await link.request(lambda c: c.send_execute(channel_id, amd.START_APP))
        if not isinstance(reply, CommandReply) or not reply.ok:
            why = reply.reply_text if isinstance(reply, CommandReply) else reply.body.strip()
            log.warning("avmd cannot listen on %s: %s", channel_id, why)
            return _unknown(channel_id, f"{amd.START_APP} refused: {why}")
        with trio.move_on_after(self.seconds):
            await detection.beeped.wait()
        # mod_avmd keeps listening after a beep until told to stop.
        await api("avmd", amd.stop_args(channel_id))
        return detection.result or amd.no_beep(channel_id, self.seconds)


def _unknown(channel_id: str, why: str) -> AmdResult:
    return AmdResult(channel_id=channel_id, result=AnsweredBy.UNKNOWN, detail=why)
