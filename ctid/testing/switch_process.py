"""A fake switch as a process of its own, for tests and for trying a driver without a switch.

``python -m ctid.testing.fake_asterisk`` and ``python -m ctid.testing.fake_freeswitch``
serve the fakes of the conformance suite on real TCP sockets: ARI (HTTP and the
events WebSocket) or the event socket, exactly what ``ctid run`` connects to with
``[switch.asterisk]`` or ``[switch.freeswitch]``. The people around the switch
(phones that answer, hang up, dial, press keys and hold; outside callers) are
driven over a second, control address: an HTTP ``POST`` of one JSON-RPC 2.0
request in the ``sim.*`` vocabulary of ctid's own simulator methods, answered
with one JSON-RPC reply. docs/drivers.md lists the methods.

The fakes behave as the conformance suite checks them (``ctid/testing/conformance``);
the process only gives them sockets, a real clock and a command line. Its first
line on standard output is one JSON object with the addresses it bound (so a
test can start it on port 0); a human summary follows on standard error.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Final

import attrs
import h11
import trio

from ..numbers import parse_number_ranges
from .ari_schema import AriSchema
from .conformance.asterisk import FakeAsteriskHarness
from .conformance.freeswitch import FakeFreeSwitchHarness
from .conformance.harness import SwitchHarness
from .fake_freeswitch import External

__all__ = ["ControlError", "SwitchControl", "main", "parse_args"]

#: Largest control request body accepted.
MAX_CONTROL_BODY: Final = 64 * 1024
#: Seconds a control client has to send its whole request.
CONTROL_TIMEOUT: Final = 10.0
#: Where the ARI descriptions live in a checkout (``--api-docs`` overrides it).
DEFAULT_API_DOCS: Final = Path(__file__).resolve().parents[2] / "tests/fixtures/ari/api-docs"

_BEHAVIOURS: Final = ("answer", "busy", "noanswer", "unreachable")


class ControlError(Exception):
    """A control request that cannot be done: JSON-RPC ``code`` and a message saying why."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _invalid(message: str) -> ControlError:
    return ControlError(-32602, message)


@attrs.frozen(kw_only=True)
class Options:
    """The command line of a fake switch process."""

    kind: str
    listen: tuple[str, int]
    control: tuple[str, int]
    user: str
    password: str
    extensions: tuple[str, ...]
    trunks: int
    answer_delay: float
    api_docs: Path
    recording_dir: str | None


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (PORT 0 picks a free one)")
    return host.strip("[]"), int(port)


