"""The bridge planner: ctid's bridge model realised with FreeSWITCH primitives.

ctid bridges are ctid's own objects with ctid-chosen ids; FreeSWITCH has no
object that matches one (a bridge with one member is just a parked channel).
The planner keeps the membership and, for each command, returns the api
commands that make FreeSWITCH match it (see docs/drivers-freeswitch-design.md):

* one member: the channel is parked (``uuid_park``);
* two members: ``uuid_bridge A B``; both legs carry
  ``park_after_bridge=true`` and ``hangup_after_bridge=false``, so a leg that
  loses its partner is parked, not hung up;
* three or more, or music into a bridge of two or more: a conference named
  ``ctid-<bridge id>``, joined with ``uuid_transfer <uuid> conference:... inline``.
  A bridge stays a conference until it is destroyed (moving a call back and
  forth between the two forms would cut its audio twice).

Music on hold into a one-member bridge is ``uuid_broadcast <uuid>
local_stream://<class> aleg``, stopped with ``uuid_break``; into a conference
it is ``conference <name> play``. A conference exists only once its first
member has arrived (``uuid_transfer`` returns before that), so commands for the
conference itself come back in ``after_conference`` for the driver to send when
it sees the ``conference-create`` event.

Membership events (``BridgeJoined``/``BridgeLeft``/``BridgeDestroyed``) for ctid
bridges come from the plan, and the driver emits them once every command of
the plan was accepted. Pure: no I/O; ``commit`` applies a plan's new state.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from ..base import (
    BridgeAdd,
    BridgeDestroy,
    BridgeDestroyed,
    BridgeJoined,
    BridgeLeft,
    BridgeRemove,
    CommandRejected,
    RejectReason,
    StartMusic,
    StopMusic,
    SwitchEvent,
)

__all__ = ["BridgeBook", "BridgePlan", "BridgeState", "conference_name"]

CONFERENCE_PREFIX: Final = "ctid-"
#: Variables every leg needs before it is put into a two-member bridge.
BRIDGE_VARIABLES: Final = "park_after_bridge=true;hangup_after_bridge=false"
_BRIDGE_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")

BridgeCommand = BridgeAdd | BridgeRemove | BridgeDestroy | StartMusic | StopMusic


def conference_name(bridge_id: str) -> str:
    """The FreeSWITCH conference that realises a large ctid bridge."""
    return CONFERENCE_PREFIX + bridge_id


@attrs.frozen(kw_only=True)
class BridgeState:
    """One bridge: its members in order, whether it is a conference, its music class."""

    members: tuple[str, ...] = ()
    conference: bool = False
    music: str | None = None


@attrs.frozen(kw_only=True)
class BridgePlan:
    """What to do for one command: api commands in order, then events to emit."""

    commands: tuple[str, ...]
    events: tuple[SwitchEvent, ...]
    #: Conference commands to send once the conference exists (key: its name).
    after_conference: tuple[tuple[str, str], ...] = ()
    #: The book's state once the commands succeeded; give it to ``commit``.
    bridges: dict[str, BridgeState] = attrs.field(factory=dict)
    prepared: frozenset[str] = frozenset()


class BridgeBook:
    """ctid's bridges and their members, and the planner for bridge commands."""

    def __init__(self, *, conference_profile: str = "default") -> None:
        self._profile = conference_profile
        self._bridges: dict[str, BridgeState] = {}
        # Channels known to carry park_after_bridge / hangup_after_bridge.
        self._prepared: frozenset[str] = frozenset()
        #: Channels gone since the last plan was made (the driver awaits its commands
        #: between ``plan`` and ``commit``, while hang-ups are folded in).
        self._gone: set[str] = set()

    # --------------------------------------------------------------- queries

    def held_objects(self) -> dict[str, int]:
        """What the book tracks (see ``SwitchDriver.held_objects``)."""
        return {"bridges": len(self._bridges), "prepared channels": len(self._prepared)}

    def bridge_of(self, channel_id: str) -> str | None:
        """The ctid bridge ``channel_id`` is in, or None."""
        for bridge_id, state in self._bridges.items():
            if channel_id in state.members:
                return bridge_id
        return None

    def get(self, bridge_id: str) -> BridgeState | None:
        """The state of one bridge, or None if ctid has no such bridge."""
        return self._bridges.get(bridge_id)

    def snapshot(self) -> dict[str, BridgeState]:
        """Every bridge, for resynchronisation reports."""
        return dict(self._bridges)

    # ------------------------------------------------------------- mutation

    def mark_prepared(self, channel_id: str) -> None:
        """``channel_id`` already has the bridge variables (ctid originated it with them)."""
        self._prepared = self._prepared | {channel_id}

    def commit(self, plan: BridgePlan) -> None:
        """Apply a plan whose commands all succeeded."""
        # A channel that hung up while the plan's commands ran (``channel_gone``)
        # stays forgotten: the plan was made before, and the book kept it for ever.
        gone = self._gone
        self._bridges = {
            bridge_id: attrs.evolve(state, members=tuple(m for m in state.members if m not in gone))
            if gone.intersection(state.members)
            else state
            for bridge_id, state in plan.bridges.items()
        }
        self._prepared = plan.prepared - gone

    def adopt(self, bridge_id: str, members: tuple[str, ...], *, conference: bool = False) -> None:
        """Take over a bridge found on the switch after ctid restarted.

        A ``uuid_bridge`` pair of ctid's legs (``fs-<uuid>``), or the members of
        one of ctid's conferences (``ctid-<bridge id>``): a previous ctid made
        them, so the legs carry the bridge variables, but the book lost the
        bridge with the process. Adopted, it is an ordinary bridge again: ctid
        can hold, transfer, clear and conference its call."""
        self._bridges[_checked(bridge_id)] = BridgeState(members=members, conference=conference)

    def channel_gone(self, channel_id: str) -> list[SwitchEvent]:
        """A channel hung up: take it out of its bridge; the events to emit before its hangup."""
        self._prepared = self._prepared - {channel_id}
        self._gone.add(channel_id)
        bridge_id = self.bridge_of(channel_id)
        if bridge_id is None:
            return []
        state = self._bridges[bridge_id]
        self._bridges[bridge_id] = attrs.evolve(
            state, members=tuple(m for m in state.members if m != channel_id)
        )
        return [BridgeLeft(bridge_id=bridge_id, channel_id=channel_id)]

    def forget_channels(self, alive: set[str]) -> list[SwitchEvent]:
        """After a resync: drop members that no longer exist on the switch."""
        events: list[SwitchEvent] = []
        for state in list(self._bridges.values()):
            for member in state.members:
                if member not in alive:
                    events += self.channel_gone(member)
        return events

    # -------------------------------------------------------------- planning

    def plan(self, command: BridgeCommand) -> BridgePlan:
        """The commands and events that carry out ``command``; raises ``CommandRejected``."""
        self._gone = set()
        work = _Work(dict(self._bridges), set(self._prepared), self._profile)
        if isinstance(command, BridgeAdd):
            work.add(_checked(command.bridge_id), command.channel_id)
        elif isinstance(command, BridgeRemove):
            work.remove(command.bridge_id, command.channel_id)
        elif isinstance(command, BridgeDestroy):
            work.destroy(command.bridge_id)
        elif isinstance(command, StartMusic):
            work.start_music(command)
        else:
            work.stop_music(command)
        return BridgePlan(
            commands=tuple(work.commands),
            events=tuple(work.events),
            after_conference=tuple(work.after_conference),
            bridges=work.bridges,
            prepared=frozenset(work.prepared),
        )


