"""``POST /v1/rpc``: one-shot JSON-RPC over HTTP, on a real socket with a real HTTP client.

Good and bad tokens (static and JWT), batches, requests that need a session,
oversized bodies, and the same errors as over the WebSocket for the same request.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Final

import httpx
import pytest
import trio

from ctid.testing import CallCentre, call_centre, sim_config
from ctid.testing.harness import ADMIN_TOKEN

from ..auth.keys import SECRET, claims, hs256

AGENT_TOKEN: Final = "http-rpc-agent-token-0123456789"
MAX_BYTES: Final = 4096
#: Error codes from docs/protocol.md.
INVALID_REQUEST: Final = -32600
PARSE_ERROR: Final = -32700
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
CSTA_ERROR: Final = -32000
AUTH_FAILED: Final = -32002
FORBIDDEN: Final = -32005
SESSION_REQUIRED: Final = -32011


@pytest.fixture(autouse=True)
def jwt_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTID_JWT_SECRET", SECRET)


@pytest.fixture
async def cc() -> AsyncIterator[CallCentre]:
    config = sim_config(
        {
            "api": {"max_message_bytes": MAX_BYTES},
            "auth": {
                "jwt": {"algorithms": ["HS256"]},
                "tokens": [
                    {"role": "agent", "name": "bob", "token": AGENT_TOKEN, "devices": ["1002"]}
                ],
            },
        }
    )
    with trio.fail_after(30):  # real sockets and the real clock: a hang must fail
        async with call_centre(config) as centre:
            yield centre


async def post(
    cc: CallCentre,
    body: Any,
    *,
    token: str | None = ADMIN_TOKEN,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> httpx.Response:
    host, port = cc.app.addresses[0]
    sent = {"content-type": "application/json"}
    if token is not None:
        sent["authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    content = raw if raw is not None else json.dumps(body).encode()
    async with httpx.AsyncClient() as client:
        return await client.request(
            method, f"http://{host}:{port}/v1/rpc", content=content, headers=sent
        )


def req(method: str, params: Any = None, id: int | None = 1) -> dict[str, Any]:
    out: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        out["params"] = params
    if id is not None:
        out["id"] = id
    return out


async def test_click_to_dial_with_a_static_token(cc: CallCentre) -> None:
    reply = await post(
        cc,
        req("MakeCall", {"callingDevice": "1002", "calledDirectoryNumber": "1003"}),
        token=AGENT_TOKEN,
    )
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert body["jsonrpc"] == "2.0" and body["id"] == 1
    call_id = body["result"]["callingDevice"]["callID"]
    assert body["result"]["callingDevice"] == {"callID": call_id, "deviceID": "1002"}
    call = cc.app.model.calls[call_id]
    assert call.calling_device == "1002"
    # The one-shot session is nowhere: not among the sessions, no log on the bus.
    assert cc.app.api.sessions.sessions == {}
    assert cc.app.bus.logs == {}


async def test_a_jwt_acts_as_its_claims(cc: CallCentre) -> None:
    token = hs256(claims(cc.app.clock.now(), exp=int(cc.app.clock.now()) + 600))
    own = await post(
        cc, req("MakeCall", {"callingDevice": "1001", "calledDirectoryNumber": "1003"}), token=token
    )
    assert own.status_code == 200
    assert own.json()["result"]["callingDevice"]["deviceID"] == "1001"
    foreign = await post(
        cc, req("MakeCall", {"callingDevice": "1004", "calledDirectoryNumber": "1003"}), token=token
    )
    assert foreign.status_code == 200
    error = foreign.json()["error"]
    assert error["code"] == CSTA_ERROR
    assert error["data"] == {"cstaError": "privilegeViolationOnSpecifiedDevice"}
    admin_only = await post(cc, req("records.status"), token=token)
    assert admin_only.json()["error"]["code"] == FORBIDDEN


@pytest.mark.parametrize(
    ("headers", "token"),
    [
        ({}, None),
        ({}, "wrong-token-0123456789abcdef"),
        ({"authorization": "Basic YWRtaW46YWRtaW4="}, None),
        ({}, hs256({"sub": "x", "role": "agent", "exp": 1}, secret="another-secret-" * 3)),
    ],
)
async def test_bad_tokens_are_refused_with_401(
    cc: CallCentre, headers: dict[str, str], token: str | None
) -> None:
    reply = await post(cc, req("sim.lines"), token=token, headers=headers)
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == 'Bearer realm="ctid"'
    body = reply.json()
    assert body["id"] is None
    assert body["error"]["code"] == AUTH_FAILED
    assert cc.app.model.calls == {}


async def test_failed_tokens_count_in_the_login_throttle(cc: CallCentre) -> None:
    for _ in range(10):
        assert (
            await post(cc, req("sim.lines"), token="wrong-token-0123456789ab")
        ).status_code == 401
    throttled = await post(cc, req("sim.lines"))
    assert throttled.status_code == 401
    assert "too many failed logins" in throttled.json()["error"]["message"]
    assert throttled.json()["error"]["data"]["retryAfter"] > 0


async def test_a_batch_answers_each_request_and_refuses_what_needs_a_session(
    cc: CallCentre,
) -> None:
    batch = [
        req("MakeCall", {"callingDevice": "1001", "calledDirectoryNumber": "1003"}, id=1),
        req("no.such", id=2),
        req("sim.lines", id=None),  # a notification: no reply
        req("MonitorStart", {"monitorObject": {"deviceObject": "1001"}}, id=3),
        req("session.login", {"token": ADMIN_TOKEN}, id="four"),
        {"jsonrpc": "1.0", "method": "x", "id": 5},
        req("session.ping", id=6),
    ]
    reply = await post(cc, batch)
    assert reply.status_code == 200
    answers = reply.json()
    assert [a["id"] for a in answers] == [1, 2, 3, "four", 5, 6]
    assert "result" in answers[0]
    assert answers[1]["error"]["code"] == METHOD_NOT_FOUND
    assert answers[2]["error"]["code"] == SESSION_REQUIRED
    assert answers[2]["error"]["message"].startswith("MonitorStart needs a WebSocket session")
    assert answers[3]["error"]["code"] == SESSION_REQUIRED
    assert answers[4]["error"]["code"] == INVALID_REQUEST
    assert "result" in answers[5]
    assert len(cc.app.model.calls) == 1
    # Notifications only: nothing to say.
    quiet = await post(cc, [req("sim.lines", id=None)])
    assert quiet.status_code == 204
    assert quiet.content == b""


async def test_bodies_over_the_limit_and_not_json_are_refused(cc: CallCentre) -> None:
    big = req("AssociateData", {"existingCall": "x", "userData": {"k": "v" * MAX_BYTES}})
    reply = await post(cc, big)
    assert reply.status_code == 413
    assert reply.json() == {"error": f"the body is limited to {MAX_BYTES} bytes"}
    not_json = await post(cc, None, raw=b"{not json")
    assert not_json.status_code == 400
    assert not_json.json()["error"]["code"] == PARSE_ERROR
    wrong_type = await post(cc, req("sim.lines"), headers={"content-type": "text/plain"})
    assert wrong_type.status_code == 415
    get = await post(cc, None, raw=b"", method="GET")
    assert get.status_code == 405
    assert get.headers["allow"] == "POST"
    empty = await post(cc, [])
    assert empty.json()["error"]["code"] == INVALID_REQUEST
    too_many = await post(cc, [req("x", id=None) for _ in range(101)])
    assert too_many.status_code == 200
    assert too_many.json()["error"]["code"] == INVALID_REQUEST


async def test_the_same_errors_as_over_the_websocket(cc: CallCentre) -> None:
    bad = [
        req("MakeCall", {"callingDevice": 1001, "calledDirectoryNumber": "1003"}, id=1),
        req("MakeCall", {"callingDevice": "1001", "calledDirectoryNumber": "x" * 300}, id=2),
        req("AssociateData", {"existingCall": "nope", "userData": {"a": [[[[[[[[[]]]]]]]]]}}, id=3),
        req("ClearCall", {"callToBeCleared": {"callID": "nope"}}, id=4),
    ]
    over_http = (await post(cc, bad)).json()
    ws = await cc.client()
    errors_http = {a["id"]: a["error"] for a in over_http}
    assert errors_http[1]["code"] == INVALID_PARAMS
    for request in bad:
        over_ws = await ws.request(request["method"], request["params"])
        assert errors_http[request["id"]] == over_ws["error"], request["id"]
