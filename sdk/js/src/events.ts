/**
 * Server events as the application receives them: the notification's params
 * exactly as on the wire (docs/protocol-examples.md), plus `name`, the
 * notification's method. `ctid/calls/events.py` is the source of these
 * types; a field the server leaves out (it never sends `null` for an unset
 * field) is optional here.
 *
 * The ACD's events (agents, queues: docs/acd.md) and the recording events
 * (docs/records.md) are typed here too; `EventMap` has them all. An event of
 * a name the SDK does not know arrives as `CtidEvent` with its own fields.
 */

import type {
  AgentEventCause,
  AgentSnapshot,
  AgentState,
  CallRecord,
  ConnectionID,
  ConnectionState,
  EventCause,
  QueueFigures,
  Recording,
  RecordingState,
  SystemStatus,
  UserData,
} from "./values.js";

/** Fields every event has. */
export interface EventBase<N extends string = string> {
  /** The event's name, e.g. `"DeliveredEvent"`. */
  readonly name: N;
  /** The monitor it came through (`MonitorStart`'s result); `null` for system events. */
  readonly monitorCrossRefID: string | null;
  /** This session's event number: 1, 2, 3, ... with no gap, across reconnects. */
  readonly seq: number;
  /** When it happened: ISO 8601 UTC with milliseconds. */
  readonly timestamp: string;
  /** For device monitors: the monitored device's connection state in the call after the event. */
  readonly localConnectionInfo?: ConnectionState;
}

/** Any event, known or not: its other fields are untyped. */
export interface CtidEvent extends EventBase {
  readonly [field: string]: unknown;
}

interface CallData {
  readonly correlatorData?: string;
  readonly userData?: UserData;
}

/** Two connections: one before a transfer or conference, and the one that replaced it. */
export interface ConnectionPair {
  readonly oldConnection: ConnectionID;
  readonly newConnection: ConnectionID;
}

/** A device goes off-hook, or MakeCall starts. */
export interface ServiceInitiatedEvent extends EventBase<"ServiceInitiatedEvent">, CallData {
  readonly initiatedConnection: ConnectionID;
  readonly initiatingDevice: string;
  readonly cause: EventCause;
}

/** The calling device has dialled; the call is on its way to `calledDevice`. */
export interface OriginatedEvent extends EventBase<"OriginatedEvent">, CallData {
  readonly originatedConnection: ConnectionID;
  readonly callingDevice: string;
  readonly calledDevice: string;
  readonly cause: EventCause;
}

/** A device rings: the screen-pop event, with the call's data. */
export interface DeliveredEvent extends EventBase<"DeliveredEvent">, CallData {
  readonly connection: ConnectionID;
  readonly alertingDevice: string;
  readonly callingDevice: string;
  readonly calledDevice: string;
  readonly lastRedirectionDevice?: string;
  readonly trunk?: string;
  readonly cause: EventCause;
}

/** `answeringDevice` answered the call. */
export interface EstablishedEvent extends EventBase<"EstablishedEvent">, CallData {
  readonly establishedConnection: ConnectionID;
  readonly answeringDevice: string;
  readonly callingDevice: string;
  readonly calledDevice: string;
  readonly lastRedirectionDevice?: string;
  readonly cause: EventCause;
}

export interface HeldEvent extends EventBase<"HeldEvent"> {
  readonly heldConnection: ConnectionID;
  readonly holdingDevice: string;
  readonly cause: EventCause;
}

export interface RetrievedEvent extends EventBase<"RetrievedEvent"> {
  readonly retrievedConnection: ConnectionID;
  readonly retrievingDevice: string;
  readonly cause: EventCause;
}

/** `releasingDevice` left the call. */
export interface ConnectionClearedEvent extends EventBase<"ConnectionClearedEvent"> {
  readonly droppedConnection: ConnectionID;
  readonly releasingDevice: string;
  readonly cause: EventCause;
}

/** The call is over. */
export interface CallClearedEvent extends EventBase<"CallClearedEvent"> {
  readonly clearedCall: string;
  readonly cause: EventCause;
}

/** A transfer (or single-step transfer): the resulting call keeps `primaryOldCall`'s id and data. */
export interface TransferredEvent extends EventBase<"TransferredEvent">, CallData {
  readonly primaryOldCall: string;
  readonly secondaryOldCall?: string;
  readonly transferringDevice: string;
  readonly transferredToDevice: string;
  readonly transferredConnections: readonly ConnectionPair[];
  readonly cause: EventCause;
}

