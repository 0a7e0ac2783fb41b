"""Reload without restart: every section that can change while calls are up, all or nothing.

``ctid reload`` (SIGHUP) reads the configuration file again and hands it to
``Reloads.reload``:

1. Settings that cannot change in a running daemon (``fixed``: the listen
   address, the switch driver, the database) are compared; a change is
   refused with a message saying a restart is needed, and the rest goes on.
2. Every registered section ``prepare``s the new configuration: it checks it
   against the running daemon and returns its problems and, if none, how it
   applies. Nothing changes in this phase.
3. If any section found a problem, nothing is applied (``ReloadRefused`` lists
   every problem). Otherwise each section applies, in registration order.

A section registers itself from its wiring (``ctid/wiring/``): the ACD
(queues, agents, skills, strategies), the IVR (flows, numbers, routing
rules), tokens, recording policies, voicemail, the file's webhooks; others
plug in the same way (``Reloads.section``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from .config import Config, ConfigError

__all__ = ["Apply", "Prepare", "ReloadRefused", "ReloadReport", "Reloads"]

#: How a checked section applies; returns what changed (for the log and the report).
Apply = Callable[[], Awaitable[Any]]
#: A section's check of the new configuration: its problems, or how it applies.
Prepare = Callable[[Config], Awaitable["list[ConfigError] | Apply"]]


class ReloadRefused(Exception):
    """The new configuration has problems: nothing was changed."""

    def __init__(self, problems: list[ConfigError]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@attrs.frozen(kw_only=True)
class ReloadReport:
    """What a reload did: each section's changes, and the settings it could not change."""

    applied: dict[str, Any]
    refused: list[str]


@attrs.define
class Reloads:
    """The sections that reload, and the settings that need a restart."""

    _sections: list[tuple[str, Prepare]] = attrs.field(factory=list)
    _fixed: list[tuple[str, Callable[[Config], object]]] = attrs.field(factory=list)
    reloads: int = 0

    def section(self, name: str, prepare: Prepare) -> None:
        """Register a section: ``prepare(new)`` returns its problems or its ``Apply``."""
        if any(n == name for n, _ in self._sections):
            raise ValueError(f"reload section {name} registered twice")
        self._sections.append((name, prepare))

    def fixed(self, setting: str, value: Callable[[Config], object]) -> None:
        """A setting only a restart changes: ``value(config)`` is compared old with new."""
        self._fixed.append((setting, value))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._sections]

    def refused(self, old: Config, new: Config) -> list[str]:
        """Messages for the fixed settings ``new`` changes."""
        return [
            f"{setting} changed in {new.file}: it takes effect only after a restart "
            "(the running value stays)"
            for setting, value in self._fixed
            if value(old) != value(new)
        ]

    async def reload(self, old: Config, new: Config) -> ReloadReport:
        """Check every section, then apply them all; ``ReloadRefused`` changes nothing."""
        refused = self.refused(old, new)
        problems: list[ConfigError] = []
        applies: list[tuple[str, Apply]] = []
        for name, prepare in self._sections:
            outcome = await prepare(new)
            if isinstance(outcome, list):
                problems.extend(outcome)
            else:
                applies.append((name, outcome))
        if problems:
            raise ReloadRefused(problems)
        applied = {}
        for name, apply in applies:
            applied[name] = await apply()
        self.reloads += 1
        return ReloadReport(applied=applied, refused=refused)
