/**
 * ctid-client: the JavaScript client of ctid (protocol v1, JSON-RPC 2.0 over WebSocket).
 * Every public name is exported here, explicitly.
 */

export { ReconnectPolicy, type ReconnectOptions } from "./backoff.js";
export {
  CLOSE_TIMEOUT,
  ClientState,
  CtidClient,
  SUBPROTOCOL,
  type BatchOutcome,
  type CallOptions,
  type ClientOptions,
  type ClientStatistics,
  type EventListenerFor,
  type Logger,
  type SessionRestarted,
  type StateChange,
  type Unsubscribe,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./client.js";
export { DeviceWatch, type DeviceCall } from "./device.js";
export {
  AuthenticationError,
  CloseCode,
  ConnectionClosedError,
  CstaError,
  CtidError,
  ErrorCode,
  FATAL_CLOSE_CODES,
  PermissionDenied,
  ProtocolError,
  ReplayGap,
  RequestTimeoutError,
  RpcError,
  SessionLost,
  rpcErrorFromWire,
  type ErrorData,
} from "./errors.js";
export {
  CSTA_EVENT_NAMES,
  eventConnection,
  type CallClearedEvent,
  type CallInformationEvent,
  type ConferencedEvent,
  type ConnectionClearedEvent,
  type ConnectionPair,
  type CstaEvent,
  type CstaEventMap,
  type CtidEvent,
  type DeliveredEvent,
  type DigitsGeneratedEvent,
  type DivertedEvent,
  type EstablishedEvent,
  type EventBase,
  type FailedEvent,
  type HeldEvent,
  type MonitorEndedEvent,
  type OriginatedEvent,
  type QueuedEvent,
  type RetrievedEvent,
  type ServiceInitiatedEvent,
  type SystemStatusEvent,
  type TransferredEvent,
} from "./events.js";
export { DEFAULT_MAX_PENDING, MAX_BATCH, RpcClientCore, type Incoming, type Outgoing, type Params } from "./protocol.js";
export { CtidServices, type CallDataOptions, type MakeCallOptions, type MonitorObject, type RequestOptions } from "./services.js";
export {
  ConnectionState,
  CstaErrorValue,
  EventCause,
  Role,
  SystemStatus,
  type CallRef,
  type CallSnapshot,
  type ConnectionID,
  type DeviceSnapshotEntry,
  type Discovery,
  type MethodInfo,
  type ResumeInfo,
  type SessionInfo,
  type SimHears,
  type SimLine,
  type UserData,
} from "./values.js";
