"""The fake Asterisk's objects as ARI's JSON models, its timestamps, and the file
a finished recording leaves (a mixin of ``AriSwitch``)."""

from __future__ import annotations

import datetime as _dt
import wave
from pathlib import Path

import trio

from ctid.testing._fake_ari_objects import _ANCHOR, JSON, _Bridge, _Channel, _Playback, _Recording

__all__ = ["AriJson"]


class AriJson:
    """``AriSwitch``'s renderings of its objects; the settings they read are its own."""

    #: ari.conf's ``channelvars`` (see ``AriSwitch``).
    channelvars: tuple[str, ...]
    #: Asterisk's recording directory (see ``AriSwitch``).
    recording_dir: str | None

    def timestamp(self) -> str:
        moment = _ANCHOR + _dt.timedelta(seconds=trio.current_time())
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"

    def channel_json(self, c: _Channel) -> JSON:
        return {
            "id": c.id,
            "name": c.name,
            "state": c.state,
            "protocol_id": f"proto-{c.id}",
            "caller": dict(c.caller),
            "connected": dict(c.connected),
            "accountcode": "",
            "dialplan": dict(c.dialplan),
            "creationtime": self._stamp(c.created),
            "language": "en",
            **(
                {"channelvars": {name: c.variables.get(name, "") for name in self.channelvars}}
                if self.channelvars
                else {}
            ),
        }

    def bridge_json(self, b: _Bridge) -> JSON:
        return {
            "id": b.id,
            "technology": b.technology,
            "bridge_type": b.bridge_type,
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": b.name,
            "channels": list(b.channels),
            "creationtime": self._stamp(b.created),
            "video_mode": "talker",
        }

    def playback_json(self, p: _Playback) -> JSON:
        return {
            "id": p.id,
            "media_uri": p.media[0],
            "target_uri": p.target_uri,
            "language": p.language,
            "state": p.state,
        }

    def _write_recording(self, r: _Recording) -> None:
        """The file of a finished recording: silence for as long as it ran (8 kHz, 16 bit)."""
        assert self.recording_dir is not None
        path = Path(self.recording_dir) / f"{r.name}.{r.format}"
        path.parent.mkdir(parents=True, exist_ok=True)  # Asterisk makes the directories
        frames = round((trio.current_time() - r.started) * 8000)
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(bytes(2 * frames))

    def recording_json(self, r: _Recording) -> JSON:
        out: JSON = {
            "name": r.name,
            "format": r.format,
            "target_uri": r.target_uri,
            "state": r.state,
        }
        if r.state in ("done", "failed", "canceled"):
            # Whole seconds, as Asterisk reports them (rounded first: float noise).
            out["duration"] = int(round(trio.current_time() - r.started, 6))
        return out

    def _stamp(self, t: float) -> str:
        moment = _ANCHOR + _dt.timedelta(seconds=t)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
