"""Fuzz campaign: hostile frames against a real ``ctid demo`` process over real sockets.

Run: ``python -m bench fuzz --frames 1000000`` (see ``--help``). The daemon
runs as a child process (``ctid demo`` with its generated traffic, ACD and
IVR, in a temporary directory); this process opens fuzzing connections
(JSON and msgpack, some logged in as admin, some not) and one healthy
client that sends ``session.ping`` at a steady rate and measures its round
trip, first alone (the baseline) and then during the campaign.

Frames are built by seeded mutation (``--seed``), cheap enough for millions:
valid requests for every method with parameters drawn from its JSON Schema,
then one of: a poison in the params (lone surrogate, integer past 2**53,
1e999, deep nesting, overlong string), a bad id or method, a batch, a byte
flipped/cut/inserted, random bytes, invalid UTF-8 in a text frame, a
fragmented message, a bad control frame, reserved bits, a message over the
size limit. A connection the server closes (as it must for protocol errors)
is opened again.

Reported: frames sent, replies seen, connections closed by the server (by
close code), internal errors (-32603 replies, 1011 closes, ERROR lines in the
daemon's log), crashes (the daemon exited), and the healthy client's
p50/p99 before and during the campaign.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from typing import Any

import msgpack
import trio

from ctid.api.methods import registry
from ctid.api.registry import json_schema

TOKEN = "fuzz-admin-token-0123456789"
SURROGATES = ("\\ud800", "\\udfff", "\\udbff", "a\\udc00b")
HUGE = ("9007199254740992", "-9007199254740993", "1" + "0" * 30, "9" * 400, "1e999", "-1e999")
#: Not sent as valid requests (the fuzz suite in tests/fuzz covers their params):
#: session.logout closes the connection (a reconnect per ~70 requests would measure
#: connecting); records.flush and sim.incomingCall wait (up to seconds) by design,
#: and requests on a connection are served in order; sim.dropLink takes the simulated
#: switch down; ivr.reload reads the flow files.
LEFT_OUT = {"session.logout", "records.flush", "sim.incomingCall", "sim.dropLink", "ivr.reload"}
METHODS = sorted(set(registry.methods) - LEFT_OUT)
SCHEMAS = {
    name: json_schema(spec.params) if spec.params is not None else None
    for name, spec in registry.methods.items()
}
DEVICES = [str(n) for n in range(1001, 1011)]


# ------------------------------------------------------------------ payloads


def value_for(schema: dict[str, Any] | None, rng: random.Random, depth: int = 0) -> Any:
    """A plausible value for a JSON Schema from ``registry.json_schema``."""
    if schema is None:
        return None
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if "anyOf" in schema:
        return value_for(rng.choice(schema["anyOf"]), rng, depth)
    kind = schema.get("type")
    if kind == "string":
        return rng.choice([*DEVICES, "", "x", "sales", "2001", "2027-01-15T08:00:00Z"])
    if kind == "integer":
        return rng.choice([0, 1, 5, -1, 1000])
    if kind == "number":
        return rng.choice([0, 0.5, 2, -3.25])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "array":
        if depth > 3:
            return []
        return [
            value_for(schema.get("items", {}), rng, depth + 1) for _ in range(rng.randint(0, 2))
        ]
    if kind == "object":
        props = schema.get("properties")
        if props is None:
            return {f"k{i}": rng.choice(["v", 1, True, None]) for i in range(rng.randint(0, 3))}
        required = set(schema.get("required", ()))
        return {
            k: value_for(v, rng, depth + 1)
            for k, v in props.items()
            if k in required or rng.random() < 0.5
        }
    return rng.choice([None, 1, "x", [], {}])


def request(rng: random.Random, request_id: int) -> dict[str, Any]:
    name = rng.choice(METHODS)
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": name}
    params = value_for(SCHEMAS[name], rng)
    if params is not None or rng.random() < 0.2:
        message["params"] = params if params is not None else {}
    return message


def _poison(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return '"' + rng.choice(SURROGATES) + '"'
    if kind == 1:
        return rng.choice(HUGE)
    if kind == 2:
        n = rng.randint(60, 3000)
        return "[" * n + "]" * n
    if kind == 3:
        return '"' + "x" * rng.randint(16_000, 17_000) + '"'
    if kind == 4:
        return rng.choice(['{"\\ud800":1}', "[1,{}]", "true", "null", '{"a":{"b":[]}}'])
    return rng.choice(["1.5", "-0", "0.0000001e-400", '""'])


def _poisoned_text(message: dict[str, Any], rng: random.Random) -> str:
    """``message`` as JSON text with one poison spliced in where a value was."""
    text = json.dumps(message)
    spots = [m.end() for m in re.finditer(r'": ', text)]
    if not spots:
        return text
    at = rng.choice(spots)
    # Replace the value that starts here (a scalar; containers are left and the
    # poison becomes a new first member/element instead).
    match = re.match(r'"(?:[^"\\]|\\.)*"|-?[0-9.eE+]+|true|false|null', text[at:])
    if match is None:
        return text[:at] + _poison(rng) + text[at:] if text[at] in "[{" else text
    return text[:at] + _poison(rng) + text[at + match.end() :]


def json_payload(rng: random.Random, request_id: int) -> str | bytes:
    """One hostile text payload (str), or raw bytes for a text frame (maybe invalid UTF-8)."""
    kind = rng.randrange(100)
    message = request(rng, request_id)
    if kind < 35:
        return _poisoned_text(message, rng)
    if kind < 45:
        message["id"] = rng.choice([1.5, 2**53, -(2**53), True, {}, [], "\ud800", 10**30])
        return json.dumps(message).replace("1e+30", "1e999")
    if kind < 52:
        message["method"] = rng.choice(["", "a\ud800", "x" * 20_000, 1, None, "rpc."])
        return json.dumps(message)
    if kind < 60:
        batch = [request(rng, request_id * 1000 + i) for i in range(rng.randint(0, 110))]
        return json.dumps(batch)
    if kind < 75:
        data = bytearray(json.dumps(message).encode())
        raw = rng.random() < 0.1  # else kept valid UTF-8: a text frame that is not closes
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(3)
            i = rng.randrange(len(data))
            if op == 0:
                data[i] = rng.randrange(256)
            elif op == 1:
                del data[i:]
                if not data:
                    data.append(rng.randrange(256))
            else:
                data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        return bytes(data) if raw else bytes(data).decode("utf-8", "replace")
    if kind < 80:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
        return data if rng.random() < 0.1 else data.decode("latin-1")
    if kind < 85:
        message["extra"] = rng.choice([1, "\ud800", {"a": 1}])
        message["jsonrpc"] = rng.choice(["2.0", "1.0", 2])
        return json.dumps(message)
    return json.dumps(message)  # plain valid requests keep the methods busy


def msgpack_payload(rng: random.Random, request_id: int) -> bytes:
    kind = rng.randrange(100)
    message = request(rng, request_id)
    params = message.setdefault("params", {})
    if kind < 15:
        params[rng.choice(["a", 1, 2.5])] = rng.choice([msgpack.ExtType(1, b"x"), b"bin", 1])
    elif kind < 30:
        params["p"] = rng.choice([float("nan"), float("inf"), 2**64 - 1, -(2**63)])
    elif kind < 40:
        nested: Any = 0
        for _ in range(rng.randint(60, 900)):
            nested = [nested]
        params["p"] = nested
    elif kind < 50:
        message["id"] = rng.choice([1.5, 2**60, True, b"id", None])
    elif kind < 65:
        data = bytearray(msgpack.packb(message, use_bin_type=True))
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    elif kind < 70:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
    try:
        return bytes(msgpack.packb(message, use_bin_type=True))
    except (ValueError, OverflowError):
        return b"\xc1"


# -------------------------------------------------------------------- frames


def frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0) -> bytes:
    """A client frame, masked with the all-zero key (valid, and no cost to mask)."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    if n < 126:
        head = bytes((first, 0x80 | n))
    elif n < 0x10000:
        head = bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


