/**
 * Server events as the application receives them: the notification's params
 * exactly as on the wire (docs/protocol-examples.md), plus `name`, the
 * notification's method. `ctid/calls/events.py` is the source of these
 * types; a field the server leaves out (it never sends `null` for an unset
 * field) is optional here.
 *
 * Events of other families (ACD, IVR, records) arrive as `CtidEvent` with
 * their own name and fields until they are typed here.
 */

import type { ConnectionID, ConnectionState, EventCause, SystemStatus, UserData } from "./values.js";

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

/** Every typed event by name: `client.on(name, fn)` gives `fn` the right type. */
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

/** The typed events as a union: `switch (event.name)` narrows it. */
export type CstaEvent = CstaEventMap[keyof CstaEventMap];

/** The names of the typed events (what `rpc.discover` lists today). */
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

/** The connection field of each typed event that names a connection (for following a call). */
export function eventConnection(event: CtidEvent | CstaEvent): ConnectionID | undefined {
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
