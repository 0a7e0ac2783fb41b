"""The simulated FreeSWITCH behind ``fake_freeswitch``: channels, calls, api commands.

Everything here is synchronous except the timers (ringing, playback length),
which run as tasks in the fake's nursery and read time only through trio.
Events are handed to ``publish``, which queues them on every subscribed
connection; api commands return their reply body. Conferences
(``_fs_conference``) and eavesdrop (``_fs_eavesdrop``) are mixins of ``SimSwitch``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from pathlib import Path
from typing import Final

import trio
import trio.lowlevel

from ._fs_conference import Conferences
from ._fs_dialplan import Dialplan, DialplanKind
from ._fs_eavesdrop import Eavesdrops
from ._fs_events import EventBuilder, Pairs, SimChannel
from ._fs_media import Eavesdrop, Recording, switch_true

__all__ = ["Eavesdrop", "External", "SimSwitch"]

Publish = Callable[[str, Pairs, "str | None"], None]


class External(enum.Enum):
    """What an outside number does when the gateway rings it."""

    ANSWER = "answer"
    BUSY = "busy"
    NO_ANSWER = "noAnswer"
    #: The number does not exist: the provider answers 404 at once.
    UNREACHABLE = "unreachable"
    #: Nothing answers SIP at the provider's address (no server, port closed):
    #: sofia-sip learns it from the network at once, and FreeSWITCH 1.10.12 ends
    #: the leg NETWORK_OUT_OF_ORDER without it ever ringing (seen in the lab).
    DEAD = "dead"


_CONFERENCE_DEST = re.compile(r"conference:(?P<name>[^@\s]+)@(?P<profile>\S+)")
_ORIGINATE = re.compile(r"(?:\{(?P<vars>.*?)\})?(?P<dial>\S+)\s+&(?P<app>\w+)\((?P<arg>[^)]*)\)$")
NO_SUCH_CHANNEL: Final = "-ERR No such channel!\n"
#: ``uuid_bridge`` replies at once; the A leg's own thread then waits for the B
#: leg and joins them (switch_ivr_bridge.c, uuid_bridge_on_soft_execute): its
#: CHANNEL_EXECUTEs and CHANNEL_BRIDGE come this much later on 1.10.12.
BRIDGE_SETUP: Final = 0.04
#: A leg moved (transfer, park, another bridge) before its uuid_bridge is up:
#: the A leg keeps waiting for the B leg, 1000 times 20 ms, then hangs both up
#: with DESTINATION_OUT_OF_ORDER. Seen on 1.10.12 with a uuid_transfer into a
#: conference right after a uuid_bridge.
BRIDGE_GIVE_UP: Final = 20.0
ORIGINATE_USAGE: Final = (
    "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>]"
    " [<cid_name>] [<cid_num>] [<timeout_sec>]\n"
)


def _split_vars(text: str) -> dict[str, str]:
    """Parse ``a=1,b='x y',c=d\\,e`` (the inverse of the driver's escaping)."""
    out: dict[str, str] = {}
    buf, parts, quoted, i = "", [], False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf += text[i + 1]
            i += 2
            continue
        if ch == "'":
            quoted = not quoted
        elif ch == "," and not quoted:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
        i += 1
    parts.append(buf)
    for part in parts:
        name, _, value = part.partition("=")
        if name:
            out[name] = value
    return out


class SimSwitch(Conferences, Eavesdrops):
    """A small FreeSWITCH: a directory of users, one gateway, channels and conferences."""

    def __init__(
        self,
        *,
        nursery: trio.Nursery,
        publish: Publish,
        builder: EventBuilder,
        clock_us: Callable[[], int],
        users: dict[str, bool],
        unregistered: frozenset[str],
        domain: str,
        gateway: str,
        externals: dict[str, External],
        answer_delay: float,
        playback_seconds: float,
        new_uuid: Callable[[], str],
        honour_auto_answer: bool = True,
        dialplan: DialplanKind = DialplanKind.LAB,
    ) -> None:
        self.nursery = nursery
        self._publish = publish
        self.events = builder
        self._clock_us = clock_us
        #: Registered users and whether their phone answers by itself.
        self.users = users
        self.unregistered = unregistered
        self.domain = domain
        self.gateway = gateway
        #: Calls the gateway carries at once (None: no limit); past it originate fails.
        self.trunk_lines: int | None = None
        self.externals = externals
        self.answer_delay = answer_delay
        self.playback_seconds = playback_seconds
        self.new_uuid = new_uuid
        #: Phones that ring until answered still answer by themselves when the
        #: INVITE asks them to (``sip_auto_answer=true``), as desk phones do.
        self.honour_auto_answer = honour_auto_answer
        self.channels: dict[str, SimChannel] = {}
        self.conferences: dict[str, list[str]] = {}
        #: What each conference plays to its members (``conference NAME play``).
        self.conference_music: dict[str, str] = {}
        #: Eavesdroppers by their channel uuid.
        self.eavesdrops: dict[str, Eavesdrop] = {}
        self._recordings: dict[str, dict[str, Recording]] = {}
        self._answer_waiters: dict[str, trio.Event] = {}
        #: What inbound calls do (the phones' and the provider's).
        self.dialplan = Dialplan(self, dialplan)
        self._playbacks: dict[str, tuple[str, str]] = {}  # uuid -> (app uuid, path)
        #: Legs of a uuid_bridge not up yet: uuid -> (A leg, B leg).
        self._setting_up: dict[str, tuple[str, str]] = {}

    # ---------------------------------------------------------------- helpers

    def emit(self, name: str, pairs: Pairs, body: str | None = None) -> None:
        self._publish(name, pairs, body)

    def _other(self, ch: SimChannel) -> SimChannel | None:
        return self.channels.get(ch.partner) if ch.partner else None

    def channel_event(
        self,
        name: str,
        function: str,
        ch: SimChannel,
        *,
        before: list[tuple[str, str]] | None = None,
        after: list[tuple[str, str]] | None = None,
        with_other: bool = False,
    ) -> None:
        pairs = self.events.channel_event(
            name, function, ch, self._other(ch), before=before or [], after=after or [],
            with_other=with_other,
        )  # fmt: skip
        self.emit(name, pairs)

    def _callstate(self, ch: SimChannel, new: str) -> None:
        old, ch.callstate = ch.callstate, new
        self.channel_event(
            "CHANNEL_CALLSTATE",
            "switch_channel_perform_set_callstate",
            ch,
            before=[("Original-Channel-Call-State", old), ("Channel-Call-State-Number", "0")],
        )

    def _now(self) -> int:
        return self._clock_us()

    def now_us(self) -> int:
        """The switch's clock, in microseconds since the epoch (``Event-Date-Timestamp``)."""
        return self._clock_us()

    # ------------------------------------------------------ channel lifecycle

    def trunk_calls(self) -> int:
        """Live legs on the provider's side (sofia's external profile), in and out."""
        return sum(
            1
            for ch in self.channels.values()
            if not ch.hungup and ch.name.startswith("sofia/external/")
        )

    def create_channel(
        self,
        *,
        uuid: str,
        name: str,
        direction: str,
        cid_name: str,
        cid_number: str,
        destination: str,
        variables: dict[str, str],
        username: str | None = None,
        presence_id: str | None = None,
        context: str = "default",
        party: str = "",
    ) -> SimChannel:
        ch = SimChannel(
            uuid=uuid,
            name=name,
            direction=direction,
            cid_name=cid_name,
            cid_number=cid_number,
            destination=destination,
            created_us=self._now(),
            source="mod_sofia" if direction == "inbound" else "src/switch_ivr_originate.c",
            username=username,
            hit_dialplan=direction == "inbound",
            context=context,
            party=party,
            variables={"direction": direction, "uuid": uuid, "call_uuid": uuid, **variables},
        )
        if direction == "outbound":
            ch.callee_name, ch.callee_number = "Outbound Call", destination
        self.channels[uuid] = ch
        # As captured, CHANNEL_CREATE comes before the presence id is set.
        self.channel_event("CHANNEL_CREATE", "switch_core_session_run", ch)
        ch.presence_id = presence_id
        return ch

    def ring(self, ch: SimChannel) -> None:
        ch.state, ch.progress_us, ch.media = "CS_CONSUME_MEDIA", self._now(), True
        self.channel_event("CHANNEL_PROGRESS", "switch_channel_perform_mark_ring_ready_value", ch)
        self._callstate(ch, "RINGING")

    def answer(self, ch: SimChannel) -> None:
        if ch.answer_state == "answered" or ch.hungup:
            return
        ch.answer_state, ch.answered_us, ch.media = "answered", self._now(), True
        self.channel_event("CHANNEL_ANSWER", "switch_channel_perform_mark_answered", ch)
        self._callstate(ch, "ACTIVE")
        waiter = self._answer_waiters.pop(ch.uuid, None)
        if waiter is not None:
            waiter.set()

    def park(self, ch: SimChannel) -> None:
        ch.state, ch.application, ch.application_data = "CS_EXECUTE", "park", ""
        self.execute_app(ch, "park", "", complete=False)
        self.channel_event("CHANNEL_PARK", "switch_ivr_park", ch)

    def execute_app(
        self,
        ch: SimChannel,
        app: str,
        data: str,
        *,
        app_uuid: str | None = None,
        complete: bool,
        effect: Callable[[], None] | None = None,
    ) -> None:
        """CHANNEL_EXECUTE of an application, then (``complete``) its ``effect`` and
        CHANNEL_EXECUTE_COMPLETE."""
        app_uuid = app_uuid or self.new_uuid()
        headers = [("Application", app), ("Application-Data", data), ("Application-UUID", app_uuid)]
        if not data:
            headers = [("Application", app), ("Application-UUID", app_uuid)]
        self.channel_event(
            "CHANNEL_EXECUTE", "switch_core_session_exec", ch, after=headers, with_other=False
        )
        if effect is not None:
            effect()
        if complete:
            self.channel_event(
                "CHANNEL_EXECUTE_COMPLETE",
                "switch_core_session_exec",
                ch,
                after=[*headers[:-1], ("Application-Response", "_none_"), headers[-1]],
                with_other=True,
            )

    def hangup(self, ch: SimChannel, cause: str) -> None:
        """Hang a channel up; a partner without park_after_bridge goes too."""
        if ch.hungup:
            return
        ch.hungup, ch.hangup_us = True, self._now()
        self._stop_media(ch)
        if ch.conference:
            self._conference_leave(ch)
        ch.answer_state = "hangup"
        ch.variables["hangup_cause"] = cause
        self.channel_event(
            "CHANNEL_HANGUP", "switch_channel_perform_hangup", ch, after=[("Hangup-Cause", cause)]
        )
        # The media bugs go with the channel: its recordings end, its eavesdrops too.
        for path in self.recordings_of(ch.uuid):
            self._stop_recording(ch, path)
        self._recordings.pop(ch.uuid, None)
        self.end_eavesdrops(ch)
        ch.state = "CS_HANGUP"
        self._callstate(ch, "HANGUP")
        ch.state = "CS_REPORTING"
        self.channel_event(
            "CHANNEL_HANGUP_COMPLETE",
            "switch_core_session_reporting_state",
            ch,
            before=[("Hangup-Cause", cause)],
            after=[("Hangup-Cause", cause)],
        )
        partner = self._other(ch)
        if partner is not None:
            self._unbridge(ch, partner)
        self.channel_event(
            "CHANNEL_DESTROY",
            "switch_core_session_perform_destroy",
            ch,
            after=[("Hangup-Cause", cause)],
        )
        del self.channels[ch.uuid]
        self._answer_waiters.pop(ch.uuid, None)
        if partner is not None and not partner.hungup:
            self._after_bridge(partner, cause)

    def _after_bridge(self, ch: SimChannel, cause: str) -> None:
        if ch.variables.get("park_after_bridge") == "true":
            self.park(ch)
        elif ch.variables.get("hangup_after_bridge") != "false" or ch.application == "uuid_bridge":
            self.hangup(ch, cause)

    # --------------------------------------------------------------- bridges

    def bridge(self, a: SimChannel, b: SimChannel) -> None:
        for ch in (a, b):
            self._stop_media(ch)
            if ch.conference:
                self._conference_leave(ch)
            old = self._other(ch)
            if old is not None and old.uuid not in (a.uuid, b.uuid):
                self._unbridge(ch, old)
                self._after_bridge(old, "NORMAL_CLEARING")
        for ch, other in ((a, b), (b, a)):
            ch.application, ch.application_data = "uuid_bridge", other.uuid
        now = self._now()
        a.partner, b.partner = b.uuid, a.uuid
        a.bridge_a, b.bridge_a = True, False
        a.bridged_us = b.bridged_us = now
        # After the bridge (as captured) an outbound leg's caller id flips to
        # its contact and its callee number becomes its original number; the
        # callee name shows only in the partner's copy of the profile.
        for ch in (a, b):
            ch.orig_cid_name = ch.cid_name if ch.orig_cid_name is None else ch.orig_cid_name
            ch.orig_cid_number = ch.cid_number if ch.orig_cid_number is None else ch.orig_cid_number
        for ch in (a, b):
            ch.callee_name = None
            ch.callee_number = ch.orig_cid_number
            if ch.direction == "outbound":
                ch.cid_name, ch.cid_number = "Outbound Call", ch.destination
        a.transfer_source = f"{now // 1_000_000}:{self.new_uuid()}:uuid_br:{b.uuid}"
        b.transfer_source = f"{now // 1_000_000}:{self.new_uuid()}:uuid_br:{a.uuid}"
        a.state, b.state = "CS_SOFT_EXECUTE", "CS_EXCHANGE_MEDIA"
        a.variables["bridge_uuid"], b.variables["bridge_uuid"] = b.uuid, a.uuid
        self._setting_up[a.uuid] = self._setting_up[b.uuid] = (a.uuid, b.uuid)
        self.nursery.start_soon(self._bridge_up, a.uuid, b.uuid)

    async def _bridge_up(self, a_uuid: str, b_uuid: str) -> None:
        await trio.sleep(BRIDGE_SETUP)
        if self._setting_up.get(a_uuid) != (a_uuid, b_uuid):
            return  # a leg was moved or hung up meanwhile
        del self._setting_up[a_uuid], self._setting_up[b_uuid]
        a, b = self.channels.get(a_uuid), self.channels.get(b_uuid)
        if a is None or b is None:
            return
        for ch, other in ((a, b), (b, a)):
            self.channel_event(
                "CHANNEL_EXECUTE",
                "uuid_bridge_on_soft_execute",
                ch,
                after=[("Application", "uuid_bridge"), ("Application-Data", other.uuid)],
            )
        self.channel_event(
            "CHANNEL_BRIDGE",
            "switch_ivr_multi_threaded_bridge",
            a,
            before=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)],
            with_other=True,
        )

    def moved_during_bridge_setup(self, ch: SimChannel) -> bool:
        """``ch`` is moved (transfer, park, bridge) while its uuid_bridge is not up.

        The set-up is lost (BRIDGE_GIVE_UP). True if ``ch`` is the A leg: its
        thread is busy in the set-up, so the move does not happen."""
        pair = self._setting_up.get(ch.uuid)
        if pair is None:
            return False
        for uuid in pair:
            self._setting_up.pop(uuid, None)
        self.nursery.start_soon(self._bridge_given_up, *pair)
        return ch.uuid == pair[0]

    async def _bridge_given_up(self, a_uuid: str, b_uuid: str) -> None:
        await trio.sleep(BRIDGE_GIVE_UP)
        for uuid in (a_uuid, b_uuid):
            ch = self.channels.get(uuid)
            if ch is not None and not ch.hungup:
                self.hangup(ch, "DESTINATION_OUT_OF_ORDER")

    def _unbridge(self, ch: SimChannel, other: SimChannel) -> None:
        """One CHANNEL_UNBRIDGE, on the A leg of the bridge, as captured."""
        a, b = (ch, other) if ch.bridge_a else (other, ch)
        a.bridge_a = b.bridge_a = False
        a.partner = b.partner = None
        self.channel_event(
            "CHANNEL_UNBRIDGE",
            "switch_ivr_multi_threaded_bridge",
            a,
            before=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)],
        )

    def detach(self, ch: SimChannel) -> None:
        """Take a channel out of whatever it is in (bridge, conference, media)."""
        self._stop_media(ch)
        if ch.conference:
            self._conference_leave(ch)
        partner = self._other(ch)
        if partner is not None:
            self._unbridge(ch, partner)
            self._after_bridge(partner, "NORMAL_CLEARING")

    # ------------------------------------------------------------------ media

    def start_playback(self, ch: SimChannel, path: str, app_uuid: str) -> None:
        self._stop_media(ch)
        ch.application, ch.application_data = "playback", path
        ch.variables["current_application"] = "playback"
        ch.variables["current_application_data"] = path
        headers = [
            ("Application", "playback"),
            ("Application-Data", path),
            ("Application-UUID", app_uuid),
        ]
        self.channel_event("CHANNEL_EXECUTE", "switch_core_session_exec", ch, after=headers)
        if path.startswith("/missing"):
            self._finish_playback(ch, app_uuid, path, response="FILE NOT FOUND", status=None)
            return
        file_type = "local_stream" if path.startswith("local_stream://") else "wav"
        self._playbacks[ch.uuid] = (app_uuid, path)
        self.channel_event(
            "PLAYBACK_START",
            "switch_ivr_play_file",
            ch,
            after=[("Playback-File-Type", file_type), ("Playback-File-Path", path)],
            with_other=True,
        )
        if not path.startswith("local_stream://"):
            self.nursery.start_soon(self._play_for, ch.uuid, app_uuid)

    async def _play_for(self, uuid: str, app_uuid: str) -> None:
        await trio.sleep(self.playback_seconds)
        ch = self.channels.get(uuid)
        if ch is not None and self._playbacks.get(uuid, ("",))[0] == app_uuid:
            _, path = self._playbacks.pop(uuid)
            self._finish_playback(ch, app_uuid, path, response="FILE PLAYED", status="done")

    def _finish_playback(
        self, ch: SimChannel, app_uuid: str, path: str, *, response: str, status: str | None
    ) -> None:
        if status is not None:
            file_type = "local_stream" if path.startswith("local_stream://") else "wav"
            self.channel_event(
                "PLAYBACK_STOP",
                "switch_ivr_play_file",
                ch,
                after=[
                    ("Playback-File-Type", file_type),
                    ("Playback-File-Path", path),
                    ("Playback-Status", status),
                ],
                with_other=True,
            )
        self.channel_event(
            "CHANNEL_EXECUTE_COMPLETE",
            "switch_core_session_exec",
            ch,
            after=[
                ("Application", "playback"),
                ("Application-Data", path),
                ("Application-Response", response),
                ("Application-UUID", app_uuid),
            ],
            with_other=True,
        )
        ch.application = "park"

    def _stop_media(self, ch: SimChannel) -> bool:
        playing = self._playbacks.pop(ch.uuid, None)
        if playing is None:
            return False
        app_uuid, path = playing
        self._finish_playback(ch, app_uuid, path, response="FILE PLAYED", status="break")
        return True

    def playing(self, uuid: str) -> str | None:
        """The file a channel's playback plays now, if any."""
        current = self._playbacks.get(uuid)
        return current[1] if current is not None else None

    def hold(self, ch: SimChannel, *, by_phone: bool, on: bool) -> None:
        function = (
            "switch_channel_mark_hold"
            if by_phone
            else ("switch_ivr_hold" if on else "switch_ivr_unhold")
        )
        ch.held = on
        ch.variables["remote_audio_media_flow"] = "sendonly" if on and by_phone else "sendrecv"
        partner = self._other(ch)
        if on:
            self._callstate(ch, "HELD")
            self.channel_event("CHANNEL_HOLD", function, ch, with_other=True)
            if partner is not None and not by_phone:
                self.start_playback(partner, "local_stream://moh", self.new_uuid())
        else:
            self._callstate(ch, "UNHELD")
            if partner is not None and not by_phone:
                self._stop_media(partner)
            self.channel_event("CHANNEL_UNHOLD", function, ch, with_other=True)
            self._callstate(ch, "ACTIVE")

    def dtmf(self, ch: SimChannel, digit: str) -> None:
        ed = self.eavesdrops.get(ch.uuid)
        if ed is not None and ed.dtmf:
            self.eavesdrop_command(ch, digit)
        self.channel_event(
            "DTMF",
            "switch_channel_dequeue_dtmf",
            ch,
            after=[("DTMF-Digit", digit), ("DTMF-Duration", "1440"), ("DTMF-Source", "RTP")],
            with_other=True,
        )

    def record(self, ch: SimChannel, action: str, path: str) -> str:
        active = self._recordings.setdefault(ch.uuid, {})
        if action == "start":
            if "/" in path:
                # FreeSWITCH makes the directories (switch_ivr_record_session_event).
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            active[path] = Recording(started=trio.current_time())
            self.channel_event(
                "RECORD_START", "record_callback", ch, after=[("Record-File-Path", path)],
                with_other=True,
            )  # fmt: skip
            return "+OK Success\n"
        if action == "stop":
            if path not in active:
                return "-ERR Cannot stop record session!\n"
            self._stop_recording(ch, path)
            return "+OK Success\n"
        if action in ("mask", "unmask"):
            rec = active.get(path)
            if rec is None:
                return "-ERR Cannot mask recording session!\n"
            rec.mask(trio.current_time(), on=action == "mask")
            return "+OK Success\n"
        return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>]\n"

    def _stop_recording(self, ch: SimChannel, path: str) -> None:
        rec = self._recordings[ch.uuid].pop(path)
        millis = rec.write(path, trio.current_time())
        ch.variables["record_seconds"] = str(millis // 1000)
        ch.variables["record_ms"] = str(millis)
        self.channel_event(
            "RECORD_STOP",
            "send_record_stop_event",
            ch,
            after=[("Record-File-Path", path), ("Record-Completion-Cause", "success-maxtime")],
            with_other=True,
        )

    def recordings_of(self, uuid: str) -> list[str]:
        """The paths a channel is recording to now."""
        return list(self._recordings.get(uuid, {}))

    # -------------------------------------------------------------- originate

    async def originate(self, args: str) -> str:
        """Run ``originate``; returns ``+OK <uuid>`` or ``-ERR <CAUSE>`` (with newline)."""
        match = _ORIGINATE.match(args.strip())
        if match is None:
            return ORIGINATE_USAGE
        variables = _split_vars(match.group("vars") or "")
        dial = match.group("dial")
        uuid = variables.pop("origination_uuid", None) or self.new_uuid()
        if uuid in self.channels:
            return "-ERR DESTINATION_OUT_OF_ORDER\n"
        timeout = float(variables.get("originate_timeout", "60"))
        cid_number = variables.get("origination_caller_id_number", "0000000000")
        cid_name = variables.get("origination_caller_id_name", "")
        user = re.fullmatch(r"user/([^@]+)@?.*", dial)
        gateway = re.fullmatch(r"sofia/gateway/([^/]+)/(.+)", dial)
        if user:
            ext = user.group(1)
            if ext in self.unregistered:
                return "-ERR USER_NOT_REGISTERED\n"
            if ext not in self.users:
                return "-ERR SUBSCRIBER_ABSENT\n"
            contact = f"{ext}-0x{int(ext):012x}"
            ch = self.create_channel(
                uuid=uuid,
                name=f"sofia/internal/{contact}@127.0.0.1:5171",
                direction="outbound",
                cid_name=cid_name,
                cid_number=cid_number,
                destination=contact,
                presence_id=f"{ext}@{self.domain}",
                variables={
                    "origination_uuid": uuid,
                    **variables,
                    "dialed_user": ext,
                    "dialed_domain": self.domain,
                },
            )
            ch.party = ext
            auto = self.users[ext] or (
                self.honour_auto_answer and switch_true(variables.get("sip_auto_answer"))
            )
            behaviour = External.ANSWER if auto else External.NO_ANSWER
        elif gateway and gateway.group(1) == self.gateway:
            number = gateway.group(2)
            if self.trunk_lines is not None and self.trunk_calls() >= self.trunk_lines:
                # Every line of the gateway is taken: the provider answers 503.
                return "-ERR NORMAL_CIRCUIT_CONGESTION\n"
            behaviour = self.externals.get(number, External.ANSWER)
            ch = self.create_channel(
                uuid=uuid,
                # mod_sofia names every leg sofia/<profile>/<destination>, a
                # gateway's too (sofia_glue_set_name; seen on 1.10.12).
                name=f"sofia/external/{number}",
                direction="outbound",
                cid_name=cid_name,
                cid_number=cid_number,
                destination=number,
                variables={"origination_uuid": uuid, **variables, "sip_gateway_name": self.gateway},
            )
            ch.party = number
            auto = behaviour is External.ANSWER
            if behaviour is External.UNREACHABLE:
                # The provider answers 404 at once: the leg never rings.
                await trio.lowlevel.checkpoint()
                self.hangup(ch, "UNALLOCATED_NUMBER")
                return "-ERR UNALLOCATED_NUMBER\n"
            if behaviour is External.DEAD:
                await trio.lowlevel.checkpoint()
                self.hangup(ch, "NETWORK_OUT_OF_ORDER")
                return "-ERR NETWORK_OUT_OF_ORDER\n"
        else:
            return "-ERR NORMAL_TEMPORARY_FAILURE\n"
        if behaviour is External.BUSY:
            # The far end answers 486 without ringing first.
            await trio.sleep(self.answer_delay)
            if not ch.hungup:
                self.hangup(ch, "USER_BUSY")
            return "-ERR USER_BUSY\n"
        self.ring(ch)
        waiter = trio.Event()
        self._answer_waiters[uuid] = waiter
        if auto:
            self.nursery.start_soon(self._auto_answer, uuid)
        with trio.move_on_after(timeout):
            await waiter.wait()
        if ch.hungup:
            return f"-ERR {ch.variables.get('hangup_cause', 'NORMAL_CLEARING')}\n"
        if ch.answer_state != "answered":
            self.hangup(ch, "NO_ANSWER")
            return "-ERR NO_ANSWER\n"
        return f"+OK {uuid}\n"

    async def originate_then_run(self, args: str, report: Callable[[str], None]) -> None:
        """The background half of ``bgapi originate``: job result, then the application."""
        result = await self.originate(args)
        report(result)
        if not result.startswith("+OK"):
            return
        uuid = result.split()[1]
        ch = self.channels.get(uuid)
        match = _ORIGINATE.match(args.strip())
        if ch is None or match is None:
            return
        app, arg = match.group("app"), match.group("arg")
        if app == "park":
            self.park(ch)
        elif app == "eavesdrop":
            self.start_eavesdrop(ch, arg, self.new_uuid())
        else:
            self.execute_app(ch, app, arg, complete=False)

    async def _auto_answer(self, uuid: str) -> None:
        await trio.sleep(self.answer_delay)
        ch = self.channels.get(uuid)
        if ch is not None:
            self.answer(ch)
