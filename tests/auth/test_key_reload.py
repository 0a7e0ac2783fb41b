"""SIGHUP reads the JWT keys again (key rotation); an unusable file keeps the old keys."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import trio
import trio.testing

from ctid.auth_setup import AuthReloader
from ctid.testing import RpcErrorReply, call_centre, sim_config

from .keys import claims, rsa_pair, signed, write_jwks


async def test_rotated_jwks_is_read_on_reload(
    autojump_clock: trio.testing.MockClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old, new = rsa_pair(), rsa_pair()
    jwks = write_jwks(tmp_path / "keys.json", {"k1": old})
    config = sim_config({"auth": {"jwt": {"algorithms": ["RS256"], "jwks_file": str(jwks)}}})
    async with call_centre(config) as cc:
        reloader = cc.app.api.services["auth_reloader"]
        assert isinstance(reloader, AuthReloader)
        now = cc.app.clock.now()
        first = await cc.client(token=None)
        assert (await first.login(signed(claims(now), old, "RS256", "k1")))["role"] == "agent"
        write_jwks(jwks, {"k2": new})
        # The SIGHUP hook: the reload runs in the daemon's own task.
        for hook in cc.app.api.services["reload"]:
            hook()
        await cc.settle()
        client = await cc.client(token=None)
        assert (await client.login(signed(claims(now), new, "RS256", "k2")))["role"] == "agent"
        client = await cc.client(token=None)
        with pytest.raises(RpcErrorReply) as caught:
            await client.login(signed(claims(now), old, "RS256", "k1"))
        assert caught.value.message == "authentication failed: unknown key id (kid)"
        # A broken file is refused and logged; the keys in use stay.
        jwks.write_text("{not json")
        caplog.set_level(logging.INFO, logger="ctid.auth_setup")
        assert await reloader.reload() is False
        assert "JWT keys not reloaded, the old ones stay in use" in caplog.text
        client = await cc.client(token=None)
        assert (await client.login(signed(claims(now), new, "RS256", "k2")))["role"] == "agent"
