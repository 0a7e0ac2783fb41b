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
  /** The OpenRPC document as sent (result schemas, errors, event params). */
  readonly document: Readonly<Record<string, unknown>>;
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

/** `sim.messageWaiting`'s result: what a phone's message-waiting lamp shows. */
export interface SimMessageWaiting {
  readonly device: string;
  readonly newMessages: number;
  readonly oldMessages: number;
}

/** `sim.hears`'s result. */
export interface SimHears {
  readonly hears: boolean;
  readonly music: boolean;
}

// ------------------------------------------------------------------ the ACD (docs/acd.md)

/** An ACD agent's state (`ctid/acd/agent_states.py` AgentState). */
export const AgentState = {
  /** Not logged on anywhere (CSTA's agent null state). */
  LoggedOff: "loggedOff",
  /** Logged on, not taking ACD calls; with a reason code. */
  NotReady: "notReady",
  /** Logged on and free: the ACD may offer a call. */
  Ready: "ready",
  /** An offered ACD call rings at the agent's phone (a ctid extension). */
  Reserved: "reserved",
  /** On a call. */
  Busy: "busy",
  /** After-call work (wrap-up), timed or manual. */
  WorkingAfterCall: "workingAfterCall",
} as const;
export type AgentState = (typeof AgentState)[keyof typeof AgentState];

/** What `SetAgentState` may ask for (`requestedAgentState`). */
export const RequestedAgentState = {
  LoggedOn: "loggedOn",
  LoggedOff: "loggedOff",
  NotReady: "notReady",
  Ready: "ready",
  WorkingAfterCall: "workingAfterCall",
} as const;
export type RequestedAgentState = (typeof RequestedAgentState)[keyof typeof RequestedAgentState];

/** Why an agent event happened (`cause`; docs/acd.md "Agents"). */
export const AgentEventCause = {
  Requested: "requested",
  Forced: "forced",
  Offered: "offered",
  Answered: "answered",
  Rona: "rona",
  CallEnded: "callEnded",
  WrapUpEnded: "wrapUpEnded",
  OfferEnded: "offerEnded",
  DirectCall: "directCall",
  Callback: "callback",
  /** `ctid demo` logged the agent on (generated traffic). */
  Demo: "demo",
  /** `ctid simulate` logged the agent on. */
  Simulation: "simulation",
} as const;
export type AgentEventCause = (typeof AgentEventCause)[keyof typeof AgentEventCause];

/** Where a call in a queue is (`ctid/acd/entry_states.py`; the final states never show). */
export const QueueEntryState = {
  Waiting: "waiting",
  Offered: "offered",
  /** The caller hung up to be called back; the entry keeps its place. */
  Callback: "callback",
  /** An agent is calling the customer back. */
  CallingBack: "callingBack",
} as const;
export type QueueEntryState = (typeof QueueEntryState)[keyof typeof QueueEntryState];

/** `SetAgentState`'s result: the state now, and what is pending until the call ends. */
export interface AgentStateResult {
  readonly agentState: AgentState;
  /** The `notReady` reason: one of the configured `[acd] reason_codes`. */
  readonly reasonCode: string | null;
  /** `notReady`, `loggedOff` or `workingAfterCall` asked while busy or reserved. */
  readonly pendingAgentState: AgentState | null;
  readonly pendingReasonCode: string | null;
}

/** One queue an agent serves. */
export interface AgentMembership {
  readonly queue: string;
  /** Lower is served first. */
  readonly penalty: number;
  /** For strategy `skill-level`. */
  readonly level: number;
  /** The membership schedule, if the skill has one. */
  readonly schedule: string | null;
  /** Whether the agent serves the queue now. */
  readonly active: boolean;
}

/** An agent's figures today (seconds), the current state counted up to now. */
export interface AgentToday {
  readonly calls: number;
  readonly talkTime: number;
  readonly acwTime: number;
  readonly notReadyTime: number;
  readonly readyTime: number;
  readonly reservedTime: number;
  readonly ringNoAnswer: number;
}

