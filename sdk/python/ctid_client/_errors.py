"""Every error the SDK raises, and how wire codes become them.

::

    CtidError                     anything this SDK raises
    ├── RpcError                  the server refused a request (.code, .message, .data)
    │   ├── CstaError             -32000: a CSTA service failed (.csta_error: ECMA-269 name)
    │   ├── AuthenticationError   -32002: the token was refused
    │   ├── PermissionDenied      -32005: the session's role may not call the method
    │   └── SessionLost           -32003: the session is gone (expired or ended)
    │       └── ReplayGap         -32004: the missed events left the replay window
    ├── ConnectionClosed          no connection: it closed or was lost (.code, .reason)
    ├── RequestTimeout            no reply in time (also a built-in ``TimeoutError``)
    ├── EventBufferFull           an ``events()`` reader fell too far behind
    └── ProtocolError             the server sent something that is not protocol v1

Errors that come from the server are built from its wire codes by
``rpc_error_from_wire`` (JSON-RPC error codes) and ``ConnectionClosed``
(WebSocket close codes), in this one module, so the mapping is in one place.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "FATAL_CLOSE_CODES",
    "AuthenticationError",
    "CloseCode",
    "ConnectionClosed",
    "CstaError",
    "CtidError",
    "ErrorCode",
    "EventBufferFull",
    "PermissionDenied",
    "ProtocolError",
    "ReplayGap",
    "RequestTimeout",
    "RpcError",
    "SessionLost",
    "rpc_error_from_wire",
]


class ErrorCode(enum.IntEnum):
    """JSON-RPC error codes of protocol v1 (the standard ones and ctid's own)."""

    PARSE_ERROR = -32700
    INVALID_REQUEST = -32600
    METHOD_NOT_FOUND = -32601
    INVALID_PARAMS = -32602
    INTERNAL_ERROR = -32603
    #: A CSTA service failed; ``data.cstaError`` has the ECMA-269 value.
    CSTA_ERROR = -32000
    #: A method other than session.login/resume was called before logging in.
    LOGIN_REQUIRED = -32001
    AUTHENTICATION_FAILED = -32002
    #: session.resume for a session that no longer exists.
    UNKNOWN_SESSION = -32003
    #: session.resume for events that have left the replay window.
    REPLAY_GAP = -32004
    FORBIDDEN = -32005
    #: A ctid (non-CSTA) operation failed; ``data.reason`` says why.
    OPERATION_FAILED = -32006


class CloseCode(enum.IntEnum):
    """WebSocket close codes the server uses, and what the client does about each."""

    #: Closed on purpose by this client.
    NORMAL = 1000
    #: The server is shutting down (the client reconnects; the session may be gone).
    GOING_AWAY = 1001
    #: No close frame: the connection was lost (the client resumes).
    ABNORMAL = 1006
    #: The client read too slowly; the session lives on (the client resumes).
    SLOW_CONSUMER = 4000
    #: The session was resumed on another connection (the client stops).
    TAKEN_OVER = 4001
    #: The session was logged out (the client stops).
    LOGGED_OUT = 4002
    #: No login in time after connecting (the client reconnects).
    LOGIN_TIMEOUT = 4003
    #: Too many failed logins on one connection (the client stops).
    TOO_MANY_FAILED_LOGINS = 4004
    #: The server's ping got no answer in time (the client resumes).
    KEEPALIVE_TIMEOUT = 4005


#: The reason of close 4001 and the message of error -32002 for a signed token that expired.
TOKEN_EXPIRED: Final = "token expired"

#: After these the client never reconnects: doing so would fight another
#: connection for the session, revive a session ended on purpose, or retry a bad token.
FATAL_CLOSE_CODES: Final = frozenset(
    {CloseCode.TAKEN_OVER, CloseCode.LOGGED_OUT, CloseCode.TOO_MANY_FAILED_LOGINS}
)


class CtidError(Exception):
    """Base of every error this SDK raises."""


class RpcError(CtidError):
    """The server answered a request with a JSON-RPC error.

    ``code`` is the JSON-RPC code (see ``ErrorCode``), ``message`` the server's
    text, ``data`` its structured details (or ``None``), ``method`` the request's method.
    """

    def __init__(
        self,
        code: int,
        message: str,
        data: Mapping[str, Any] | None = None,
        *,
        method: str | None = None,
    ) -> None:
        where = f"{method}: " if method else ""
        super().__init__(f"{where}{message} ({code})")
        self.code = code
        self.message = message
        self.data = data
        self.method = method


class CstaError(RpcError):
    """A CSTA service failed; ``csta_error`` is its ECMA-269 name (``invalidCallIdentifier``...)."""

    @property
    def csta_error(self) -> str:
        value = (self.data or {}).get("cstaError")
        return value if isinstance(value, str) else "generic"


class AuthenticationError(RpcError):
    """The server refused the token."""

    @property
    def token_expired(self) -> bool:
        """The token was correctly signed but has expired: a fresh one will do."""
        return self.message == TOKEN_EXPIRED

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait when the server refused logins from this address for a while."""
        value = (self.data or {}).get("retryAfter")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return None


class PermissionDenied(RpcError):
    """The session's role may not call this method."""


class SessionLost(RpcError):
    """``session.resume`` failed: the session no longer exists (expired or ended).

    The client handles this itself by logging in again; applications see it only
    through ``SessionRestarted``.
    """


class ReplayGap(SessionLost):
    """``session.resume`` failed: events after the client's last seq are no longer kept."""

    @property
    def oldest_seq(self) -> int | None:
        """The oldest seq the server still had, if it said."""
        value = (self.data or {}).get("oldestSeq")
        return value if isinstance(value, int) else None


class ConnectionClosed(CtidError):
    """There is no connection to the server: it closed, was lost, or could not be made.

    ``code`` is the WebSocket close code (``CloseCode``; 1006 when the connection
    dropped without a close frame or could not be opened) and ``reason`` the
    server's close reason. A request that was in flight when its connection
    closed fails with this error: the server may or may not have carried it out.
    """

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"connection closed ({code}): {reason}" if reason else f"closed ({code})")
        self.code = code
        self.reason = reason

    @property
    def fatal(self) -> bool:
        """True if the client will not reconnect after this close (4001, 4002, 4004).

        One exception: with a token provider, a client reconnects after 4001
        ``token expired`` (see ``token_expired``) with a fresh token.
        """
        return self.code in FATAL_CLOSE_CODES

    @property
    def token_expired(self) -> bool:
        """Closed because the session's signed token expired (4001, reason ``token expired``)."""
        return self.code == CloseCode.TAKEN_OVER and self.reason == TOKEN_EXPIRED


