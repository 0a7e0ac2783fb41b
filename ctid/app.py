"""The composition root: builds every part of the daemon from a ``Config`` and runs them.

Every long-lived task belongs to the nursery in ``App.run`` (or to a nursery
of a service started from it), and everything stops when it is cancelled:
nothing outlives the daemon. Services start in dependency order, each through
``nursery.start`` so the next one starts only when the previous is ready.
"""

from __future__ import annotations

import logging
import re
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import trio

from . import __version__
from .api.context import ApiContext, ApiLimits
from .api.methods import load_all as load_api_methods
from .api.methods.base import registry
from .api.server import ApiServer, ServerOptions
from .auth_setup import (
    AuthReloader,
    build_authenticator,
    build_credentials,
    build_throttle,
    check_admin_token,
)
from .blocking import Blocking, in_thread
from .bus import BusLimits, EventBus
from .calls.control import CallControl
from .calls.directory import Directory
from .calls.keep import LiveRows
from .calls.model import CallModel
from .calls.service import CallService
from .clock import WallClock
from .cluster.install import build_cluster
from .cluster.node import ClusterNode, LeaseClient
from .config import Config, ConfigError, parse_listen
from .descriptors import raise_limit
from .errors import listen_error
from .ids import IdFactory
from .publish import CstaPublisher
from .reloading import Reloads
from .sdnotify import Notifier, NotifySettings, status_line
from .switch_drivers.base import SwitchDriver
from .switch_drivers.simulator.driver import SimulatorDriver
from .timers import TimerQueue
from .tls import TlsError, TlsFiles
from .transport import OriginPolicy, parse_proxies
from .wiring.driver import build_driver
from .wiring.reload import reload_config

if TYPE_CHECKING:
    from .acd.service import AcdService
    from .ivr.service import IvrService

__all__ = ["App", "build_credentials", "build_driver"]

log = logging.getLogger(__name__)

#: Seconds the active part waits at start for the switch's first list of calls
#: before starting the services that restore live state on them.
FIRST_RESYNC_WAIT = 10.0


def server_options(config: Config) -> ServerOptions:
    """The API listener's rules from ``[server]`` and ``[api]`` (checked by the loader)."""
    return ServerOptions(
        max_connections=config.server.max_connections,
        max_connections_per_address=config.server.max_connections_per_address,
        trusted_proxies=parse_proxies(config.server.trusted_proxies),
        origins=OriginPolicy.from_config(config.api.allowed_origins),
    )


def load_tls(config: Config) -> TlsFiles | None:
    """The configured certificate, loaded; ``ConfigError`` if it cannot be."""
    server = config.server
    if not server.tls_certificate:
        return None
    try:
        return TlsFiles(config.path(server.tls_certificate), config.path(server.tls_private_key))
    except TlsError as exc:
        raise ConfigError(config.file, "server.tls_certificate", str(exc)) from None