export interface ConferencedEvent extends EventBase<"ConferencedEvent">, CallData {
  readonly primaryOldCall: string;
  readonly secondaryOldCall?: string;
  readonly conferencingDevice: string;
  readonly addedParty: string;
  readonly conferenceConnections: readonly ConnectionPair[];
  readonly cause: EventCause;
}

/** A ringing call was sent elsewhere (deflect, queue distribution). */
export interface DivertedEvent extends EventBase<"DivertedEvent"> {
  readonly connection: ConnectionID;
  readonly divertingDevice: string;
  readonly newDestination: string;
  readonly callingDevice: string;
  readonly calledDevice: string;
  readonly lastRedirectionDevice?: string;
  readonly cause: EventCause;
}

/** The call could not reach `failingDevice` (busy, no answer, unreachable). */
export interface FailedEvent extends EventBase<"FailedEvent"> {
  readonly failedConnection: ConnectionID;
  readonly failingDevice: string;
  readonly callingDevice: string;
  readonly calledDevice: string;
  readonly cause: EventCause;
}

/** The call waits in a queue. */
export interface QueuedEvent extends EventBase<"QueuedEvent">, CallData {
  readonly queuedConnection: ConnectionID;
  readonly queue: string;
  readonly callingDevice: string;
  readonly calledDevice: string;
  readonly numberQueued?: number;
  readonly cause: EventCause;
}

/** ctid sent DTMF (GenerateDigits). */
export interface DigitsGeneratedEvent extends EventBase<"DigitsGeneratedEvent"> {
  readonly connection: ConnectionID;
  readonly digitsGeneratedList: string;
}

/** The call's data changed (AssociateData, IVR). */
export interface CallInformationEvent extends EventBase<"CallInformationEvent">, CallData {
  readonly callID: string;
  readonly device?: string;
}

/** A call monitor's call is over; the monitor has ended. */
export interface MonitorEndedEvent extends EventBase<"MonitorEndedEvent"> {
  readonly cause: EventCause;
}

/** The switch link changed (sent to every session, with `monitorCrossRefID: null`). */
export interface SystemStatusEvent extends EventBase<"SystemStatusEvent"> {
  readonly systemStatus: SystemStatus;
  readonly detail?: string;
}

/** The CSTA call and system events by name (docs/protocol.md section 5). */
export interface CstaEventMap {
  ServiceInitiatedEvent: ServiceInitiatedEvent;
  OriginatedEvent: OriginatedEvent;
  DeliveredEvent: DeliveredEvent;
  EstablishedEvent: EstablishedEvent;
  HeldEvent: HeldEvent;
  RetrievedEvent: RetrievedEvent;
  ConnectionClearedEvent: ConnectionClearedEvent;
  CallClearedEvent: CallClearedEvent;
  TransferredEvent: TransferredEvent;
  ConferencedEvent: ConferencedEvent;
  DivertedEvent: DivertedEvent;
  FailedEvent: FailedEvent;
  QueuedEvent: QueuedEvent;
  DigitsGeneratedEvent: DigitsGeneratedEvent;
  CallInformationEvent: CallInformationEvent;
  MonitorEndedEvent: MonitorEndedEvent;
  SystemStatusEvent: SystemStatusEvent;
}

/** The CSTA events as a union: `switch (event.name)` narrows it. */
export type CstaEvent = CstaEventMap[keyof CstaEventMap];

/** The names of the CSTA events. */
export const CSTA_EVENT_NAMES: readonly (keyof CstaEventMap)[] = [
  "CallClearedEvent",
  "CallInformationEvent",
  "ConferencedEvent",
  "ConnectionClearedEvent",
  "DeliveredEvent",
  "DigitsGeneratedEvent",
  "DivertedEvent",
  "EstablishedEvent",
  "FailedEvent",
  "HeldEvent",
  "MonitorEndedEvent",
  "OriginatedEvent",
  "QueuedEvent",
  "RetrievedEvent",
  "ServiceInitiatedEvent",
  "SystemStatusEvent",
  "TransferredEvent",
];

// ------------------------------------------------------------------ the ACD (docs/acd.md)

/**
 * An agent event: the agent's whole snapshot after the change, the states
 * before and after, and why. `agent.reserved` (an offered call rings at the
 * agent) and `agent.pending` (a state asked for while busy, or its cancelling)
 * are ctid's; the others carry CSTA's names.
 */
export interface AgentEventBase<N extends string> extends EventBase<N>, AgentSnapshot {
  readonly oldState: AgentState;
  readonly newState: AgentState;
  readonly cause?: AgentEventCause;
}

