"""Faxes mailed by the daemon on the simulator: a fax number's reception, fax.send's
emailTo, the node of each fax; the mail taken by a REAL SMTP server (port 0)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import trio

from ctid import faximage
from ctid.config import ConfigError
from ctid.fax.config import fax_settings
from ctid.fax.mailer import FaxMailer
from ctid.testing import RpcErrorReply, sim_config

from ..records.test_metrics import get, parse, scraper, value
from .smtp_server import SmtpServer
from .test_fax_send import centre, service, upload

NODE = "ctid-a"


def email(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "email": {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "from": "fax@example.com",
            **extra,
        },
        "email_to": {"orders": "orders@example.com", "4008003290": ["desk@example.com"]},
        "numbers": {"4008003290": "orders", "4008003291": "sales"},
    }


def mailer_of(cc: Any) -> FaxMailer:
    mailer = service(cc).mailer
    assert isinstance(mailer, FaxMailer)
    return mailer


async def test_a_received_fax_is_mailed_with_its_pdf_and_the_row_says_so(
    tmp_path: Path, autojump_clock: trio.abc.Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SmtpServer() as smtp:
        async with centre(tmp_path, **email(smtp.port)) as (cc, admin):
            cc.app.api.services["records"].node = NODE
            await admin.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
            await admin.call(
                "sim.incomingCall", {"callingNumber": "5554443290", "calledNumber": "4008003290"}
            )
            received = await admin.event("fax.received")
            fax_id = received["faxID"]
            # Faxes to a number with no address are filed and not mailed.
            await admin.call(
                "sim.incomingCall", {"callingNumber": "5554453290", "calledNumber": "4008003291"}
            )
            other = await admin.event("fax.received", mailbox="sales")
            await service(cc).wait_idle()
            await mailer_of(cc).wait_idle()
            row = await admin.call("fax.get", {"faxID": fax_id})
            status, text = await get(scraper(cc), "/metrics")
            samples = parse(text)
            sales = await admin.call("fax.get", {"faxID": other["faxID"]})
            pending = await admin.call("fax.search", {"emailStatus": "pending"})
            sent = await admin.call("fax.search", {"emailStatus": "sent"})
            with pytest.raises(RpcErrorReply) as bad:
                await admin.call("fax.search", {"emailStatus": "lost"})
    assert bad.value.code == -32602
    assert row["node"] == NODE and sales["node"] == NODE
    assert row["emailTo"] == ["orders@example.com", "desk@example.com"]
    assert (row["emailStatus"], row["emailAttempts"], row["emailError"]) == ("sent", 1, None)
    assert row["emailedAt"] is not None and row["emailedAt"] >= row["endedAt"]
    assert (sales["emailTo"], sales["emailStatus"], sales["emailedAt"]) == (None, None, None)
    assert pending["faxes"] == [] and [f["faxID"] for f in sent["faxes"]] == [fax_id]
    assert status == 200 and value(samples, "ctid_fax_emails_total", result="sent") == 1
    assert value(samples, "ctid_fax_emails_total", result="failed") == 0
    [got] = smtp.received
    assert got.recipients == ["orders@example.com", "desk@example.com"]
    msg = got.message
    assert msg["Subject"] == "Fax from 5554443290, 3 pages"
    assert msg["Message-ID"] == f"<fax.{fax_id}@example.com>"
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    text_lines = body.get_content().splitlines()
    assert text_lines[0] == "A fax from 5554443290 to 4008003290 (mailbox orders)."
    assert "Pages:    3" in text_lines and "Result:   OK (0)" in text_lines
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    pdf = attachment.get_content()
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 3
    # The PDF is the one the download route makes of the same TIFF.
    tiff = (service(cc).directory / row_path(cc, tmp_path, fax_id)).read_bytes()
    assert len(faximage.tiff_info(tiff).page_bytes) == 3


def row_path(cc: Any, tmp_path: Path, fax_id: str) -> str:
    from ctid.fax import store
    from ctid.records import db

    engine = db.make_engine(db.sqlite_url(tmp_path / "ctid.db"))
    try:
        row = store.get_fax(engine, fax_id)
    finally:
        engine.dispose()
    assert row is not None and row["path"] is not None
    path: str = row["path"]
    return path


async def test_fax_send_mails_each_result_to_email_to(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    with SmtpServer() as smtp:
        async with centre(tmp_path, retries=0, **email(smtp.port, attach="tiff")) as (cc, admin):
            await upload(cc, faximage.make_fax_tiff(["Price list", "Terms"]), name="prices")
            batch = await admin.call(
                "fax.send",
                {
                    "to": ["5553290", "5550486"],
                    "documents": ["prices"],
                    "emailTo": "me@example.com",
                },
            )
            await service(cc).wait_idle()
            await mailer_of(cc).wait_idle()
            rows = {
                f["to"]: await admin.call("fax.get", {"faxID": f["faxID"]}) for f in batch["faxes"]
            }
    ok, busy = rows["5553290"], rows["5550486"]
    assert (ok["state"], busy["state"]) == ("completed", "failed")
    for row in (ok, busy):
        assert (row["emailTo"], row["emailStatus"]) == (["me@example.com"], "sent")
    mails = {m.message["X-Ctid-Fax-ID"]: m for m in smtp.received}
    assert set(mails) == {ok["faxID"], busy["faxID"]}
    assert mails[ok["faxID"]].message["Subject"] == "Fax to 5553290 sent, 2 pages"
    assert mails[busy["faxID"]].message["Subject"] == "Fax to 5550486 failed, 0 pages"
    [image] = list(mails[ok["faxID"]].message.iter_attachments())
    assert image.get_content_type() == "image/tiff"
    assert len(faximage.tiff_info(image.get_content()).page_bytes) == 2


async def test_email_to_without_a_relay_and_bad_addresses_are_refused(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path) as (cc, admin):
        await upload(cc, faximage.make_fax_tiff(["x"]), name="doc")
        with pytest.raises(RpcErrorReply) as no_relay:
            await admin.call(
                "fax.send", {"to": "5553290", "documents": ["doc"], "emailTo": "a@b.example"}
            )
        with pytest.raises(RpcErrorReply) as bad:
            await admin.call(
                "fax.send", {"to": "5553290", "documents": ["doc"], "emailTo": ["nobody"]}
            )
        found = await admin.call("fax.search", {})
    assert no_relay.value.code == -32006
    assert no_relay.value.data == {"reason": "no-email-relay"}
    assert bad.value.code == -32602 and "not an address: 'nobody'" in bad.value.message
    assert found["faxes"] == []  # nothing was queued


@pytest.mark.parametrize(
    ("fax", "key", "problem"),
    [
        ({"email": {"host": "relay"}}, "fax.email.from", "an address (name@example.com) is needed"),
        (
            {"email": {"host": "relay", "from": "f@example.com", "username": "u"}},
            "fax.email.password_env",
            "needed with username (the variable with the password)",
        ),
        (
            {"email": {"host": "relay", "from": "f@example.com", "password_env": "1X"}},
            "fax.email.password_env",
            "the name of an environment variable",
        ),
        (
            {"email_to": {"orders": "o@example.com"}},
            "fax.email_to",
            "needs [fax.email] host (the relay)",
        ),
        (
            {"email": {"host": "relay", "from": "f@example.com"}, "email_to": {"orders": "orders"}},
            "fax.email_to.orders",
            "not an address: 'orders'",
        ),
    ],
)
def test_bad_email_settings_name_the_key(fax: dict[str, Any], key: str, problem: str) -> None:
    config = sim_config({"records": {"enabled": True}, "fax": fax})
    with pytest.raises(ConfigError) as caught:
        fax_settings(config)
    assert caught.value.key == key and caught.value.problem == problem


def test_email_settings_and_usual_ports() -> None:
    base = {"host": "relay.example.com", "from": "fax@example.com"}
    for security, port in (("starttls", 587), ("tls", 465), ("none", 25)):
        config = sim_config({"fax": {"email": {**base, "security": security}}})
        settings = fax_settings(config).email
        assert settings is not None and (settings.port, settings.security) == (port, security)
    config = sim_config(
        {
            "fax": {
                "email": {**base, "port": 2525},
                "email_to": {"orders": ["a@x.example", "a@x.example"]},
            }
        }
    )
    settings_all = fax_settings(config)
    assert settings_all.email is not None and settings_all.email.port == 2525
    assert settings_all.email.attach == "pdf" and settings_all.email.give_up_after == 86400.0
    assert settings_all.mail_to("orders", "4008003290") == ("a@x.example",)
    assert fax_settings(sim_config({"fax": {}})).email is None