class RequestTimeout(CtidError, TimeoutError):
    """No reply to ``method`` within ``timeout`` seconds.

    The request may still be carried out by the server; a late reply is dropped.
    """

    def __init__(self, method: str, timeout: float) -> None:
        super().__init__(f"{method}: no reply within {timeout:g} s")
        self.method = method
        self.timeout = timeout


class EventBufferFull(CtidError):
    """An ``events()`` reader fell more than its buffer behind; events were lost.

    The events that fitted in the buffer are delivered first; then this is
    raised and the stream ends. Take snapshots again and open a new stream.
    """

    def __init__(self, maxsize: int) -> None:
        super().__init__(f"more than {maxsize} events were waiting unread; events were lost")
        self.maxsize = maxsize


class ProtocolError(CtidError):
    """The server sent something that is not valid protocol v1 (a bug in one of the two)."""


_BY_CODE: Final[Mapping[int, type[RpcError]]] = {
    ErrorCode.CSTA_ERROR: CstaError,
    ErrorCode.AUTHENTICATION_FAILED: AuthenticationError,
    ErrorCode.FORBIDDEN: PermissionDenied,
    ErrorCode.UNKNOWN_SESSION: SessionLost,
    ErrorCode.REPLAY_GAP: ReplayGap,
}


def rpc_error_from_wire(error: Mapping[str, Any], *, method: str | None = None) -> RpcError:
    """The ``RpcError`` subclass for a JSON-RPC ``error`` member."""
    code = error.get("code")
    message = error.get("message")
    data = error.get("data")
    if not isinstance(code, int) or isinstance(code, bool):
        code = ErrorCode.INTERNAL_ERROR
    cls = _BY_CODE.get(code, RpcError)
    return cls(
        code,
        message if isinstance(message, str) else "(no message)",
        data if isinstance(data, Mapping) else None,
        method=method,
    )