/** The agent logged on (it is `notReady` now). */
export interface AgentLoggedOnEvent extends AgentEventBase<"AgentLoggedOnEvent"> {}
/** The agent logged off (`agentDevice` is still where it was). */
export interface AgentLoggedOffEvent extends AgentEventBase<"AgentLoggedOffEvent"> {}
/** The agent is ready for ACD calls. */
export interface AgentReadyEvent extends AgentEventBase<"AgentReadyEvent"> {}
/** The agent is not ready, with a `reasonCode` (a configured string). */
export interface AgentNotReadyEvent extends AgentEventBase<"AgentNotReadyEvent"> {}
/** The agent is on a call. */
export interface AgentBusyEvent extends AgentEventBase<"AgentBusyEvent"> {}
/** The agent is in after-call work (wrap-up). */
export interface AgentWorkingAfterCallEvent extends AgentEventBase<"AgentWorkingAfterCallEvent"> {}
/** An offered ACD call rings at the agent's phone (ctid: CSTA has no state for it). */
export interface AgentReservedEvent extends AgentEventBase<"agent.reserved"> {}
/**
 * A busy or reserved agent asked for a state it takes when the call ends
 * (`pendingAgentState`), or cancelled it with `ready` (then null). The state
 * itself has not changed: `oldState` and `newState` are both the current one.
 */
export interface AgentPendingEvent extends AgentEventBase<"agent.pending"> {}

/** A queue's figures changed (throttled to one per `wallboard_interval`). */
export interface QueueFiguresEvent extends EventBase<"queue.figures">, QueueFigures {}

/** Whether every agent of a queue is busy (or none is logged on) flipped. */
export interface QueueAllBusyEvent extends EventBase<"queue.allBusy"> {
  readonly queue: string;
  readonly allBusy: boolean;
}

/** The ACD's own events by name (its call events, such as `QueuedEvent`, are CSTA's). */
export interface AcdEventMap {
  AgentLoggedOnEvent: AgentLoggedOnEvent;
  AgentLoggedOffEvent: AgentLoggedOffEvent;
  AgentReadyEvent: AgentReadyEvent;
  AgentNotReadyEvent: AgentNotReadyEvent;
  AgentBusyEvent: AgentBusyEvent;
  AgentWorkingAfterCallEvent: AgentWorkingAfterCallEvent;
  "agent.reserved": AgentReservedEvent;
  "agent.pending": AgentPendingEvent;
  "queue.figures": QueueFiguresEvent;
  "queue.allBusy": QueueAllBusyEvent;
}

/** Any agent event: `switch (event.name)` narrows it; each is also an `AgentSnapshot`. */
export type AgentEvent =
  | AgentLoggedOnEvent
  | AgentLoggedOffEvent
  | AgentReadyEvent
  | AgentNotReadyEvent
  | AgentBusyEvent
  | AgentWorkingAfterCallEvent
  | AgentReservedEvent
  | AgentPendingEvent;

/** The names of the agent events. */
export const AGENT_EVENT_NAMES: readonly AgentEvent["name"][] = [
  "AgentBusyEvent",
  "AgentLoggedOffEvent",
  "AgentLoggedOnEvent",
  "AgentNotReadyEvent",
  "AgentReadyEvent",
  "AgentWorkingAfterCallEvent",
  "agent.pending",
  "agent.reserved",
];

/** The names of the ACD's own events (the agent events and `queue.*`). */
export const ACD_EVENT_NAMES: readonly (keyof AcdEventMap)[] = [...AGENT_EVENT_NAMES, "queue.allBusy", "queue.figures"];

/** Whether `event` is an agent event (it then carries the agent's snapshot). */
export function isAgentEvent(event: { readonly name: string }): event is AgentEvent {
  return (AGENT_EVENT_NAMES as readonly string[]).includes(event.name);
}

// ------------------------------------------------------------------ recording (docs/records.md)

/** A recording changed: published on the call and its devices. */
export interface RecordingEventBase<N extends string> extends EventBase<N> {
  readonly recordingID: string;
  readonly callID: string;
  readonly state: RecordingState;
  /** The user who started it (credential name), or the policy. */
  readonly startedBy: string;
}

export interface RecordingStartedEvent extends RecordingEventBase<"RecordingStartedEvent"> {}
/** The recording records silence now (a card number is given). */
export interface RecordingPausedEvent extends RecordingEventBase<"RecordingPausedEvent"> {}
export interface RecordingResumedEvent extends RecordingEventBase<"RecordingResumedEvent"> {}
/** The file is complete (`state: "done"`). */
export interface RecordingStoppedEvent extends RecordingEventBase<"RecordingStoppedEvent"> {
  /** Seconds recorded. */
  readonly duration?: number;
}
/** The recording failed (`state: "failed"`); `detail` says why. */
export interface RecordingFailedEvent extends RecordingEventBase<"RecordingFailedEvent"> {
  readonly duration?: number;
  readonly detail?: string;
}

