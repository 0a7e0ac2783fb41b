"""ctid under systemd: a real ``ctid demo`` process against a notify socket the test owns,
and the unit file checked by ``systemd-analyze verify``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import trio
import trio_websocket

TOKEN = "systemd-test-token-0123456789abcdef"
#: A guard against a hung child, not a timing assertion.
GUARD = 60
pytestmark = pytest.mark.slow
UNIT = Path(__file__).parents[2] / "systemd" / "ctid.service"


async def _next(sock: trio.socket.SocketType) -> bytes:
    return await sock.recv(4096)


async def _read_until(proc: trio.Process, marker: bytes) -> bytes:
    assert proc.stdout is not None
    out = b""
    while marker not in out:
        chunk = await proc.stdout.receive_some(4096)
        assert chunk, f"ctid exited early: {out.decode()!r}"
        out += chunk
    return out


@pytest.mark.parametrize("where", ["abstract", "path"])
async def test_ready_status_watchdog_and_stopping_from_a_real_daemon(
    tmp_path: Path, where: str
) -> None:
    receiver = trio.socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if where == "abstract":
        name = f"@ctid-notify-test-{os.getpid()}-{id(tmp_path)}"
        await receiver.bind(b"\0" + name[1:].encode())
    else:
        name = str(tmp_path / "notify")
        await receiver.bind(name)
    env = dict(
        os.environ,
        CTID_ADMIN_TOKEN=TOKEN,
        NOTIFY_SOCKET=name,
        WATCHDOG_USEC="200000",  # pings every 0.1 s
    )
    env.pop("WATCHDOG_PID", None)
    with receiver, trio.fail_after(GUARD):
        proc = await trio.lowlevel.open_process(
            [sys.executable, "-m", "ctid", "demo", "--no-traffic", "--listen", "127.0.0.1:0"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        signalled = False
        try:
            # READY=1 comes once the API listens: the banner is printed after it.
            assert await _next(receiver) == b"READY=1\nSTATUS=switch link up, 0 API sessions\n"
            assert await _next(receiver) == b"WATCHDOG=1\n"
            banner = (await _read_until(proc, b"Stop with Ctrl-C.")).decode()
            url = re.search(r"WebSocket URL : (ws://\S+)", banner)
            assert url is not None, banner
            async with trio_websocket.open_websocket_url(
                url.group(1), subprotocols=["ctid.v1.json"]
            ) as conn:
                login = {"jsonrpc": "2.0", "id": 1, "method": "session.login"}
                await conn.send_message(json.dumps(login | {"params": {"token": TOKEN}}))
                reply = json.loads(await conn.get_message())
                assert reply["result"]["role"] == "admin", reply
                seen: list[bytes] = []
                while b"STATUS=switch link up, 1 API session\n" not in seen:
                    seen.append(await _next(receiver))
                pings = 0
                while pings < 3:  # the loop keeps pinging
                    datagram = await _next(receiver)
                    assert datagram == b"WATCHDOG=1\n"
                    pings += 1
            proc.send_signal(signal.SIGTERM)
            signalled = True
            while (datagram := await _next(receiver)) != b"STOPPING=1\nSTATUS=stopping\n":
                assert datagram.startswith((b"WATCHDOG=1", b"STATUS=")), datagram
        finally:
            if not signalled:
                proc.send_signal(signal.SIGTERM)
            returncode = await proc.wait()
        assert proc.stderr is not None
        err = await proc.stderr.receive_some(65536)
    assert returncode == 0
    assert b"Traceback" not in (err or b"")


def _analyzable_unit(tmp_path: Path) -> Path:
    """The unit with its programs where this machine has them (verify checks they exist)."""
    ctid = Path(sys.prefix) / "bin" / "ctid"
    assert ctid.exists(), ctid
    text = UNIT.read_text().replace("/opt/ctid/venv/bin/ctid", str(ctid))
    copy = tmp_path / "ctid.service"
    copy.write_text(text)
    return copy


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", str(_analyzable_unit(tmp_path))],
        capture_output=True,
        text=True,
        timeout=GUARD,
        check=False,
    )
    # verify exits 0 on unknown keys and bad values (it ignores them): any output fails.
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_unit_supervises_and_hardens() -> None:
    settings: dict[str, list[str]] = {}
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    expected = {
        "Type": "notify",
        "NotifyAccess": "main",
        "WatchdogSec": "30",
        "Restart": "on-failure",
        "LimitNOFILE": "65536",
        "CapabilityBoundingSet": "",
        "NoNewPrivileges": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "RestrictNamespaces": "yes",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "SystemCallFilter": "@system-service",
        "UMask": "0027",
    }
    assert {key: settings.get(key) for key in expected} == {
        key: [value] for key, value in expected.items()
    }