def parse_args(kind: str, argv: Sequence[str] | None = None) -> Options:
    """Options of ``python -m ctid.testing.fake_<kind>``; exits with usage on a mistake."""
    asterisk = kind == "asterisk"
    parser = argparse.ArgumentParser(
        prog=f"python -m ctid.testing.fake_{kind}",
        description=(
            f"A fake {'Asterisk (ARI)' if asterisk else 'FreeSWITCH (event socket)'} on a real "
            "socket, with phones and a trunk driven over a JSON-RPC control address."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    default_port = 8088 if asterisk else 8021
    parser.add_argument(
        "--listen",
        type=_address,
        default=("127.0.0.1", default_port),
        metavar="HOST:PORT",
        help="where ctid connects (ARI's HTTP server)" if asterisk else "the event socket",
    )
    parser.add_argument(
        "--control",
        type=_address,
        default=("127.0.0.1", 0),
        metavar="HOST:PORT",
        help="the JSON-RPC control address (sim.* methods); port 0 picks a free one",
    )
    if asterisk:
        parser.add_argument("--user", default="ctid", help="ARI user")
    parser.add_argument(
        "--password", default="secret" if asterisk else "ClueCon", help="the password ctid uses"
    )
    parser.add_argument(
        "--extensions",
        default="1001-1010",
        help="the phones: numbers and ranges, e.g. 1001-1010,2000 (at least four)",
    )
    parser.add_argument(
        "--trunks",
        type=int,
        default=8,
        help="lines of the provider trunk: calls it carries at once; past them a dial "
        "fails with congestion",
    )
    parser.add_argument(
        "--answer-delay",
        type=float,
        default=1.0,
        help="seconds an outside number (or an auto-answering phone) takes to answer",
    )
    if asterisk:
        parser.add_argument(
            "--api-docs",
            type=Path,
            default=DEFAULT_API_DOCS,
            help="Asterisk's ARI descriptions (every request is checked against them)",
        )
        parser.add_argument(
            "--recording-dir",
            default=None,
            help="Asterisk's recording directory: finished recordings are written there "
            "(not written when unset)",
        )
    args = parser.parse_args(argv)
    try:
        extensions = tuple(parse_number_ranges(args.extensions))
    except ValueError as exc:
        parser.error(f"--extensions: {exc}")
    if len(extensions) < 4:
        parser.error("--extensions: at least four phones are needed")
    if args.trunks < 1:
        parser.error("--trunks: at least one line")
    if args.answer_delay < 0:
        parser.error("--answer-delay: not negative")
    api_docs = getattr(args, "api_docs", DEFAULT_API_DOCS)
    if asterisk and not Path(api_docs).is_dir():
        parser.error(f"--api-docs: no directory {api_docs} (Asterisk's ARI descriptions)")
    return Options(
        kind=kind,
        listen=args.listen,
        control=args.control,
        user=getattr(args, "user", ""),
        password=args.password,
        extensions=extensions,
        trunks=args.trunks,
        answer_delay=args.answer_delay,
        api_docs=Path(api_docs),
        recording_dir=getattr(args, "recording_dir", None),
    )


def build_harness(options: Options) -> SwitchHarness:
    """The fake switch the options describe, inside the conformance suite's harness."""
    if options.kind == "asterisk":
        ast = FakeAsteriskHarness(AriSchema.load(options.api_docs), extensions=options.extensions)
        ast.fake.user = options.user
        ast.fake.password = options.password
        ast.fake.answer_delay = options.answer_delay
        ast.fake.recording_dir = options.recording_dir
        ast.fake.trunk_lines = options.trunks
        return ast
    fs = FakeFreeSwitchHarness(extensions=options.extensions, answer_delay=options.answer_delay)
    fs.fake.password = options.password
    fs.fake.trunk_lines = options.trunks
    return fs


class SwitchControl:
    """The ``sim.*`` vocabulary over one harness: the people and the network around the switch."""

    def __init__(self, harness: SwitchHarness) -> None:
        self.harness = harness
        self._held: set[str] = set()
        self.methods: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "sim.incomingCall": self._incoming_call,
            "sim.offHook": self._off_hook,
            "sim.onHook": self._on_hook,
            "sim.dial": self._dial,
            "sim.pressDigits": self._press_digits,
            "sim.holdKey": self._hold_key,
            "sim.setNumber": self._set_number,
            "sim.hears": self._hears,
            "sim.digitsHeard": self._digits_heard,
            "sim.lines": self._lines,
            "sim.messageWaiting": self._message_waiting,
            "sim.dropLink": self._drop_link,
            "sim.restoreLink": self._restore_link,
        }

    async def call(self, method: str, params: Any) -> Any:
        """Run one control method; ``ControlError`` says why it could not be done."""
        handler = self.methods.get(method)
        if handler is None:
            raise ControlError(-32601, f"method not found: {method}")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise _invalid("params must be an object")
        try:
            return await handler(params)
        except (AssertionError, LookupError) as exc:
            # The fakes refuse what the people around a switch cannot do (answer a
            # phone that does not ring, hold a phone in no call).
            raise ControlError(-32000, f"{method} refused: {exc or 'nothing to act on'}") from None

    # ------------------------------------------------------------- params

    def _phone(self, params: dict[str, Any], key: str = "device") -> str:
        device = self._text(params, key)
        if device not in self.harness.extensions:
            raise _invalid(f"{key}: {device!r} is not a phone of this switch")
        return device

    @staticmethod
    def _text(params: dict[str, Any], key: str) -> str:
        value = params.get(key)
        if not isinstance(value, str) or not value:
            raise _invalid(f"{key}: a non-empty string is required")
        return value

    def _party(self, params: dict[str, Any], key: str = "device") -> str:
        """A phone or an outside number."""
        return self._text(params, key)

    # ------------------------------------------------------------ methods

    async def _incoming_call(self, params: dict[str, Any]) -> dict[str, Any]:
        caller = self._text(params, "callingNumber")
        called = self._text(params, "calledNumber")
        lines = self._trunk_lines()
        if lines is not None and self._trunk_calls() >= lines:
            raise ControlError(-32000, f"all {lines} trunk lines are busy")
        await self.harness.incoming_call(caller, called)
        return {"callingNumber": caller, "calledNumber": called}

    async def _off_hook(self, params: dict[str, Any]) -> None:
        await self.harness.answer(self._phone(params))

    async def _on_hook(self, params: dict[str, Any]) -> None:
        device = self._party(params)
        self._held.discard(device)
        await self.harness.hang_up(device)

    async def _dial(self, params: dict[str, Any]) -> None:
        await self.harness.dial(self._phone(params), self._text(params, "number"))

    async def _press_digits(self, params: dict[str, Any]) -> None:
        digits = self._text(params, "digits")
        if any(d not in "0123456789*#ABCD" for d in digits):
            raise _invalid("digits: only 0-9, *, #, A-D")
        await self.harness.press_digits(self._party(params), digits)

    async def _hold_key(self, params: dict[str, Any]) -> dict[str, bool]:
        device = self._phone(params)
        if device in self._held:
            await self.harness.unhold(device)
            self._held.discard(device)
            return {"held": False}
        await self.harness.hold(device)
        self._held.add(device)
        return {"held": True}

    async def _set_number(self, params: dict[str, Any]) -> None:
        number = self._text(params, "number")
        behaviour = self._text(params, "behaviour")
        if behaviour not in _BEHAVIOURS:
            raise _invalid(f"behaviour: one of {', '.join(_BEHAVIOURS)}")
        harness = self.harness
        if isinstance(harness, FakeAsteriskHarness):
            harness.fake.set_number(number, behaviour)  # type: ignore[arg-type]
        elif isinstance(harness, FakeFreeSwitchHarness):
            external = {
                "answer": External.ANSWER,
                "busy": External.BUSY,
                "noanswer": External.NO_ANSWER,
                "unreachable": External.UNREACHABLE,
            }[behaviour]
            harness.fake.switch.externals[number] = external

    async def _hears(self, params: dict[str, Any]) -> dict[str, bool] | None:
        listener = self._party(params, "listener")
        hearing = self.harness.hears(listener, self._party(params, "speaker"))
        return None if hearing is None else {"hears": hearing.hears, "music": hearing.music}

    async def _digits_heard(self, params: dict[str, Any]) -> str | None:
        return self.harness.digits_heard(self._party(params))

    async def _lines(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        harness = self.harness
        if isinstance(harness, FakeAsteriskHarness):
            return [
                {
                    "channel": c.id,
                    "name": c.name,
                    "state": c.state,
                    "party": c.party,
                    "bridge": c.bridge,
                    "held": c.held,
                }
                for c in harness.fake.channels.values()
                if not c.dying
            ]
        assert isinstance(harness, FakeFreeSwitchHarness)
        return [
            {
                "channel": ch.uuid,
                "name": ch.name,
                "state": ch.callstate,
                "party": ch.party,
            }
            for ch in harness.fake.switch.channels.values()
            if not ch.hungup
        ]

    async def _message_waiting(self, params: dict[str, Any]) -> dict[str, Any]:
        device = self._phone(params)
        shown = self.harness.message_waiting(device)
        new, old = shown if shown is not None else (0, 0)
        return {"device": device, "newMessages": new, "oldMessages": old}

    async def _drop_link(self, params: dict[str, Any]) -> None:
        await self.harness.drop_link()

    async def _restore_link(self, params: dict[str, Any]) -> None:
        await self.harness.restore_link()

    def _trunk_lines(self) -> int | None:
        harness = self.harness
        if isinstance(harness, FakeAsteriskHarness):
            return harness.fake.trunk_lines
        if isinstance(harness, FakeFreeSwitchHarness):
            return harness.fake.trunk_lines
        return None

    def _trunk_calls(self) -> int:
        harness = self.harness
        if isinstance(harness, FakeAsteriskHarness):
            return harness.fake.trunk_calls()
        assert isinstance(harness, FakeFreeSwitchHarness)
        return harness.fake.switch.trunk_calls()


# ------------------------------------------------------------------ control HTTP


def _rpc_error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


async def handle_control_request(control: SwitchControl, body: bytes) -> dict[str, Any]:
    """One JSON-RPC request (bytes) to its reply (a dict)."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        return _rpc_error(None, -32700, f"parse error: {exc}")
    if not isinstance(request, dict) or not isinstance(request.get("method"), str):
        return _rpc_error(None, -32600, "invalid request: an object with a method is required")
    request_id = request.get("id")
    try:
        result = await control.call(request["method"], request.get("params"))
    except ControlError as exc:
        return _rpc_error(request_id, exc.code, exc.message)
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


async def serve_control(control: SwitchControl, stream: trio.abc.Stream) -> None:
    """Serve one control connection: one ``POST``, one JSON reply, then close."""
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_CONTROL_BODY)
    status, reply = 200, b""
    try:
        with trio.fail_after(CONTROL_TIMEOUT):
            request: h11.Request | None = None
            body = bytearray()
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await stream.receive_some(65536)
                    conn.receive_data(bytes(data))
                    continue
                if isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.Data):
                    body += event.data
                    if len(body) > MAX_CONTROL_BODY:
                        status, reply = 413, b'{"error": "request too large"}'
                        break
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
            if request is not None and status == 200:
                if request.method != b"POST":
                    status, reply = 405, b'{"error": "POST one JSON-RPC request"}'
                else:
                    reply = json.dumps(await handle_control_request(control, bytes(body))).encode()
            if request is None:
                return
            data = conn.send(
                h11.Response(
                    status_code=status,
                    headers=[
                        ("content-type", "application/json"),
                        ("content-length", str(len(reply))),
                        ("connection", "close"),
                    ],
                )
            )
            data = (data or b"") + (conn.send(h11.Data(data=reply)) or b"")
            data += conn.send(h11.EndOfMessage()) or b""
            await stream.send_all(data)
    except (trio.TooSlowError, trio.BrokenResourceError, h11.RemoteProtocolError):
        pass
    finally:
        await trio.aclose_forcefully(stream)


# ------------------------------------------------------------------------ process


async def _serve_switch(harness: SwitchHarness, stream: trio.abc.Stream) -> None:
    if isinstance(harness, FakeAsteriskHarness):
        await harness.fake.serve_stream(stream)
    elif isinstance(harness, FakeFreeSwitchHarness):
        if not harness.fake.reachable:
            await trio.aclose_forcefully(stream)
            return
        await harness.fake.serve(stream)


def _bound(listeners: Sequence[trio.SocketListener]) -> str:
    host, port = listeners[0].socket.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def run(
    options: Options,
    *,
    task_status: trio.TaskStatus[dict[str, str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve the fake switch and its control address until cancelled."""
    harness = build_harness(options)
    control = SwitchControl(harness)
    async with trio.open_nursery() as nursery:
        await harness.start(nursery)
        switch_listeners = await trio.open_tcp_listeners(options.listen[1], host=options.listen[0])
        control_listeners = await trio.open_tcp_listeners(
            options.control[1], host=options.control[0]
        )
        bound = {
            "switch": options.kind,
            "listen": _bound(switch_listeners),
            "control": f"http://{_bound(control_listeners)}/",
        }

        async def switch_handler(stream: trio.SocketStream) -> None:
            await _serve_switch(harness, stream)

        async def control_handler(stream: trio.SocketStream) -> None:
            await serve_control(control, stream)

        nursery.start_soon(trio.serve_listeners, switch_handler, switch_listeners)
        nursery.start_soon(trio.serve_listeners, control_handler, control_listeners)
        task_status.started(bound)


async def _main(options: Options) -> None:
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with trio.open_nursery() as nursery:
            bound = await nursery.start(run, options)
            print(json.dumps(bound), flush=True)
            phones = f"{options.extensions[0]}-{options.extensions[-1]}"
            print(
                f"fake {options.kind} on {bound['listen']}; phones {phones} "
                f"({len(options.extensions)}), trunk 'provider' with {options.trunks} lines; "
                f"control: POST JSON-RPC to {bound['control']}",
                file=sys.stderr,
                flush=True,
            )
            async for _ in signals:
                nursery.cancel_scope.cancel()
                break


def main(kind: str, argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m ctid.testing.fake_asterisk`` / ``fake_freeswitch``."""
    options = parse_args(kind, argv)
    try:
        trio.run(_main, options)
    except OSError as exc:
        print(f"fake {kind}: {exc}", file=sys.stderr)
        return 1
    return 0
