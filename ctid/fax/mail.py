"""Faxes forwarded by e-mail: the ``[fax.email]`` relay, the message, one SMTP hand-over.

Pure but for ``deliver`` (blocking: ``smtplib`` in a worker thread, see
``mailer.py``). The standard library does the whole job: ``EmailMessage`` builds
the MIME message with its attachment, ``smtplib`` speaks SMTP with STARTTLS or
TLS and AUTH; a third-party client would add a dependency for nothing more.

A message has a ``Message-ID`` made from the fax id, so the rare mail sent twice
(ctid killed after the relay took it and before the fax's row said so) is one
message to mail clients that de-duplicate.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Final, Literal

import attrs

from ..structure import KEY

__all__ = [
    "EmailSection",
    "EmailSettings",
    "MailError",
    "Outgoing",
    "backoff",
    "build",
    "check_address",
    "deliver",
    "email_settings",
]

#: An address as ctid takes it: ``local@domain``, no display name, no spaces.
_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
#: An environment variable's name (as webhooks' ``secret_env``).
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Addresses one fax is mailed to at most.
MAX_ADDRESSES: Final = 20


class MailError(Exception):
    """The relay could not be reached or refused the message; ``str`` says why."""


@attrs.frozen(kw_only=True)
class EmailSection:
    """``[fax.email]`` as written in the file."""

    #: The SMTP relay; empty: no mail is sent.
    host: str = ""
    #: 587 for ``starttls``, 465 for ``tls``, 25 for ``none``, unless given.
    port: int = 0
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    #: The environment variable holding the password (never the password itself).
    password_env: str = ""
    from_: str = attrs.field(default="", metadata={KEY: "from"})
    #: What the fax is attached as.
    attach: Literal["pdf", "tiff"] = "pdf"
    #: A PEM file of the CA that signed the relay's certificate (default: the system's).
    ca_file: str = ""
    #: Seconds one SMTP conversation may take.
    timeout: float = 30.0
    #: Seconds before the second attempt; doubled each time up to ``retry_max``.
    retry_delay: float = 60.0
    retry_max: float = 3600.0
    #: Seconds after the fax ended past which a mail not taken is given up.
    give_up_after: float = 86400.0


@attrs.frozen(kw_only=True)
class EmailSettings:
    host: str
    port: int
    security: str
    username: str
    password_env: str
    sender: str
    attach: str
    ca_file: str
    timeout: float
    retry_delay: float
    retry_max: float
    give_up_after: float


def check_address(address: str) -> bool:
    """Whether ``address`` is one ctid mails to (``local@domain.tld``, 254 characters)."""
    return len(address) <= 254 and _ADDRESS.fullmatch(address) is not None


def email_settings(section: EmailSection | None) -> tuple[EmailSettings | None, list[str]]:
    """The relay's settings (None: no ``host``) and the problems, as ``(key, problem)``
    strings ``"key: problem"``."""
    if section is None or not section.host:
        return None, []
    problems = []
    if not check_address(section.from_):
        problems.append("from: an address (name@example.com) is needed")
    if not 0 <= section.port <= 65535:
        problems.append("port: 1 to 65535 (0: the security's usual port)")
    if section.password_env and not _ENV.fullmatch(section.password_env):
        problems.append("password_env: the name of an environment variable")
    if section.username and not section.password_env:
        problems.append("password_env: needed with username (the variable with the password)")
    for key, value in (
        ("timeout", section.timeout),
        ("retry_delay", section.retry_delay),
        ("retry_max", section.retry_max),
        ("give_up_after", section.give_up_after),
    ):
        if value <= 0:
            problems.append(f"{key}: must be more than 0")
    default_port = {"starttls": 587, "tls": 465, "none": 25}[section.security]
    settings = EmailSettings(
        host=section.host,
        port=section.port or default_port,
        security=section.security,
        username=section.username,
        password_env=section.password_env,
        sender=section.from_,
        attach=section.attach,
        ca_file=section.ca_file,
        timeout=section.timeout,
        retry_delay=section.retry_delay,
        retry_max=section.retry_max,
        give_up_after=section.give_up_after,
    )
    return settings, problems


def addresses(value: str | Sequence[str]) -> tuple[str, ...]:
    """One address or a list, as a tuple."""
    return (value,) if isinstance(value, str) else tuple(value)


def backoff(settings: EmailSettings, attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed attempts."""
    return float(min(settings.retry_max, settings.retry_delay * 2 ** max(0, attempts - 1)))