/** A supervisor or admin deleted the recording's audio (`state: "deleted"`). */
export interface RecordingDeletedEvent extends RecordingEventBase<"RecordingDeletedEvent"> {
  /** Who: `"<name> (<role>)"`. */
  readonly deletedBy: string;
}

export interface RecordingEventMap {
  RecordingDeletedEvent: RecordingDeletedEvent;
  RecordingStartedEvent: RecordingStartedEvent;
  RecordingPausedEvent: RecordingPausedEvent;
  RecordingResumedEvent: RecordingResumedEvent;
  RecordingStoppedEvent: RecordingStoppedEvent;
  RecordingFailedEvent: RecordingFailedEvent;
}

/** The names of the recording events. */
export const RECORDING_EVENT_NAMES: readonly (keyof RecordingEventMap)[] = [
  "RecordingDeletedEvent",
  "RecordingFailedEvent",
  "RecordingPausedEvent",
  "RecordingResumedEvent",
  "RecordingStartedEvent",
  "RecordingStoppedEvent",
];

// ------------------------------------------------------------------ fax (docs/fax.md)

/** A fax event: for monitors of `{faxObject: "*"}` or of the fax's mailbox. */
export interface FaxEventBase<N extends string> extends EventBase<N> {
  readonly faxID: string;
  readonly direction: "in" | "out";
  readonly state: string;
  readonly mailbox: string;
  readonly remoteNumber: string;
  /** Pages through so far. */
  readonly pages: number;
  readonly totalPages?: number;
  readonly attempt: number;
  readonly callID?: string;
  readonly batchID?: string;
}

/** A page went through. */
export interface FaxProgressEvent extends FaxEventBase<"fax.progress"> {}
/** A fax was received and filed. */
export interface FaxReceivedEvent extends FaxEventBase<"fax.received"> {
  readonly resultCode: number | null;
  readonly resultText: string;
}
/** A fax was sent. */
export interface FaxCompletedEvent extends FaxEventBase<"fax.completed"> {
  readonly resultCode: number | null;
  readonly resultText: string;
}
/** An attempt failed: the T.30 code and text (null and "not reached: busy" when not answered). */
export interface FaxFailedEvent extends FaxEventBase<"fax.failed"> {
  readonly resultCode: number | null;
  readonly resultText: string;
  readonly willRetry: boolean;
}

export interface FaxEventMap {
  "fax.progress": FaxProgressEvent;
  "fax.received": FaxReceivedEvent;
  "fax.completed": FaxCompletedEvent;
  "fax.failed": FaxFailedEvent;
}

/** The names of the fax events. */
export const FAX_EVENT_NAMES: readonly (keyof FaxEventMap)[] = ["fax.completed", "fax.failed", "fax.progress", "fax.received"];
// ------------------------------------------------------------------ voicemail (docs/records.md)

interface VoicemailEventBase<N extends string> extends EventBase<N> {
  readonly mailbox: string;
  readonly messageID: string;
  /** The mailbox's counts after the change (what its lamps show). */
  readonly newMessages: number;
  readonly oldMessages: number;
}

/** A caller left a message in the mailbox. */
export interface VoicemailNewEvent extends VoicemailEventBase<"voicemail.new"> {
  readonly callID: string | null;
  readonly caller: string | null;
  readonly called: string | null;
  readonly receivedAt: string;
  readonly duration: number | null;
  readonly userData: Readonly<Record<string, string | number | boolean | null>>;
}

/** A message was heard or deleted. */
export interface VoicemailChangedEvent extends VoicemailEventBase<"voicemail.changed"> {
  readonly change: "heard" | "deleted";
}

export interface VoicemailEventMap {
  "voicemail.new": VoicemailNewEvent;
  "voicemail.changed": VoicemailChangedEvent;
}

/** The names of the voicemail events. */
export const VOICEMAIL_EVENT_NAMES: readonly (keyof VoicemailEventMap)[] = ["voicemail.changed", "voicemail.new"];

// ------------------------------------------------------------------ records (docs/webhooks.md)

/** A finished call's record, once it is in the database (exactly what `records.get` returns). */
export interface RecordCallClosedEvent extends EventBase<"record.callClosed">, CallRecord {}

/** A recording's file is complete and checked: its metadata, as `recording.get` returns it. */
export interface RecordingAvailableEvent extends EventBase<"recording.available">, Recording {}

