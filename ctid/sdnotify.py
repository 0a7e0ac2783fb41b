"""The systemd notify protocol (``Type=notify``, ``WatchdogSec=``), without a dependency.

The protocol is one datagram of ``KEY=VALUE`` lines sent to the AF_UNIX socket
named by ``$NOTIFY_SOCKET`` (a path, or ``@name`` for an abstract socket):
``READY=1`` once the daemon serves, ``STATUS=...`` for ``systemctl status``,
``WATCHDOG=1`` at least every ``$WATCHDOG_USEC`` microseconds, ``STOPPING=1``
when it shuts down (sd_notify(3), sd_watchdog_enabled(3)).

The first half of this module is sans-IO (reading the environment, building
datagrams); ``NotifySocket`` and ``Notifier`` are the thin shell: a
non-blocking datagram socket and a trio task. The pings come from a task of
the daemon's own trio loop, so a wedged loop stops pinging and systemd
restarts it.
"""

from __future__ import annotations

import logging
import math
import socket
from collections.abc import Callable, Mapping
from typing import Final

import attrs
import trio

__all__ = [
    "STATUS_INTERVAL",
    "Notifier",
    "NotifySettings",
    "NotifySocket",
    "message",
    "socket_address",
    "status_line",
]

log = logging.getLogger(__name__)

#: Seconds between checks of the status line (sent only when it changed).
STATUS_INTERVAL: Final = 1.0


def socket_address(value: str) -> str | bytes:
    """The address to send to for a ``$NOTIFY_SOCKET`` value.

    ``@name`` is Linux's abstract namespace (a leading NUL byte); anything else
    must be an absolute path. Raises ``ValueError`` for other values.
    """
    if value.startswith("@") and len(value) > 1:
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    raise ValueError(f"NOTIFY_SOCKET={value!r} is neither an absolute path nor @abstract")


def message(**fields: str | int) -> bytes:
    """One notify datagram: ``message(READY=1, STATUS="up")`` -> ``b"READY=1\\nSTATUS=up\\n"``.

    A value may not hold a newline (it would start another field).
    """
    lines = []
    for key, value in fields.items():
        text = str(value)
        if "\n" in text:
            raise ValueError(f"{key}: a notify value cannot hold a newline")
        lines.append(f"{key}={text}\n")
    return "".join(lines).encode()


def status_line(link_state: str, sessions: int) -> str:
    """The daemon's ``STATUS=`` line: ``switch link up, 3 API sessions``."""
    noun = "session" if sessions == 1 else "sessions"
    return f"switch link {link_state}, {sessions} API {noun}"


@attrs.frozen(kw_only=True)
class NotifySettings:
    """What the service manager asked for, read from the environment."""

    #: Where datagrams go (None: not started by systemd with ``Type=notify``).
    address: str | bytes | None = None
    #: Seconds between ``WATCHDOG=1`` pings: half of ``$WATCHDOG_USEC``, None if off.
    ping_interval: float | None = None

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], pid: int) -> NotifySettings:
        """Read ``NOTIFY_SOCKET``, ``WATCHDOG_USEC`` and ``WATCHDOG_PID`` for process ``pid``.

        ``WATCHDOG_PID`` naming another process means the watchdog is not ours
        (the variables were inherited). Unusable values are logged and ignored:
        a daemon must not refuse to start over them.
        """
        raw = environ.get("NOTIFY_SOCKET", "")
        if not raw:
            return cls()
        try:
            address = socket_address(raw)
        except ValueError as exc:
            log.warning("ignoring systemd notification: %s", exc)
            return cls()
        return cls(address=address, ping_interval=_ping_interval(environ, pid))


def _ping_interval(environ: Mapping[str, str], pid: int) -> float | None:
    usec_text = environ.get("WATCHDOG_USEC", "")
    if not usec_text:
        return None
    pid_text = environ.get("WATCHDOG_PID", "")
    if pid_text:
        try:
            if int(pid_text) != pid:
                return None
        except ValueError:
            log.warning("ignoring the systemd watchdog: WATCHDOG_PID=%r", pid_text)
            return None
    try:
        usec = int(usec_text)
    except ValueError:
        usec = 0
    if usec <= 0:
        log.warning("ignoring the systemd watchdog: WATCHDOG_USEC=%r", usec_text)
        return None
    # Half the timeout, as sd_watchdog_enabled(3) advises: one late ping is not fatal.
    return usec / 1e6 / 2


class NotifySocket:
    """An unconnected, non-blocking AF_UNIX datagram socket that sends to one address.

    A datagram to a local socket never waits: it is queued or refused at once,
    so ``send`` is a plain call that signal handlers and ``finally`` blocks can use.
    """

    def __init__(self, address: str | bytes) -> None:
        self.address = address
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._socket.setblocking(False)

    def send(self, datagram: bytes) -> None:
        """Send one datagram. A manager that went away (or is not reading) is logged,
        not raised: losing supervision must not stop the daemon."""
        try:
            self._socket.sendto(datagram, self.address)
        except OSError as exc:
            log.warning("systemd notification failed: %s", exc)

    def close(self) -> None:
        self._socket.close()


class Notifier:
    """Tells the manager the daemon is ready, keeps its status line and watchdog fed,
    and says when the daemon stops.

    ``status()`` gives the current status line (sent when it changes); ``send``
    takes datagrams (default: a ``NotifySocket`` to ``settings.address``, opened
    by ``run``). Start ``run`` once the daemon serves: it sends ``READY=1``.
    """

    def __init__(
        self,
        settings: NotifySettings,
        status: Callable[[], str],
        *,
        send: Callable[[bytes], None] | None = None,
    ) -> None:
        self.settings = settings
        self.status = status
        self._send = send
        self._stopping = False

    def stopping(self) -> None:
        """``STOPPING=1`` (once): call it as shutdown begins, before draining clients."""
        if self._stopping or self._send is None:
            return
        self._stopping = True
        self._send(message(STOPPING=1, STATUS="stopping"))

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        own: NotifySocket | None = None
        if self._send is None:
            assert self.settings.address is not None, "run() needs NOTIFY_SOCKET"
            own = NotifySocket(self.settings.address)
            self._send = own.send
        try:
            await self._serve(self._send, task_status)
        finally:
            # Cancelled: the daemon stops (SIGTERM, Ctrl-C, a crash).
            self.stopping()
            if own is not None:
                own.close()

    async def _serve(
        self, send: Callable[[bytes], None], task_status: trio.TaskStatus[None]
    ) -> None:
        ping_interval = self.settings.ping_interval
        current = self.status()
        send(message(READY=1, STATUS=current))
        if ping_interval is not None:
            send(message(WATCHDOG=1))
        task_status.started()
        now = trio.current_time()
        next_ping = now + ping_interval if ping_interval is not None else math.inf
        next_status = now + STATUS_INTERVAL
        while True:
            await trio.sleep_until(min(next_ping, next_status))
            now = trio.current_time()
            if now >= next_status:
                next_status = now + STATUS_INTERVAL
                line = self.status()
                if line != current:
                    current = line
                    send(message(STATUS=line))
            if ping_interval is not None and now >= next_ping:
                next_ping = now + ping_interval
                send(message(WATCHDOG=1))
