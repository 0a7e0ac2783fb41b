"""Faxes mailed through a REAL SMTP server (port 0, a thread), the fax rows in a real
database (SQLite and PostgreSQL): back-off, a relay that fails then recovers, a
restart in between, giving up; the message as received, attachment decoded."""

from __future__ import annotations

import datetime as dt
import io
import re
import smtplib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import trio
from PIL import Image, ImageSequence
from sqlalchemy.engine import Engine

from ctid import faximage
from ctid.blocking import inline
from ctid.clock import WallClock
from ctid.fax import store
from ctid.fax.mail import EmailSettings, MailError, Outgoing, backoff, build, deliver
from ctid.fax.mailer import FaxMailer

from .smtp_server import SmtpServer

ANCHOR = 1_800_000_000.0  # 2027-01-15T08:00:00Z
PAGES = ["Order 4711", "Delivery address", "Terms"]


def settings(port: int, **changes: Any) -> EmailSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "username": "",
        "password_env": "",
        "sender": "fax@example.com",
        "attach": "pdf",
        "ca_file": "",
        "timeout": 10.0,
        "retry_delay": 60.0,
        "retry_max": 600.0,
        "give_up_after": 3600.0,
    }
    values.update(changes)
    return EmailSettings(**values)


def fax_row(clock: WallClock, fax_id: str = "fx-1", **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "fax_id": fax_id,
        "batch_id": None,
        "direction": "in",
        "state": "completed",
        "mailbox": "orders",
        "call_id": "c-1",
        "remote_number": "5551234",
        "local_number": "4008003290",
        "document_ids": [],
        "path": f"in/{fax_id}.tif",
        "pages": 3,
        "total_pages": 3,
        "attempts": 1,
        "max_attempts": 1,
        "result_code": 0,
        "result_text": "OK",
        "remote_station_id": "+1 555 1234",
        "bit_rate": 9600,
        "size_bytes": None,
        "sha256": None,
        "header": "",
        "requested_by": "fax-number",
        "tags": [],
        "created_at": clock.datetime(trio.current_time() - 30),
        "ended_at": clock.datetime(),
        "deleted_at": None,
        "node": "ctid-a",
        "email_to": ["orders@example.com", "boss@example.com"],
        "email_status": "pending",
        "email_attempts": 0,
    }
    row.update(changes)
    return row


