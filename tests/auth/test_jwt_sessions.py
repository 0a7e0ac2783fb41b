"""Signed tokens end to end: login, session.expiring, close 4001 "token expired", refresh,
resume with a fresh token, and the brute-force throttle, all on MockClock."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
import trio.testing
from prometheus_client import generate_latest

from ctid.testing import CallCentre, RpcErrorReply, RpcTestClient, call_centre, sim_config
from ctid.testing.harness import ADMIN_TOKEN

from .keys import SECRET, claims, hs256

AUTH_FAILED = -32002
UNKNOWN_SESSION = -32003


@pytest.fixture(autouse=True)
def jwt_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTID_JWT_SECRET", SECRET)


@asynccontextmanager
async def jwt_centre(**auth: Any) -> AsyncIterator[CallCentre]:
    table: dict[str, Any] = {"jwt": {"algorithms": ["HS256"], "leeway_seconds": 30}}
    table.update(auth)
    async with call_centre(sim_config({"auth": table})) as cc:
        yield cc


def now(cc: CallCentre) -> float:
    return cc.app.clock.now()


async def refused(client: RpcTestClient, method: str, params: dict[str, Any]) -> RpcErrorReply:
    with pytest.raises(RpcErrorReply) as info:
        await client.call(method, params)
    return info.value


async def test_login_with_a_jwt_acts_as_its_claims(autojump_clock: trio.testing.MockClock) -> None:
    async with jwt_centre() as cc:
        token = hs256(claims(now(cc), exp=int(now(cc)) + 600))
        agent = await cc.client(token=None)
        welcome = await agent.login(token)
        assert welcome["role"] == "agent"
        # exp + leeway, on ctid's clock (tests start at 2027-01-15T08:00:00Z).
        assert welcome["expiresAt"] == cc.app.clock.iso(trio.current_time() + 630)
        session = cc.app.api.sessions.get(welcome["sessionID"])
        assert session is not None
        credential = session.credential
        assert (credential.name, credential.agent_id, credential.devices) == (
            "alice",
            "A100",
            frozenset({"1001"}),
        )
        await agent.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        error = await refused(agent, "MonitorStart", {"monitorObject": {"deviceObject": "1002"}})
        assert error.csta_error == "privilegeViolationOnSpecifiedDevice"
        # A static token's login reply has no expiresAt.
        admin = await cc.client(token=None)
        assert "expiresAt" not in await admin.login(ADMIN_TOKEN)


async def test_warning_then_close_4001_at_expiry(autojump_clock: trio.testing.MockClock) -> None:
    async with jwt_centre() as cc:
        start = trio.current_time()
        agent = await cc.client(token=None)
        welcome = await agent.login(hs256(claims(now(cc), exp=int(now(cc)) + 200)))
        # The session ends at exp + leeway = start + 230; the warning comes 60 s before.
        await trio.sleep_until(start + 170 - 0.001)
        assert agent.events == []
        note = await agent.wait_for(
            lambda: next((e for e in agent.events if e["method"] == "session.expiring"), None)
        )
        assert trio.current_time() == pytest.approx(start + 170)
        assert note == {
            "jsonrpc": "2.0",
            "method": "session.expiring",
            "params": {"expiresAt": cc.app.clock.iso(start + 230), "secondsLeft": 60},
        }
        await trio.sleep_until(start + 230 - 0.001)
        assert agent.closed is None
        while agent.closed is None:
            await agent._changed.wait()
        assert trio.current_time() == pytest.approx(start + 230)
        assert (agent.closed.reason.code, agent.closed.reason.reason) == (4001, "token expired")
        # The session is over: it cannot be resumed, even with a fresh token.
        assert cc.app.api.sessions.get(welcome["sessionID"]) is None
        again = await cc.client(token=None)
        error = await refused(
            again,
            "session.resume",
            {
                "token": hs256(claims(now(cc))),
                "sessionID": welcome["sessionID"],
                "lastSeq": 0,
            },
        )
        assert error.code == UNKNOWN_SESSION


async def test_refresh_moves_the_expiry(autojump_clock: trio.testing.MockClock) -> None:
    async with jwt_centre() as cc:
        start = trio.current_time()
        agent = await cc.client(token=None)
        await agent.login(hs256(claims(now(cc), exp=int(now(cc)) + 200)))
        await trio.sleep(100)
        fresh = hs256(claims(now(cc), exp=int(now(cc)) + 300, devices=["1001", "1002"]))
        reply = await agent.call("session.refresh", {"token": fresh})
        # New end: start + 100 + 300 + 30.
        assert reply == {"expiresAt": cc.app.clock.iso(start + 430)}
        # The old deadline passes without a warning or a close.
        await trio.sleep_until(start + 300)
        assert agent.events == []
        assert agent.closed is None
        # The refreshed claims are in force: the new device is allowed.
        await agent.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})
        await agent.wait_for(lambda: agent.events)
        assert agent.events[0]["method"] == "session.expiring"
        assert trio.current_time() == pytest.approx(start + 370)
        while agent.closed is None:
            await agent._changed.wait()
        assert trio.current_time() == pytest.approx(start + 430)
        assert agent.closed.reason.code == 4001


async def test_refresh_refuses_another_user_and_bad_tokens(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with jwt_centre() as cc:
        agent = await cc.client(token=None)
        welcome = await agent.login(hs256(claims(now(cc))))
        for token, message in [
            (
                hs256(claims(now(cc), sub="bob")),
                "authentication failed: the token is for another user or role than this session",
            ),
            (
                hs256(claims(now(cc), role="admin")),
                "authentication failed: the token is for another user or role than this session",
            ),
            (
                ADMIN_TOKEN,
                "authentication failed: the token is for another user or role than this session",
            ),
            (hs256(claims(now(cc)), secret="x" * 40), "authentication failed: bad token signature"),
            (hs256(claims(now(cc) - 1000)), "token expired"),
        ]:
            error = await refused(agent, "session.refresh", {"token": token})
            assert (error.code, error.message) == (AUTH_FAILED, message)
        session = cc.app.api.sessions.get(welcome["sessionID"])
        assert session is not None and session.credential.name == "alice"
        # A static session refreshes with its own token; it never expires.
        admin = await cc.client()
        assert await admin.call("session.refresh", {"token": ADMIN_TOKEN}) == {"expiresAt": None}


async def test_resume_with_a_fresh_token(autojump_clock: trio.testing.MockClock) -> None:
    async with jwt_centre() as cc:
        start = trio.current_time()
        first = await cc.client(token=None)
        welcome = await first.login(hs256(claims(now(cc), exp=int(now(cc)) + 100)))
        await first.ws.aclose()
        await trio.sleep(50)
        second = await cc.client(token=None)
        # Another user's valid token does not resume alice's session.
        error = await refused(
            second,
            "session.resume",
            {
                "token": hs256(claims(now(cc), sub="bob")),
                "sessionID": welcome["sessionID"],
                "lastSeq": 0,
            },
        )
        assert error.code == UNKNOWN_SESSION
        reply = await second.call(
            "session.resume",
            {
                "token": hs256(claims(now(cc), exp=int(now(cc)) + 500)),
                "sessionID": welcome["sessionID"],
                "lastSeq": 0,
            },
        )
        assert reply["expiresAt"] == cc.app.clock.iso(start + 50 + 530)
        await trio.sleep_until(start + 200)
        assert second.closed is None


async def test_expired_tokens_are_not_counted_as_guesses(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with jwt_centre(max_failures=3) as cc:
        stale = hs256(claims(now(cc) - 1000))
        for _ in range(10):
            client = await cc.client(token=None)
            error = await refused(client, "session.login", {"token": stale})
            assert (error.code, error.message, error.data) == (AUTH_FAILED, "token expired", None)
        # Not throttled, and the connection was not closed for failed logins either.
        welcome = await client.login(hs256(claims(now(cc))))
        assert welcome["role"] == "agent"
        assert cc.app.api.throttle.failures == {"token expired": 10}
        assert cc.app.api.throttle.throttled == 0
        assert [r.getMessage() for r in caplog.records if r.name == "ctid.api.throttle"] == [
            "login from memory refused: token expired"
        ] * 10


async def test_guessing_is_throttled_per_address(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ctid.api.throttle")
    async with jwt_centre(max_failures=10, failure_window_seconds=60) as cc:
        start = trio.current_time()
        guesses = ["x" * 20, hs256(claims(now(cc)), secret="y" * 40), "a.b.c"]
        failed = 0
        while failed < 10:
            client = await cc.client(token=None)
            for _ in range(3):  # the connection closes after 3 (4004)
                if failed == 10:
                    break
                error = await refused(client, "session.login", {"token": guesses[failed % 3]})
                assert error.code == AUTH_FAILED and error.data is None
                failed += 1
                await trio.sleep(1)
        # Window opened at start; 10 failures by start + 10.
        client = await cc.client(token=None)
        good = hs256(claims(now(cc)))
        error = await refused(client, "session.login", {"token": good})
        assert (error.code, error.message, error.data) == (
            AUTH_FAILED,
            "too many failed logins from memory: try again in 50 s",
            {"retryAfter": 50},
        )
        # Refused unchecked: neither counted nor closing the connection.
        error = await refused(client, "session.login", {"token": ADMIN_TOKEN})
        assert error.data == {"retryAfter": 50}
        error = await refused(
            client, "session.resume", {"token": ADMIN_TOKEN, "sessionID": "x", "lastSeq": 0}
        )
        assert error.data == {"retryAfter": 50}
        await trio.sleep_until(start + 60)
        client = await cc.client(token=None)
        assert (await client.login(good))["role"] == "agent"
        throttle = cc.app.api.throttle
        assert throttle.failures == {
            "unknown token": 4,
            "bad signature": 3,
            "malformed token": 3,
        }
        assert throttle.throttled == 3
        messages = [r.getMessage() for r in caplog.records]
        assert messages == [
            "failed login from memory: unknown token (failure 1 in this 60 s window; further "
            "ones are not logged until it ends or the address is throttled)",
            "failed login from memory: unknown token (failure 10 in this 60 s window): "
            "refusing logins from this address for 51 s",
        ]
        # The metric.
        metrics = cc.app.api.services["metrics"]
        text = generate_latest(metrics.registry).decode()
        assert 'ctid_login_failures_total{reason="unknown token"} 4.0' in text
        assert 'ctid_login_failures_total{reason="bad signature"} 3.0' in text
        assert 'ctid_login_failures_total{reason="malformed token"} 3.0' in text
        assert "ctid_login_throttled_total 3.0" in text


async def test_exempt_addresses_are_never_throttled(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with jwt_centre(max_failures=2, exempt_addresses=["10.0.0.0/8"]) as cc:
        server = cc.app.server
        for _ in range(5):
            client = await cc.client(token=None)
            # Memory streams have no address; pose as a CRM backend in 10.0.0.0/8.
            for conn in server.connections:
                conn.client_address = "10.1.2.3"
            await refused(client, "session.login", {"token": "z" * 20})
        assert (await client.login(ADMIN_TOKEN))["role"] == "admin"


async def test_a_short_token_is_warned_halfway_and_bad_refreshes_do_not_close(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with jwt_centre(max_failures=100) as cc:
        start = trio.current_time()
        agent = await cc.client(token=None)
        # exp + leeway is 80 s away: less than two minutes, so the warning comes at 40 s.
        await agent.login(hs256(claims(now(cc), exp=int(now(cc)) + 50)))
        for _ in range(5):
            error = await refused(
                agent, "session.refresh", {"token": hs256(claims(now(cc)), secret="q" * 40)}
            )
            assert error.message == "authentication failed: bad token signature"
        assert agent.closed is None
        await agent.wait_for(lambda: agent.events)
        assert trio.current_time() == pytest.approx(start + 40)
        assert agent.events[0]["params"] == {
            "expiresAt": cc.app.clock.iso(start + 80),
            "secondsLeft": 40,
        }
        # A 30 s refresh (60 s with the leeway) is warned halfway again, not at once.
        await agent.call(
            "session.refresh", {"token": hs256(claims(now(cc), exp=int(now(cc)) + 30))}
        )
        await agent.wait_for(lambda: len(agent.events) == 2)
        assert trio.current_time() == pytest.approx(start + 70)
        assert agent.events[1]["params"]["secondsLeft"] == 30