/** The campaign holding a `reserved` agent that has no offered call (blended agents). */
export interface OutboundReserve {
  readonly campaign: string;
  /** The record shown to the agent (`null` until the campaign shows it one). */
  readonly record: number | null;
}

/** An agent's whole state: `agent.snapshot`, and the body of every agent event. */
export interface AgentSnapshot extends AgentStateResult {
  readonly agentID: string;
  readonly agentName: string;
  /** Where it is logged on (`null` when logged off). */
  readonly agentDevice: string | null;
  /** When it entered this state (ISO 8601 UTC). */
  readonly since: string;
  /** The call it is offered or on. */
  readonly callID: string | null;
  /** The campaign holding it for an outbound call, if one does (`null` otherwise). */
  readonly outboundReserve: OutboundReserve | null;
  readonly autoAnswer: boolean;
  readonly queues: readonly AgentMembership[];
  readonly today: AgentToday;
}

/** One entry of `GetAgentState`'s `agentStateList`: the agent logged on at the device. */
export interface AgentStateEntry extends AgentSnapshot {
  readonly loggedOnState: boolean;
}

/** One agent in `agent.list`. */
export interface AgentSummary {
  readonly agentID: string;
  readonly agentName: string;
  readonly agentDevice: string | null;
  readonly agentState: AgentState;
  readonly reasonCode: string | null;
  /** The queues it is a member of. */
  readonly queues: readonly string[];
}

/** One queue in `queue.list`. */
export interface QueueSummary {
  readonly queue: string;
  readonly number: string | null;
  /** The routing strategy (`longest-idle`, `skill-level`, ...). */
  readonly strategy: string;
  readonly waiting: number;
  readonly agentsLoggedOn: number;
  readonly agentsReady: number;
}

/** A queue's wallboard figures: the `queue.figures` event, and part of `queue.snapshot`. */
export interface QueueFigures {
  readonly queue: string;
  /** Callers waiting on the line. */
  readonly waiting: number;
  /** Callers waiting for a callback. */
  readonly callbacks: number;
  /** Seconds the longest-waiting caller has waited. */
  readonly longestWait: number;
  /** Agents serving the queue now, by state. */
  readonly agentsByState: Readonly<Partial<Record<AgentState, number>>>;
  readonly offeredToday: number;
  readonly answeredToday: number;
  readonly abandonedToday: number;
  readonly overflowedToday: number;
  readonly callbacksRequestedToday: number;
  /** 0 to 1. */
  readonly serviceLevelToday: number;
  /** Seconds a new caller can expect to wait; `null` when nobody serves the queue. */
  readonly estimatedWait: number | null;
  /** Agents are logged on and none is ready (also true with nobody logged on). */
  readonly allBusy: boolean;
}

/** One call in a queue (`queue.snapshot`), in order of service. */
export interface QueueCall {
  readonly callID: string;
  readonly callingDevice: string;
  readonly priority: number;
  readonly state: QueueEntryState;
  /** 1 = next to be served; `null` while not waiting (offered, calling back). */
  readonly position: number | null;
  readonly waitSeconds: number;
  /** The agents its offer rings. */
  readonly offeredTo: readonly string[];
  /** While an agent calls the customer back: that call. */
  readonly callbackCall: string | null;
}

/** `queue.snapshot`'s result: the figures, the calls and the agents of a queue now. */
export interface QueueSnapshot extends QueueFigures {
  readonly number: string | null;
  readonly strategy: string;
  readonly serviceLevelSeconds: number;
  readonly calls: readonly QueueCall[];
  /** Agent ids by state. */
  readonly agents: Readonly<Partial<Record<AgentState, readonly string[]>>>;
}

/** How a supervisor takes part: listens, barges in (`active`) or coaches the agent. */
export type ParticipationType = "silent" | "active" | "whisper";