@asynccontextmanager
async def mailer_on(
    engine: Engine, directory: Path, clock: WallClock, config: EmailSettings
) -> AsyncIterator[FaxMailer]:
    async def read(fn: Any, *args: Any) -> Any:
        return fn(engine, *args)

    mailer = FaxMailer(
        settings=config,
        read=read,
        directory=directory,
        clock=clock,
        blocking=inline,  # SMTP in the trio thread: MockClock cannot jump meanwhile
        password={"RELAY_PASSWORD": "s3cret"}.get,
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(mailer.run)
        yield mailer
        nursery.cancel_scope.cancel()  # a kill: nothing more is written


def write_fax(directory: Path, fax_id: str = "fx-1") -> bytes:
    data = faximage.make_fax_tiff(PAGES)
    path = directory / "in" / f"{fax_id}.tif"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


async def test_a_relay_that_fails_then_recovers_across_a_restart_gets_the_mail_once(
    engine: Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    clock = WallClock(anchor_wall=ANCHOR, anchor_trio=trio.current_time())
    tiff = write_fax(tmp_path)
    store.insert_fax(engine, fax_row(clock))
    with SmtpServer(mode="tempfail") as smtp:
        config = settings(smtp.port, username="ctid", password_env="RELAY_PASSWORD")
        async with mailer_on(engine, tmp_path, clock, config) as mailer:
            await mailer.wait_idle()
            row = store.get_fax(engine, "fx-1")
            assert row is not None
            assert (row["email_status"], row["email_attempts"]) == ("pending", 1)
            assert row["email_error"] == "the relay answered 451 4.3.0 try again later"
            assert row["emailed_at"] is None
            # The relay goes down: the second attempt, 60 s later, meets a 421.
            smtp.mode = "down"
            await trio.sleep(60)
            await mailer.wait_idle()
            row = store.get_fax(engine, "fx-1")
            assert row is not None
            assert (row["email_status"], row["email_attempts"]) == ("pending", 2)
            assert row["email_error"] == "the relay answered 421 4.3.2 relay.test out of service"
            assert (mailer.sent_total, mailer.retried_total, mailer.failed_total) == (0, 2, 0)
            # kill -9 while the next attempt (120 s later) waits.
        assert smtp.sessions == ["tempfail", "down"]
        await trio.sleep(30)
        smtp.mode = "ok"
        async with mailer_on(engine, tmp_path, clock, config) as mailer:
            # A restart tries what is pending at once.
            await mailer.wait_idle()
            assert mailer.sent_total == 1
        sent_at = clock.datetime()
        # Once taken, never again: another start finds nothing to send.
        async with mailer_on(engine, tmp_path, clock, config) as mailer:
            await mailer.wait_idle()
            await trio.sleep(3600)
            await mailer.wait_idle()
            assert mailer.sent_total == 0
    assert smtp.sessions == ["tempfail", "down", "ok"]
    [got] = smtp.received
    row = store.get_fax(engine, "fx-1")
    assert row is not None
    assert (row["email_status"], row["email_attempts"], row["email_error"]) == ("sent", 3, None)
    assert row["emailed_at"] == sent_at
    assert (got.sender, got.recipients) == ("fax@example.com", row["email_to"])
    assert got.login == ("ctid", "s3cret")
    msg = got.message
    assert msg["Subject"] == "Fax from 5551234, 3 pages"
    assert msg["From"] == "fax@example.com"
    assert msg["To"] == "orders@example.com, boss@example.com"
    assert msg["Message-ID"] == "<fax.fx-1@example.com>"
    assert msg["X-Ctid-Fax-ID"] == "fx-1"
    assert msg["Date"].datetime == sent_at.replace(microsecond=0)
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().splitlines() == [
        "A fax from 5551234 to 4008003290 (mailbox orders).",
        "",
        "Caller:   5551234",
        "Time:     2027-01-15 08:00:00 UTC",
        "Pages:    3",
        "Result:   OK (0)",
        "Station:  +1 555 1234",
        "Fax ID:   fx-1",
    ]
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "fax-fx-1.pdf"
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF-") and pdf_pages(pdf) == 3
    assert pdf_pages(faximage.tiff_to_pdf(tiff)) == 3


async def test_a_tiff_attachment_is_the_received_image_byte_for_byte(
    engine: Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    clock = WallClock(anchor_wall=ANCHOR, anchor_trio=trio.current_time())
    tiff = write_fax(tmp_path)
    store.insert_fax(engine, fax_row(clock, email_to=["orders@example.com"]))
    with SmtpServer() as smtp:
        async with mailer_on(engine, tmp_path, clock, settings(smtp.port, attach="tiff")) as m:
            await m.wait_idle()
    [got] = smtp.received
    [attachment] = list(got.message.iter_attachments())
    assert attachment.get_content_type() == "image/tiff"
    assert attachment.get_filename() == "fax-fx-1.tif"
    data = attachment.get_content()
    assert data == tiff
    with Image.open(io.BytesIO(data)) as image:
        frames = list(ImageSequence.Iterator(image))
        assert len(frames) == 3
        assert frames[0].size == (1728, 2292) and frames[0].info["dpi"] == (204, 196)
    assert got.login is None


async def test_a_mail_never_taken_is_given_up_after_give_up_after(
    engine: Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    clock = WallClock(anchor_wall=ANCHOR, anchor_trio=trio.current_time())
    write_fax(tmp_path)
    store.insert_fax(engine, fax_row(clock))
    given_up: list[dict[str, Any]] = []
    with SmtpServer(mode="tempfail") as smtp:
        async with mailer_on(engine, tmp_path, clock, settings(smtp.port)) as mailer:
            done = trio.Event()

            def gave_up(row: dict[str, Any]) -> None:
                given_up.append(row)
                done.set()

            mailer.on_given_up = gave_up
            start = trio.current_time()
            await done.wait()
            waited = trio.current_time() - start
            await trio.sleep(7200)
    # Attempts at 0, 60, 180, 420, 900, 1500, 2100, 2700, 3300 and the last at 3600 s.
    assert len(smtp.sessions) == 10
    assert waited == 3600
    assert (mailer.sent_total, mailer.retried_total, mailer.failed_total) == (0, 9, 1)
    row = store.get_fax(engine, "fx-1")
    assert row is not None
    assert (row["email_status"], row["email_attempts"]) == ("failed", 10)
    assert row["email_error"] == "the relay answered 451 4.3.0 try again later"
    assert [r["fax_id"] for r in given_up] == ["fx-1"]
    assert store.email_pending(engine) == []


def no_password(name: str) -> str | None:
    return None


def test_back_off_doubles_up_to_retry_max() -> None:
    config = settings(25)
    assert [backoff(config, n) for n in range(1, 8)] == [60, 120, 240, 480, 600, 600, 600]


async def test_a_sent_fax_mail_says_how_it_ended_and_a_relay_not_listening_is_an_error(
    tmp_path: Path,
) -> None:
    clock = WallClock(anchor_wall=ANCHOR, anchor_trio=trio.current_time())
    row = fax_row(
        clock,
        direction="out",
        state="failed",
        pages=1,
        attempts=3,
        max_attempts=3,
        result_code=None,
        result_text="not reached: busy",
        remote_station_id="",
        email_to=["me@example.com"],
    )
    when = dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC)
    out = build(row, settings=settings(25), image=None, now=when)
    assert out.recipients == ("me@example.com",)
    assert out.message["Subject"] == "Fax to 5551234 failed, 1 page"
    assert out.message.get_content().splitlines() == [
        "The fax to 5551234 failed (from 4008003290).",
        "",
        "Number:   5551234",
        "Attempts: 3 of 3",
        "Time:     2027-01-15 08:00:00 UTC",
        "Pages:    1",
        "Result:   not reached: busy",
        "Fax ID:   fx-1",
        "",
        "There is no image to attach.",
    ]
    # A port nobody listens on (bound, then closed).
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(MailError, match=rf"^127\.0\.0\.1:{port}: .*[Cc]onnection refused"):
        deliver(out, settings(port), no_password)
    with pytest.raises(MailError, match=r"^the environment variable RELAY_PASSWORD is not set$"):
        deliver(out, settings(port, username="u", password_env="RELAY_PASSWORD"), no_password)
    assert isinstance(out, Outgoing) and smtplib.SMTP_PORT == 25


async def test_a_mail_taken_whose_sent_cannot_be_written_is_not_sent_again(
    engine: Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    """The database refuses the row's ``sent`` once: the write is tried again, the
    relay does not get the mail twice."""
    clock = WallClock(anchor_wall=ANCHOR, anchor_trio=trio.current_time())
    write_fax(tmp_path)
    store.insert_fax(engine, fax_row(clock))
    refused: list[dict[str, Any]] = []

    async def read(fn: Any, *args: Any) -> Any:
        if fn is store.update_fax and args[1].get("email_status") == "sent" and not refused:
            refused.append(args[1])
            raise OSError("database is down")
        return fn(engine, *args)

    with SmtpServer() as smtp:
        mailer = FaxMailer(
            settings=settings(smtp.port),
            read=read,
            directory=tmp_path,
            clock=clock,
            blocking=inline,
        )
        async with trio.open_nursery() as nursery:
            await nursery.start(mailer.run)
            await mailer.wait_idle()  # the next pass writes it again
            await trio.sleep(3600)
            await mailer.wait_idle()
            nursery.cancel_scope.cancel()
    assert len(smtp.received) == 1 and len(refused) == 1
    row = store.get_fax(engine, "fx-1")
    assert row is not None
    assert (row["email_status"], row["email_attempts"]) == ("sent", 1)
    assert row["emailed_at"] == refused[0]["emailed_at"]
