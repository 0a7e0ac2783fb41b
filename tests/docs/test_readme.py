"""The README's commands work when pasted, in order, into a fresh shell on a fresh clone.

Its ``sh`` blocks run in bash in a copy of the checkout's ``conf/`` (state goes
there, not into the checkout), with no ``CTID_ADMIN_TOKEN`` and no ``.venv/bin``
on the PATH, as a newcomer has them. Two lines are not run here: ``make test``
is what runs this test, and ``make demo`` is ``.venv/bin/ctid demo``, which
tests/spine/test_demo_command.py runs. The one change to what a user pastes:
the example configuration's fixed port becomes port 0 (tests never take a
fixed port). The Python block of "A first session" runs, twice, against a real
``ctid demo``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import trio
import trio_websocket

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
#: A guard against a hung child, not a timing assertion.
GUARD = 60
#: make lines not run here (see the module docstring).
NOT_RUN = ["make demo", "make test"]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README.read_text(), re.M | re.S)


def _shell_lines() -> list[str]:
    lines = []
    for block in _blocks("sh"):
        for raw in block.splitlines():
            line = raw.strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def _fresh_clone(tmp_path: Path) -> Path:
    """What a newcomer's checkout has that the commands use: conf/ and .venv."""
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copytree(ROOT / "conf", clone / "conf")
    (clone / ".venv").symlink_to(Path(sys.prefix))
    example = clone / "conf" / "ctid.toml"
    text = example.read_text()
    assert 'listen = "127.0.0.1:8765"' in text
    example.write_text(text.replace('listen = "127.0.0.1:8765"', 'listen = "127.0.0.1:0"', 1))
    return clone


def _newcomers_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CTID_", "VIRTUAL_ENV"))}
    venv_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin
    )
    return env


async def _read_until(proc: trio.Process, pattern: str) -> tuple[str, re.Match[str]]:
    assert proc.stdout is not None
    out = ""
    while (found := re.search(pattern, out)) is None:
        chunk = await proc.stdout.receive_some(4096)
        assert chunk, f"exited before {pattern!r}:\n{out}"
        out += chunk.decode(errors="replace")
    return out, found


async def _login(url: str, token: str) -> dict[str, object]:
    async with trio_websocket.open_websocket_url(url, subprotocols=["ctid.v1.json"]) as conn:
        login = {"jsonrpc": "2.0", "id": 1, "method": "session.login", "params": {}}
        login["params"] = {"token": token}
        await conn.send_message(json.dumps(login))
        reply: dict[str, object] = json.loads(await conn.get_message())
        return reply


def test_the_readme_runs_ctid_from_the_venv_with_a_token() -> None:
    lines = _shell_lines()
    made = [re.sub(r"\s+#.*$", "", line) for line in lines if line.startswith("make ")]
    assert made == NOT_RUN
    run = [line for line in lines if not line.startswith("make ")]
    assert run, "the README has no shell command to run"
    assert all(
        line.startswith((".venv/bin/", "export ", ". .venv/bin/activate")) for line in run
    ), run


async def test_the_readme_shell_commands_work_in_order_on_a_fresh_clone(tmp_path: Path) -> None:
    commands = [line for line in _shell_lines() if not line.startswith("make ")]
    *before, daemon = commands
    assert daemon.startswith(".venv/bin/ctid run "), daemon
    clone = _fresh_clone(tmp_path)
    # The daemon replaces the shell (exec): its pid is the one the test signals.
    script = "\n".join(["set -euo pipefail", *before, f"exec {daemon}"])
    with trio.fail_after(GUARD):
        proc = await trio.lowlevel.open_process(
            ["bash", "-c", script],
            cwd=clone,
            env=_newcomers_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        signalled = False
        try:
            out, serving = await _read_until(proc, r"serving (ws://127\.0\.0\.1:\d+/v1)")
            assert "conf/ctid.toml: ok" in out
            # The token the README's shell made, as the daemon has it.
            environ = (await trio.Path(f"/proc/{proc.pid}/environ").read_bytes()).split(b"\0")
            tokens = [e[17:].decode() for e in environ if e.startswith(b"CTID_ADMIN_TOKEN=")]
            assert len(tokens) == 1 and len(tokens[0]) >= 16, tokens
            reply = await _login(serving.group(1), tokens[0])
            result = reply["result"]
            assert isinstance(result, dict) and result["role"] == "admin", reply
            proc.send_signal(signal.SIGTERM)
            signalled = True
        finally:
            if not signalled:
                proc.kill()
            returncode = await proc.wait()
    assert returncode == 0
    assert (clone / "state").is_dir()  # conf/../state: in the clone


async def test_the_readme_first_session_runs_twice_against_the_demo(tmp_path: Path) -> None:
    (code,) = _blocks("python")
    url_in_readme = "ws://127.0.0.1:8765/v1"
    assert url_in_readme in code and '"<the printed token>"' in code
    token = "readme-first-session-token-0123456789"
    env = dict(os.environ, CTID_ADMIN_TOKEN=token)
    with trio.fail_after(GUARD):
        demo = await trio.lowlevel.open_process(
            [sys.executable, "-m", "ctid", "demo", "--no-traffic", "--listen", "127.0.0.1:0"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            _, found = await _read_until(demo, r"WebSocket URL : (ws://\S+)")
            pasted = code.replace(url_in_readme, found.group(1)).replace(
                "<the printed token>", token
            )
            for _ in range(2):  # the second run finds the simulator as the first left it
                done = await trio.run_process(
                    [sys.executable, "-c", pasted], capture_stdout=True, capture_stderr=True
                )
                printed = done.stdout.decode().splitlines()
                names = [re.search(r"name='(\w+)'", line) for line in printed]
                assert [n.group(1) if n else None for n in names] == [
                    "DeliveredEvent",
                    "EstablishedEvent",
                    "ConnectionClearedEvent",
                ], printed
        finally:
            demo.send_signal(signal.SIGTERM)
            returncode = await demo.wait()
    assert returncode == 0
