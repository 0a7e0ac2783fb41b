"""``ctid run`` as a real child process, for tests that kill it.

Readiness is read from the daemon's own log line ("serving ws://HOST:PORT/v1")
and, for metrics, "metrics on http://HOST:PORT"; timeouts exist only as guards
against a test hanging.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

import trio
from trio_websocket import wrap_client_stream

from ctid.testing import RpcTestClient

ADMIN_TOKEN = "kill-test-admin-token-0123456789"
#: A guard, not a wait: a healthy daemon starts in well under a second.
START_GUARD = 60.0


class Daemon:
    """One ``ctid run`` process; ``lines`` collects its output."""

    def __init__(self, config: Path, *args: str, nofile: int | None = None) -> None:
        self.config = config
        self.args = args
        #: RLIMIT_NOFILE (soft and hard) for the child, to run it short of descriptors.
        self.nofile = nofile
        self.lines: list[str] = []
        self.process: trio.Process | None = None
        self.url = ""
        self.metrics_url = ""
        self._changed = trio.Event()
        self._streams: list[trio.SocketStream] = []

    async def start(self, nursery: trio.Nursery) -> None:
        env = {**os.environ, "CTID_ADMIN_TOKEN": ADMIN_TOKEN, "PYTHONUNBUFFERED": "1"}
        self.process = await trio.lowlevel.open_process(
            [sys.executable, "-m", "ctid", "run", "--config", str(self.config), *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=self._limit if self.nofile is not None else None,
        )
        nursery.start_soon(self._read)
        with trio.fail_after(START_GUARD):
            line = await self.wait_line(r"serving (ws://\S+)")
        match = re.search(r"serving (ws://\S+)", line)
        assert match is not None
        self.url = match.group(1)
        metrics = next((ln for ln in self.lines if "metrics on http://" in ln), None)
        if metrics is not None:
            found = re.search(r"metrics on (http://\S+)", metrics)
            assert found is not None
            self.metrics_url = found.group(1)

    def _limit(self) -> None:
        """(in the child, before exec) Lower the open file limit."""
        assert self.nofile is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

    async def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        buffer = b""
        try:
            async with self.process.stdout:
                while True:
                    data = await self.process.stdout.receive_some(65536)
                    if not data:
                        break
                    buffer += data
                    *complete, buffer = buffer.split(b"\n")
                    for raw in complete:
                        self.lines.append(raw.decode(errors="replace"))
                    self._changed.set()
                    self._changed = trio.Event()
        finally:
            # A failed test cancels the reader with the daemon still up: stop
            # it here, or it runs on and the next test sees its leaked pipe.
            if self.process.returncode is None:
                self.process.kill()
                with trio.CancelScope(shield=True):
                    await self.process.wait()
        self._changed.set()

    async def wait_line(self, pattern: str, since: int = 0) -> str:
        """The first output line from line ``since`` on matching ``pattern`` (waits for it)."""
        regex = re.compile(pattern)
        seen = since
        while True:
            for line in self.lines[seen:]:
                if regex.search(line):
                    return line
            seen = len(self.lines)
            if self.process is not None and self.process.returncode is not None:
                raise AssertionError("ctid exited:\n" + "\n".join(self.lines[-40:]))
            await self._changed.wait()

    async def client(self, nursery: trio.Nursery, token: str = ADMIN_TOKEN) -> RpcTestClient:
        """A client logged in with ``token`` (admin by default) over a real TCP connection."""
        match = re.fullmatch(r"ws://([^/]+):(\d+)(/\S*)", self.url)
        assert match is not None
        stream = await trio.open_tcp_stream(match.group(1), int(match.group(2)))
        self._streams.append(stream)
        ws = await wrap_client_stream(
            nursery, stream, match.group(1), match.group(3), subprotocols=["ctid.v1.json"]
        )
        client = RpcTestClient(ws)
        await nursery.start(client.run)
        await client.login(token)
        return client

    async def close(self) -> None:
        """Close the test's connections (a killed daemon leaves them half-open)."""
        for stream in self._streams:
            await trio.aclose_forcefully(stream)

    async def http_get(self, path: str) -> tuple[int, str]:
        """GET ``path`` from the metrics listener (``--metrics-listen``)."""
        match = re.fullmatch(r"http://([^/]+):(\d+)/metrics", self.metrics_url)
        assert match is not None, self.metrics_url
        stream = await trio.open_tcp_stream(match.group(1), int(match.group(2)))
        async with stream:
            await stream.send_all(f"GET {path} HTTP/1.1\r\nHost: ctid\r\n\r\n".encode())
            data = b""
            while chunk := await stream.receive_some(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), body.decode()

    async def kill(self, sig: int = signal.SIGKILL) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        with trio.fail_after(START_GUARD):
            return await self.process.wait()
