"""``[fax]``: where faxes go, how long they are kept, how they are sent."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import attrs

from ..config import Config, raise_problems
from ..outbound.campaign_config import CampaignSpec, Window, check_spec, outbound_settings
from ..structure import Problems, StructureError
from .gate import window_spec
from .mail import (
    MAX_ADDRESSES,
    EmailSection,
    EmailSettings,
    addresses,
    check_address,
    email_settings,
)

__all__ = ["FaxSection", "FaxSettings", "fax_settings"]


@attrs.frozen(kw_only=True)
class FaxSection:
    """The table as written in the file."""

    #: Where documents and faxes go, relative to the state directory; laid out by date.
    directory: str = "faxes"
    #: Days a fax is kept (0: for ever); documents are kept until deleted.
    retention_days: float = 0.0
    #: Seconds between two retention sweeps.
    retention_interval: float = 3600.0
    #: Ghostscript device for uploaded PDFs: Group 4 (smaller) or Group 3 (older machines).
    tiff_device: Literal["tiffg4", "tiffg3"] = "tiffg4"
    #: The Ghostscript program.
    ghostscript: str = "gs"
    #: Our station id (TSI/CSI, up to 20 characters) and the default page header.
    station_id: str = ""
    header: str = ""
    #: The number faxes are sent from (callerId) unless ``fax.send`` says otherwise.
    caller_id: str = ""
    #: Further attempts after a busy line, no answer or a failed transfer.
    retries: int = 2
    #: Seconds between attempts to the same number.
    retry_delay: float = 60.0
    #: Faxes sent at once at most (outside lines used).
    max_lines: int = 4
    #: Seconds to ring a fax number.
    ring_timeout: float = 60.0
    #: Bytes of one uploaded document at most.
    max_upload_bytes: int = 20_000_000
    #: Fax numbers (DIDs): calls to these are answered as a fax machine at once;
    #: the value is the mailbox the faxes go to, e.g. ``{ "4008003290" = "orders" }``.
    numbers: dict[str, str] = attrs.field(factory=dict)
    #: Sent faxes are never dialled to a number on the global do-not-call list.
    check_dnc: bool = True
    #: Hours faxes are dialled, in the callee's zone, as campaigns' ``windows``
    #: (none: any time); outside them a fax waits.
    windows: tuple[Window, ...] = ()
    #: The callee's zone when no ``[outbound] zone_prefixes`` prefix matches.
    timezone: str = "UTC"
    #: Local dates (``YYYY-MM-DD``) no fax is dialled.
    holidays: tuple[str, ...] = ()
    #: ``[fax.email]``: the SMTP relay received faxes are forwarded through.
    email: EmailSection | None = None
    #: ``[fax.email_to]``: where received faxes are mailed, by mailbox or fax number
    #: (an address or a list), e.g. ``{ orders = "orders@example.com" }``.
    email_to: dict[str, str | list[str]] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class FaxSettings:
    directory: Path
    retention_days: float
    retention_interval: float
    tiff_device: str
    ghostscript: str
    station_id: str
    header: str
    caller_id: str
    retries: int
    retry_delay: float
    max_lines: int
    ring_timeout: float
    max_upload_bytes: int
    numbers: dict[str, str]
    check_dnc: bool = True
    #: The windows for ``ctid.outbound.windows`` (None: any time).
    windows: CampaignSpec | None = None
    zone_prefixes: dict[str, str] = attrs.field(factory=dict)
    #: The relay (None: no mail is sent).
    email: EmailSettings | None = None
    #: Mailbox or fax number -> the addresses its received faxes are mailed to.
    email_to: dict[str, tuple[str, ...]] = attrs.field(factory=dict)

    def mail_to(self, mailbox: str, number: str) -> tuple[str, ...]:
        """Where a fax received in ``mailbox`` on ``number`` is mailed (each once)."""
        if self.email is None:
            return ()
        found = (*self.email_to.get(mailbox, ()), *self.email_to.get(number, ()))
        return tuple(dict.fromkeys(found))


def fax_settings(config: Config) -> FaxSettings:
    problems = Problems()  # every problem of the table, not only the first
    section = problems.salvage(FaxSection, config.sections.get("fax", {}), "fax")
    with problems.check():
        spec = window_spec(section.windows, section.timezone, section.holidays)
        if spec is not None:
            check_spec(spec, "fax")
    prefixes: Mapping[str, str] = {}
    # [outbound]'s own problems are its checker's to report.
    with contextlib.suppress(StructureError):
        prefixes = outbound_settings(config.sections.get("outbound")).zone_prefixes
    checks = (
        ("retention_days", section.retention_days >= 0, "must be 0 (keep) or more"),
        ("retention_interval", section.retention_interval > 0, "must be more than 0"),
        ("retries", 0 <= section.retries <= 10, "must be 0 to 10"),
        ("retry_delay", section.retry_delay >= 0, "must be 0 or more"),
        ("max_lines", section.max_lines >= 1, "must be 1 or more"),
        ("ring_timeout", section.ring_timeout > 0, "must be more than 0"),
        ("max_upload_bytes", section.max_upload_bytes > 0, "must be more than 0"),
        ("station_id", len(section.station_id) <= 20, "at most 20 characters (T.30)"),
    )
    for key, ok, problem in checks:
        if not ok:
            problems.add(f"fax.{key}", problem)
    for number, mailbox in section.numbers.items():
        if not number or not mailbox:
            problems.add(f"fax.numbers.{number}", "a number and a mailbox")
    email, email_problems = email_settings(section.email)
    for problem in email_problems:
        key, _, text = problem.partition(": ")
        problems.add(f"fax.email.{key}", text)
    email_to = {}
    for key, value in section.email_to.items():
        found = addresses(value)
        if not 1 <= len(found) <= MAX_ADDRESSES:
            problems.add(f"fax.email_to.{key}", f"1 to {MAX_ADDRESSES} addresses")
        for address in found:
            if not check_address(address):
                problems.add(f"fax.email_to.{key}", f"not an address: {address!r}")
        email_to[key] = found
    if email_to and email is None:
        problems.add("fax.email_to", "needs [fax.email] host (the relay)")
    raise_problems(config.file, problems)
    return FaxSettings(
        directory=config.path(config.server.state_dir) / section.directory,
        retention_days=section.retention_days,
        retention_interval=section.retention_interval,
        tiff_device=section.tiff_device,
        ghostscript=section.ghostscript,
        station_id=section.station_id,
        header=section.header,
        caller_id=section.caller_id,
        retries=section.retries,
        retry_delay=section.retry_delay,
        max_lines=section.max_lines,
        ring_timeout=section.ring_timeout,
        max_upload_bytes=section.max_upload_bytes,
        numbers=dict(section.numbers),
        check_dnc=section.check_dnc,
        windows=spec,
        zone_prefixes=dict(prefixes),
        email=email,
        email_to=email_to,
    )