/** `SingleStepConferenceCall`'s and `supervisor.whisper`'s result. */
export interface SupervisionResult {
  /** The supervisor's connection (ClearConnection on it stops supervising). */
  readonly conferencedCall: ConnectionID;
  readonly participationType: ParticipationType;
}

// ------------------------------------------------------------------ recordings and records (docs/records.md)

/** A recording's state: in progress (`recording`, `paused`, `stopping`), or over. */
export type RecordingState = "recording" | "paused" | "stopping" | "done" | "failed" | "deleted";

/** A recording in progress: the result of `recording.start`, `.pause`, `.resume`, `.stop`. */
export interface RecordingStatus {
  readonly recordingID: string;
  readonly callID: string;
  readonly state: RecordingState;
  /** The user who started it (credential name), or the policy. */
  readonly startedBy: string;
  readonly tags: readonly string[];
}

/** A recording's metadata from the records (`recording.get`, `recording.search`). */
export interface Recording {
  readonly recordingID: string;
  readonly callID: string;
  readonly state: RecordingState;
  readonly format: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly duration: number | null;
  readonly pausedSeconds: number | null;
  readonly sizeBytes: number | null;
  readonly sha256: string | null;
  readonly startedBy: string | null;
  readonly caller: string | null;
  readonly called: string | null;
  readonly queue: string | null;
  readonly agentID: string | null;
  readonly tags: readonly string[];
  /** Why it failed (state `failed`), else null. */
  readonly detail: string | null;
  /** `GET` this path on the API's HTTP port with `Authorization: Bearer <token>`. */
  readonly download: string;
  /** Kept whatever the retention rules say (`recording.setImportant`). */
  readonly important: boolean;
}

/** A voicemail message (`voicemail.get`, and each of `voicemail.list`'s). */
export interface VoicemailMessage {
  readonly messageID: string;
  /** `queue:NAME`, `agent:ID` or `number:DN`. */
  readonly mailbox: string;
  readonly callID: string | null;
  readonly caller: string | null;
  readonly called: string | null;
  readonly receivedAt: string | null;
  readonly duration: number | null;
  readonly sizeBytes: number | null;
  /** The call's data when the caller left the message. */
  readonly userData: Readonly<Record<string, string | number | boolean | null>>;
  readonly heard: boolean;
  readonly heardAt: string | null;
  readonly heardBy: string | null;
  readonly deleted: boolean;
  /** `GET` this path on the API's HTTP port with `Authorization: Bearer <token>`. */
  readonly download: string;
}

/** `voicemail.list`'s result. */
export interface VoicemailBox {
  readonly mailbox: string;
  readonly newMessages: number;
  readonly oldMessages: number;
  readonly messages: readonly VoicemailMessage[];
}

/** `records.status`'s result: the record writer's counters. */
export interface RecordsStatus {
  readonly submitted: number;
  readonly spooled: number;
  readonly spoolBytes: number;
  readonly committed: number;
  readonly dropped: number;
  readonly rejected: number;
  readonly databaseUp: boolean;
  readonly databaseError: string | null;
}

/** One party's stint in a call, in a call record. */
export interface CallRecordLeg {
  readonly device: string;
  /** `extension`, `external` or `routePoint`. */
  readonly kind: string;
  readonly trunk: string | null;
  readonly joinedAt: string;
  readonly answeredAt: string | null;
  readonly endedAt: string;
  readonly holdSeconds: number;
  /** The CSTA cause it left with (`normalClearing`, `busy`, `transfer`...). */
  readonly endCause: string;
  /** The call never reached it (busy, no answer, unreachable). */
  readonly failed: boolean;
}

