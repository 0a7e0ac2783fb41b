"""The README's first command, as a user runs it: ``ctid demo`` in a process of its own.

Everything else tests the App in-process; this checks what only the real command
does: the banner (its addresses are the bound ones, usable with port 0), the
signals, the exit status.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import trio
import trio_websocket

TOKEN = "demo-command-test-token-0123456789"
#: A guard against a hung child, not a timing assertion.
GUARD = 60


async def _read_banner(proc: trio.Process) -> str:
    assert proc.stdout is not None
    out = b""
    while b"Stop with Ctrl-C." not in out:
        chunk = await proc.stdout.receive_some(4096)
        assert chunk, f"ctid demo exited before its banner: {out.decode()!r}"
        out += chunk
    return out.decode()


async def _http_get(host: str, port: int, path: str) -> tuple[str, bytes]:
    stream = await trio.open_tcp_stream(host, port)
    async with stream:
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        await stream.send_all(request.encode())
        data = b""
        while chunk := await stream.receive_some(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode("latin-1").split("\r\n")[0], body


async def test_demo_prints_usable_addresses_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = dict(os.environ, CTID_ADMIN_TOKEN=TOKEN)
    with trio.fail_after(GUARD):
        proc = await trio.lowlevel.open_process(
            [
                sys.executable,
                "-m",
                "ctid",
                "demo",
                "--no-traffic",
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
            ],
            cwd=tmp_path,  # its state/ (records, spool) goes here, not into the checkout
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            banner = await _read_banner(proc)
            ws = re.search(r"WebSocket URL : (ws://127\.0\.0\.1:(\d+)/v1)", banner)
            metrics = re.search(r"Metrics       : http://127\.0\.0\.1:(\d+)/metrics", banner)
            assert ws is not None and metrics is not None, banner
            assert int(ws.group(2)) != 0 and int(metrics.group(1)) != 0, banner
            assert f"Admin token   : {TOKEN}" in banner

            status, body = await _http_get("127.0.0.1", int(metrics.group(1)), "/metrics")
            assert status == "HTTP/1.1 200 OK"
            assert b"ctid_" in body

            async with trio_websocket.open_websocket_url(
                ws.group(1), subprotocols=["ctid.v1.json"]
            ) as conn:
                login = {"jsonrpc": "2.0", "id": 1, "method": "session.login"}
                await conn.send_message(json.dumps(login | {"params": {"token": TOKEN}}))
                reply = json.loads(await conn.get_message())
                assert reply["result"]["role"] == "admin", reply
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            returncode = await proc.wait()
    assert returncode == 0
    assert (tmp_path / "state").is_dir()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
async def test_ctrl_c_and_sigterm_stop_with_one_line_and_status_0(
    tmp_path: Path, signum: signal.Signals
) -> None:
    """With traffic (calls in progress), as ``make demo`` runs it: Ctrl-C (SIGINT to the
    whole process group, as a terminal sends it) and SIGTERM both stop cleanly."""
    env = dict(os.environ, CTID_ADMIN_TOKEN=TOKEN)
    with trio.fail_after(GUARD):
        proc = await trio.lowlevel.open_process(
            [sys.executable, "-m", "ctid", "demo", "--listen", "127.0.0.1:0", "--seed", "3"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, like a shell's foreground job
        )
        signalled = False
        try:
            banner = (await _read_banner(proc)).encode()
            os.killpg(proc.pid, signum)
            signalled = True
            assert proc.stdout is not None and proc.stderr is not None
            out = banner
            while chunk := await proc.stdout.receive_some(65536):
                out += chunk
            err = b""
            while chunk := await proc.stderr.receive_some(65536):
                err += chunk
        finally:
            if not signalled:
                proc.kill()
            returncode = await proc.wait()
    assert returncode == 0
    assert err == b""
    name = "Ctrl-C (SIGINT)" if signum == signal.SIGINT else "SIGTERM"
    # What it printed after the banner: the one line saying it stops.
    after = out.decode().split("Stop with Ctrl-C.\n", 1)[1].splitlines()
    assert len(after) == 1, after
    assert after[0].endswith(f"INFO ctid.app: {name}: closing connections and stopping")


async def test_ctrl_c_during_start_up_stops_cleanly(tmp_path: Path) -> None:
    """Ctrl-C before the daemon serves (here: its switch has not answered yet) reaches
    trio as a KeyboardInterrupt inside the nurseries' exception group: still one line
    and status 0, no traceback."""
    switch = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = switch.socket.getsockname()[1]
    config = tmp_path / "ctid.toml"
    config.write_text(
        f'[server]\nlisten = "127.0.0.1:0"\nstate_dir = "{tmp_path}"\n'
        '[switch]\ndriver = "freeswitch"\n'
        f'[switch.freeswitch]\nport = {port}\npassword = "ClueCon"\nextensions = "1001"\n'
    )
    env = dict(os.environ, CTID_ADMIN_TOKEN=TOKEN)
    async with switch:
        with trio.fail_after(GUARD):
            proc = await trio.lowlevel.open_process(
                [sys.executable, "-m", "ctid", "run", "--config", str(config)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            out = err = b""
            try:
                # The driver connects: ctid is inside trio.run, starting. The switch
                # (this test) says nothing, so start-up waits here.
                connection = await switch.accept()
                os.killpg(proc.pid, signal.SIGINT)
                assert proc.stdout is not None and proc.stderr is not None
                while chunk := await proc.stdout.receive_some(65536):
                    out += chunk
                while chunk := await proc.stderr.receive_some(65536):
                    err += chunk
                await connection.aclose()
            finally:
                if not out:  # failed before the signal
                    proc.kill()
                returncode = await proc.wait()
    assert (returncode, err) == (0, b"")
    assert out.decode().splitlines()[-1].endswith("INFO ctid: interrupted")
    assert b"serving" not in out
