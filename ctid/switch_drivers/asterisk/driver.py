"""``AsteriskDriver``: the trio I/O shell around the ARI mapping core.

One connection cycle:

1. Open the events WebSocket (``/ari/events?app=...``) first, so no event
   that happens during step 2 is lost: the socket buffers it.
2. Report ``SYNCING``, read ``GET /channels`` and ``GET /bridges``, report
   ``Resynchronized`` and then ``UP``.
3. Fold events into the mapper and emit what they mean, in order, from this
   one task; send a WebSocket ping every ``heartbeat_interval`` seconds.

When the socket breaks, a ping goes unanswered or Asterisk restarts, the
driver reports ``DOWN`` and starts again after an exponential backoff with
jitter. There is only ever one events socket: the next one is opened after the
previous one is closed, so the driver never takes its own app name away from
itself. If another connection takes the app name (``ApplicationReplaced``),
the driver waits ``replaced_retry`` seconds before taking it back, so two ctid
instances pointed at one Asterisk alternate slowly instead of fighting.

All time is trio time; ``open_stream`` and ``rng`` are injectable so tests
run against ``ctid.testing.fake_asterisk`` on the mock clock.
"""

from __future__ import annotations

import json
import logging
import random
import ssl
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import quote, urlsplit

import trio
import trio_websocket

from ctid.switch_drivers.asterisk import amd, fax, rest
from ctid.switch_drivers.asterisk.commands import (
    DEFAULT_MAILBOX,
    DEFAULT_RECORDING_DIR,
    CommandRunner,
    SupervisionState,
    bridge_name,
)
from ctid.switch_drivers.asterisk.config import DEFAULT_AUTO_ANSWER, driver_options
from ctid.switch_drivers.asterisk.endpoints import EndpointConfig
from ctid.switch_drivers.asterisk.http import HttpClient, HttpError, OpenStream, basic_auth
from ctid.switch_drivers.asterisk.mapping import (
    ApplicationLost,
    AriMapper,
    Effect,
    FaxReturned,
    FollowChannel,
    StartAmd,
    StopPlaybackOnDigit,
)
from ctid.switch_drivers.base import (
    Capability,
    ChannelHungUp,
    DriverError,
    DriverUnavailable,
    LinkState,
    LinkStateChanged,
    SwitchCommand,
    SwitchDriver,
    SwitchEvent,
)
from ctid.switch_drivers.lines import WrittenLines, extensions_as_written, trunks_as_written

__all__ = ["AsteriskDriver"]

log = logging.getLogger(__name__)

#: WebSocket messages larger than this close the socket (Asterisk's are small).
_MAX_MESSAGE: Final = 4 << 20
#: Events the command runner may have waiting for the switch-event stream: each
#: refused originate is two; a full buffer (ctid far behind) fails the command
#: loudly rather than lose a call's events.
_REPORT_BUFFER: Final = 256


class _Fatal(Exception):
    """Bad configuration found while connecting (credentials refused)."""