/** A finished call's record, as `records.get` returns it and `record.callClosed` carries it. */
export interface CallRecord {
  readonly callID: string;
  readonly node: string;
  readonly state: string;
  readonly direction: string;
  readonly caller: string;
  readonly called: string;
  readonly dnis: string | null;
  readonly trunk: string | null;
  readonly queue: string | null;
  readonly queueOutcome: string | null;
  readonly agentID: string | null;
  readonly agentDevice: string | null;
  readonly answeredBy: string | null;
  /** The outbound campaign that made the call (null for other calls). */
  readonly campaign: string | null;
  /** A campaign call's list record. */
  readonly campaignRecord: number | null;
  /** How a campaign's attempt ended (`answered`, `busy`, `noAnswer`, `machine`, `abandoned`...). */
  readonly campaignOutcome: string | null;
  /** Answering-machine detection's verdict on a campaign call: `human`, `machine`, `unknown`. */
  readonly amd: "human" | "machine" | "unknown" | null;
  /** The disposition code the agent gave a campaign call (`campaign.setDisposition`). */
  readonly agentDisposition: string | null;
  /** A fax call's (first) fax. */
  readonly faxID: string | null;
  readonly ivrFlow: string | null;
  readonly ivrExit: string | null;
  readonly startedAt: string;
  readonly answeredAt: string | null;
  readonly ivrEnteredAt: string | null;
  readonly ivrLeftAt: string | null;
  readonly queueEnteredAt: string | null;
  readonly queueLeftAt: string | null;
  readonly endedAt: string | null;
  readonly waitSeconds: number | null;
  readonly holdSeconds: number | null;
  readonly talkSeconds: number | null;
  readonly acwSeconds: number | null;
  readonly disposition: string | null;
  readonly endCause: string | null;
  readonly mergedInto: string | null;
  readonly recordingIDs: readonly string[];
  readonly correlatorData: string | null;
  readonly userData: UserData;
  readonly legs: readonly CallRecordLeg[];
}

/** What `webhook.create` and `webhook.update` take (docs/webhooks.md); absent keys take the defaults. */
export interface WebhookDefinition {
  readonly name: string;
  /** https, or http to a loopback address (or anywhere with `allowInsecure`). */
  readonly url: string;
  /** The environment variable (on the ctid host) holding the signing secret. */
  readonly secretEnv: string;
  /** Event names or patterns (`*` matches any run of characters). */
  readonly events: readonly string[];
  readonly queues?: readonly string[];
  readonly devices?: readonly string[];
  readonly campaigns?: readonly string[];
  readonly batchMax?: number;
  readonly timeoutSeconds?: number;
  readonly maxRetryHours?: number;
  readonly maxBacklog?: number;
  readonly allowInsecure?: boolean;
  readonly enabled?: boolean;
}

/** A webhook as `webhook.list`, `webhook.create` and `webhook.update` show it. */
export interface Webhook extends Required<WebhookDefinition> {
  /** `config` (the file's `[[webhooks]]`) or `api` (stored in the database). */
  readonly source: "config" | "api";
}

/** How a webhook's deliveries go (`webhook.status`); times are ISO 8601 UTC. */
export interface WebhookStatus {
  readonly name: string;
  readonly source: "config" | "api";
  readonly enabled: boolean;
  /** Events not yet delivered. */
  readonly backlog: number;
  /** Of those, events not yet in the outbox. */
  readonly pending: number;
  readonly delivered: number;
  /** Dropped past `maxBacklog`, or given up after `maxRetryHours`. */
  readonly dropped: number;
  readonly failures: number;
  /** Failed tries of the batch now being retried (0 when none is). */
  readonly attempt: number;
  readonly lastSuccess: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly failingSince: string | null;
  readonly nextRetry: string | null;
  readonly databaseUp: boolean;
}

/** `webhook.test`'s result: whether the receiver took the test event. */
export interface WebhookTest {
  readonly delivered: boolean;
  readonly error: string | null;
  readonly eventID: string;
}

