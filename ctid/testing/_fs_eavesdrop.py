"""The fake FreeSWITCH's eavesdrop (mod_dptools): listening in, its whisper modes
and how it ends (a mixin of ``SimSwitch``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._fs_events import SimChannel
from ._fs_media import Eavesdrop, switch_true

__all__ = ["Eavesdrops"]


class Eavesdrops:
    """``SimSwitch``'s eavesdrops; the state they change is its own."""

    channels: dict[str, SimChannel]
    eavesdrops: dict[str, Eavesdrop]

    if TYPE_CHECKING:

        def detach(self, ch: SimChannel) -> None: ...

        def channel_event(
            self,
            name: str,
            function: str,
            ch: SimChannel,
            *,
            before: list[tuple[str, str]] | None = None,
            after: list[tuple[str, str]] | None = None,
            with_other: bool = False,
        ) -> None: ...

    def start_eavesdrop(self, ch: SimChannel, target: str, app_uuid: str) -> None:
        """``eavesdrop <target>`` on ``ch``, with the flags mod_dptools reads from its variables."""
        self.detach(ch)
        ch.state, ch.application, ch.application_data = "CS_EXECUTE", "eavesdrop", target
        ch.variables["current_application"] = "eavesdrop"
        ch.variables["current_application_data"] = target
        headers = [
            ("Application", "eavesdrop"),
            ("Application-Data", target),
            ("Application-UUID", app_uuid),
        ]
        self.channel_event("CHANNEL_EXECUTE", "switch_core_session_exec", ch, after=headers)
        if target not in self.channels:
            self._eavesdrop_ended(ch, app_uuid)
            return
        flag = ch.variables.get
        self.eavesdrops[ch.uuid] = Eavesdrop(
            target=target,
            mux_read=switch_true(flag("eavesdrop_whisper_aleg")),
            mux_write=switch_true(flag("eavesdrop_whisper_bleg")),
            dtmf=switch_true(flag("eavesdrop_enable_dtmf", "true")),
            app_uuid=app_uuid,
        )

    def eavesdrop_command(self, ch: SimChannel, command: str) -> None:
        """An ``eavesdrop-command`` (or a DTMF digit) for the eavesdrop running on ``ch``."""
        ed = self.eavesdrops.get(ch.uuid)
        if ed is None:
            return
        for char in command:
            if char == "*":
                del self.eavesdrops[ch.uuid]
                self._eavesdrop_ended(ch, ed.app_uuid)
                return
            modes = {"0": (False, False), "1": (True, False), "2": (False, True), "3": (True, True)}
            if char in modes:
                ed.mux_read, ed.mux_write = modes[char]

    def end_eavesdrops(self, ch: SimChannel) -> None:
        """``ch`` hangs up: its own eavesdrop ends, and so does everyone's on it."""
        self.eavesdrops.pop(ch.uuid, None)
        for uuid, ed in list(self.eavesdrops.items()):
            if ed.target == ch.uuid:
                del self.eavesdrops[uuid]
                listener = self.channels.get(uuid)
                if listener is not None and not listener.hungup:
                    self._eavesdrop_ended(listener, ed.app_uuid)

    def _eavesdrop_ended(self, ch: SimChannel, app_uuid: str) -> None:
        self.channel_event(
            "CHANNEL_EXECUTE_COMPLETE",
            "switch_core_session_exec",
            ch,
            after=[
                ("Application", "eavesdrop"),
                ("Application-Data", ch.application_data),
                ("Application-Response", "_none_"),
                ("Application-UUID", app_uuid),
            ],
        )
        # Executed on a parked channel (sendmsg), it goes back to park.
        ch.application, ch.application_data = "park", ""
        ch.variables["current_application"] = "park"
        ch.variables["current_application_data"] = ""
