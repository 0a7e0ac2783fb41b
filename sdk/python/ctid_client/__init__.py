"""ctid-client: the Python SDK of the ctid CTI server (protocol v1, JSON-RPC 2.0 over WebSocket).

``Client`` is the async client; it runs unchanged under asyncio and trio.
``ctid_client.sync.Client`` is a small blocking wrapper around it for scripts.
See README.md for examples, events, errors and reconnect semantics.
"""

from ._acd import ACD_EVENT_NAMES as ACD_EVENT_NAMES
from ._acd import AGENT_EVENT_NAMES as AGENT_EVENT_NAMES
from ._acd import QUEUE_EVENT_NAMES as QUEUE_EVENT_NAMES
from ._acd import AgentEvent as AgentEvent
from ._acd import AgentEventCause as AgentEventCause
from ._acd import AgentMembership as AgentMembership
from ._acd import AgentSnapshot as AgentSnapshot
from ._acd import AgentState as AgentState
from ._acd import AgentStateResult as AgentStateResult
from ._acd import AgentSummary as AgentSummary
from ._acd import AgentToday as AgentToday
from ._acd import OutboundReserve as OutboundReserve
from ._acd import QueueAllBusy as QueueAllBusy
from ._acd import QueueCall as QueueCall
from ._acd import QueueEntryState as QueueEntryState
from ._acd import QueueFigures as QueueFigures
from ._acd import QueueSnapshot as QueueSnapshot
from ._acd import QueueSummary as QueueSummary
from ._acd import Supervision as Supervision
from ._backoff import ReconnectPolicy as ReconnectPolicy
from ._calls import Call as Call
from ._campaign import CAMPAIGN_EVENT_NAMES as CAMPAIGN_EVENT_NAMES
from ._campaign import CampaignFigures as CampaignFigures
from ._campaign import CampaignPreview as CampaignPreview
from ._campaign import CampaignStateEvent as CampaignStateEvent
from ._campaign import DispositionResult as DispositionResult
from ._campaign import PreviewDialled as PreviewDialled
from ._campaign import PreviewSkipped as PreviewSkipped
from ._client import Client as Client
from ._client import TokenProvider as TokenProvider
from ._codec import JSON_SUBPROTOCOL as JSON_SUBPROTOCOL
from ._codec import MSGPACK_SUBPROTOCOL as MSGPACK_SUBPROTOCOL
from ._errors import AuthenticationError as AuthenticationError
from ._errors import CloseCode as CloseCode
from ._errors import ConnectionClosed as ConnectionClosed
from ._errors import CstaError as CstaError
from ._errors import CtidError as CtidError
from ._errors import ErrorCode as ErrorCode
from ._errors import EventBufferFull as EventBufferFull
from ._errors import NotActive as NotActive
from ._errors import PermissionDenied as PermissionDenied
from ._errors import ProtocolError as ProtocolError
from ._errors import ReplayGap as ReplayGap
from ._errors import RequestTimeout as RequestTimeout
from ._errors import RpcError as RpcError
from ._errors import SessionLost as SessionLost
from ._events import CALL_EVENT_NAMES as CALL_EVENT_NAMES
from ._events import EVENT_NAMES as EVENT_NAMES
from ._events import Event as Event
from ._events import SessionRestarted as SessionRestarted
from ._fax import FAX_EVENT_NAMES as FAX_EVENT_NAMES
from ._fax import Fax as Fax
from ._fax import FaxBatch as FaxBatch
from ._fax import FaxDocument as FaxDocument
from ._fax import FaxEvent as FaxEvent
from ._http import HttpError as HttpError
from ._ivr import FlowDayStatistics as FlowDayStatistics
from ._ivr import FlowInfo as FlowInfo
from ._ivr import FlowProblem as FlowProblem
from ._ivr import FlowValidation as FlowValidation
from ._ivr import IvrCall as IvrCall
from ._ivr import IvrReload as IvrReload
from ._ivr import IvrStatistics as IvrStatistics
from ._ivr import RoutingDecision as RoutingDecision
from ._ivr import RoutingOverride as RoutingOverride
from ._outbound import CallbackBooking as CallbackBooking
from ._outbound import CampaignInfo as CampaignInfo
from ._outbound import CampaignList as CampaignList
from ._outbound import CampaignSummary as CampaignSummary
from ._outbound import DncChange as DncChange
from ._outbound import DncListing as DncListing
from ._outbound import DncStatus as DncStatus
from ._outbound import ListImportResult as ListImportResult
from ._outbound import ListProblem as ListProblem
from ._outbound import OutboundRouteChoice as OutboundRouteChoice
from ._records import RECORD_EVENT_NAMES as RECORD_EVENT_NAMES
from ._records import RECORDING_EVENT_NAMES as RECORDING_EVENT_NAMES
from ._records import REPORT_NAMES as REPORT_NAMES
from ._records import Recording as Recording
from ._records import RecordingEvent as RecordingEvent
from ._records import RecordingStatus as RecordingStatus
from ._records import RecordsStatus as RecordsStatus
from ._records import Report as Report
from ._records import ReportInfo as ReportInfo
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
from ._values import SimMessageWaiting as SimMessageWaiting
from ._voicemail import VOICEMAIL_EVENT_NAMES as VOICEMAIL_EVENT_NAMES
from ._voicemail import Mailbox as Mailbox
from ._voicemail import VoicemailEvent as VoicemailEvent
from ._voicemail import VoicemailMessage as VoicemailMessage
from ._webhooks import Webhook as Webhook
from ._webhooks import WebhookStatus as WebhookStatus
from ._webhooks import WebhookTest as WebhookTest