/** The reports (`report.list` names), each run by its own method. */
export const ReportName = {
  IvrNodes: "ivr-nodes",
  HandleTimes: "handle-times",
  TrunkOccupancy: "trunk-occupancy",
  Agents: "agents",
  Abandoned: "abandoned",
  AnswerRate: "answer-rate",
  ServiceLevel: "service-level",
  QueueWaits: "queue-waits",
} as const;
export type ReportName = (typeof ReportName)[keyof typeof ReportName];

/** One value in a report's row: a number, a text (interval start, queue, agent...), or `null`. */
export type ReportValue = string | number | null;

/**
 * A report (`report.*`): the columns (they differ by report; with `interval`
 * the first is `interval`), and rows of values in the columns' order.
 * `reportRecords(report)` gives the rows keyed by column.
 */
export interface Report {
  readonly name: ReportName;
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly ReportValue[])[];
}

/** One report in `report.list`. */
export interface ReportInfo {
  readonly name: ReportName;
  readonly method: string;
}

// ------------------------------------------------------------------ the IVR and routing (docs/ivr.md)

/** One flow new calls start in (`ivr.listFlows`). */
export interface FlowInfo {
  readonly name: string;
  /** A digest of the flow file: calls keep the version they started with. */
  readonly version: string;
  readonly file: string;
  readonly description: string;
  readonly start: string;
  readonly languages: readonly string[];
  /** Node name -> node type (`play`, `menu`, ...). */
  readonly nodes: Readonly<Record<string, string>>;
  /** The route points that start it. */
  readonly numbers: readonly string[];
  readonly callsNow: number;
}

/** One problem in a flow: its file, its node (`null`: the flow as a whole), what. */
export interface FlowProblem {
  readonly file: string;
  readonly node: string | null;
  readonly problem: string;
}

/** `ivr.validateFlow`'s result (`name` and `version` when valid). */
export interface FlowValidation {
  readonly valid: boolean;
  readonly problems: readonly FlowProblem[];
  readonly name?: string;
  readonly version?: string;
}

/** `ivr.reload`'s result: the flows now (name -> version), and those that changed. */
export interface IvrReload {
  readonly flows: Readonly<Record<string, string>>;
  readonly changed: readonly string[];
}

/** A call in the IVR now (`ivr.calls`). */
export interface IvrCall {
  readonly callID: string;
  readonly flow: string;
  readonly version: string;
  readonly node: string | null;
  readonly nodeType: string | null;
  readonly language: string;
  readonly enteredAt: string;
  readonly nodeSince: string;
  readonly callerHungUp: boolean;
}

/** One flow's figures for one day (`ivr.statistics`). */
export interface FlowDayStatistics {
  /** YYYY-MM-DD, local to `[ivr] timezone`. */
  readonly day: string;
  readonly flow: string;
  readonly calls: number;
  readonly finished: number;
  readonly secondsInIvr: number;
  readonly averageSecondsInIvr: number;
  readonly nodeVisits: Readonly<Record<string, number>>;
  /** Menu node -> key (`"none"`: no valid choice) -> count. */
  readonly menuChoices: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** How calls left the flow -> count. */
  readonly exits: Readonly<Record<string, number>>;
}

/** `ivr.statistics`'s result. */
export interface IvrStatistics {
  readonly statistics: readonly FlowDayStatistics[];
  /** Flow -> calls in it now. */
  readonly now: Readonly<Record<string, number>>;
}

/** Where inbound routing sends a call (`ctid/ivr/routing.py` DESTINATION_KINDS). */
export type RoutingDestinationKind = "flow" | "queue" | "agent" | "device" | "voicemail" | "message";

/** One destination: its kind -> its target (a flow, queue, agent, number, mailbox, or message text). */
export type RoutingDestination = { readonly [K in RoutingDestinationKind]?: string };

/** An inbound routing override and whether it is switched on (`routing.overrides`). */
export interface RoutingOverride {
  readonly name: string;
  readonly active: boolean;
  readonly destination: RoutingDestination;
  readonly description: string;
}

