"""Webhooks in the SDK: ``ctid_client.webhooks.verify`` and the typed ``webhook.*`` methods.

The end-to-end test has the real server POST to a real stdlib HTTP server (port 0,
in a thread) and verifies what arrived with the SDK.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import anyio
import pytest
from ctid_client import RpcError, Webhook
from ctid_client.webhooks import InvalidSignature, sign, verify

from ctid.testing.harness import ANCHOR_WALL
from ctid.webhooks.signing import sign as server_sign

from .helpers import DEADLINE, client
from .server import ServerThread

SECRET: Final = "whsec-sdk-0123456789"
BODY: Final = b'{"webhook":"crm","events":[{"id":"e1","method":"x","params":{},"timestamp":"t"}]}'
NOW: Final = 1_800_000_000


def test_verify_accepts_what_the_server_signs() -> None:
    header = server_sign(SECRET.encode(), NOW, BODY)
    assert header == sign(BODY, SECRET, NOW)
    payload = verify(BODY, header, SECRET, now=NOW + 299)
    assert payload["webhook"] == "crm"
    assert payload["events"][0]["id"] == "e1"
    # Several v1 signatures (a secret being rotated): one match is enough.
    rotated = f"t={NOW},v1={'0' * 64},{header.split(',')[1]}"
    assert verify(BODY, rotated, SECRET.encode(), now=NOW)["webhook"] == "crm"


@pytest.mark.parametrize(
    ("body", "header", "secret", "now", "problem"),
    [
        (BODY, sign(BODY, "another-secret", NOW), SECRET, NOW, "does not match"),
        (BODY + b" ", sign(BODY, SECRET, NOW), SECRET, NOW, "does not match"),
        (BODY, sign(BODY, SECRET, NOW), SECRET, NOW + 301, "tolerance 300"),
        (BODY, sign(BODY, SECRET, NOW), SECRET, NOW - 301, "tolerance 300"),
        (BODY, f"v1={'a' * 64}", SECRET, NOW, "needs t="),
        (BODY, f"t={NOW}", SECRET, NOW, "needs t="),
        (BODY, "garbage", SECRET, NOW, "malformed"),
        (BODY, f"t=-5,v1={'a' * 64}", SECRET, NOW, "malformed timestamp"),
    ],
)
def test_verify_refuses(body: bytes, header: str, secret: str, now: int, problem: str) -> None:
    with pytest.raises(InvalidSignature, match=problem):
        verify(body, header, secret, now=now)


def test_verify_wants_the_raw_bytes() -> None:
    with pytest.raises(TypeError):
        verify(BODY.decode(), sign(BODY, SECRET, NOW), SECRET)  # type: ignore[arg-type]


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[bytes, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers["X-Ctid-Signature"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    received: list[tuple[bytes, str]] = []
    handler = type("Handler", (_Receiver,), {"received": received})
    httpd = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", received
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def records_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerThread]:
    monkeypatch.setenv("CRM_SECRET", SECRET)
    overrides = {"server": {"state_dir": str(tmp_path)}, "records": {"enabled": True}}
    with ServerThread(overrides) as running:
        yield running


async def test_webhook_methods_end_to_end(
    records_server: ServerThread, receiver: tuple[str, list[tuple[bytes, str]]]
) -> None:
    url, received = receiver
    with anyio.fail_after(DEADLINE):
        async with client(records_server) as ctid:
            created = await ctid.webhook_create(
                "crm", url, "CRM_SECRET", ["record.callClosed"], queues=["sales"], batch_max=10
            )
            assert created == Webhook(
                name="crm", url=url, secret_env="CRM_SECRET", events=("record.callClosed",),
                queues=("sales",), devices=(), campaigns=(), batch_max=10, timeout_seconds=10.0,
                max_retry_hours=24.0, max_backlog=100_000, allow_insecure=False, enabled=True,
                source="api",
            )  # fmt: skip
            updated = await ctid.webhook_update("crm", url, "CRM_SECRET", ["Agent*"])
            assert (updated.events, updated.queues, updated.batch_max) == (("Agent*",), (), 100)
            assert [w.name for w in await ctid.webhook_list()] == ["crm"]
            tested = await ctid.webhook_test("crm")
            assert tested.delivered
            assert tested.error is None
            (status,) = await ctid.webhook_status("crm")
            assert (status.name, status.backlog, status.dropped, status.source) == (
                "crm", 0, 0, "api",
            )  # fmt: skip
            await ctid.webhook_delete("crm")
            assert await ctid.webhook_list() == ()
            with pytest.raises(RpcError) as missing:
                await ctid.webhook_status("crm")
            assert missing.value.data == {"reason": "no-such-webhook"}
    ((body, header),) = received
    # The test server's clock starts at ANCHOR_WALL.
    payload = verify(body, header, SECRET, now=ANCHOR_WALL)
    assert payload["webhook"] == "crm"
    (event,) = payload["events"]
    assert (event["method"], event["params"], event["id"]) == (
        "webhook.test", {"webhook": "crm"}, tested.event_id,
    )  # fmt: skip