def frames_for(payload: str | bytes, binary: bool, rng: random.Random) -> list[bytes]:
    data = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else payload
    opcode = 2 if binary else 1
    kind = rng.randrange(200)
    if kind < 8 and len(data) > 1:
        cut = rng.randrange(1, len(data))
        return [frame(opcode, data[:cut], fin=False), frame(0, data[cut:])]
    if kind == 8:
        return [frame(9, bytes(rng.randrange(256) for _ in range(rng.randint(0, 125))))]
    if kind == 9:
        return [frame(rng.choice([3, 4, 5, 6, 7, 0xB, 0xF]), data[:50])]  # reserved opcode
    if kind == 10:
        return [frame(opcode, data, rsv=rng.randint(1, 7))]  # reserved bits
    if kind == 11:
        return [frame(9, b"p" * 126)]  # control frame too long
    if kind == 12:
        return [frame(0, data)]  # continuation with nothing to continue
    return [frame(opcode, data)]


# ------------------------------------------------------------------- clients


class Stats:
    def __init__(self) -> None:
        self.frames = 0
        self.bytes = 0
        self.replies = 0
        self.internal = 0
        self.closes: Counter[str] = Counter()
        self.connections = 0
        self.oversize = 0
        self.stalls = 0


async def open_ws(port: int, subprotocol: str) -> trio.SocketStream:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    await stream.send_all(
        (
            "GET /v1 HTTP/1.1\r\nHost: fuzz\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: {subprotocol}\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await stream.receive_some(4096)
        if not chunk:
            raise OSError("closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise OSError(f"handshake refused: {head[:60]!r}")
    return stream


def _reply_frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Take whole server frames (unmasked) from ``buffer``: (opcode, payload)."""
    out = []
    while len(buffer) >= 2:
        n = buffer[1] & 0x7F
        i = 2
        if n == 126:
            if len(buffer) < 4:
                break
            n, i = int.from_bytes(buffer[2:4], "big"), 4
        elif n == 127:
            if len(buffer) < 10:
                break
            n, i = int.from_bytes(buffer[2:10], "big"), 10
        if len(buffer) < i + n:
            break
        out.append((buffer[0] & 0x0F, bytes(buffer[i : i + n])))
        del buffer[: i + n]
    return out


class _Link:
    """One fuzzing connection: what was sent, what came back."""

    def __init__(self, stream: trio.SocketStream, window: int) -> None:
        self.stream = stream
        self.window = window
        self.sent = 0
        self.replies = 0
        self.closed = False
        self.caught_up = trio.Event()

    async def read(self, stats: Stats) -> None:
        buffer = bytearray()
        while True:
            try:
                data = await self.stream.receive_some(1 << 18)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                data = b""
            if not data:
                self.closed = True
                self.caught_up.set()
                return
            buffer += data
            for opcode, payload in _reply_frames(buffer):
                if opcode == 8:
                    code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                    stats.closes[str(code)] += 1
                    if code == 1011:
                        stats.internal += 1
                elif opcode in (1, 2):
                    self.replies += 1
                    stats.replies += 1
                    if b"-32603" in payload and _is_internal(payload, opcode == 2):
                        stats.internal += 1
            if self.sent - self.replies <= self.window // 2:
                self.caught_up.set()

    async def wait(self, seconds: float) -> None:
        self.caught_up = trio.Event()
        with trio.move_on_after(seconds):
            await self.caught_up.wait()


async def fuzzer(
    port: int, binary: bool, login: bool, seed: int, quota: int, stats: Stats, window: int
) -> None:
    """Send ``quota`` hostile messages, reconnecting whenever the server closes."""
    rng = random.Random(seed)
    subprotocol = "ctid.v1.msgpack" if binary else "ctid.v1.json"
    sent = 0
    request_id = 0
    while sent < quota:
        with trio.fail_after(30):
            stream = await open_ws(port, subprotocol)
        stats.connections += 1
        link = _Link(stream, window)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(link.read, stats)
            if login:
                hello = {"jsonrpc": "2.0", "id": 0, "method": "session.login"}
                hello["params"] = {"token": TOKEN}  # type: ignore[assignment]
                body = msgpack.packb(hello) if binary else json.dumps(hello).encode()
                await stream.send_all(frame(2 if binary else 1, body))
            try:
                while sent < quota and not link.closed:
                    burst = []
                    for _ in range(32):
                        request_id += 1
                        if rng.randrange(20_000) == 0:
                            stats.oversize += 1
                            payload: str | bytes = b"[" + b"0," * 600_000 + b"0]"
                        elif binary:
                            payload = msgpack_payload(rng, request_id)
                        else:
                            payload = json_payload(rng, request_id)
                        burst.extend(frames_for(payload, binary, rng))
                        sent += 1
                        link.sent += 1
                    data = b"".join(burst)
                    stats.frames += len(burst)
                    stats.bytes += len(data)
                    with trio.move_on_after(30) as stuck:  # a server that stops reading
                        await stream.send_all(data)
                    if stuck.cancelled_caught:
                        stats.stalls += 1
                        break
                    if link.sent - link.replies > window:
                        await link.wait(2.0)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass
            with trio.move_on_after(2.0):
                while not link.closed and link.replies < link.sent:
                    await link.wait(2.0)
            nursery.cancel_scope.cancel()
        await stream.aclose()


def _is_internal(payload: bytes, binary: bool) -> bool:
    try:
        reply = msgpack.unpackb(payload, raw=False) if binary else json.loads(payload)
    except ValueError:
        return False
    items = reply if isinstance(reply, list) else [reply]
    return any(
        isinstance(r, dict)
        and isinstance(r.get("error"), dict)
        and r["error"].get("code") == -32603
        for r in items
    )


async def healthy(port: int, interval: float, samples: list[float], stop: trio.Event) -> None:
    stream = await open_ws(port, "ctid.v1.json")
    buffer = bytearray()

    async def exchange(message: dict[str, Any]) -> Any:
        await stream.send_all(frame(1, json.dumps(message).encode()))
        found = None
        while True:
            for opcode, payload in _reply_frames(buffer):
                if opcode == 9:  # the server's keep-alive ping
                    await stream.send_all(frame(10, payload))
                elif opcode == 1:
                    reply = json.loads(payload)
                    if reply.get("id") == message["id"]:
                        found = reply
            if found is not None:
                return found
            data = await stream.receive_some(1 << 16)
            if not data:
                raise OSError("the healthy connection was closed")
            buffer.extend(data)

    reply = await exchange(
        {"jsonrpc": "2.0", "id": 0, "method": "session.login", "params": {"token": TOKEN}}
    )
    assert "result" in reply, reply
    n = 0
    while not stop.is_set():
        n += 1
        started = time.perf_counter()
        reply = await exchange({"jsonrpc": "2.0", "id": n, "method": "session.ping"})
        samples.append(time.perf_counter() - started)
        if "result" not in reply:
            raise OSError(f"healthy ping failed: {reply}")
        await trio.sleep(interval)
    await stream.aclose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


# ---------------------------------------------------------------------- main


def start_daemon(workdir: str) -> tuple[subprocess.Popen[bytes], int, Any]:
    """``ctid demo`` on a free port; its stdout and stderr (the log) go to a file."""
    env = dict(os.environ, CTID_ADMIN_TOKEN=TOKEN)
    log = open(os.path.join(workdir, "ctid.log"), "w+b")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-u",  # the log unbuffered: what happened last is in the file
            "-c",
            # SIGUSR1 dumps every thread's stack into the log (a stuck daemon shows where).
            "import faulthandler, signal, sys; faulthandler.register(signal.SIGUSR1); "
            "from ctid.cli import main; sys.argv[0] = 'ctid'; sys.exit(main())",
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--seed",
            "1",
        ],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        with open(log.name, "rb") as f:
            found = re.search(rb"ws://127\.0\.0\.1:(\d+)/v1", f.read())
        if found:
            return proc, int(found.group(1)), log
        time.sleep(0.2)
    raise SystemExit(f"ctid demo did not start; see {log.name}")


async def campaign(
    args: argparse.Namespace, port: int, proc: subprocess.Popen[str]
) -> dict[str, Any]:
    stats = Stats()
    baseline: list[float] = []
    during: list[float] = []
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(healthy, port, args.ping_interval, baseline, stop)
        await trio.sleep(args.baseline)
        stop.set()
    stop = trio.Event()
    started = time.perf_counter()
    kinds = [(False, True), (False, False), (True, True), (True, False)]
    per_worker = args.frames // args.connections
    failures: list[str] = []

    async def one(i: int) -> None:
        binary, login = kinds[i % len(kinds)]
        try:
            await fuzzer(port, binary, login, args.seed * 1000 + i, per_worker, stats, 256)
        except (OSError, trio.TooSlowError) as exc:  # the daemon is gone, or stuck
            failures.append(f"fuzzer {i}: {exc}")

    async def progress() -> None:
        while True:
            await trio.sleep(15)
            print(
                f"  {stats.frames} frames, {stats.replies} replies, {stats.internal} internal "
                f"errors, daemon {'alive' if proc.poll() is None else 'DEAD'}",
                file=sys.stderr,
            )

    async with trio.open_nursery() as nursery:
        nursery.start_soon(healthy, port, args.ping_interval, during, stop)
        nursery.start_soon(progress)
        async with trio.open_nursery() as inner:
            for i in range(args.connections):
                inner.start_soon(one, i)
        stop.set()
        nursery.cancel_scope.cancel()
    elapsed = time.perf_counter() - started
    return {
        "stats": stats,
        "elapsed": elapsed,
        "baseline": baseline,
        "during": during,
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench fuzz")
    parser.add_argument("--frames", type=int, default=100_000, help="frames to send in all")
    parser.add_argument("--connections", type=int, default=8, help="fuzzing connections")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline", type=float, default=5.0, help="seconds of healthy pings alone"
    )
    parser.add_argument("--ping-interval", type=float, default=0.01)
    args = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="ctid-fuzz-")
    proc, port, log = start_daemon(workdir)
    try:
        result = trio.run(campaign, args, port, proc)
    finally:
        crashed = proc.poll() is not None
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    log.seek(0)
    daemon_log = log.read().decode("utf-8", "replace")
    log.flush()
    errors = [line for line in daemon_log.splitlines() if " ERROR " in line or "Traceback" in line]
    stats: Stats = result["stats"]
    print(f"command: python -m bench fuzz {' '.join(argv or sys.argv[2:])}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"load average at the end: {os.getloadavg()}")
    print(f"frames sent: {stats.frames} ({stats.bytes / 1e6:.0f} MB) in {result['elapsed']:.0f} s")
    print(f"messages over the size limit: {stats.oversize}")
    print(f"replies: {stats.replies}; fuzzing connections opened: {stats.connections}")
    print(f"closed by the server, by code: {dict(sorted(stats.closes.items()))}")
    print(f"crashes (daemon exited): {1 if crashed else 0}")
    print(f"stalls (the daemon did not read a connection for 30 s): {stats.stalls}")
    for failure in result["failures"]:
        print("   ", failure)
    print(f"internal errors (-32603 replies, 1011 closes): {stats.internal}")
    print(f"ERROR/Traceback lines in the daemon's log: {len(errors)}")
    for line in errors[:10]:
        print("   ", line)
    for name in ("baseline", "during"):
        samples = result[name]
        print(
            f"healthy ping {name}: {len(samples)} pings, p50 {percentile(samples, 0.5):.2f} ms, "
            f"p99 {percentile(samples, 0.99):.2f} ms, max {percentile(samples, 1.0):.2f} ms"
        )
    if errors:
        kept = os.path.join(tempfile.gettempdir(), "ctid-fuzz-last.log")
        shutil.copy(log.name, kept)
        print(f"the daemon's log is kept in {kept}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