/** How an outbound route picks a line of its trunk group (docs/outbound.md). */
export type OutboundHunt = "sequential" | "round-robin" | "random";

/**
 * `routing.test` with `direction: "outbound"`: what a call to an outside number would do
 * now. Nothing is dialled and round-robin hunting does not move.
 */
export interface OutboundRouteChoice {
  readonly direction: "outbound";
  readonly calledNumber: string;
  /** The route that takes the number; null when none does (or none is configured). */
  readonly route: string | null;
  readonly trunkGroup: string | null;
  readonly hunt: OutboundHunt | null;
  /** The digits the switch would be sent; null when the number cannot be dialled. */
  readonly dial: string | null;
  /** The line the hunt takes now; null when every line is busy, or for a random hunt. */
  readonly line: string | null;
  readonly freeLines: readonly string[];
  readonly reason: string;
}

/** Records of a campaign by status (`new`, `retry`, `callback`, `done`, `failed`, `dnc`...). */
export type RecordCounts = Readonly<Record<string, number>>;

/** One campaign in `campaign.list`. */
export interface CampaignSummary {
  readonly name: string;
  readonly mode: "preview" | "progressive" | "predictive" | "agentless";
  readonly queue: string;
  /** `stopped`, `running`, `paused` or `finished`. */
  readonly state: string;
  /** `config` (`[[campaigns]]`) or `api` (`campaign.create`). */
  readonly source: "config" | "api";
  readonly records: RecordCounts;
}

/** One imported list of a campaign. */
export interface CampaignList {
  readonly name: string;
  readonly numberColumn: string;
  readonly importedAt: string;
  readonly imported: number;
  readonly rejected: number;
  readonly records: RecordCounts;
}

/** `campaign.get` (and `campaign.create`, `campaign.update`). */
export interface CampaignInfo {
  /** The definition, keys as `campaign.create` takes them (docs/outbound.md). */
  readonly campaign: Readonly<Record<string, unknown>> & { readonly name: string; readonly queue: string };
  readonly state: string;
  readonly source: "config" | "api";
  readonly records: RecordCounts;
  readonly lists: readonly CampaignList[];
}

/** A row of a list left out: its line in the file (the header is line 1) and why. */
export interface ListProblem {
  readonly line: number;
  readonly problem: string;
}

/** `campaign.importList`. */
export interface ListImportResult {
  readonly campaign: string;
  readonly list: string;
  readonly imported: number;
  readonly problems: readonly ListProblem[];
  readonly duplicates: readonly { readonly line: number; readonly firstLine: number }[];
  readonly alreadyListed: readonly { readonly line: number; readonly number: string }[];
  readonly records: RecordCounts;
}

/** `campaign.scheduleCallback`. */
export interface CallbackBooking {
  readonly campaign: string;
  readonly record: number;
  /** UTC, ISO 8601. */
  readonly at: string;
  /** The agent it is offered to; null: any agent of the campaign. */
  readonly agent: string | null;
}

/** `campaign.setDisposition`: where the record stands after the agent's code. */
export interface DispositionResult {
  readonly campaign: string;
  readonly record: number;
  readonly callID: string;
  readonly disposition: string;
  /** The record's state (`retry` when a retry rule is named after the code). */
  readonly status: string;
  /** ISO 8601: when the record is dialled again; null: not planned. */
  readonly nextAttemptAt: string | null;
}

/** `campaign.previewDial`: the call the agent's phone makes. */
export interface PreviewDialled {
  readonly record: number;
  readonly callID: string;
}

/** `campaign.previewSkip`: the record ends `skipped` with the reason. */
export interface PreviewSkipped {
  readonly record: number;
  readonly status: string;
  readonly reason: string;
}

/** A cell of `report.campaign`: a number, a name, or counts by outcome or disposition. */
export type CampaignReportValue = string | number | null | Readonly<Record<string, number>>;

