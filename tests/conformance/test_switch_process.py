"""The fake switches as processes: ctid (a real ``ctid run``) drives them over real sockets.

``python -m ctid.testing.fake_asterisk`` / ``fake_freeswitch`` start on port 0, print
their addresses, and take the ``sim.*`` vocabulary on their control address; a real
daemon connects to them as to the real switch, and the test sees the calls through the
daemon's API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import trio

from ctid.testing.switch_process import handle_control_request

from ..records.daemon import START_GUARD, Daemon

pytestmark = pytest.mark.slow

CALLER = "5550001"


class FakeSwitchProcess:
    """One ``python -m ctid.testing.fake_<kind>`` child and its control address."""

    def __init__(self, kind: str, *args: str) -> None:
        self.kind = kind
        self.args = args
        self.process: trio.Process | None = None
        self.listen = ""
        self.control = ""

    async def start(self) -> None:
        self.process = await trio.lowlevel.open_process(
            [
                sys.executable,
                "-m",
                f"ctid.testing.fake_{self.kind}",
                "--listen",
                "127.0.0.1:0",
                *self.args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        line = b""
        with trio.fail_after(START_GUARD):
            while not line.endswith(b"\n"):
                chunk = await self.process.stdout.receive_some(1)
                assert chunk, "the fake switch exited before printing its addresses"
                line += chunk
        bound = json.loads(line)
        assert bound["switch"] == self.kind
        self.listen = bound["listen"]
        self.control = bound["control"]

    async def sim(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST one JSON-RPC request to the control address; the whole reply."""
        host_port = self.control.removeprefix("http://").rstrip("/")
        host, _, port = host_port.rpartition(":")
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}})
        stream = await trio.open_tcp_stream(host, int(port))
        async with stream:
            await stream.send_all(
                f"POST / HTTP/1.1\r\nHost: fake\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
            )
            data = b""
            while chunk := await stream.receive_some(65536):
                data += chunk
        head, _, payload = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        reply: dict[str, Any] = json.loads(payload)
        return reply

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            with trio.fail_after(START_GUARD):
                status = await self.process.wait()
            # SIGTERM is a clean stop for the fake too.
            assert status == 0


def _config(path: Path, state: Path, kind: str, listen: str) -> Path:
    host, _, port = listen.rpartition(":")
    if kind == "asterisk":
        switch = f"""
[switch.asterisk]
base_url = "http://{host}:{port}/ari"
user = "ctid"
password = "fake-ari-password"
app = "ctid"
extensions = "1001-1006"

[[switch.asterisk.trunks]]
name = "provider"
endpoint = "PJSIP/trunk-provider"
dial = "PJSIP/{{number}}@trunk-provider"
"""
    else:
        switch = f"""
[switch.freeswitch]
host = "{host}"
port = {port}
password = "fake-esl-password"
extensions = "1001-1006"
dialplan_context = "ctid"

[[switch.freeswitch.trunks]]
name = "provider"
dial = "sofia/gateway/provider/{{number}}"
profiles = ["external"]
"""
    path.write_text(
        f"""
[server]
listen = "127.0.0.1:0"
state_dir = "{state}"

[api]
ping_interval = 0

[auth]
admin_token_env = "CTID_ADMIN_TOKEN"

[switch]
driver = "{kind}"
{switch}
"""
    )
    return path


@pytest.mark.parametrize("kind", ["asterisk", "freeswitch"])
async def test_a_real_daemon_takes_calls_from_the_fake_switch_process(
    kind: str, tmp_path: Path
) -> None:
    password = "fake-ari-password" if kind == "asterisk" else "fake-esl-password"
    switch = FakeSwitchProcess(
        kind, "--password", password, "--extensions", "1001-1006", "--trunks", "1"
    )
    await switch.start()
    try:
        config = _config(tmp_path / "ctid.toml", tmp_path / "state", kind, switch.listen)
        daemon = Daemon(config)
        async with trio.open_nursery() as nursery:
            await daemon.start(nursery)
            client = await daemon.client(nursery)
            # Logged in first, so a link that comes up later is an event to this session.
            if await _link(daemon) != "up":
                await client.event("SystemStatusEvent", systemStatus="normal")
            await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})

            reply = await switch.sim(
                "sim.incomingCall", {"callingNumber": CALLER, "calledNumber": "1002"}
            )
            assert reply["result"] == {"callingNumber": CALLER, "calledNumber": "1002"}
            delivered = await client.event("DeliveredEvent")
            assert delivered["callingDevice"] == CALLER
            assert delivered["alertingDevice"] == "1002"

            # One trunk line, and it is taken: the switch refuses a second caller.
            full = await switch.sim(
                "sim.incomingCall", {"callingNumber": "5550002", "calledNumber": "1003"}
            )
            assert full["error"] == {"code": -32000, "message": "all 1 trunk lines are busy"}

            assert (await switch.sim("sim.offHook", {"device": "1002"}))["result"] is None
            established = await client.event("EstablishedEvent")
            assert established["answeringDevice"] == "1002"
            assert established["callingDevice"] == CALLER
            lines = (await switch.sim("sim.lines"))["result"]
            assert sorted(line["party"] for line in lines if line["party"]) in (
                [CALLER],
                ["1002", CALLER],
            )

            await switch.sim("sim.onHook", {"device": CALLER})
            cleared = await client.event("ConnectionClearedEvent")
            assert cleared["releasingDevice"] == CALLER
            await daemon.close()
            await daemon.kill()
            nursery.cancel_scope.cancel()
    finally:
        await switch.stop()


