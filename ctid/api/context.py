"""What API methods can reach: the daemon's services, and the request's session."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs

from ..bus import EventBus
from ..calls.errors import CstaError, CstaErrorValue
from ..calls.service import CallService
from ..clock import WallClock
from .auth import Authenticator, Role
from .registry import Registry
from .session import Session, SessionManager
from .throttle import LoginThrottle

if TYPE_CHECKING:
    from ..switch_drivers.simulator.driver import SimulatorDriver
    from .connection import WsConnection

__all__ = ["ApiContext", "ApiLimits", "RequestContext"]


@attrs.frozen(kw_only=True)
class ApiLimits:
    #: Largest WebSocket message accepted, in bytes.
    max_message_bytes: int = 1 << 20
    #: Seconds a new connection has to log in.
    login_timeout: float = 30.0
    #: Seconds between keep-alive pings (0: none). A connection that does not
    #: answer within another interval is closed; its session can resume.
    ping_interval: float = 30.0
    #: Monitors one session may hold.
    max_monitors: int = 1000
    #: Failed logins before a connection is closed.
    max_failed_logins: int = 3


@attrs.define(eq=False)
class ApiContext:
    """The daemon's services as the API sees them (built by ``app.py``)."""

    calls: CallService
    bus: EventBus
    sessions: SessionManager
    auth: Authenticator
    clock: WallClock
    registry: Registry
    server_version: str
    limits: ApiLimits = attrs.field(factory=ApiLimits)
    #: Failed logins per client address (brute-force protection).
    throttle: LoginThrottle = attrs.field(factory=LoginThrottle)
    simulator: SimulatorDriver | None = None
    #: ctid services by name ("acd", "ivr", "records"), for their API methods.
    services: dict[str, Any] = attrs.field(factory=dict)
    #: Extra devices a session may act on (e.g. where its agent is logged on).
    device_grants: list[Callable[[Session], Iterable[str]]] = attrs.field(factory=list)
    #: Further checks before a session acts on a device, for every role but admin;
    #: each raises ``CstaError`` to refuse (e.g. the ACD: a supervisor acts only on
    #: agents of the queues it supervises).
    device_policies: list[Callable[[Session, str], None]] = attrs.field(factory=list)
    #: ctid monitor objects besides ``deviceObject``/``callObject``: the key in
    #: ``monitorObject`` (e.g. ``"queueObject"``) -> a resolver that checks the
    #: value and the session's right to it (raising ``CstaError``) and returns the
    #: bus topic to monitor.
    monitor_topics: dict[str, Callable[[RequestContext, str], str]] = attrs.field(factory=dict)
    #: Called after each request with (method, outcome, seconds), for metrics.
    request_observers: list[Callable[[str, str, float], None]] = attrs.field(factory=list)


@attrs.define(eq=False)
class RequestContext:
    """One request: the API context, the session (if logged in), the connection."""

    api: ApiContext
    connection: WsConnection
    session: Session | None

    @property
    def role(self) -> Role | None:
        return None if self.session is None else self.session.credential.role

    def own_devices(self) -> set[str]:
        assert self.session is not None
        devices = set(self.session.credential.devices)
        for grant in self.api.device_grants:
            devices.update(grant(self.session))
        return devices

    def require_device(self, device: str) -> None:
        """Agents may act only on their own devices; others on any the policies allow."""
        if self.role is Role.AGENT and device not in self.own_devices():
            raise CstaError(
                CstaErrorValue.PRIVILEGE_VIOLATION_ON_SPECIFIED_DEVICE,
                f"agent {self.session.credential.name if self.session else ''} may not act on "
                f"device {device}",
            )
        if self.session is not None and self.role is not Role.ADMIN:
            for policy in self.api.device_policies:
                policy(self.session, device)

    def require_any_device(self, devices: Iterable[str]) -> None:
        """Agents may act on a call only if one of their devices is in it."""
        if self.role is Role.AGENT and not (set(devices) & self.own_devices()):
            raise CstaError(
                CstaErrorValue.PRIVILEGE_VIOLATION_ON_SPECIFIED_DEVICE,
                "agents may act only on calls at their own devices",
            )
