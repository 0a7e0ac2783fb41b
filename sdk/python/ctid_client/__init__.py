"""ctid-client: the Python SDK of the ctid CTI server (protocol v1, JSON-RPC 2.0 over WebSocket).

``Client`` is the async client; it runs unchanged under asyncio and trio.
``ctid_client.sync.Client`` is a small blocking wrapper around it for scripts.
See README.md for examples, events, errors and reconnect semantics.
"""

from ._backoff import ReconnectPolicy as ReconnectPolicy
from ._calls import Call as Call
from ._client import Client as Client
from ._codec import JSON_SUBPROTOCOL as JSON_SUBPROTOCOL
from ._codec import MSGPACK_SUBPROTOCOL as MSGPACK_SUBPROTOCOL
from ._errors import AuthenticationError as AuthenticationError
from ._errors import CloseCode as CloseCode
from ._errors import ConnectionClosed as ConnectionClosed
from ._errors import CstaError as CstaError
from ._errors import CtidError as CtidError
from ._errors import ErrorCode as ErrorCode
from ._errors import EventBufferFull as EventBufferFull
from ._errors import PermissionDenied as PermissionDenied
from ._errors import ProtocolError as ProtocolError
from ._errors import ReplayGap as ReplayGap
from ._errors import RequestTimeout as RequestTimeout
from ._errors import RpcError as RpcError
from ._errors import SessionLost as SessionLost
from ._events import Event as Event
from ._events import SessionRestarted as SessionRestarted
from ._state import BatchOutcome as BatchOutcome
from ._state import ClientStatistics as ClientStatistics
from ._state import ConnectionState as ConnectionState
from ._subscriptions import EventStream as EventStream
from ._transport import Endpoint as Endpoint
from ._transport import StreamConnector as StreamConnector
from ._transport import TcpConnector as TcpConnector
from ._values import CallParty as CallParty
from ._values import CallSnapshot as CallSnapshot
from ._values import ConnectionID as ConnectionID
from ._values import DeviceCall as DeviceCall
from ._values import Discovery as Discovery
from ._values import MethodInfo as MethodInfo
from ._values import SessionInfo as SessionInfo
from ._values import SimHears as SimHears
from ._values import SimLine as SimLine

__version__ = "0.1.0"

__all__ = [
    "JSON_SUBPROTOCOL",
    "MSGPACK_SUBPROTOCOL",
    "AuthenticationError",
    "BatchOutcome",
    "Call",
    "CallParty",
    "CallSnapshot",
    "Client",
    "ClientStatistics",
    "CloseCode",
    "ConnectionClosed",
    "ConnectionID",
    "ConnectionState",
    "CstaError",
    "CtidError",
    "DeviceCall",
    "Discovery",
    "Endpoint",
    "ErrorCode",
    "Event",
    "EventBufferFull",
    "EventStream",
    "MethodInfo",
    "PermissionDenied",
    "ProtocolError",
    "ReconnectPolicy",
    "ReplayGap",
    "RequestTimeout",
    "RpcError",
    "SessionInfo",
    "SessionLost",
    "SessionRestarted",
    "SimHears",
    "SimLine",
    "StreamConnector",
    "TcpConnector",
]
