"""The ARI mapper's resynchronization: ``GET /channels`` and ``GET /bridges`` in,
``Resynchronized`` out, the model rebased on them (a mixin of ``AriMapper``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ctid.switch_drivers.asterisk.model import _STATES, JSON, _Bridge, _Channel, _Expected
from ctid.switch_drivers.asterisk.names import ORIGIN_VARIABLE, ORIGINATE_ARG, SUPERVISION_BRIDGE
from ctid.switch_drivers.base import BridgeInfo, ChannelInfo, ChannelState, Resynchronized

__all__ = ["Resync"]


class Resync:
    """``AriMapper.resync``; the state it reads and rebases is ``AriMapper``'s."""

    _app: str
    _channels: dict[str, _Channel]
    _bridges: dict[str, _Bridge]
    _expected: dict[str, _Expected]
    _internal_channels: set[str]
    _internal_bridges: set[str]

    if TYPE_CHECKING:

        def _describe(self, ch: JSON, args: Sequence[str] = ()) -> _Channel | None: ...

    def resync(self, channels: Iterable[JSON], bridges: Iterable[JSON]) -> Resynchronized:
        """Rebase the model on ``GET /channels`` and ``GET /bridges``; report it.

        Kept: channels ctid knew or originated, channels in this app's Stasis,
        and channels in Stasis bridges; what the model knew of them (device,
        direction, hold) survives. Channels that are gone are dropped.
        """
        bridge_list = [b for b in bridges if b.get("bridge_class") == "stasis"]
        self._internal_bridges.update(
            b["id"] for b in bridge_list if str(b["id"]).startswith(SUPERVISION_BRIDGE)
        )
        member_of = {
            cid: b["id"]
            for b in bridge_list
            if b["id"] not in self._internal_bridges
            for cid in b.get("channels", [])
        }
        old = self._channels
        self._channels = {}
        infos: list[ChannelInfo] = []
        live_ids = set()
        for ch in channels:
            cid = ch["id"]
            live_ids.add(cid)
            args = _stasis_args(ch, self._app)
            ringing_ours = (
                args is None
                and cid not in old
                and (ch.get("channelvars") or {}).get(ORIGIN_VARIABLE) == self._app
            )
            if ringing_ours:
                # Originated by a previous ctid, still ringing: it enters Stasis on answer.
                args = [ORIGINATE_ARG]
            relevant = cid in old or cid in self._expected or args is not None or cid in member_of
            if not relevant:
                continue
            # Snapshot channels are reported in the snapshot, not as creations.
            channel = old.get(cid) or self._describe(ch, args or ())
            if channel is None:
                continue
            channel.state = _STATES.get(ch.get("state", ""), channel.state)
            channel.in_stasis = args is not None and not ringing_ours
            channel.awaits_stasis = channel.awaits_stasis or ringing_ours
            channel.answered = channel.answered or channel.state is ChannelState.UP
            channel.alerted = channel.alerted or ch.get("state") == "Ringing"
            channel.bridge_id = member_of.get(cid)
            self._channels[cid] = channel
            infos.append(
                ChannelInfo(
                    channel_id=cid,
                    kind=channel.kind,
                    device=channel.device,
                    direction=channel.direction,
                    state=channel.state,
                    caller_number=channel.caller_number,
                    called_number=channel.called_number,
                    trunk=channel.trunk,
                    bridge_id=channel.bridge_id,
                    held=channel.held,
                    created=_creation_time(ch),
                )
            )
        self._internal_channels &= live_ids
        old_bridges = self._bridges
        self._bridges = {}
        bridge_infos: list[BridgeInfo] = []
        for b in bridge_list:
            if b["id"] in self._internal_bridges:
                self._bridges[b["id"]] = _Bridge(set(b.get("channels", [])))
                continue
            members = tuple(c for c in b.get("channels", []) if c in self._channels)
            music = old_bridges[b["id"]].music if b["id"] in old_bridges else False
            self._bridges[b["id"]] = _Bridge(set(members), music)
            bridge_infos.append(BridgeInfo(bridge_id=b["id"], channel_ids=members, music=music))
        self._internal_bridges &= set(self._bridges)
        return Resynchronized(channels=tuple(infos), bridges=tuple(bridge_infos))


def _stasis_args(ch: JSON, app: str) -> list[str] | None:
    """The Stasis arguments if the channel is in ``app`` now, else ``None``."""
    dialplan = ch.get("dialplan") or {}
    if dialplan.get("app_name") != "Stasis":
        return None
    parts = str(dialplan.get("app_data", "")).split(",")
    if parts[0] != app:
        return None
    return parts[1:]


def _creation_time(channel: JSON) -> float | None:
    """ARI's ``creationtime`` ("2026-11-22T05:31:28.825+0000") in epoch seconds."""
    try:
        stamp = dt.datetime.strptime(channel["creationtime"], "%Y-%m-%dT%H:%M:%S.%f%z")
    except (KeyError, TypeError, ValueError):
        return None
    return stamp.timestamp()
