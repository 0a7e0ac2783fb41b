"""Token providers against the real ctid: fresh tokens at login and resume, refresh on
``session.expiring``, and a new login after close 4001 "token expired".

Expiry timing runs on trio's MockClock with the in-process server over memory streams
(``test_clock``'s connector); one test runs over real sockets with the server thread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import anyio
import jwt
import pytest
import trio
import trio.lowlevel
import trio.testing
from ctid_client import (
    AuthenticationError,
    Client,
    ConnectionClosed,
    ConnectionState,
    Event,
    ReconnectPolicy,
    SessionRestarted,
)

from ctid.testing import CallCentre, call_centre, sim_config
from ctid.testing.harness import ANCHOR_WALL

from .helpers import DEADLINE, on_server, retry_on_loss
from .server import ServerThread
from .test_clock import MemoryConnector, run

SECRET = "sdk-test-jwt-secret-0123456789abcdef-0123456789"
#: exp 200 s after minting, leeway 30 s: the session ends 230 s after login.
JWT_CONFIG: dict[str, Any] = {
    "auth": {"jwt": {"algorithms": ["HS256"], "leeway_seconds": 30}},
}


@pytest.fixture(autouse=True)
def jwt_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTID_JWT_SECRET", SECRET)


def mint(centre: CallCentre, *, lifetime: float = 200, sub: str = "alice", age: float = 0) -> str:
    now = centre.app.clock.now() - age
    payload = {"sub": sub, "role": "supervisor", "iat": int(now), "exp": int(now + lifetime)}
    return jwt.encode(payload, SECRET, algorithm="HS256")


class Provider:
    """Hands out the tokens a test lines up, then fresh ones; records when it was asked."""

    def __init__(self, centre: CallCentre) -> None:
        self.centre = centre
        self.queue: list[str | Exception] = []
        self.calls: list[float] = []

    async def __call__(self) -> str:
        self.calls.append(trio.current_time())
        await trio.lowlevel.checkpoint()  # an async provider, as one asking the CRM over HTTP is
        if self.queue:
            item = self.queue.pop(0)
            if isinstance(item, Exception):
                raise item
            return item
        return mint(self.centre)


def jwt_client(connector: MemoryConnector, provider: Any, **options: Any) -> Client:
    return Client(
        "ws://ctid.test/v1",
        token_provider=provider,
        connector=connector,
        reconnect=ReconnectPolicy(initial=1.0, jitter=0),
        **options,
    )


def test_refreshes_on_session_expiring_and_the_session_lives_on() -> None:
    async def main() -> None:
        async with call_centre(sim_config(JWT_CONFIG)) as centre:
            connector = MemoryConnector(centre)
            provider = Provider(centre)
            start = trio.current_time()
            async with jwt_client(connector, provider) as c, c.events() as events:
                session = c.session
                assert session is not None
                assert provider.calls == [start]
                note = await events.__anext__()
                assert isinstance(note, Event)
                assert note.name == "session.expiring"
                assert trio.current_time() == pytest.approx(start + 170)
                assert note.params["secondsLeft"] == 60
                await trio.testing.wait_all_tasks_blocked()
                # Asked for a fresh token at the warning, and refreshed with it.
                assert provider.calls == pytest.approx([start, start + 170])
                server_session = centre.app.api.sessions.get(session.session_id)
                assert server_session is not None
                refreshed_end = (
                    centre.app.clock.anchor_wall
                    + (start + 170 + 230)
                    - (centre.app.clock.anchor_trio)
                )
                assert server_session.credential.expires_at == pytest.approx(refreshed_end, abs=1)
                # Past the first token's end: still the same session, one connection.
                await trio.sleep_until(start + 300)
                await c.ping()
                assert c.session == session
                assert c.statistics().connections == 1

    run(main)


def test_after_close_4001_token_expired_it_logs_in_again_with_a_fresh_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ctid_client")

    async def main() -> None:
        async with call_centre(sim_config(JWT_CONFIG)) as centre:
            connector = MemoryConnector(centre)
            provider = Provider(centre)
            provider.queue = [mint(centre), RuntimeError("CRM unreachable")]
            start = trio.current_time()
            async with jwt_client(connector, provider) as c, c.events() as events:
                old = c.session
                assert old is not None
                await c.monitor_start("1001")
                items = []
                async for item in events:
                    items.append(item)
                    if isinstance(item, SessionRestarted):
                        break
                restart = items[-1]
                assert isinstance(restart, SessionRestarted)
                # The warning came, the refresh failed (the provider did), the session
                # ended at start + 230, and the client logged in again 1 s later.
                assert [getattr(i, "name", None) for i in items[:-1]] == ["session.expiring"]
                assert trio.current_time() == pytest.approx(start + 231)
                assert restart.old_session_id == old.session_id
                assert restart.new_session_id != old.session_id
                assert list(restart.monitors) == ["m1"]
                assert len(provider.calls) == 4  # login, refresh, resume (refused), login
                assert c.state is ConnectionState.CONNECTED
                assert c.statistics().connections == 2
        messages = [r.getMessage() for r in caplog.records]
        assert any("could not refresh the token" in m and "CRM unreachable" in m for m in messages)

    run(main)


def test_a_stale_token_is_replaced_once_at_login() -> None:
    async def main() -> None:
        async with call_centre(sim_config(JWT_CONFIG)) as centre:
            connector = MemoryConnector(centre)
            provider = Provider(centre)
            provider.queue = [mint(centre, age=1000)]  # the CRM's cached, expired token
            async with jwt_client(connector, provider) as c:
                assert c.session is not None
                assert c.session.role == "supervisor"
                assert len(provider.calls) == 2
                assert c.statistics().connections == 1
            # A token that is wrong, not stale, is not retried: it is the application's problem.
            provider.queue = [mint(centre, sub="")]
            with pytest.raises(AuthenticationError) as caught:
                async with jwt_client(connector, provider):
                    pass
            assert caught.value.message == (
                "authentication failed: claim sub must be a non-empty string"
            )
            assert not caught.value.token_expired

    run(main)


def test_without_a_provider_4001_token_expired_is_final() -> None:
    async def main() -> None:
        async with call_centre(sim_config(JWT_CONFIG)) as centre:
            connector = MemoryConnector(centre)
            start = trio.current_time()
            token = mint(centre)
            async with (
                Client("ws://ctid.test/v1", token=token, connector=connector) as c,
                c.events() as events,
            ):
                note = await events.__anext__()
                assert isinstance(note, Event)
                assert note.name == "session.expiring"
                with pytest.raises(ConnectionClosed) as caught:
                    await events.__anext__()
                assert (caught.value.code, caught.value.reason) == (4001, "token expired")
                assert caught.value.token_expired
                assert caught.value.fatal
                assert trio.current_time() == pytest.approx(start + 230)
                assert c.state is ConnectionState.CLOSED
                assert c.statistics().connections == 1

    run(main)


def test_token_and_provider_exclude_each_other() -> None:
    with pytest.raises(ValueError, match="exactly one of token and token_provider"):
        Client("ws://ctid.test/v1")
    with pytest.raises(ValueError, match="exactly one of token and token_provider"):
        Client("ws://ctid.test/v1", token="t" * 20, token_provider=lambda: "t" * 20)


@pytest.fixture
def jwt_server(jwt_secret: None) -> Iterator[ServerThread]:
    with ServerThread(JWT_CONFIG) as running:
        yield running


async def test_a_plain_provider_over_real_sockets_resumes_with_a_fresh_token(
    jwt_server: ServerThread,
) -> None:
    server = jwt_server
    minted: list[str] = []

    def provider() -> str:
        # The server's wall clock starts at ANCHOR_WALL and this test lasts seconds.
        payload = {"sub": "bob", "role": "agent", "iat": ANCHOR_WALL, "exp": ANCHOR_WALL + 3600}
        token = jwt.encode(payload, SECRET, algorithm="HS256")
        minted.append(token)
        return token

    with anyio.fail_after(DEADLINE):
        async with Client(server.url, token_provider=provider) as c:
            session = c.session
            assert session is not None
            assert await on_server(server.drop_connections) == 1
            # Requests wait for the next connection, which resumes the session.
            await retry_on_loss(c.ping)
            assert c.session == session
            assert c.statistics().resumes == 1
            assert len(minted) == 2