@attrs.frozen(kw_only=True)
class Outgoing:
    """One mail ready for the relay."""

    recipients: tuple[str, ...]
    message: EmailMessage


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def build(
    row: Mapping[str, Any],
    *,
    settings: EmailSettings,
    image: bytes | None,
    now: dt.datetime,
) -> Outgoing:
    """The mail of a finished fax (its row, ``store.get_fax``) with its image attached
    (``image``: the PDF or TIFF bytes as ``settings.attach`` says; None: no image)."""
    fax_id = row["fax_id"]
    pages = row["pages"] or 0
    remote = row["remote_number"]
    local = row["local_number"] or "-"
    code, text = row["result_code"], row["result_text"] or ""
    result = f"{text} ({code})" if code is not None else (text or row["state"])
    plural = "page" if pages == 1 else "pages"
    if row["direction"] == "in":
        subject = f"Fax from {remote}, {pages} {plural}"
        lines = [
            f"A fax from {remote} to {local} (mailbox {row['mailbox']}).",
            "",
            f"Caller:   {remote}",
        ]
    else:
        outcome = "sent" if row["state"] == "completed" else row["state"]
        subject = f"Fax to {remote} {outcome}, {pages} {plural}"
        verb = outcome if outcome == "failed" else f"was {outcome}"
        lines = [
            f"The fax to {remote} {verb} (from {local}).",
            "",
            f"Number:   {remote}",
            f"Attempts: {row['attempts']} of {row['max_attempts']}",
        ]
    lines += [
        f"Time:     {_when(row['ended_at'] or row['created_at'])}",
        f"Pages:    {pages}",
        f"Result:   {result}",
    ]
    if row["remote_station_id"]:
        lines.append(f"Station:  {row['remote_station_id']}")
    lines.append(f"Fax ID:   {fax_id}")
    if image is None:
        lines += ["", "There is no image to attach."]
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.sender
    msg["To"] = ", ".join(row["email_to"])
    msg["Date"] = format_datetime(now)
    domain = settings.sender.rpartition("@")[2]
    msg["Message-ID"] = f"<fax.{fax_id}@{domain}>"
    msg["X-Ctid-Fax-ID"] = fax_id
    msg.set_content("\n".join(lines) + "\n")
    if image is not None:
        if settings.attach == "pdf":
            msg.add_attachment(
                image, maintype="application", subtype="pdf", filename=f"fax-{fax_id}.pdf"
            )
        else:
            msg.add_attachment(
                image, maintype="image", subtype="tiff", filename=f"fax-{fax_id}.tif"
            )
    return Outgoing(recipients=tuple(row["email_to"]), message=msg)


def deliver(
    outgoing: Outgoing, settings: EmailSettings, password: Callable[[str], str | None]
) -> None:
    """Hand one mail to the relay; raises ``MailError``. Blocking (a worker thread)."""
    context = ssl.create_default_context(cafile=settings.ca_file or None)
    secret = None
    if settings.password_env:
        secret = password(settings.password_env)
        if secret is None:
            raise MailError(f"the environment variable {settings.password_env} is not set")
    try:
        smtp: smtplib.SMTP
        if settings.security == "tls":
            smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if settings.username and secret is not None:
                smtp.login(settings.username, secret)
            refused = smtp.send_message(
                outgoing.message, from_addr=settings.sender, to_addrs=list(outgoing.recipients)
            )
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise MailError(f"the relay answered {exc.smtp_code} {text}".strip()) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(
            f"every recipient was refused: {', '.join(sorted(exc.recipients))}"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{settings.host}:{settings.port}: {exc or type(exc).__name__}") from None
    # Some recipients refused, the others taken (``refused``): taken it is, as another
    # attempt would mail the others twice.
    del refused
