"""``[voicemail]``: where messages live, how long they are kept, named number boxes."""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from ..config import Config, raise_problems
from ..structure import Problems

__all__ = [
    "MAILBOX",
    "MailboxSection",
    "VoicemailSection",
    "VoicemailSettings",
    "voicemail_settings",
]

#: A mailbox id: every queue and every agent has one; a number has one when a route or a
#: flow sends callers to it (``[[voicemail.mailboxes]]`` gives it a name and lamps).
MAILBOX = re.compile(r"(queue|agent|number):(.+)")


@attrs.frozen(kw_only=True)
class MailboxSection:
    """A number's mailbox (e.g. a front desk's DID), named, with its lamps."""

    number: str
    name: str = ""
    #: Phones whose message-waiting lamp shows this mailbox (default: the number itself).
    mwi_devices: list[str] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class VoicemailSection:
    """The table as written in the file."""

    #: Days a message is kept (0: for ever).
    retention_days: float = 0.0
    #: Seconds between two retention sweeps.
    retention_interval: float = 3600.0
    mailboxes: list[MailboxSection] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class VoicemailSettings:
    #: Where the IVR writes messages (``state_dir/voicemail``).
    directory: Path
    retention_days: float
    retention_interval: float
    #: ``number:DN`` -> its configured section.
    numbers: dict[str, MailboxSection]


def voicemail_section(config: Config) -> VoicemailSection:
    problems = Problems()  # every problem of the table, not only the first
    data = config.sections.get("voicemail", {})
    section = problems.salvage(VoicemailSection, data, "voicemail")

    def bad(key: str, problem: str) -> None:
        problems.add(f"voicemail.{key}", problem)

    if section.retention_days < 0:
        bad("retention_days", "must be 0 (keep) or more")
    if section.retention_interval <= 0:
        bad("retention_interval", "must be more than 0")
    seen: set[str] = set()
    for i, box in enumerate(section.mailboxes):
        if not box.number:
            bad(f"mailboxes[{i}].number", "must not be empty")
        elif box.number in seen:
            bad(f"mailboxes[{i}].number", f"{box.number} is listed twice")
        seen.add(box.number)
    raise_problems(config.file, problems)
    return section


def voicemail_settings(config: Config) -> VoicemailSettings:
    section = voicemail_section(config)
    return VoicemailSettings(
        directory=config.path(config.server.state_dir) / "voicemail",
        retention_days=section.retention_days,
        retention_interval=section.retention_interval,
        numbers={f"number:{box.number}": box for box in section.mailboxes},
    )