async def _link(daemon: Daemon) -> str:
    """The switch link as the daemon's ``/healthz`` (on the API port) tells it."""
    host_port = daemon.url.removeprefix("ws://").split("/")[0]
    host, _, port = host_port.rpartition(":")
    stream = await trio.open_tcp_stream(host, int(port))
    async with stream:
        await stream.send_all(b"GET /healthz HTTP/1.1\r\nHost: ctid\r\n\r\n")
        data = b""
        while chunk := await stream.receive_some(65536):
            data += chunk
    link: str = json.loads(data.partition(b"\r\n\r\n")[2])["driver"]
    return link


async def test_control_requests_are_checked_before_anything_is_done() -> None:
    from ctid.testing.switch_process import SwitchControl

    control = SwitchControl.__new__(SwitchControl)
    control.methods = {}
    assert await handle_control_request(control, b"{") == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {
            "code": -32700,
            "message": "parse error: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        },
    }
    assert await handle_control_request(control, b"[]") == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {
            "code": -32600,
            "message": "invalid request: an object with a method is required",
        },
    }
    unknown = b'{"jsonrpc": "2.0", "id": 7, "method": "sim.fly"}'
    assert await handle_control_request(control, unknown) == {
        "jsonrpc": "2.0",
        "id": 7,
        "error": {"code": -32601, "message": "method not found: sim.fly"},
    }


@pytest.mark.parametrize("kind", ["asterisk", "freeswitch"])
async def test_the_control_refuses_what_the_people_at_a_switch_cannot_do(
    kind: str, autojump_clock: trio.testing.MockClock
) -> None:
    from ctid.testing.conformance.asterisk import FakeAsteriskHarness
    from ctid.testing.conformance.freeswitch import FakeFreeSwitchHarness
    from ctid.testing.fake_freeswitch import Lamp
    from ctid.testing.switch_process import SwitchControl, build_harness, parse_args

    options = parse_args(kind, ["--extensions", "1001-1004", "--trunks", "2"])
    harness = build_harness(options)
    control = SwitchControl(harness)
    async with trio.open_nursery() as nursery:
        await harness.start(nursery)

        async def error(method: str, params: dict[str, Any]) -> dict[str, Any]:
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
            reply = await handle_control_request(control, body.encode())
            assert "result" not in reply
            return reply["error"]  # type: ignore[no-any-return]

        assert await error("sim.offHook", {"device": "1009"}) == {
            "code": -32602,
            "message": "device: '1009' is not a phone of this switch",
        }
        assert await error("sim.offHook", {"device": 1001}) == {
            "code": -32602,
            "message": "device: a non-empty string is required",
        }
        refused = await error("sim.offHook", {"device": "1001"})
        assert refused["code"] == -32000
        assert refused["message"].startswith("sim.offHook refused: ")
        assert await error("sim.setNumber", {"number": "555", "behaviour": "explode"}) == {
            "code": -32602,
            "message": "behaviour: one of answer, busy, noanswer, unreachable",
        }
        assert await error("sim.pressDigits", {"device": "1001", "digits": "12x"}) == {
            "code": -32602,
            "message": "digits: only 0-9, *, #, A-D",
        }
        assert await error("sim.lines", []) == {  # type: ignore[arg-type]
            "code": -32602,
            "message": "params must be an object",
        }
        assert await control.call("sim.lines", {}) == []
        # The phones' message-waiting lamps, as the switch shows them.
        assert await control.call("sim.messageWaiting", {"device": "1001"}) == {
            "device": "1001",
            "newMessages": 0,
            "oldMessages": 0,
        }
        if isinstance(harness, FakeAsteriskHarness):
            harness.fake.mailboxes["1001@ctid"] = (2, 1)
        else:
            assert isinstance(harness, FakeFreeSwitchHarness)
            harness.fake.lamps["1001"] = Lamp(lit=True, new=2, old=1)
        assert await control.call("sim.messageWaiting", {"device": "1001"}) == {
            "device": "1001",
            "newMessages": 2,
            "oldMessages": 1,
        }
        assert await error("sim.messageWaiting", {"device": "+15550100"}) == {
            "code": -32602,
            "message": "device: '+15550100' is not a phone of this switch",
        }
        nursery.cancel_scope.cancel()


def test_the_command_line_names_its_mistakes(capsys: pytest.CaptureFixture[str]) -> None:
    from ctid.testing.switch_process import parse_args

    options = parse_args(
        "freeswitch",
        [
            "--listen",
            "127.0.0.1:0",
            "--password",
            "PW",
            "--extensions",
            "1001-1010",
            "--trunks",
            "8",
        ],
    )
    assert options.listen == ("127.0.0.1", 0)
    assert options.password == "PW"
    assert options.extensions == tuple(str(n) for n in range(1001, 1011))
    assert options.trunks == 8
    asterisk = parse_args("asterisk", ["--user", "U", "--password", "PW"])
    assert (asterisk.user, asterisk.password, asterisk.listen) == ("U", "PW", ("127.0.0.1", 8088))
    for argv, message in [
        (["--listen", "nowhere"], "--listen: 'nowhere' is not HOST:PORT"),
        (["--extensions", "1001-1003"], "--extensions: at least four phones are needed"),
        (["--trunks", "0"], "--trunks: at least one line"),
    ]:
        with pytest.raises(SystemExit) as exited:
            parse_args("freeswitch", argv)
        assert exited.value.code == 2
        assert message in capsys.readouterr().err