/** `report.campaign`: one row, columns as docs/outbound.md lists them. */
export interface CampaignReport {
  readonly name: "campaign";
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly CampaignReportValue[])[];
}

/** `dnc.add`, `dnc.remove`, `dnc.import`: which list (`*`: the global one) and what changed. */
export interface DncChange {
  readonly list: string;
  readonly added?: number;
  readonly already?: number;
  readonly removed?: number;
  readonly problems?: readonly ListProblem[];
  readonly duplicates?: readonly { readonly line: number; readonly firstLine: number }[];
}

/** `dnc.check`. */
export interface DncStatus {
  /** The number as ctid keeps it (normalised). */
  readonly number: string;
  readonly listed: boolean;
  readonly lists: readonly { readonly scope: string; readonly addedAt: string; readonly note: string }[];
}

/** `routing.test`'s result: where a call would go now (`destination: null`: as dialled, or refused). */
export interface RoutingDecision {
  readonly destination: RoutingDestination | null;
  /** Refused (blacklist). The server leaves it out when no rule matched. */
  readonly rejected?: boolean;
  readonly reason: string;
}

// ------------------------------------------------------------------ fax (docs/fax.md)

/** A fax's state: waiting (`queued`), in progress, or how it ended. */
export type FaxState = "queued" | "dialing" | "sending" | "receiving" | "completed" | "failed" | "cancelled" | "deleted";

/** A fax received (`direction: "in"`) or sent (`"out"`): `faxGet`, `faxSearch`. */
export interface Fax {
  readonly faxID: string;
  readonly batchID: string | null;
  readonly direction: "in" | "out";
  readonly state: FaxState;
  readonly mailbox: string;
  readonly callID: string | null;
  readonly remoteNumber: string;
  readonly localNumber: string | null;
  readonly documents: readonly string[];
  readonly pages: number;
  readonly totalPages: number | null;
  readonly attempts: number;
  readonly maxAttempts: number;
  /** spandsp's T.30 completion code and text (null while it runs, or if never reached). */
  readonly resultCode: number | null;
  readonly resultText: string | null;
  readonly remoteStationID: string | null;
  readonly bitRate: number | null;
  readonly sizeBytes: number | null;
  readonly header: string | null;
  readonly requestedBy: string;
  readonly tags: readonly string[];
  readonly createdAt: string | null;
  readonly endedAt: string | null;
  /** The ctid node that handled it (`[records] node`; null for faxes older than the column). */
  readonly node: string | null;
  /** The fax's mail (`[fax.email]`): its addresses (null: not mailed). */
  readonly emailTo: readonly string[] | null;
  /** `pending` (waiting for the relay, tried again with back-off), `sent`, `failed` (given up); null: not mailed. */
  readonly emailStatus: "pending" | "sent" | "failed" | null;
  readonly emailAttempts: number | null;
  /** When the relay took the mail (ISO 8601). */
  readonly emailedAt: string | null;
  /** The last failure, e.g. "the relay answered 451 4.3.0 try again later". */
  readonly emailError: string | null;
  /** Paths to `GET` with `Authorization: Bearer <token>` (or `client.faxDownload`), while there is an image. */
  readonly download: { readonly tiff: string; readonly pdf: string } | null;
}

/** A document to fax, as `client.faxUpload` resolves. */
export interface FaxDocument {
  readonly documentID: string;
  readonly name: string | null;
  /** What was uploaded; it is kept as a fax TIFF. */
  readonly source: "pdf" | "tiff";
  readonly pages: number;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly uploadedBy: string;
  readonly uploadedAt: string | null;
}

/** `faxSendBatch`'s result: one fax per number, in the order given. */
export interface FaxBatch {
  readonly batchID: string;
  readonly faxes: readonly { readonly to: string; readonly faxID: string }[];
}

