"""The fake FreeSWITCH's conferences (mod_conference): joining, leaving, and their
``conference::maintenance`` events (a mixin of ``SimSwitch``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ._fs_events import EventBuilder, Pairs, SimChannel

__all__ = ["Conferences"]


class Conferences:
    """``SimSwitch``'s conferences; the state they change is its own."""

    domain: str
    events: EventBuilder
    conferences: dict[str, list[str]]
    conference_music: dict[str, str]

    if TYPE_CHECKING:

        def emit(self, name: str, pairs: Pairs, body: str | None = None) -> None: ...

        def detach(self, ch: SimChannel) -> None: ...

        def execute_app(
            self,
            ch: SimChannel,
            app: str,
            data: str,
            *,
            app_uuid: str | None = None,
            complete: bool,
            effect: Callable[[], None] | None = None,
        ) -> None: ...

    def _conference_headers(self, name: str) -> list[tuple[str, str]]:
        return [
            ("Conference-Name", name),
            ("Conference-Domain", self.domain),
            ("Conference-Size", str(len(self.conferences.get(name, [])))),
            ("Conference-Ghosts", "0"),
            ("Conference-Profile-Name", "default"),
            ("Conference-Unique-ID", f"conf-{name}"),
        ]

    def _conference_event(self, name: str, action: str, ch: SimChannel | None) -> None:
        pairs = self.events.base("CUSTOM", f"conference_{action.replace('-', '_')}")
        pairs.insert(0, ("Event-Subclass", "conference::maintenance"))
        pairs += self._conference_headers(name)
        if ch is not None:
            member = (
                self.conferences[name].index(ch.uuid) + 1
                if ch.uuid in self.conferences[name]
                else 1
            )
            pairs.append(("Floor", "false"))
            pairs += self.events.channel_block(ch)
            pairs += [
                ("Video", "false"),
                ("Hear", "true"),
                ("See", "true"),
                ("Speak", "true"),
                ("Talking", "false"),
                ("Mute-Detect", "false"),
                ("Hold", "false"),
                ("Member-ID", str(member)),
                ("Member-Type", "member"),
                ("Member-Ghost", "false"),
                ("Energy-Level", "100"),
                ("Current-Energy", "0"),
            ]
            pairs += self.events.variables(ch)
        pairs.append(("Action", action))
        self.emit("CUSTOM conference::maintenance", pairs)

    def conference_join(self, ch: SimChannel, name: str) -> None:
        # A transfer: the profile gets the dialplan and the number it left.
        ch.dialplan, ch.rdnis = "inline", ch.destination
        self.detach(ch)
        if name not in self.conferences:
            self.conferences[name] = []
            self._conference_event(name, "conference-create", None)
        # show channels gives the application's argument as FreeSWITCH 1.10.12
        # does: the conference with its profile ("ctid-call-7@default").
        ch.application, ch.application_data = "conference", f"{name}@default"
        ch.conference = name
        ch.state = "CS_EXECUTE"
        self.execute_app(ch, "conference", f"{name}@default", complete=False)
        self.conferences[name].append(ch.uuid)
        self._conference_event(name, "add-member", ch)

    def _conference_leave(self, ch: SimChannel) -> None:
        name = ch.conference
        assert name is not None
        self._conference_event(name, "del-member", ch)
        self.conferences[name].remove(ch.uuid)
        ch.conference = None
        if not self.conferences[name]:
            self.conference_music.pop(name, None)
            del self.conferences[name]
            self.conferences.setdefault(name, [])
            self._conference_event(name, "conference-destroy", None)
            del self.conferences[name]