class App:
    """The daemon. ``run`` serves until cancelled; after ``started`` the parts are reachable."""

    def __init__(
        self,
        config: Config,
        *,
        driver: SwitchDriver | None = None,
        admin_token: str | None = None,
        ids: IdFactory | None = None,
        anchor_wall: float | None = None,
        listen: str | None = None,
        handle_signals: bool = False,
        serve_api: bool = True,
        blocking: Blocking = in_thread,
    ) -> None:
        self.config = config
        #: How services run blocking work (database, files): worker threads;
        #: ``blocking.inline`` in tests on MockClock.
        self.blocking = blocking
        self.driver = driver or build_driver(config)
        self.admin_token = admin_token
        self.ids = ids or IdFactory()
        self.anchor_wall = anchor_wall
        self.listen = listen or config.server.listen
        self.metrics_listen = config.server.metrics_listen
        self.handle_signals = handle_signals
        #: False runs the daemon without opening its API socket (``ctid simulate``
        #: drives it in-process on MockClock, where a real socket has no place).
        self.serve_api = serve_api
        #: Extra long-lived services started after the core (demo traffic, ...).
        self.extra_services: list[Callable[..., Any]] = []
        #: The ACD service, when the configuration has an ``[acd]`` table.
        self.acd: AcdService | None = None
        self.addresses: list[tuple[str, int]] = []
        self._ready = False
        #: The hot-standby election, when the configuration has a ``[cluster]`` table.
        self.cluster: ClusterNode | None = None
        #: Replaces the PostgreSQL lease of ``[cluster]`` (tests on MockClock).
        self.cluster_lease: LeaseClient | None = None
        #: A node starting again after it lost the lease: serve as a standby at once
        #: and wait for the database rather than exit (``ClusterNode.patient``).
        self.patient_start = False
        #: The certificate of wss:// (and https:// metrics), when configured.
        self.tls = load_tls(config)
        #: Where the calls are kept across a restart (``calls.keep``), if anywhere.
        self.call_store: LiveRows | None = None
        #: Services started before the calls (and so before the switch driver): what
        #: the calls restore from at start, such as the live store.
        self.early_services: list[Callable[..., Any]] = []
        #: systemd's notify socket and watchdog (``ctid run`` reads them from the
        #: environment); off by default.
        self.notify = NotifySettings()
        self.notifier: Notifier | None = None
        #: What ``ctid reload`` (SIGHUP) changes, by section (``ctid.reloading``).
        self.reloads = Reloads()

    # The parts, available once run() has started them.
    clock: WallClock
    timers: TimerQueue
    bus: EventBus
    directory: Directory
    model: CallModel
    calls: CallService
    control: CallControl
    publisher: CstaPublisher
    api: ApiContext
    server: ApiServer
    ivr: IvrService

    def _build(self) -> None:
        config = self.config
        if self.serve_api:
            # Every method registered before a client can call one; a daemon with no
            # API socket (ctid simulate) imports only the families its wiring uses.
            load_api_methods()
        check_admin_token(config, self.admin_token)
        self.clock = WallClock.start(self.anchor_wall)
        self.timers = TimerQueue()
        self.bus = EventBus(
            BusLimits(
                replay_events=config.events.replay_events,
                replay_seconds=config.events.replay_seconds,
                max_pending=config.events.max_pending,
            )
        )
        self.directory = Directory(
            extensions=set(self.driver.extensions),
            external_pattern=re.compile(config.switch.external_pattern),
        )
        self.model = CallModel(
            ids=self.ids,
            directory=self.directory,
            now=trio.current_time,
            ring_timeout=config.switch.ring_timeout,
        )
        self.calls = CallService(model=self.model, driver=self.driver, clock=self.clock)
        self.control = CallControl(self.model)
        self.publisher = CstaPublisher(self.bus, self.clock)
        self.calls.event_sinks.append(self.publisher)
        from .api.session import SessionManager

        sessions = SessionManager(
            bus=self.bus,
            timers=self.timers,
            ids=self.ids,
            linger=config.events.replay_seconds,
            clock=self.clock,
        )
        self.api = ApiContext(
            calls=self.calls,
            bus=self.bus,
            sessions=sessions,
            auth=build_authenticator(config, self.admin_token, self.clock.now),
            throttle=build_throttle(config),
            clock=self.clock,
            registry=registry,
            server_version=__version__,
            limits=ApiLimits(
                max_message_bytes=config.api.max_message_bytes,
                login_timeout=config.api.login_timeout,
                ping_interval=config.api.ping_interval,
                max_monitors=config.api.max_monitors,
            ),
            simulator=self.driver if isinstance(self.driver, SimulatorDriver) else None,
        )
        self.server = ApiServer(self.api, server_options(config))
        if self.tls is not None:
            self.server.tls = self.tls.context
            self.api.services.setdefault("reload", []).append(self._reload_tls)
        self.cluster = build_cluster(config, self.cluster_lease)
        if self.cluster is not None:
            self.cluster.patient = self.patient_start
            self.api.services["cluster"] = self.cluster
        if config.auth.jwt is not None:
            reloader = AuthReloader(config, self.api.auth, self.blocking)
            self.api.services["auth_reloader"] = reloader
            self.api.services.setdefault("reload", []).append(reloader.reload_soon)
            self.extra_services.append(reloader.run)
        self._install_services()

    def _install_services(self) -> None:
        """Each ctid service wires itself in here: tasks (``extra_services``), event and
        notice sinks, route points, API context entries (``api.services``), HTTP routes.

        One line per service keeps the composition in one readable place.
        """
        from .api.methods.recording import download_route
        from .wiring.acd import AcdDestinations, install_acd
        from .wiring.callerinfo import install_caller_info
        from .wiring.fax import install_fax
        from .wiring.http_rpc import install_http_rpc
        from .wiring.ivr import install_ivr
        from .wiring.livestate import install_livestate
        from .wiring.metrics import install_metrics
        from .wiring.outbound import install_campaign_dialling, install_outbound_routing
        from .wiring.recording import install_recording
        from .wiring.records import install_records
        from .wiring.reload import install_reload
        from .wiring.voicemail import install_voicemail
        from .wiring.webhooks import install_announcer, install_webhooks

        install_outbound_routing(self)
        self.acd = install_acd(self)
        # The IVR sends callers to the ACD's queues and agents when there is an ACD.
        destinations = AcdDestinations(self.acd, self.control) if self.acd is not None else None
        self.ivr = install_ivr(self, queues=destinations, agents=destinations)
        install_records(self)
        install_campaign_dialling(self)
        install_recording(self)
        install_voicemail(self)
        install_announcer(self)
        install_webhooks(self)
        install_fax(self)
        # After the services it keeps state for: its task must start before theirs.
        install_livestate(self)
        self.server.routes["/recordings/download"] = download_route(self.api)
        install_http_rpc(self)
        install_metrics(self)
        install_reload(self)
        install_caller_info(self)

    @property
    def url(self) -> str:
        host, port = self.addresses[0]
        if ":" in host:
            host = f"[{host}]"
        scheme = "wss" if self.tls is not None else "ws"
        return f"{scheme}://{host}:{port}/v1"

    def _reload_tls(self) -> None:
        """SIGHUP: new connections get the certificate now in the files; open ones stay."""
        assert self.tls is not None
        if self.tls.reload():
            self.server.tls = self.tls.context

    async def run(self, *, task_status: trio.TaskStatus[App] = trio.TASK_STATUS_IGNORED) -> None:
        self._build()
        host, port = parse_listen(self.listen)
        async with trio.open_nursery() as nursery:
            await nursery.start(self.timers.run)
            if self.cluster is None:
                await nursery.start(self._serve_switch)
            if self.serve_api:
                raise_limit()
                try:
                    self.addresses = await nursery.start(self.server.serve, host, port)
                except OSError as exc:
                    setting = f"server.listen in {self.config.file} (or --listen)"
                    raise listen_error(exc, host, port, setting) from None
            if self.cluster is not None:
                # A standby serves too: it answers logins with where the active node is.
                await nursery.start(self.cluster.run, self._serve_switch, self._step_down)
            if self.handle_signals:
                # Started (not start_soon): the handlers are in place before anyone is
                # told the daemon runs, so a signal right after the banner is ours.
                await nursery.start(self._signals, nursery.cancel_scope)
            if self.serve_api:
                log.info("ctid %s serving %s (driver %s)", __version__, self.url, self.driver.name)
            if self.notify.enabled:
                # READY=1 now: the API listens and the switch link is up or being retried.
                self.notifier = Notifier(self.notify, self._status_line)
                await nursery.start(self.notifier.run)
            task_status.started(self)

    async def _serve_switch(
        self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """The active part: the switch driver and the services acting on calls."""
        async with trio.open_nursery() as nursery:
            for service in self.early_services:
                await nursery.start(service)
            if self.call_store is not None:
                # Before the driver starts: its first resync restores the stored calls.
                self.calls.keep(self.call_store)
            await nursery.start(self.calls.run)
            if self.call_store is not None:
                await self._first_resync()
            for service in self.extra_services:
                await nursery.start(service)
            # Calls that ended while ctid was away end now that every service has
            # its part of them back (agents to after-call work, records closed).
            self.calls.clear_ended_while_down()
            task_status.started()

    async def _first_resync(self) -> None:
        """Wait (a while) for the switch's calls: the services restore their state on them.

        A switch that does not answer within ``FIRST_RESYNC_WAIT`` does not hold the
        daemon up; what it keeps of calls is then matched when the switch comes back.
        """
        with trio.move_on_after(FIRST_RESYNC_WAIT):
            await self.calls.resynced.wait()
        if not self.calls.resynced.is_set():
            log.warning(
                "the switch's calls are not known %g s after start; services restore without them",
                FIRST_RESYNC_WAIT,
            )

    async def _step_down(self, reason: str) -> None:
        """Leadership lost (the switch driver has stopped): close every client.

        1012 is WebSocket's "service restart"; ``reason`` is in the log (a close
        reason must fit in 123 bytes).
        """
        self.server.close_all(1012, "this ctid node is no longer active: reconnect")
        await self.server.wait_idle()

    def _status_line(self) -> str:
        return status_line(self.model.link_state.value, len(self.api.sessions.sessions))

    async def _signals(
        self,
        scope: trio.CancelScope,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
            task_status.started()
            async for signum in signals:
                if signum in (signal.SIGTERM, signal.SIGINT):
                    # Ctrl-C stops like SIGTERM: clients told, records flushed, exit 0.
                    name = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C (SIGINT)"
                    log.info("%s: closing connections and stopping", name)
                    if self.notifier is not None:
                        self.notifier.stopping()
                    self.server.close_all()
                    with trio.move_on_after(2):
                        await self.server.wait_idle()
                    for hook in self.api.services.get("shutdown", []):
                        await hook()
                    scope.cancel()
                    return
                log.info("SIGHUP: reloading")
                for reload in self.api.services.get("reload", []):
                    reload()
                await reload_config(self)
