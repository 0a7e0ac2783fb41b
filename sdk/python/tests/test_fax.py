"""Fax through the SDK against the real server: upload, send, events, search, cancel,
download (a fax to a busy number fails at once, so no test waits for a transfer)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from ctid_client import FaxEvent, HttpError
from PIL import Image, ImageSequence

from .helpers import DEADLINE, client, next_event
from .server import ServerThread


def fax_tiff(pages: int) -> bytes:
    images = [Image.new("1", (1728, 2292), 1) for _ in range(pages)]
    out = io.BytesIO()
    images[0].save(
        out, format="TIFF", save_all=True, append_images=images[1:], compression="group4",
        dpi=(204, 196),
    )  # fmt: skip
    return out.getvalue()


@pytest.fixture
def fax_server(tmp_path: Path) -> Iterator[ServerThread]:
    overrides = {
        "server": {"state_dir": str(tmp_path)},
        "records": {"enabled": True},
        "fax": {"retries": 1, "retry_delay": 0.5},
    }
    with ServerThread(overrides) as running:
        yield running


async def test_upload_send_events_search_and_download(fax_server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(fax_server) as ctid, ctid.events() as events:
            await ctid.monitor_start(fax="*")
            doc = await ctid.fax_upload(fax_tiff(2), name="terms")
            assert (doc.name, doc.source, doc.pages) == ("terms", "tiff", 2)
            fax_id = await ctid.fax_send("5550100486", ["terms"], header="ACME")
            first = FaxEvent.from_event(await next_event(events, "fax.failed"))
            assert (first.fax_id, first.will_retry, first.attempt) == (fax_id, True, 1)
            assert first.result_text == "not reached: busy"
            assert first.result_code is None
            last = FaxEvent.from_event(await next_event(events, "fax.failed"))
            assert (last.will_retry, last.attempt, last.total_pages) == (False, 2, 2)
            fax = await ctid.fax_get(fax_id)
            assert (fax.state, fax.attempts, fax.max_attempts) == ("failed", 2, 2)
            assert fax.documents == (doc.document_id,)
            found = await ctid.fax_search(number="5550100486")
            assert [f.fax_id for f in found] == [fax_id]
            assert await ctid.fax_tag(fax_id, ["urgent", "acme"]) == ("urgent", "acme")
            tagged = await ctid.fax_search(tags=["acme"])
            assert [(f.fax_id, f.tags) for f in tagged] == [(fax_id, ("urgent", "acme"))]
            tiff = await ctid.fax_download(fax_id)
            frames = list(ImageSequence.Iterator(Image.open(io.BytesIO(tiff))))
            assert len(frames) == 2
            pdf = await ctid.fax_download(document="terms", format="pdf")
            assert pdf.startswith(b"%PDF-")
            batch = await ctid.fax_send_batch(["5550200486", "5550300486"], ["terms"], retries=0)
            assert [number for number, _ in batch.faxes] == ["5550200486", "5550300486"]
            with pytest.raises(HttpError) as refused:
                await ctid.fax_upload(b"not a document")
            assert refused.value.status == 400


@pytest.fixture
def relay_down_server(tmp_path: Path) -> Iterator[tuple[ServerThread, int]]:
    """A ctid whose fax mail relay is a port nobody listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    overrides = {
        "server": {"state_dir": str(tmp_path)},
        "records": {"enabled": True, "node": "ctid-sdk"},
        "fax": {
            "retries": 0,
            "email": {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "from": "f@example.com",
            },
        },
    }
    with ServerThread(overrides) as running:
        yield running, port


async def test_node_and_mail_fields_of_a_fax(relay_down_server: tuple[ServerThread, int]) -> None:
    """``emailTo`` to a relay that does not listen: the fax's mail stays pending, with the
    relay's error, and every new field reads typed (docs/fax.md, "Faxes by e-mail")."""
    server, port = relay_down_server
    with anyio.fail_after(DEADLINE):
        async with client(server) as ctid, ctid.events() as events:
            await ctid.monitor_start(fax="*")
            await ctid.fax_upload(fax_tiff(1), name="terms")
            fax_id = await ctid.fax_send(
                "5550100486", ["terms"], email_to=["me@example.com", "you@example.com"]
            )
            await next_event(events, "fax.failed")
            fax = await ctid.fax_get(fax_id)
            while fax.email_attempts is None or fax.email_attempts < 1:
                await anyio.sleep(0.05)  # the mailer's first attempt, in its own thread
                fax = await ctid.fax_get(fax_id)
            pending = await ctid.fax_search(email_status="pending")
    assert fax.node == "ctid-sdk"
    assert fax.email_to == ("me@example.com", "you@example.com")
    assert (fax.email_status, fax.email_attempts, fax.emailed_at) == ("pending", 1, None)
    assert fax.email_error is not None
    assert fax.email_error.startswith(f"127.0.0.1:{port}: ")
    assert [f.fax_id for f in pending] == [fax_id]
