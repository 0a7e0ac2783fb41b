"""``[recording]``: which calls are recorded, where the files go, how long they are kept."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import attrs

from ..config import Config, raise_problems
from ..structure import Problems
from .policy import RecordingPolicy, Retention

__all__ = ["RecordingSection", "RecordingSettings", "recording_section", "recording_settings"]


@attrs.frozen(kw_only=True)
class RecordingSection:
    """The table as written in the file."""

    #: ``none``: only calls someone asks to record (``recording.start``); ``all``: every
    #: call a person answers.
    record: Literal["none", "all"] = "none"
    #: Record every call answered from these queues.
    queues: list[str] = attrs.field(factory=list)
    #: Record every call these agents (ACD agent ids) answer.
    agents: list[str] = attrs.field(factory=list)
    #: Where the files go, relative to the state directory; laid out by date.
    directory: str = "recordings"
    #: What the switch writes (the simulator writes ``wav``).
    format: str = "wav"
    #: Days a recording is kept (0: for ever), unless its queue says otherwise.
    retention_days: float = 0.0
    #: Days per queue, e.g. ``{ sales = 30, support = 365 }``.
    retention: dict[str, float] = attrs.field(factory=dict)
    #: Seconds between two retention sweeps.
    retention_interval: float = 3600.0


@attrs.frozen(kw_only=True)
class RecordingSettings:
    policy: RecordingPolicy
    retention: Retention
    directory: Path
    format: str
    retention_interval: float


def recording_section(config: Config) -> RecordingSection:
    problems = Problems()  # every problem of the table, not only the first
    data = config.sections.get("recording", {})
    section = problems.salvage(RecordingSection, data, "recording")
    if section.retention_days < 0:
        problems.add("recording.retention_days", "must be 0 (keep) or more")
    for queue, days in section.retention.items():
        if days <= 0:
            problems.add(f"recording.retention.{queue}", "must be more than 0")
    if section.retention_interval <= 0:
        problems.add("recording.retention_interval", "must be more than 0")
    if not section.format.isalnum():
        problems.add("recording.format", "expected a file extension like wav")
    raise_problems(config.file, problems)
    return section


def recording_settings(config: Config) -> RecordingSettings:
    section = recording_section(config)
    per_queue: Mapping[str, float] = dict(section.retention)
    return RecordingSettings(
        policy=RecordingPolicy(
            record_all=section.record == "all",
            queues=frozenset(section.queues),
            agents=frozenset(section.agents),
        ),
        retention=Retention(default_days=section.retention_days or None, per_queue=per_queue),
        directory=config.path(config.server.state_dir) / section.directory,
        format=section.format,
        retention_interval=section.retention_interval,
    )
