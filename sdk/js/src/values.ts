/**
 * Values of protocol v1 as they are on the wire: identifiers, the server's
 * string enums (the same strings as the server's Python enums), and the
 * results of the typed methods. Nothing here is converted: a value is the
 * JSON the server sent, with the lowerCamel keys of docs/protocol.md.
 */

/** One device's connection to one call. */
export interface ConnectionID {
  readonly callID: string;
  readonly deviceID: string;
}

/** A call: its callID, or a connection in it (for methods that take either). */
export type CallRef = string | ConnectionID | { readonly callID: string };

/** Data that travels with a call: a flat object of strings, numbers and booleans. */
export type UserData = Readonly<Record<string, string | number | boolean | null>>;

/** ECMA-269 connection states (`ctid/calls/states.py` ConnectionState). */
export const ConnectionState = {
  /** No relationship between the device and the call (cleared). */
  Null: "null",
  /** The device is requesting service: off-hook, dialling. */
  Initiated: "initiated",
  /** The device is being offered the call: it rings. */
  Alerting: "alerting",
  /** The device is actively part of the call. */
  Connected: "connected",
  /** The device has put the call on hold. */
  Hold: "hold",
  /** The call waits at the device (a queue or other route point). */
  Queued: "queued",
  /** The attempt to reach the device failed (busy, no answer, unreachable). */
  Fail: "fail",
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/** ECMA-269 event causes used by ctid (`ctid/calls/values.py` EventCause). */
export const EventCause = {
  NewCall: "newCall",
  MakeCall: "makeCall",
  NormalClearing: "normalClearing",
  Busy: "busy",
  NoAnswer: "noAnswer",
  CallCancelled: "callCancelled",
  DestNotObtainable: "destNotObtainable",
  TrunksBusy: "trunksBusy",
  NetworkOutOfOrder: "networkOutOfOrder",
  SwitchingFunctionTerminated: "switchingFunctionTerminated",
  Consultation: "consultation",
  Transfer: "transfer",
  Conference: "conference",
  SingleStepTransfer: "singleStepTransfer",
  SingleStepConference: "singleStepConference",
  Redirected: "redirected",
  Alternate: "alternate",
  KeyOperation: "keyOperation",
  EnteringDistribution: "enteringDistribution",
  Distributed: "distributed",
  Overflow: "overflow",
  QueueCleared: "queueCleared",
  Timeout: "timeout",
  SilentParticipation: "silentParticipation",
  ActiveParticipation: "activeParticipation",
  Normal: "normal",
} as const;
export type EventCause = (typeof EventCause)[keyof typeof EventCause];

/** ECMA-269 error values in `data.cstaError` (`ctid/calls/errors.py` CstaErrorValue). */
export const CstaErrorValue = {
  Generic: "generic",
  RequestIncompatibleWithObject: "requestIncompatibleWithObject",
  ValueOutOfRange: "valueOutOfRange",
  ObjectNotKnown: "objectNotKnown",
  InvalidCallingDevice: "invalidCallingDevice",
  InvalidCalledDevice: "invalidCalledDevice",
  PrivilegeViolationOnSpecifiedDevice: "privilegeViolationOnSpecifiedDevice",
  PrivilegeViolationOnCalledDevice: "privilegeViolationOnCalledDevice",
  PrivilegeViolationOnCallingDevice: "privilegeViolationOnCallingDevice",
  InvalidCallIdentifier: "invalidCallIdentifier",
  InvalidDeviceIdentifier: "invalidDeviceIdentifier",
  InvalidConnectionIdentifier: "invalidConnectionIdentifier",
  InvalidDestination: "invalidDestination",
  InvalidFeature: "invalidFeature",
  InvalidCrossRefID: "invalidCrossRefID",
  InvalidObjectType: "invalidObjectType",
  InvalidObjectState: "invalidObjectState",
  NoActiveCall: "noActiveCall",
  NoHeldCall: "noHeldCall",
  NoCallToClear: "noCallToClear",
  NoConnectionToClear: "noConnectionToClear",
  NoCallToAnswer: "noCallToAnswer",
  ServiceBusy: "serviceBusy",
  ResourceBusy: "resourceBusy",
  ResourceOutOfService: "resourceOutOfService",
  NetworkBusy: "networkBusy",
  OverallMonitorLimitExceeded: "overallMonitorLimitExceeded",
} as const;
export type CstaErrorValue = (typeof CstaErrorValue)[keyof typeof CstaErrorValue];

/** The switch link as `SystemStatusEvent` reports it. */
export const SystemStatus = {
  Normal: "normal",
  Disabled: "disabled",
  Initializing: "initializing",
} as const;
export type SystemStatus = (typeof SystemStatus)[keyof typeof SystemStatus];

/** A session's role. */
export const Role = { Admin: "admin", Supervisor: "supervisor", Agent: "agent" } as const;
export type Role = (typeof Role)[keyof typeof Role];

// ------------------------------------------------------------------ results

/** `session.login`'s result. */
export interface SessionInfo {
  readonly sessionID: string;
  readonly protocolVersion: string;
  readonly serverVersion: string;
  readonly role: Role;
}

/** `session.resume`'s result. */
export interface ResumeInfo extends SessionInfo {
  /** The session's newest seq now (the replayed events end there). */
  readonly lastSeq: number;
  readonly replayed: number;
  /** Why the server closed the session's previous socket, if it did (e.g. slow consumer). */
  readonly lastCloseReason: string | null;
}

/** One entry of `SnapshotDevice`: a call at the device, with the call's data (for a screen pop). */
export interface DeviceSnapshotEntry {
  readonly connectionIdentifier: ConnectionID;
  readonly localCallState: ConnectionState;
  readonly callingDevice: string | null;
  readonly calledDevice: string | null;
  readonly correlatorData: string | null;
  readonly userData: UserData;
}

/** `SnapshotCall`'s result: the call's parties and data. */
export interface CallSnapshot {
  readonly snapshotData: readonly {
    readonly deviceOnCall: string;
    readonly callIdentifier: ConnectionID;
    readonly localConnectionState: ConnectionState;
  }[];
  readonly callingDevice: string | null;
  readonly calledDevice: string | null;
  readonly correlatorData: string | null;
  readonly userData: UserData;
}

/** One method as `rpc.discover` describes it. */
export interface MethodInfo {
  readonly name: string;
  readonly summary: string;
  /** JSON Schema of the params. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly roles: readonly Role[];
}

/** `rpc.discover`'s result. */
export interface Discovery {
  readonly protocolVersion: string;
  readonly serverVersion: string;
  readonly methods: readonly MethodInfo[];
  readonly events: readonly string[];
}

/** One line of the simulator's voice card (`sim.lines`). */
export interface SimLine {
  readonly line: string;
  readonly kind: "extension" | "external";
  /** The voice-card state: idle, ringing, collectingDigits, dialing, alerting, connected, ... */
  readonly state: string;
  readonly party: string | null;
  readonly offHook: boolean;
}

/** `sim.hears`'s result. */
export interface SimHears {
  readonly hears: boolean;
  readonly music: boolean;
}