__version__ = "0.1.0"

__all__ = [
    "ACD_EVENT_NAMES",
    "AGENT_EVENT_NAMES",
    "CALL_EVENT_NAMES",
    "CAMPAIGN_EVENT_NAMES",
    "EVENT_NAMES",
    "FAX_EVENT_NAMES",
    "JSON_SUBPROTOCOL",
    "MSGPACK_SUBPROTOCOL",
    "QUEUE_EVENT_NAMES",
    "RECORDING_EVENT_NAMES",
    "RECORD_EVENT_NAMES",
    "REPORT_NAMES",
    "VOICEMAIL_EVENT_NAMES",
    "AgentEvent",
    "AgentEventCause",
    "AgentMembership",
    "AgentSnapshot",
    "AgentState",
    "AgentStateResult",
    "AgentSummary",
    "AgentToday",
    "AuthenticationError",
    "BatchOutcome",
    "Call",
    "CallParty",
    "CallSnapshot",
    "CallbackBooking",
    "CampaignFigures",
    "CampaignInfo",
    "CampaignList",
    "CampaignPreview",
    "CampaignStateEvent",
    "CampaignSummary",
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
    "DispositionResult",
    "DncChange",
    "DncListing",
    "DncStatus",
    "Endpoint",
    "ErrorCode",
    "Event",
    "EventBufferFull",
    "EventStream",
    "Fax",
    "FaxBatch",
    "FaxDocument",
    "FaxEvent",
    "FlowDayStatistics",
    "FlowInfo",
    "FlowProblem",
    "FlowValidation",
    "HttpError",
    "IvrCall",
    "IvrReload",
    "IvrStatistics",
    "ListImportResult",
    "ListProblem",
    "Mailbox",
    "MethodInfo",
    "NotActive",
    "OutboundReserve",
    "OutboundRouteChoice",
    "PermissionDenied",
    "PreviewDialled",
    "PreviewSkipped",
    "ProtocolError",
    "QueueAllBusy",
    "QueueCall",
    "QueueEntryState",
    "QueueFigures",
    "QueueSnapshot",
    "QueueSummary",
    "ReconnectPolicy",
    "Recording",
    "RecordingEvent",
    "RecordingStatus",
    "RecordsStatus",
    "ReplayGap",
    "Report",
    "ReportInfo",
    "RequestTimeout",
    "RoutingDecision",
    "RoutingOverride",
    "RpcError",
    "SessionInfo",
    "SessionLost",
    "SessionRestarted",
    "SimHears",
    "SimLine",
    "SimMessageWaiting",
    "StreamConnector",
    "Supervision",
    "TcpConnector",
    "TokenProvider",
    "VoicemailEvent",
    "VoicemailMessage",
    "Webhook",
    "WebhookStatus",
    "WebhookTest",
]
