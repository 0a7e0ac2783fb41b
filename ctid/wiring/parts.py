"""What a service's wiring may use of the daemon being assembled: ``Parts``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..acd.service import AcdService
    from ..api.context import ApiContext
    from ..api.server import ApiServer
    from ..blocking import Blocking
    from ..bus import EventBus
    from ..calls.control import CallControl
    from ..calls.directory import Directory
    from ..calls.keep import LiveRows
    from ..calls.model import CallModel
    from ..calls.service import CallService
    from ..clock import WallClock
    from ..config import Config
    from ..ids import IdFactory
    from ..publish import CstaPublisher
    from ..reloading import Reloads
    from ..switch_drivers.base import SwitchDriver
    from ..timers import TimerQueue
    from ..tls import TlsFiles

__all__ = ["Parts"]


class Parts(Protocol):
    """The daemon's core parts and its lists of services (``app.App`` is the one implementation).

    Wiring runs after the core is built and before anything starts: it adds
    tasks to ``early_services``/``extra_services``, sinks to ``calls``, entries
    to ``api.services`` and routes to ``server``.
    """

    #: The configuration in force (a reload replaces it).
    config: Config

    @property
    def admin_token(self) -> str | None: ...

    @property
    def reloads(self) -> Reloads: ...

    @property
    def blocking(self) -> Blocking: ...

    @property
    def driver(self) -> SwitchDriver: ...

    @property
    def ids(self) -> IdFactory: ...

    @property
    def clock(self) -> WallClock: ...

    @property
    def timers(self) -> TimerQueue: ...

    @property
    def bus(self) -> EventBus: ...

    @property
    def directory(self) -> Directory: ...

    @property
    def model(self) -> CallModel: ...

    @property
    def calls(self) -> CallService: ...

    @property
    def control(self) -> CallControl: ...

    @property
    def publisher(self) -> CstaPublisher: ...

    @property
    def api(self) -> ApiContext: ...

    @property
    def server(self) -> ApiServer: ...

    @property
    def tls(self) -> TlsFiles | None: ...

    @property
    def metrics_listen(self) -> str: ...

    @property
    def acd(self) -> AcdService | None: ...

    @property
    def extra_services(self) -> list[Callable[..., Any]]: ...

    @property
    def early_services(self) -> list[Callable[..., Any]]: ...

    #: Where the calls are kept across a restart (set by the live state's wiring).
    call_store: LiveRows | None
