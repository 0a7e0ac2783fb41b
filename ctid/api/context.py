"""What API methods can reach: the daemon's services, and the request's session."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import trio

from ..bus import EventBus
from ..calls.errors import CstaError, CstaErrorValue
from ..calls.service import CallService
from ..clock import WallClock
from ..facts import FACT_QUEUE, FACT_QUEUES_VISITED
from .auth import Authenticator, Role
from .limits import InputLimits
from .registry import Registry
from .session import Attachment, Session, SessionManager
from .throttle import LoginThrottle

if TYPE_CHECKING:
    from ..calls.model import Call
    from ..switch_drivers.simulator.driver import SimulatorDriver

__all__ = ["ApiContext", "ApiLimits", "ClientConnection", "RequestContext", "call_queues"]


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
    #: What one request may hold (depth, strings, numbers, userData): docs/security.md.
    input: InputLimits = attrs.field(factory=InputLimits)


def call_queues(call: Call) -> set[str]:
    """The queues a call waited in (the facts the ACD writes, ``ctid.facts``)."""
    queues = {str(q) for q in call.facts.get(FACT_QUEUES_VISITED, ())}
    if call.facts.get(FACT_QUEUE) is not None:
        queues.add(str(call.facts[FACT_QUEUE]))
    return queues


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
    #: Further queues a call belongs to, besides those it waited in (``call_queues``),
    #: for the supervisors limited to some queues (the ACD: the queues of the agents
    #: logged on at its devices).
    call_queues: list[Callable[[Call], Iterable[str]]] = attrs.field(factory=list)
    #: ctid monitor objects besides ``deviceObject``/``callObject``: the key in
    #: ``monitorObject`` (e.g. ``"queueObject"``) -> a resolver that checks the
    #: value and the session's right to it (raising ``CstaError``) and returns the
    #: bus topic to monitor.
    monitor_topics: dict[str, Callable[[RequestContext, str], str]] = attrs.field(factory=dict)
    #: Called after each request with (method, outcome, seconds), for metrics.
    request_observers: list[Callable[[str, str, float], None]] = attrs.field(factory=list)
    #: Held while a large message is decoded: one at a time, daemon-wide, so that
    #: many clients sending maximum-size frames cannot delay everyone else by
    #: more than one decode (fairness; see docs/security.md).
    decode_lock: trio.Lock = attrs.field(factory=trio.Lock)

    def devices_of(self, session: Session) -> set[str]:
        """The devices a session acts on as its own: its credential's and the granted ones."""
        devices = set(session.credential.devices)
        for grant in self.device_grants:
            devices.update(grant(session))
        return devices

    def check_device(self, session: Session, device: str) -> None:
        """Agents may act only on their own devices; others on any the policies allow."""
        cred = session.credential
        if cred.role is Role.ADMIN:
            return
        if cred.role is Role.AGENT and device not in self.devices_of(session):
            raise CstaError(
                CstaErrorValue.PRIVILEGE_VIOLATION_ON_SPECIFIED_DEVICE,
                f"agent {cred.name} may not act on device {device}",
            )
        for policy in self.device_policies:
            policy(session, device)

    def check_call(self, session: Session, call: Call) -> None:
        """Whether a session may act on a call (docs/security.md, "Who may call what").

        Anyone may act on a call at one of its own devices; an agent only on
        those; a supervisor with no queues on any call; a supervisor with queues
        on the calls of its queues (``call_queues``).
        """
        cred = session.credential
        if cred.role is Role.ADMIN or (cred.role is Role.SUPERVISOR and not cred.queues):
            return
        if self.devices_of(session).intersection(call.connections):
            return
        if cred.role is Role.SUPERVISOR:
            queues = call_queues(call)
            for scope in self.call_queues:
                queues.update(scope(call))
            if cred.queues.intersection(queues):
                return
            raise CstaError(
                CstaErrorValue.PRIVILEGE_VIOLATION_ON_SPECIFIED_DEVICE,
                f"supervisor {cred.name} supervises no queue of call {call.call_id}",
            )
        raise CstaError(
            CstaErrorValue.PRIVILEGE_VIOLATION_ON_SPECIFIED_DEVICE,
            f"agent {cred.name} may act only on calls at its own devices",
        )


class ClientConnection(Attachment, Protocol):
    """What a request may use of its connection (``connection.WsConnection`` is one).

    A protocol, so that the connection imports the context and the dispatcher
    and not the other way round.
    """

    #: The client's address (behind trusted proxies, the one they name).
    client_address: str

    def login_failed(self) -> None: ...

    def attach(self, session: Session) -> None: ...


@attrs.define(eq=False)
class RequestContext:
    """One request: the API context, the session (if logged in), the connection."""

    api: ApiContext
    connection: ClientConnection
    session: Session | None

    @property
    def role(self) -> Role | None:
        return None if self.session is None else self.session.credential.role

    def own_devices(self) -> set[str]:
        assert self.session is not None
        return self.api.devices_of(self.session)

    def require_device(self, device: str) -> None:
        """Agents may act only on their own devices; others on any the policies allow."""
        if self.session is not None:
            self.api.check_device(self.session, device)