def _checked(bridge_id: str) -> str:
    if not _BRIDGE_ID.fullmatch(bridge_id):
        # The id becomes part of a conference name and of api arguments.
        raise CommandRejected(RejectReason.NO_SUCH_BRIDGE, f"unusable bridge id {bridge_id!r}")
    return bridge_id


class _Work:
    """One plan under construction: a copy of the book plus what to send and emit."""

    def __init__(self, bridges: dict[str, BridgeState], prepared: set[str], profile: str) -> None:
        self.bridges = bridges
        self.prepared = prepared
        self.profile = profile
        self.commands: list[str] = []
        self.events: list[SwitchEvent] = []
        self.after_conference: list[tuple[str, str]] = []

    def bridge_of(self, channel_id: str) -> str | None:
        for bridge_id, state in self.bridges.items():
            if channel_id in state.members:
                return bridge_id
        return None

    def _music_uri(self, music_class: str) -> str:
        return f"local_stream://{music_class}"

    def _prepare(self, channel_id: str) -> None:
        if channel_id not in self.prepared:
            self.commands.append(f"uuid_setvar_multi {channel_id} {BRIDGE_VARIABLES}")
            self.prepared.add(channel_id)

    def _to_conference(self, bridge_id: str, channel_id: str) -> None:
        self._prepare(channel_id)
        name = conference_name(bridge_id)
        self.commands.append(f"uuid_transfer {channel_id} conference:{name}@{self.profile} inline")

    def add(self, bridge_id: str, channel_id: str) -> None:
        state = self.bridges.get(bridge_id, BridgeState())
        if channel_id in state.members:
            return
        previous = self.bridge_of(channel_id)
        if previous is not None:
            self._leave(previous, channel_id, park=False)
        state = self.bridges.get(bridge_id, BridgeState())
        members = (*state.members, channel_id)
        if len(members) == 1:
            if previous is not None:
                self.commands.append(f"uuid_park {channel_id}")
            if state.music:
                self.commands.append(
                    f"uuid_broadcast {channel_id} {self._music_uri(state.music)} aleg"
                )
        elif state.conference:
            self._to_conference(bridge_id, channel_id)
        elif len(members) == 2 and not state.music:
            for member in members:
                self._prepare(member)
            self.commands.append(f"uuid_bridge {members[0]} {members[1]}")
        else:
            self._become_conference(bridge_id, state, members)
            state = attrs.evolve(state, conference=True)
        self.bridges[bridge_id] = attrs.evolve(state, members=members)
        self.events.append(BridgeJoined(bridge_id=bridge_id, channel_id=channel_id))

    def _become_conference(
        self, bridge_id: str, state: BridgeState, members: tuple[str, ...]
    ) -> None:
        if state.music and len(state.members) == 1:
            self.commands.append(f"uuid_break {state.members[0]} all")
        for member in members:
            self._to_conference(bridge_id, member)
        if state.music:
            name = conference_name(bridge_id)
            self.after_conference.append(
                (name, f"conference {name} play {self._music_uri(state.music)}")
            )

    def _leave(self, bridge_id: str, channel_id: str, *, park: bool) -> None:
        state = self.bridges[bridge_id]
        if state.music and len(state.members) == 1:
            self.commands.append(f"uuid_break {channel_id} all")
        if park:
            # Parking takes the leg out of a uuid_bridge (its partner is parked
            # by park_after_bridge) or out of a conference.
            self.commands.append(f"uuid_park {channel_id}")
        remaining = tuple(m for m in state.members if m != channel_id)
        self.bridges[bridge_id] = attrs.evolve(state, members=remaining)
        self.events.append(BridgeLeft(bridge_id=bridge_id, channel_id=channel_id))

    def remove(self, bridge_id: str, channel_id: str) -> None:
        state = self.bridges.get(bridge_id)
        if state is None:
            raise CommandRejected(RejectReason.NO_SUCH_BRIDGE, bridge_id)
        if channel_id not in state.members:
            raise CommandRejected(RejectReason.NO_SUCH_CHANNEL, f"{channel_id} not in {bridge_id}")
        # A leg alone in a bridge is parked already; only a shared one must move.
        self._leave(bridge_id, channel_id, park=len(state.members) > 1)

    def destroy(self, bridge_id: str) -> None:
        state = self.bridges.get(bridge_id)
        if state is None:
            raise CommandRejected(RejectReason.NO_SUCH_BRIDGE, bridge_id)
        for member in state.members:
            self._leave(bridge_id, member, park=len(state.members) > 1)
        del self.bridges[bridge_id]
        self.events.append(BridgeDestroyed(bridge_id=bridge_id))

    def start_music(self, command: StartMusic) -> None:
        target = command.target
        if target.channel_id is not None:
            uri = self._music_uri(command.music_class)
            self.commands.append(f"uuid_broadcast {target.channel_id} {uri} aleg")
            return
        assert target.bridge_id is not None
        bridge_id = _checked(target.bridge_id)
        state = self.bridges.get(bridge_id, BridgeState())
        if state.music:
            raise CommandRejected(RejectReason.INVALID_STATE, f"music already in {bridge_id}")
        if len(state.members) == 1:
            uri = self._music_uri(command.music_class)
            self.commands.append(f"uuid_broadcast {state.members[0]} {uri} aleg")
        elif state.conference:
            name = conference_name(bridge_id)
            self.commands.append(f"conference {name} play {self._music_uri(command.music_class)}")
        elif len(state.members) == 2:
            self._become_conference(
                bridge_id, attrs.evolve(state, music=command.music_class), state.members
            )
            state = attrs.evolve(state, conference=True)
        self.bridges[bridge_id] = attrs.evolve(state, music=command.music_class)

    def stop_music(self, command: StopMusic) -> None:
        target = command.target
        if target.channel_id is not None:
            self.commands.append(f"uuid_break {target.channel_id} all")
            return
        assert target.bridge_id is not None
        state = self.bridges.get(target.bridge_id)
        if state is None or state.music is None:
            raise CommandRejected(RejectReason.INVALID_STATE, f"no music in {target.bridge_id}")
        if state.conference:
            self.commands.append(f"conference {conference_name(target.bridge_id)} stop all")
        elif len(state.members) == 1:
            self.commands.append(f"uuid_break {state.members[0]} all")
        self.bridges[target.bridge_id] = attrs.evolve(state, music=None)