export interface RecordEventMap {
  "record.callClosed": RecordCallClosedEvent;
  "recording.available": RecordingAvailableEvent;
}

/** The names of the records' events. */
export const RECORD_EVENT_NAMES: readonly (keyof RecordEventMap)[] = ["record.callClosed", "recording.available"];

// ------------------------------------------------------------------ campaigns (docs/outbound.md)

/** A record shown to the agent, to dial (`campaignPreviewDial`) or skip (`campaignPreviewSkip`). */
export interface CampaignPreviewEvent extends EventBase<"campaign.preview"> {
  readonly campaign: string;
  readonly record: number;
  readonly number: string;
  /** The record's list columns (the screen pop). */
  readonly data: Readonly<Record<string, string>>;
  readonly agentID: string;
  /** A callback booked for this agent. */
  readonly callback: boolean;
  readonly attempts: number;
  readonly timeout: number;
  readonly timeoutAction: "dial" | "skip";
  /** The codes `campaignSetDisposition` takes for the call. */
  readonly dispositions: readonly string[];
  readonly expiresAt: string;
}

interface CampaignStateBase<N extends string> extends EventBase<N> {
  readonly campaign: string;
  readonly state: "running" | "paused" | "stopped" | "finished";
  readonly mode: string | null;
  readonly queue: string | null;
}

export interface CampaignStartedEvent extends CampaignStateBase<"campaign.started"> {}
export interface CampaignPausedEvent extends CampaignStateBase<"campaign.paused"> {}
export interface CampaignStoppedEvent extends CampaignStateBase<"campaign.stopped"> {}
/** The running campaign has nothing left to dial or on a call. */
export interface CampaignFinishedEvent extends CampaignStateBase<"campaign.finished"> {}

/** Today's figures of a running campaign (throttled like `queue.figures`). */
export interface CampaignFiguresEvent extends EventBase<"campaign.figures"> {
  readonly campaign: string;
  readonly day: string;
  readonly dialled: number;
  /** Persons who answered (connected or abandoned). */
  readonly answered: number;
  readonly machines: number;
  readonly connected: number;
  readonly abandoned: number;
  /** abandoned / answered. */
  readonly abandonRate: number;
  readonly agents: Readonly<Record<string, number>>;
  readonly recordsLeft: number;
  readonly inFlight: number;
}

export interface CampaignEventMap {
  "campaign.preview": CampaignPreviewEvent;
  "campaign.started": CampaignStartedEvent;
  "campaign.paused": CampaignPausedEvent;
  "campaign.stopped": CampaignStoppedEvent;
  "campaign.finished": CampaignFinishedEvent;
  "campaign.figures": CampaignFiguresEvent;
}

/** The names of the campaign events. */
export const CAMPAIGN_EVENT_NAMES: readonly (keyof CampaignEventMap)[] = [
  "campaign.figures",
  "campaign.finished",
  "campaign.paused",
  "campaign.preview",
  "campaign.started",
  "campaign.stopped",
];

// ------------------------------------------------------------------ every event

/** Every typed event by name: `client.on(name, fn)` gives `fn` the right type. */
export interface EventMap
  extends CstaEventMap,
    AcdEventMap,
    RecordingEventMap,
    VoicemailEventMap,
    RecordEventMap,
    FaxEventMap,
    CampaignEventMap {}

/** Every typed event as a union: `switch (event.name)` narrows it. */
export type TypedEvent = EventMap[keyof EventMap];

/** The names of every typed event. */
export const EVENT_NAMES: readonly (keyof EventMap)[] = [
  ...CSTA_EVENT_NAMES,
  ...ACD_EVENT_NAMES,
  ...RECORDING_EVENT_NAMES,
  ...VOICEMAIL_EVENT_NAMES,
  ...RECORD_EVENT_NAMES,
  ...FAX_EVENT_NAMES,
  ...CAMPAIGN_EVENT_NAMES,
];

/** The connection field of each typed event that names a connection (for following a call). */
export function eventConnection(event: CtidEvent | TypedEvent): ConnectionID | undefined {
  for (const key of CONNECTION_FIELDS) {
    const value = (event as Readonly<Record<string, unknown>>)[key];
    if (isConnectionID(value)) return value;
  }
  return undefined;
}

const CONNECTION_FIELDS = [
  "connection",
  "initiatedConnection",
  "originatedConnection",
  "establishedConnection",
  "heldConnection",
  "retrievedConnection",
  "droppedConnection",
  "failedConnection",
  "queuedConnection",
] as const;

function isConnectionID(value: unknown): value is ConnectionID {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v["callID"] === "string" && typeof v["deviceID"] === "string";
}