class AsteriskDriver(SwitchDriver):
    """A switch driver for Asterisk through ARI; see the module docstring."""

    name = "asterisk"

    def __init__(
        self,
        *,
        base_url: str = "http://127.0.0.1:8088/ari",
        user: str,
        password: str,
        app: str = "ctid",
        endpoints: EndpointConfig | None = None,
        subscribe_all: bool = False,
        auto_answer_variables: Mapping[str, str] | None = None,
        dialplan_context: str | None = None,
        recording_dir: str = DEFAULT_RECORDING_DIR,
        fax_context: str = fax.DEFAULT_FAX_CONTEXT,
        amd_context: str = amd.DEFAULT_AMD_CONTEXT,
        mwi_mailbox: str = DEFAULT_MAILBOX,
        open_stream: OpenStream | None = None,
        ssl_context: ssl.SSLContext | None = None,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        jitter: float = 0.5,
        replaced_retry: float = 60.0,
        heartbeat_interval: float = 20.0,
        heartbeat_timeout: float = 10.0,
        request_timeout: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"base_url must be http(s)://host[:port]/ari, not {base_url!r}")
        if not app or "," in app:
            raise ValueError(f"bad Stasis app name {app!r}")
        if not 0 <= jitter <= 1:
            raise ValueError("jitter is a fraction between 0 and 1")
        self._host = url.hostname
        self._port = url.port or (443 if url.scheme == "https" else 80)
        self._root = url.path.rstrip("/") or "/ari"
        self._tls = url.scheme == "https"
        self._ssl_context = ssl_context
        self._user = user
        self._password = password
        self._app = app
        self._subscribe_all = subscribe_all
        self._endpoints = endpoints or EndpointConfig()
        self._auto_answer = dict(
            auto_answer_variables if auto_answer_variables is not None else DEFAULT_AUTO_ANSWER
        )
        # Every channel ctid originates carries these (see config.py: dialplan_context).
        self._variables = {"TRANSFER_CONTEXT": dialplan_context} if dialplan_context else {}
        self._recording_dir = recording_dir
        self._fax_context = fax_context
        self._amd_context = amd_context
        #: app_amd is loaded (None: not asked on this connection yet).
        self._amd_loaded: bool | None = None
        self._mwi_mailbox = mwi_mailbox
        self._raw_open = open_stream or _open_tcp
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._jitter = jitter
        self._replaced_retry = replaced_retry
        self._heartbeat_interval = heartbeat_interval
        self._heartbeat_timeout = heartbeat_timeout
        self._request_timeout = request_timeout
        self._rng = rng or random.Random()
        self._mapper = AriMapper(config=self._endpoints, app=app)
        self._commands: CommandRunner | None = None
        self._supervisions: dict[str, SupervisionState] = {}
        self._running = False
        #: How many ARI messages were skipped because they lacked required fields.
        self.malformed_events = 0

    @classmethod
    def from_config(
        cls,
        section: Mapping[str, Any],
        *,
        path: str = "switch.asterisk",
        open_stream: OpenStream | None = None,
    ) -> AsteriskDriver:
        """Build the driver from ``[switch.asterisk]`` (see ``asterisk.config``).

        ``open_stream`` replaces the TCP connect, for tests against a fake Asterisk.
        """
        return cls(**driver_options(section, path), open_stream=open_stream)

    @classmethod
    def lines_from_config(cls, section: Mapping[str, Any]) -> WrittenLines:
        """The extensions and trunks ``section`` names, even when it has problems."""
        return WrittenLines(
            extensions=extensions_as_written(section.get("extensions")),
            trunk_groups=trunks_as_written(section.get("trunks")),
        )

    @property
    def extensions(self) -> tuple[str, ...]:
        return self._endpoints.extensions

    @property
    def trunk_groups(self) -> Mapping[str, tuple[str, ...]]:
        """Each configured trunk is a group of its own one line (gateway or endpoint)."""
        return {trunk.name: (trunk.name,) for trunk in self._endpoints.trunks}

    def held_objects(self) -> Mapping[str, int]:
        return {**self._mapper.held_objects(), "supervisions": len(self._supervisions)}

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {
                Capability.SUPERVISION,
                Capability.PLAYBACK,
                Capability.RECORDING,
                Capability.RECORDING_PAUSE,
                Capability.FAX,
                Capability.SURVIVES_RESTART,
                Capability.MESSAGE_WAITING,
            }
        )

    # ---------------------------------------------------------------- commands

    async def execute(self, command: SwitchCommand) -> None:
        """Carry out one command; ``DriverUnavailable`` unless the link is UP."""
        runner = self._commands
        if runner is None:
            raise DriverUnavailable("not connected to Asterisk")
        await runner.execute(command)

    # ---------------------------------------------------------------- run loop

    async def run(
        self,
        emit: trio.MemorySendChannel[SwitchEvent],
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Connect, resynchronise and report events until cancelled; see the module docstring."""
        if self._running:
            raise RuntimeError("AsteriskDriver.run is already running")
        self._running = True
        started = False
        failures = 0

        def up() -> None:
            nonlocal started, failures
            failures = 0
            if not started:
                started = True
                task_status.started()

        try:
            while True:
                await emit.send(LinkStateChanged(state=LinkState.CONNECTING))
                try:
                    detail, replaced = await self._connect_once(emit, up)
                except _Fatal as exc:
                    raise DriverError(str(exc)) from None
                await emit.send(LinkStateChanged(state=LinkState.DOWN, detail=detail))
                if not started:
                    started = True
                    task_status.started()
                if replaced:
                    delay = self._replaced_retry
                else:
                    delay = min(self._backoff_max, self._backoff_initial * 2**failures)
                    failures += 1
                delay *= 1 - self._jitter * self._rng.random()
                log.warning("ARI link down (%s); retrying in %.2f s", detail, delay)
                await trio.sleep(delay)
        finally:
            self._commands = None
            self._running = False

    async def _open(self, host: str, port: int) -> trio.abc.Stream:
        stream = await self._raw_open(host, port)
        if not self._tls:
            return stream
        context = self._ssl_context or ssl.create_default_context()
        tls = trio.SSLStream(stream, context, server_hostname=host)
        await tls.do_handshake()
        return tls

    async def _connect_once(
        self, emit: trio.MemorySendChannel[SwitchEvent], up: Callable[[], None]
    ) -> tuple[str, bool]:
        """One connection cycle; returns why it ended and whether the app was taken."""
        try:
            stream = await self._open(self._host, self._port)
        except (OSError, trio.BrokenResourceError) as exc:
            return f"cannot connect to {self._host}:{self._port}: {exc}", False
        resource = f"{self._root}/events?app={quote(self._app, safe='')}"
        if self._subscribe_all:
            resource += "&subscribeAll=true"
        http = HttpClient(
            open_stream=self._open,
            host=self._host,
            port=self._port,
            user=self._user,
            password=self._password,
            root=self._root,
            timeout=self._request_timeout,
        )
        fatal: str | None = None
        outcome: tuple[str, bool] = ("events socket closed", False)
        try:
            async with trio.open_nursery() as nursery:
                try:
                    with trio.fail_after(self._request_timeout):
                        ws = await trio_websocket.wrap_client_stream(
                            nursery,
                            stream,  # type: ignore[arg-type]  # any trio Stream works
                            f"{self._host}:{self._port}",
                            resource,
                            extra_headers=[
                                (b"Authorization", basic_auth(self._user, self._password))
                            ],
                            max_message_size=_MAX_MESSAGE,
                        )
                except trio.TooSlowError:
                    outcome = ("events socket handshake timed out", False)
                else:
                    outcome = await self._session(ws, http, emit, up)
                nursery.cancel_scope.cancel()
        except* trio_websocket.ConnectionRejected as group:
            # trio-websocket raises a refused upgrade from its reader task.
            status = _rejected_status(group)
            if status in (401, 403):
                fatal = f"Asterisk refused the ARI credentials ({status})"
            outcome = (f"events socket refused: {status}", False)
        except* _Fatal as group:
            fatal = str(group.exceptions[0])
        except* trio_websocket.HandshakeError as group:
            outcome = (f"events socket handshake failed: {group.exceptions[0]!r}", False)
        finally:
            self._commands = None
            with trio.CancelScope(shield=True):
                await http.aclose()
                await trio.aclose_forcefully(stream)
        if fatal is not None:
            raise _Fatal(fatal)
        return outcome

    async def _session(
        self,
        ws: trio_websocket.WebSocketConnection,
        http: HttpClient,
        emit: trio.MemorySendChannel[SwitchEvent],
        up: Callable[[], None],
    ) -> tuple[str, bool]:
        await emit.send(LinkStateChanged(state=LinkState.SYNCING))
        try:
            channels = await http.request(rest.list_channels())
            bridges = await http.request(rest.list_bridges())
        except HttpError as exc:
            return f"resynchronisation failed: {exc}", False
        if channels.status in (401, 403) or bridges.status in (401, 403):
            raise _Fatal(f"Asterisk refused the ARI credentials ({channels.status})")
        if not (channels.ok and bridges.ok):
            return f"resynchronisation failed: {channels.status}/{bridges.status}", False
        live_bridges = await self._drop_empty_bridges(http, bridges.json())
        self._amd_loaded = None  # asked again on this connection, when first needed
        await emit.send(self._mapper.resync(channels.json(), live_bridges))
        # Events the command runner learns itself (an originate Asterisk refused)
        # reach ctid through this task's nursery, in order with nothing else of
        # theirs: no channel of them ever reaches the socket.
        reports, reported = trio.open_memory_channel[SwitchEvent](_REPORT_BUFFER)

        def report(events: list[SwitchEvent]) -> None:
            try:
                for event in events:
                    reports.send_nowait(event)
            except trio.WouldBlock:
                raise DriverUnavailable("ctid is too far behind Asterisk's events") from None

        self._commands = CommandRunner(
            http=http,
            mapper=self._mapper,
            endpoints=self._endpoints,
            app=self._app,
            auto_answer=self._auto_answer,
            variables=self._variables,
            supervisions=self._supervisions,
            recording_dir=self._recording_dir,
            fax_context=self._fax_context,
            report=report,
            mailbox=self._mwi_mailbox,
        )
        await emit.send(LinkStateChanged(state=LinkState.UP))
        up()
        outcome: tuple[str, bool] = ("events socket closed", False)
        async with trio.open_nursery() as nursery:

            async def heartbeat() -> None:
                nonlocal outcome
                while True:
                    await trio.sleep(self._heartbeat_interval)
                    try:
                        with trio.fail_after(self._heartbeat_timeout):
                            await ws.ping()
                    except trio.TooSlowError:
                        outcome = ("no answer to a WebSocket ping", False)
                        nursery.cancel_scope.cancel()
                        return
                    except trio_websocket.ConnectionClosed:
                        return  # the reader sees it too

            async def forward_reports() -> None:
                async for event in reported:
                    await emit.send(event)

            nursery.start_soon(heartbeat)
            nursery.start_soon(forward_reports)
            outcome = await self._pump(ws, http, emit)
            nursery.cancel_scope.cancel()
        return outcome

    async def _amd_module(self, http: HttpClient) -> bool:
        """Whether app_amd is loaded, asked once per connection (docs/drivers.md)."""
        if self._amd_loaded is None:
            answer = await http.request(amd.module_request())
            # Only 404 means "not loaded"; another refusal: try the context anyway.
            self._amd_loaded = answer.status != 404
            if not self._amd_loaded:
                log.warning(
                    "Asterisk has no %s loaded: calls that ask for answering-machine "
                    "detection are answered as 'unknown' (module load %s)",
                    amd.AMD_MODULE,
                    amd.AMD_MODULE,
                )
        return self._amd_loaded

    async def _start_amd(
        self, effect: StartAmd, http: HttpClient, emit: trio.MemorySendChannel[SwitchEvent]
    ) -> None:
        """Continue the channel into AMD(); if Asterisk refuses, answer it as ``unknown``."""
        try:
            if not await self._amd_module(http):
                why = f"{amd.AMD_MODULE} is not loaded"
                for event in self._mapper.amd_failed(effect.channel_id, why):
                    if not isinstance(event, Effect):
                        await emit.send(event)
                return
            answer = await http.request(
                amd.start_request(effect.channel_id, context=self._amd_context)
            )
        except HttpError as exc:
            why = f"continue into {self._amd_context} failed: {exc}"
        else:
            if answer.ok:
                return
            why = (
                f"continue into {self._amd_context},s,amd refused: "
                f"{answer.status} {rest.error_text(answer.body)}"
            )
        log.warning(
            "answering-machine detection cannot run on %s (%s); is the [%s] context "
            "with the label 'amd' in the dialplan (docs/drivers.md)?",
            effect.channel_id,
            why,
            self._amd_context,
        )
        for event in self._mapper.amd_failed(effect.channel_id, why):
            if not isinstance(event, Effect):
                await emit.send(event)

    async def _drop_empty_bridges(
        self, http: HttpClient, bridges: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Destroy ctid's own bridges that are empty; return the others.

        A bridge outlives the ctid that made it (a crash, a restart mid-call);
        an empty one of ours belongs to no call any more. Other programs'
        bridges are never touched: ours carry ``bridge_name(app)``.
        """
        ours = bridge_name(self._app)
        kept = []
        for bridge in bridges:
            if bridge.get("name") == ours and not bridge.get("channels"):
                try:
                    await http.request(rest.destroy_bridge(bridge["id"]))
                except HttpError as exc:
                    log.warning("could not destroy empty bridge %s: %s", bridge["id"], exc)
                    kept.append(bridge)
            else:
                kept.append(bridge)
        return kept

    async def _pump(
        self,
        ws: trio_websocket.WebSocketConnection,
        http: HttpClient,
        emit: trio.MemorySendChannel[SwitchEvent],
    ) -> tuple[str, bool]:
        while True:
            try:
                message = await ws.get_message()
            except trio_websocket.ConnectionClosed as exc:
                return f"events socket closed: {exc.reason}", False
            try:
                event = json.loads(message)
            except ValueError:
                log.error("ARI sent a message that is not JSON: %.200r", message)
                continue
            if not isinstance(event, dict):
                log.error("ARI sent a JSON message that is not an object: %.200r", message)
                continue
            try:
                outputs = self._mapper.feed(event)
            except (KeyError, TypeError, ValueError):
                # Asterisk's input is not ours to trust: a message without the
                # fields its type promises is logged and skipped, not fatal.
                self.malformed_events += 1
                log.exception("ARI sent a malformed %r event; skipped", event.get("type"))
                continue
            for output in outputs:
                if isinstance(output, Effect):
                    if isinstance(output, ApplicationLost):
                        self._commands = None
                        return output.detail, True
                    await self._apply(output, http, emit)
                else:
                    await emit.send(output)
                    if isinstance(output, ChannelHungUp) and self._commands is not None:
                        await self._commands.end_supervisions_of(output.channel_id)

    async def _apply(
        self, effect: Effect, http: HttpClient, emit: trio.MemorySendChannel[SwitchEvent]
    ) -> None:
        """Carry out an effect from the mapper, in this task so event order holds."""
        try:
            if isinstance(effect, StopPlaybackOnDigit):
                # 404 means it ended by itself meanwhile: nothing to do either way.
                await http.request(rest.stop_playback(effect.playback_id))
            elif isinstance(effect, FaxReturned):
                values: dict[str, str | None] = {}
                for name in fax.RESULT_VARIABLES:
                    answer = await http.request(rest.get_variable(effect.channel_id, name))
                    values[name] = _variable_value(answer) if answer.ok else None
                await emit.send(fax.finished(effect.fax_id, effect.path, values))
            elif isinstance(effect, StartAmd):
                await self._start_amd(effect, http, emit)
            elif isinstance(effect, FollowChannel):
                answer = await http.request(
                    rest.subscribe_application(self._app, [f"channel:{effect.channel_id}"])
                )
                if answer.status in (404, 422):
                    for event in self._mapper.channel_vanished(effect.channel_id):
                        if not isinstance(event, Effect):
                            await emit.send(event)
        except HttpError as exc:
            log.warning("ARI request for %r failed: %s", effect, exc)


def _variable_value(answer: Any) -> str | None:
    """``{"value": ...}`` of a ``GET /channels/{id}/variable`` answer."""
    try:
        value = answer.json().get("value")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _rejected_status(group: BaseExceptionGroup[trio_websocket.ConnectionRejected]) -> int:
    first = group.exceptions[0]
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return int(first.status_code)


async def _open_tcp(host: str, port: int) -> trio.abc.Stream:
    return await trio.open_tcp_stream(host, port)
