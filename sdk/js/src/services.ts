/**
 * A typed method for every service of protocol v1. Each builds the params in
 * wire form (ECMA-323 names, as docs/protocol.md) and reads the result;
 * `call` (the client's) does the rest. Every method of the server has a
 * wrapper here (test/unit/protocol-examples.test.ts checks it); `call` reaches
 * any method by name.
 */

import { ProtocolError } from "./errors.js";
import type { CallRecord, RecordsHistoryResult, RecordsSearchParams, RecordsSearchResult } from "./generated.js";
import type { Params } from "./protocol.js";
import type {
  AgentSnapshot,
  AgentStateEntry,
  AgentStateResult,
  AgentSummary,
  CallbackBooking,
  CallRef,
  CallSnapshot,
  CampaignInfo,
  CampaignReport,
  CampaignSummary,
  DispositionResult,
  PreviewDialled,
  PreviewSkipped,
  ConnectionID,
  DeviceSnapshotEntry,
  Discovery,
  DncChange,
  DncStatus,
  Fax,
  FaxBatch,
  FlowInfo,
  FlowValidation,
  IvrCall,
  IvrReload,
  IvrStatistics,
  ListImportResult,
  OutboundRouteChoice,
  QueueSnapshot,
  QueueSummary,
  Recording,
  RecordingStatus,
  RecordsStatus,
  VoicemailBox,
  VoicemailMessage,
  Report,
  ReportValue,
  ReportInfo,
  Role,
  RequestedAgentState,
  RoutingDecision,
  RoutingOverride,
  SimHears,
  SimMessageWaiting,
  SimLine,
  SupervisionResult,
  UserData,
  Webhook,
  WebhookDefinition,
  WebhookStatus,
  WebhookTest,
} from "./values.js";

/** Options every typed method takes. */
export interface RequestOptions {
  /** Milliseconds to wait for the reply (default: the client's `requestTimeout`). */
  readonly timeout?: number;
}

export interface MakeCallOptions extends RequestOptions {
  /** `"prompt"` (default): the calling phone rings first; `"doNotPrompt"`: it goes off-hook by itself. */
  readonly autoOriginate?: "prompt" | "doNotPrompt";
  readonly correlatorData?: string;
  readonly userData?: UserData;
}

export interface CallDataOptions extends RequestOptions {
  readonly correlatorData?: string;
  /** Keys are merged into the call's; a key set to `null` is removed. */
  readonly userData?: UserData;
}

/**
 * What `MonitorStart` watches: a device, or one call; with the ACD, an agent
 * wherever it logs on, or a queue (`"*"`: every agent, every queue). A string is a device.
 */
export type MonitorObject =
  | string
  | { readonly deviceObject: string }
  | { readonly callObject: CallRef }
  | { readonly agentObject: string }
  | { readonly queueObject: string }
  /** A voicemail box: `"queue:sales"`, `"agent:2001"`, `"number:8100"` (`voicemail.*` events). */
  | { readonly mailboxObject: string }
  /** Faxes: `"*"` or a fax mailbox (`fax.*` events). */
  | { readonly faxObject: string }
  /** An outbound campaign, or `"*"`: every campaign (`campaign.*` events). */
  | { readonly campaignObject: string };

export interface SetAgentStateOptions extends RequestOptions {
  /** The agent: needed to log on; otherwise the agent logged on at the device. */
  readonly agentID?: string;
  /** A queue: log on to (or off from) this one only. */
  readonly group?: string;
  /** For `notReady`: one of the configured `[acd] reason_codes`. */
  readonly reasonCode?: string;
  /** The agent's PIN, if it has one (agents logging themselves on). */
  readonly agentPassword?: string;
}

/** `fax.send`'s options. */
export interface FaxSendOptions extends RequestOptions {
  readonly header?: string;
  readonly callerId?: string;
  /** Further attempts after busy / no answer / a failed transfer (0-10). */
  readonly retries?: number;
  readonly mailbox?: string;
  /** Where each fax's result is mailed, with the fax attached (an address or a list; needs `[fax.email]`). */
  readonly emailTo?: string | readonly string[];
}

/** `fax.search`'s filters (all optional; `tags`: every one of them). */
export interface FaxQuery extends RequestOptions {
  /** ISO 8601: faxes made from here (inclusive) to `to` (exclusive). */
  readonly from?: string;
  readonly to?: string;
  readonly direction?: "in" | "out";
  /** The other side's number. */
  readonly number?: string;
  readonly localNumber?: string;
  readonly state?: string;
  readonly mailbox?: string;
  readonly batchID?: string;
  readonly minPages?: number;
  readonly maxPages?: number;
  readonly tags?: readonly string[];
  /** The fax's mail: `pending`, `sent` or `failed` (given up). */
  readonly emailStatus?: "pending" | "sent" | "failed";
  readonly limit?: number;
}

function faxSendParams(to: string | string[], documents: readonly string[], options: FaxSendOptions): Record<string, unknown> {
  return withoutUndefined({
    to,
    documents: [...documents],
    header: options.header,
    callerId: options.callerId,
    retries: options.retries,
    mailbox: options.mailbox,
    emailTo: typeof options.emailTo === "string" || options.emailTo === undefined ? options.emailTo : [...options.emailTo],
  });
}

/** `recording.search`'s filters (all optional; `tags`: every one of them). */
/** `records.search`'s filters (the generated params type) and the request options. */
export type RecordsQuery = RecordsSearchParams & RequestOptions;

export interface RecordingQuery extends RequestOptions {
  /** ISO 8601: recordings started from here (inclusive)... */
  readonly from?: string;
  /** ...to here (exclusive). */
  readonly to?: string;
  readonly agentID?: string;
  readonly caller?: string;
  readonly called?: string;
  readonly queue?: string;
  readonly minDuration?: number;
  readonly maxDuration?: number;
  readonly tags?: readonly string[];
  /** At most this many, newest first (server default 100, at most 1000). */
  readonly limit?: number;
}

/** The parameters every report takes. */
export interface ReportOptions extends RequestOptions {
  /** ISO 8601; a date alone is midnight in `timezone`. */
  readonly from: string;
  /** Exclusive. */
  readonly to: string;
  readonly queue?: string;
  readonly agent?: string;
  /** Break the report down by hour or day (then `interval` is its first column). */
  readonly interval?: "hour" | "day";
  /** Of the dates and intervals (default: `[records] timezone`). */
  readonly timezone?: string;
  /** Service level threshold, seconds (default 20). */
  readonly threshold?: number;
}

function conn(value: ConnectionID): ConnectionID {
  return { callID: value.callID, deviceID: value.deviceID };
}

function callRef(value: CallRef): CallRef {
  if (typeof value === "string") return value;
  return "deviceID" in value && typeof value.deviceID === "string" ? conn(value) : { callID: value.callID };
}

/** A file's text as the server takes it: one string, or chunks under its 16 KB string limit. */
function chunks(text: string): string | string[] {
  const size = 16_000;
  if (text.length <= size) return text;
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

function withoutUndefined(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
}

function list<T>(result: unknown, key: string, method: string): T[] {
  const value = field(result, key, method);
  if (!Array.isArray(value)) throw new ProtocolError(`${method}: ${key} is not an array`);
  return value as T[];
}

function object<T>(result: unknown, method: string): T {
  if (typeof result !== "object" || result === null || Array.isArray(result)) throw new ProtocolError(`${method}: the result is not an object`);
  return result as T;
}

function field(result: unknown, key: string, method: string): unknown {
  if (typeof result !== "object" || result === null || !(key in result)) {
    throw new ProtocolError(`${method}: no ${key} in the result`);
  }
  return (result as Record<string, unknown>)[key];
}

function connectionField(result: unknown, key: string, method: string): ConnectionID {
  const value = field(result, key, method);
  if (typeof value !== "object" || value === null) throw new ProtocolError(`${method}: ${key} is not a ConnectionID`);
  const { callID, deviceID } = value as Record<string, unknown>;
  if (typeof callID !== "string" || typeof deviceID !== "string") {
    throw new ProtocolError(`${method}: ${key} is not a ConnectionID`);
  }
  return { callID, deviceID };
}

/** The typed methods, over any `call`. `CtidClient` is one. */
export abstract class CtidServices {
  /** Call `method` with `params` and resolve with its raw result. */
  abstract call<T = unknown>(method: string, params?: Params, options?: RequestOptions): Promise<T>;

  async #none(method: string, params: Params, options: RequestOptions): Promise<void> {
    await this.call(method, params, options);
  }

  // ------------------------------------------------------------ session

  /** `session.ping`: the server's time (ISO 8601), for latency checks. */
  async ping(options: RequestOptions = {}): Promise<string> {
    const value = field(await this.call("session.ping", undefined, options), "timestamp", "session.ping");
    if (typeof value !== "string") throw new ProtocolError("session.ping: timestamp is not a string");
    return value;
  }

  /** `rpc.discover`: every method with its params schema and roles, and every event name,
   * from the server's OpenRPC document (kept whole as `document`). */
  async discover(options: RequestOptions = {}): Promise<Discovery> {
    return discoveryFromOpenRpc(await this.call<OpenRpcDocument>("rpc.discover", undefined, options));
  }

  // ------------------------------------------------------------ monitors

  /**
   * `MonitorStart`: receive the events of a device (or of one call, an agent, a
   * queue); resolves with its monitorCrossRefID. A device monitor also brings the
   * agent events of whoever is logged on at the device.
   */
  async monitorStart(object: MonitorObject, options: RequestOptions = {}): Promise<string> {
    const monitorObject =
      typeof object === "string"
        ? { deviceObject: object }
        : "deviceObject" in object
          ? { deviceObject: object.deviceObject }
          : "callObject" in object
            ? { callObject: callRef(object.callObject) }
            : "agentObject" in object
              ? { agentObject: object.agentObject }
              : "faxObject" in object
                ? { faxObject: object.faxObject }
              : "mailboxObject" in object
                ? { mailboxObject: object.mailboxObject }
              : "campaignObject" in object
                ? { campaignObject: object.campaignObject }
                : { queueObject: object.queueObject };
    const value = field(await this.call("MonitorStart", { monitorObject }, options), "monitorCrossRefID", "MonitorStart");
    if (typeof value !== "string") throw new ProtocolError("MonitorStart: monitorCrossRefID is not a string");
    return value;
  }

  /** `MonitorStop`: stop a monitor; its events stop at once. */
  monitorStop(monitorCrossRefID: string, options: RequestOptions = {}): Promise<void> {
    return this.#none("MonitorStop", { monitorCrossRefID }, options);
  }

  // ------------------------------------------------------------ call control

  /** `MakeCall`: call `calledDirectoryNumber` from `callingDevice`; resolves with the caller's connection. */
  async makeCall(callingDevice: string, calledDirectoryNumber: string, options: MakeCallOptions = {}): Promise<ConnectionID> {
    const params = withoutUndefined({
      callingDevice,
      calledDirectoryNumber,
      autoOriginate: options.autoOriginate,
      correlatorData: options.correlatorData,
      userData: options.userData,
    });
    return connectionField(await this.call("MakeCall", params, options), "callingDevice", "MakeCall");
  }

  /** `AnswerCall`: answer a call that rings at a device. */
  answerCall(callToBeAnswered: ConnectionID, options: RequestOptions = {}): Promise<void> {
    return this.#none("AnswerCall", { callToBeAnswered: conn(callToBeAnswered) }, options);
  }

  /** `ClearConnection`: take one device out of a call (hang up its party). */
  clearConnection(connectionToBeCleared: ConnectionID, options: RequestOptions = {}): Promise<void> {
    return this.#none("ClearConnection", { connectionToBeCleared: conn(connectionToBeCleared) }, options);
  }

  /** `ClearCall`: end a call (by callID or a connection in it) for every party. */
  clearCall(callToBeCleared: CallRef, options: RequestOptions = {}): Promise<void> {
    return this.#none("ClearCall", { callToBeCleared: callRef(callToBeCleared) }, options);
  }

  /** `HoldCall`: put a call on hold at a device; the other parties hear music. */
  holdCall(callToBeHeld: ConnectionID, options: RequestOptions = {}): Promise<void> {
    return this.#none("HoldCall", { callToBeHeld: conn(callToBeHeld) }, options);
  }

  /** `RetrieveCall`: take a held call off hold. */
  retrieveCall(callToBeRetrieved: ConnectionID, options: RequestOptions = {}): Promise<void> {
    return this.#none("RetrieveCall", { callToBeRetrieved: conn(callToBeRetrieved) }, options);
  }

  /** `ConsultationCall`: hold `existingCall` and call `consultedDevice`; resolves with the new call's connection. */
  async consultationCall(
    existingCall: ConnectionID,
    consultedDevice: string,
    options: RequestOptions & { readonly userData?: UserData } = {},
  ): Promise<ConnectionID> {
    const params = withoutUndefined({ existingCall: conn(existingCall), consultedDevice, userData: options.userData });
    return connectionField(await this.call("ConsultationCall", params, options), "initiatedCall", "ConsultationCall");
  }

  /** `TransferCall`: join the held call's parties to the active call's and leave both. */
  async transferCall(heldCall: ConnectionID, activeCall: ConnectionID, options: RequestOptions = {}): Promise<ConnectionID> {
    const result = await this.call("TransferCall", { heldCall: conn(heldCall), activeCall: conn(activeCall) }, options);
    return connectionField(result, "transferredCall", "TransferCall");
  }

  /** `ConferenceCall`: join the held and the active call into one conference. */
  async conferenceCall(heldCall: ConnectionID, activeCall: ConnectionID, options: RequestOptions = {}): Promise<ConnectionID> {
    const result = await this.call("ConferenceCall", { heldCall: conn(heldCall), activeCall: conn(activeCall) }, options);
    return connectionField(result, "conferenceCall", "ConferenceCall");
  }

  /** `SingleStepTransferCall`: send a call on to `transferredTo` and leave it (blind transfer). */
  async singleStepTransferCall(activeCall: ConnectionID, transferredTo: string, options: RequestOptions = {}): Promise<ConnectionID> {
    const result = await this.call("SingleStepTransferCall", { activeCall: conn(activeCall), transferredTo }, options);
    return connectionField(result, "transferredCall", "SingleStepTransferCall");
  }

  /** `DeflectCall`: send a call that rings at a device on to another destination. */
  deflectCall(callToBeDiverted: ConnectionID, newDestination: string, options: RequestOptions = {}): Promise<void> {
    return this.#none("DeflectCall", { callToBeDiverted: conn(callToBeDiverted), newDestination }, options);
  }

  /** `AlternateCall`: hold the active call and retrieve the held one, in one step. */
  alternateCall(heldCall: ConnectionID, activeCall: ConnectionID, options: RequestOptions = {}): Promise<void> {
    return this.#none("AlternateCall", { heldCall: conn(heldCall), activeCall: conn(activeCall) }, options);
  }

  /** `ReconnectCall`: leave the active call and retrieve the held one. */
  reconnectCall(heldCall: ConnectionID, activeCall: ConnectionID, options: RequestOptions = {}): Promise<void> {
    return this.#none("ReconnectCall", { heldCall: conn(heldCall), activeCall: conn(activeCall) }, options);
  }

  /** `GenerateDigits`: send DTMF (0-9 * # A-D, `,` pauses) on a connection. */
  generateDigits(connectionToSendDigits: ConnectionID, charactersToSend: string, options: RequestOptions = {}): Promise<void> {
    return this.#none("GenerateDigits", { connectionToSendDigits: conn(connectionToSendDigits), charactersToSend }, options);
  }

  /** `AssociateData`: change the data that travels with a call. */
  associateData(existingCall: CallRef, options: CallDataOptions = {}): Promise<void> {
    const params = withoutUndefined({
      existingCall: callRef(existingCall),
      correlatorData: options.correlatorData,
      userData: options.userData,
    });
    return this.#none("AssociateData", params, options);
  }

  /** `SnapshotDevice`: the calls at a device now, with its connection state in each. */
  async snapshotDevice(snapshotObject: string, options: RequestOptions = {}): Promise<DeviceSnapshotEntry[]> {
    const value = field(await this.call("SnapshotDevice", { snapshotObject }, options), "snapshotData", "SnapshotDevice");
    if (!Array.isArray(value)) throw new ProtocolError("SnapshotDevice: snapshotData is not an array");
    return value as DeviceSnapshotEntry[];
  }

  /** `SnapshotCall`: a call's parties with their connection states, and its data. */
  snapshotCall(snapshotObject: CallRef, options: RequestOptions = {}): Promise<CallSnapshot> {
    return this.call<CallSnapshot>("SnapshotCall", { snapshotObject: callRef(snapshotObject) }, options);
  }

  // ------------------------------------------------------------ simulator (admin)

  /** `sim.incomingCall`: an outside caller dials `calledNumber`; resolves with the new callID. */
  async simIncomingCall(callingNumber: string, calledNumber: string, options: RequestOptions & { readonly trunk?: string } = {}): Promise<string> {
    const params = withoutUndefined({ callingNumber, calledNumber, trunk: options.trunk });
    const value = field(await this.call("sim.incomingCall", params, options), "callID", "sim.incomingCall");
    if (typeof value !== "string") throw new ProtocolError("sim.incomingCall: callID is not a string");
    return value;
  }

  /** `sim.offHook`: lift a phone's handset: it answers if it rings, or gets dial tone. */
  simOffHook(device: string, options: RequestOptions = {}): Promise<void> {
    return this.#none("sim.offHook", { device }, options);
  }

  /** `sim.onHook`: hang up a phone, or an outside caller given by its number. */
  simOnHook(device: string, options: RequestOptions = {}): Promise<void> {
    return this.#none("sim.onHook", { device }, options);
  }

  /** `sim.pressDigits`: press keys on a phone, or DTMF from an outside caller. */
  simPressDigits(device: string, digits: string, options: RequestOptions = {}): Promise<void> {
    return this.#none("sim.pressDigits", { device, digits }, options);
  }

  /** `sim.holdKey`: press a phone's own hold key. */
  simHoldKey(device: string, options: RequestOptions = {}): Promise<void> {
    return this.#none("sim.holdKey", { device }, options);
  }

  /** `sim.lines`: every line of the simulated card with its state. */
  async simLines(options: RequestOptions = {}): Promise<SimLine[]> {
    const value = field(await this.call("sim.lines", undefined, options), "lines", "sim.lines");
    if (!Array.isArray(value)) throw new ProtocolError("sim.lines: lines is not an array");
    return value as SimLine[];
  }

  /** `sim.hears`: whether `listener` hears `speaker` right now. */
  simHears(listener: string, speaker: string, options: RequestOptions = {}): Promise<SimHears> {
    return this.call<SimHears>("sim.hears", { listener, speaker }, options);
  }

  /** `sim.messageWaiting`: the new and old messages a simulated phone's lamp shows. */
  simMessageWaiting(device: string, options: RequestOptions = {}): Promise<SimMessageWaiting> {
    return this.call<SimMessageWaiting>("sim.messageWaiting", { device }, options);
  }

  /** `sim.dropLink`: pretend the connection to the switch was lost. */
  simDropLink(options: RequestOptions = {}): Promise<void> {
    return this.#none("sim.dropLink", undefined, options);
  }

  /** `sim.restoreLink`: reconnect the simulated switch. */
  simRestoreLink(options: RequestOptions = {}): Promise<void> {
    return this.#none("sim.restoreLink", undefined, options);
  }

  // ------------------------------------------------------------ agents and queues (the ACD)

  /**
   * `SetAgentState`: log an agent on at `device` (with `agentID`), make it ready, not
   * ready (with a `reasonCode`), start or end after-call work, or log it off. Asked while
   * the agent is busy, `notReady`, `loggedOff` and `workingAfterCall` are *pending* until
   * the call ends: the result's `pendingAgentState` says so (no event does).
   */
  async setAgentState(device: string, requestedAgentState: RequestedAgentState, options: SetAgentStateOptions = {}): Promise<AgentStateResult> {
    const params = withoutUndefined({
      device,
      requestedAgentState,
      agentID: options.agentID,
      group: options.group,
      reasonCode: options.reasonCode,
      agentPassword: options.agentPassword,
    });
    return object<AgentStateResult>(await this.call("SetAgentState", params, options), "SetAgentState");
  }

  /** `GetAgentState`: the agent logged on at `device` (an empty list if nobody is). */
  async getAgentState(device: string, options: RequestOptions = {}): Promise<AgentStateEntry[]> {
    return list<AgentStateEntry>(await this.call("GetAgentState", { device }, options), "agentStateList", "GetAgentState");
  }

  /** `agent.list`: the agents this session may see, with state, device and queues. */
  async agentList(options: RequestOptions = {}): Promise<AgentSummary[]> {
    return list<AgentSummary>(await this.call("agent.list", undefined, options), "agents", "agent.list");
  }

  /** `agent.reasonCodes`: the not-ready reasons `setAgentState` accepts, in the configured order. */
  async agentReasonCodes(options: RequestOptions = {}): Promise<string[]> {
    return list<string>(await this.call("agent.reasonCodes", undefined, options), "reasonCodes", "agent.reasonCodes");
  }

  /** `agent.snapshot`: one agent now: state, pending state, queues and today's figures. */
  async agentSnapshot(agentID: string, options: RequestOptions = {}): Promise<AgentSnapshot> {
    return object<AgentSnapshot>(await this.call("agent.snapshot", { agentID }, options), "agent.snapshot");
  }

  /** `queue.list`: the queues this session may see, with waiting calls and agents now. */
  async queueList(options: RequestOptions = {}): Promise<QueueSummary[]> {
    return list<QueueSummary>(await this.call("queue.list", undefined, options), "queues", "queue.list");
  }

  /** `queue.snapshot`: a queue (name or number) now: figures, calls in order of service, agents by state. */
  async queueSnapshot(queue: string, options: RequestOptions = {}): Promise<QueueSnapshot> {
    return object<QueueSnapshot>(await this.call("queue.snapshot", { queue }, options), "queue.snapshot");
  }

  /**
   * `SingleStepConferenceCall`: a supervisor's phone `deviceToJoin` joins an agent's
   * call: listens (`silent`) or barges in (`active`, the default). Asking again switches the mode.
   */
  async singleStepConferenceCall(
    activeCall: ConnectionID,
    deviceToJoin: string,
    options: RequestOptions & { readonly participationType?: "silent" | "active" } = {},
  ): Promise<SupervisionResult> {
    const params = withoutUndefined({ activeCall: conn(activeCall), deviceToJoin, participationType: options.participationType });
    return object<SupervisionResult>(await this.call("SingleStepConferenceCall", params, options), "SingleStepConferenceCall");
  }

  /** `supervisor.whisper`: a supervisor coaches the agent; the customer does not hear it. */
  async supervisorWhisper(activeCall: ConnectionID, deviceToJoin: string, options: RequestOptions = {}): Promise<SupervisionResult> {
    const params = { activeCall: conn(activeCall), deviceToJoin };
    return object<SupervisionResult>(await this.call("supervisor.whisper", params, options), "supervisor.whisper");
  }

  // ------------------------------------------------------------ recording

  /** `recording.start`: record a call until it ends or `recordingStop`; `RecordingStartedEvent` follows. */
  async recordingStart(callID: string, options: RequestOptions & { readonly tags?: readonly string[] } = {}): Promise<RecordingStatus> {
    const params = withoutUndefined({ callID, tags: options.tags === undefined ? undefined : [...options.tags] });
    return object<RecordingStatus>(await this.call("recording.start", params, options), "recording.start");
  }

  /** `recording.pause`: record silence from now on (a card number), until `recordingResume`. */
  async recordingPause(recordingID: string, options: RequestOptions = {}): Promise<RecordingStatus> {
    return object<RecordingStatus>(await this.call("recording.pause", { recordingID }, options), "recording.pause");
  }

  /** `recording.resume`: record the call's audio again. */
  async recordingResume(recordingID: string, options: RequestOptions = {}): Promise<RecordingStatus> {
    return object<RecordingStatus>(await this.call("recording.resume", { recordingID }, options), "recording.resume");
  }

  /** `recording.stop`: stop recording (`stopping`); `RecordingStoppedEvent` follows when the file is complete. */
  async recordingStop(recordingID: string, options: RequestOptions = {}): Promise<RecordingStatus> {
    return object<RecordingStatus>(await this.call("recording.stop", { recordingID }, options), "recording.stop");
  }

  /** `recording.tag`: add tags to a recording (in progress or finished); resolves with all its tags. */
  async recordingTag(recordingID: string, tags: readonly string[], options: RequestOptions = {}): Promise<string[]> {
    return list<string>(await this.call("recording.tag", { recordingID, tags: [...tags] }, options), "tags", "recording.tag");
  }

  /**
   * `recording.setImportant`: keep a recording whatever the retention rules say (or no
   * longer). Supervisors (their queues' calls) and admins. Resolves with the mark as set.
   */
  async recordingSetImportant(id: string, important: boolean, options: RequestOptions = {}): Promise<boolean> {
    const result = await this.call("recording.setImportant", { id, important }, options);
    const value = field(result, "important", "recording.setImportant");
    if (typeof value !== "boolean") throw new ProtocolError("recording.setImportant: important is not a boolean");
    return value;
  }

  /**
   * `recording.delete`: delete a finished recording's audio (its metadata stays, state
   * `deleted`); `RecordingDeletedEvent` follows. Refused (`data.reason`) while in progress,
   * when important, or when already deleted. Supervisors and admins.
   */
  async recordingDelete(id: string, options: RequestOptions = {}): Promise<void> {
    await this.call("recording.delete", { id }, options);
  }

  /** `voicemail.list`: a mailbox's messages (newest first) and its counts of new and old ones. */
  async voicemailList(
    mailbox: string,
    options: RequestOptions & { readonly unheardOnly?: boolean; readonly limit?: number } = {},
  ): Promise<VoicemailBox> {
    const params = withoutUndefined({ mailbox, unheardOnly: options.unheardOnly, limit: options.limit });
    return object<VoicemailBox>(await this.call("voicemail.list", params, options), "voicemail.list");
  }

  /** `voicemail.get`: one message, with its download path (a deleted one says so). */
  async voicemailGet(messageID: string, options: RequestOptions = {}): Promise<VoicemailMessage> {
    return object<VoicemailMessage>(await this.call("voicemail.get", { messageID }, options), "voicemail.get");
  }

  /** `voicemail.markHeard`: mark a message heard; the mailbox's lamps follow. */
  async voicemailMarkHeard(messageID: string, options: RequestOptions = {}): Promise<void> {
    await this.call("voicemail.markHeard", { messageID }, options);
  }

  /** `voicemail.delete`: delete a message's audio (its metadata stays, marked deleted). */
  async voicemailDelete(messageID: string, options: RequestOptions = {}): Promise<void> {
    await this.call("voicemail.delete", { messageID }, options);
  }

  /** `recording.get`: one recording's metadata, with its download path. */
  async recordingGet(recordingID: string, options: RequestOptions = {}): Promise<Recording> {
    return object<Recording>(await this.call("recording.get", { recordingID }, options), "recording.get");
  }

  /** `recording.search`: recordings by date range, agent, caller, called number, queue, duration and tags. */
  async recordingSearch(query: RecordingQuery = {}): Promise<Recording[]> {
    const params = withoutUndefined({
      from: query.from,
      to: query.to,
      agentID: query.agentID,
      caller: query.caller,
      called: query.called,
      queue: query.queue,
      minDuration: query.minDuration,
      maxDuration: query.maxDuration,
      tags: query.tags === undefined ? undefined : [...query.tags],
      limit: query.limit,
    });
    return list<Recording>(await this.call("recording.search", params, query), "recordings", "recording.search");
  }

  // ------------------------------------------------------------ fax (admins, supervisors)

  /** `fax.send` to one number: documents (ids or names) one after the other; resolves with the fax id. */
  async faxSend(to: string, documents: readonly string[], options: FaxSendOptions = {}): Promise<string> {
    const value = field(await this.call("fax.send", faxSendParams(to, documents, options), options), "faxID", "fax.send");
    if (typeof value !== "string") throw new ProtocolError("fax.send: faxID is not a string");
    return value;
  }

  /** `fax.send` to a list of numbers: one fax each, with its own state (`faxSearch({batchID})`). */
  async faxSendBatch(to: readonly string[], documents: readonly string[], options: FaxSendOptions = {}): Promise<FaxBatch> {
    return object<FaxBatch>(await this.call("fax.send", faxSendParams([...to], documents, options), options), "fax.send");
  }

  /** `fax.get`: one fax. */
  async faxGet(faxID: string, options: RequestOptions = {}): Promise<Fax> {
    return object<Fax>(await this.call("fax.get", { faxID }, options), "fax.get");
  }

  /** `fax.cancel`: stop a fax waiting or being sent; resolves with its state. */
  async faxCancel(faxID: string, options: RequestOptions = {}): Promise<string> {
    const value = field(await this.call("fax.cancel", { faxID }, options), "state", "fax.cancel");
    if (typeof value !== "string") throw new ProtocolError("fax.cancel: state is not a string");
    return value;
  }

  /** `fax.tag`: add tags to a fax (`important`: kept whatever the retention); resolves with all its tags. */
  async faxTag(faxID: string, tags: readonly string[], options: RequestOptions = {}): Promise<string[]> {
    const value = field(await this.call("fax.tag", { faxID, tags: [...tags] }, options), "tags", "fax.tag");
    if (!Array.isArray(value) || !value.every((t) => typeof t === "string")) {
      throw new ProtocolError("fax.tag: tags is not a list of strings");
    }
    return value as string[];
  }

  /** `fax.search`: faxes by time, direction, number, state, mailbox, batch, pages and tags; newest first. */
  async faxSearch(query: FaxQuery = {}): Promise<Fax[]> {
    const params = withoutUndefined({
      from: query.from,
      to: query.to,
      direction: query.direction,
      number: query.number,
      localNumber: query.localNumber,
      state: query.state,
      mailbox: query.mailbox,
      batchID: query.batchID,
      minPages: query.minPages,
      maxPages: query.maxPages,
      tags: query.tags === undefined ? undefined : [...query.tags],
      emailStatus: query.emailStatus,
      limit: query.limit,
    });
    return list<Fax>(await this.call("fax.search", params, query), "faxes", "fax.search");
  }

  // ------------------------------------------------------------ call records (admin)

  /** `records.status`: the record writer's counters and whether the database is up. */
  async recordsStatus(options: RequestOptions = {}): Promise<RecordsStatus> {
    return object<RecordsStatus>(await this.call("records.status", undefined, options), "records.status");
  }

  /**
   * `records.flush`: wait until every record so far is in the database (or the spool),
   * at most `wait` seconds on the server (default 10).
   */
  recordsFlush(options: RequestOptions & { readonly until?: "database" | "spool"; readonly wait?: number } = {}): Promise<void> {
    return this.#none("records.flush", withoutUndefined({ until: options.until, timeout: options.wait }), options);
  }

  // ------------------------------------------------------------ call records and history

  /**
   * `records.search`: call records with their legs, newest first, one page at a time;
   * pass the page's `nextCursor` as `cursor` for the next (null on the last page).
   * `number` matches the caller or the called number, in full or as a prefix;
   * `campaign`, `campaignRecord` and `campaignOutcome` find a campaign's attempts.
   */
  async recordsSearch(query: RecordsQuery = {}): Promise<RecordsSearchResult> {
    const params = withoutUndefined({
      from: query.from,
      to: query.to,
      number: query.number,
      agent: query.agent,
      queue: query.queue,
      campaign: query.campaign,
      campaignRecord: query.campaignRecord,
      campaignOutcome: query.campaignOutcome,
      disposition: query.disposition,
      direction: query.direction,
      limit: query.limit,
      cursor: query.cursor,
    });
    const page = object<RecordsSearchResult>(await this.call("records.search", params, query), "records.search");
    list<CallRecord>(page, "records", "records.search");
    return page;
  }

  /** `records.get`: one call's record with its legs. */
  async recordsGet(callID: string, options: RequestOptions = {}): Promise<CallRecord> {
    return object<CallRecord>(await this.call("records.get", { callID }, options), "records.get");
  }

  /**
   * `records.history`: a number's previous calls, newest first, and `callerInfo` (where
   * the number is from). An agent may ask only about a number in a call at its devices.
   */
  async recordsHistory(number: string, options: RequestOptions & { readonly limit?: number } = {}): Promise<RecordsHistoryResult> {
    const params = withoutUndefined({ number, limit: options.limit });
    const history = object<RecordsHistoryResult>(await this.call("records.history", params, options), "records.history");
    list<CallRecord>(history, "calls", "records.history");
    return history;
  }

  // ------------------------------------------------------------ webhooks (admin; docs/webhooks.md)

  /** `webhook.create`: a webhook kept in the database; events published from now on go to it. */
  async webhookCreate(definition: WebhookDefinition, options: RequestOptions = {}): Promise<Webhook> {
    const result = object<{ webhook: Webhook }>(await this.call("webhook.create", { ...definition }, options), "webhook.create");
    return result.webhook;
  }

  /** `webhook.update`: replace a stored webhook's definition (by `name`); its backlog stays. */
  async webhookUpdate(definition: WebhookDefinition, options: RequestOptions = {}): Promise<Webhook> {
    const result = object<{ webhook: Webhook }>(await this.call("webhook.update", { ...definition }, options), "webhook.update");
    return result.webhook;
  }

  /** `webhook.delete`: delete a stored webhook and the events still waiting for it. */
  webhookDelete(name: string, options: RequestOptions = {}): Promise<void> {
    return this.#none("webhook.delete", { name }, options);
  }

  /** `webhook.list`: every webhook, the config file's and the stored ones. */
  async webhookList(options: RequestOptions = {}): Promise<Webhook[]> {
    return list<Webhook>(await this.call("webhook.list", undefined, options), "webhooks", "webhook.list");
  }

  /** `webhook.test`: POST one signed `webhook.test` event to the webhook now. */
  async webhookTest(name: string, options: RequestOptions = {}): Promise<WebhookTest> {
    return object<WebhookTest>(await this.call("webhook.test", { name }, options), "webhook.test");
  }

  /** `webhook.status`: backlog, deliveries, last success and error, next retry (one or all). */
  async webhookStatus(name?: string, options: RequestOptions = {}): Promise<WebhookStatus[]> {
    const params = name === undefined ? {} : { name };
    return list<WebhookStatus>(await this.call("webhook.status", params, options), "webhooks", "webhook.status");
  }

  // ------------------------------------------------------------ reports (admin, supervisor)

  /** `report.list`: the reports there are, with the method that runs each. */
  async reportList(options: RequestOptions = {}): Promise<ReportInfo[]> {
    return list<ReportInfo>(await this.call("report.list", undefined, options), "reports", "report.list");
  }

  async #report(method: string, options: ReportOptions): Promise<Report> {
    const params = withoutUndefined({
      from: options.from,
      to: options.to,
      queue: options.queue,
      agent: options.agent,
      interval: options.interval,
      timezone: options.timezone,
      threshold: options.threshold,
    });
    const report = object<Report>(await this.call(method, params, options), method);
    list(report, "rows", method);
    return report;
  }

  /** `report.ivrNodes`: visits and calls per IVR node, with the menu choices. Columns: flow, node, nodeType, visits, calls, choices. */
  reportIvrNodes(options: ReportOptions): Promise<Report> {
    return this.#report("report.ivrNodes", options);
  }

  /** `report.handleTimes`: answered calls, average handle, talk, hold, ACW and wait. Columns: answered, avgHandle, avgTalk, avgHold, avgAcw, avgWait. */
  reportHandleTimes(options: ReportOptions): Promise<Report> {
    return this.#report("report.handleTimes", options);
  }

  /** `report.trunkOccupancy`: per trunk line. Columns: trunk, calls, busySeconds, occupancy, peakSimultaneous. */
  reportTrunkOccupancy(options: ReportOptions): Promise<Report> {
    return this.#report("report.trunkOccupancy", options);
  }

  /** `report.agents`: per agent. Columns: agent, calls, talkSeconds, acwSeconds, readySeconds, notReadySeconds. */
  reportAgents(options: ReportOptions): Promise<Report> {
    return this.#report("report.agents", options);
  }

  /** `report.abandoned`: calls abandoned waiting for an agent, by wait. Columns: waited, calls, share. */
  reportAbandoned(options: ReportOptions): Promise<Report> {
    return this.#report("report.abandoned", options);
  }

  /** `report.answerRate`: inbound calls offered, answered, abandoned. Columns: offered, answered, abandoned, answerRate. */
  reportAnswerRate(options: ReportOptions): Promise<Report> {
    return this.#report("report.answerRate", options);
  }

  /** `report.serviceLevel`: per queue, within `threshold`. Columns: queue, offered, answeredWithin, abandonedWithin, serviceLevel. */
  reportServiceLevel(options: ReportOptions): Promise<Report> {
    return this.#report("report.serviceLevel", options);
  }

  /** `report.queueWaits`: per queue, every wait. Columns: queue, waits, answered, abandoned, avgWait, medianWait, p90Wait, maxWait. */
  reportQueueWaits(options: ReportOptions): Promise<Report> {
    return this.#report("report.queueWaits", options);
  }

  // ------------------------------------------------------------ the IVR and inbound routing

  /** `ivr.listFlows`: the flows new calls start in, with versions, nodes and numbers. */
  async ivrListFlows(options: RequestOptions = {}): Promise<FlowInfo[]> {
    return list<FlowInfo>(await this.call("ivr.listFlows", undefined, options), "flows", "ivr.listFlows");
  }

  /** `ivr.validateFlow` (admin): check a loaded flow by `name`, or a flow's `body`, without loading it. */
  async ivrValidateFlow(
    flow: { readonly name: string } | { readonly body: string; readonly format?: "json" | "yaml" },
    options: RequestOptions = {},
  ): Promise<FlowValidation> {
    const params = "name" in flow ? { name: flow.name } : withoutUndefined({ body: flow.body, format: flow.format });
    return object<FlowValidation>(await this.call("ivr.validateFlow", params, options), "ivr.validateFlow");
  }

  /** `ivr.reload` (admin): load the flows and routing again; calls in progress keep theirs. */
  async ivrReload(options: RequestOptions = {}): Promise<IvrReload> {
    return object<IvrReload>(await this.call("ivr.reload", undefined, options), "ivr.reload");
  }

  /** `ivr.calls`: every call in the IVR now, with its flow, node and language. */
  async ivrCalls(options: RequestOptions = {}): Promise<IvrCall[]> {
    return list<IvrCall>(await this.call("ivr.calls", undefined, options), "calls", "ivr.calls");
  }

  /** `ivr.statistics`: per flow and day (`day`: YYYY-MM-DD): calls, node visits, menu choices, exits. */
  async ivrStatistics(options: RequestOptions & { readonly flow?: string; readonly day?: string } = {}): Promise<IvrStatistics> {
    const params = withoutUndefined({ flow: options.flow, day: options.day });
    return object<IvrStatistics>(await this.call("ivr.statistics", params, options), "ivr.statistics");
  }

  /** `routing.overrides`: the inbound routing overrides and which are switched on. */
  async routingOverrides(options: RequestOptions = {}): Promise<RoutingOverride[]> {
    return list<RoutingOverride>(await this.call("routing.overrides", undefined, options), "overrides", "routing.overrides");
  }

  /** `routing.setOverride` (admin): switch an override on or off (kept across restarts); resolves with every override. */
  async routingSetOverride(name: string, active: boolean, options: RequestOptions = {}): Promise<RoutingOverride[]> {
    return list<RoutingOverride>(await this.call("routing.setOverride", { name, active }, options), "overrides", "routing.setOverride");
  }

  /** `routing.test`: where a call to `calledNumber` (from `callingNumber`) would go now; nothing rings. */
  async routingTest(calledNumber: string, options: RequestOptions & { readonly callingNumber?: string } = {}): Promise<RoutingDecision> {
    const params = withoutUndefined({ calledNumber, callingNumber: options.callingNumber });
    return object<RoutingDecision>(await this.call("routing.test", params, options), "routing.test");
  }

  /** `routing.test` (outbound): the route, digits and line a call to the outside `calledNumber` would take now; nothing is dialled. */
  async outboundRouteTest(calledNumber: string, options: RequestOptions = {}): Promise<OutboundRouteChoice> {
    const params = { calledNumber, direction: "outbound" };
    return object<OutboundRouteChoice>(await this.call("routing.test", params, options), "routing.test");
  }

  /** `campaign.create`: define a campaign (it starts `stopped`); `definition` holds the other keys (docs/outbound.md). */
  async campaignCreate(name: string, queue: string, definition: Readonly<Record<string, unknown>> = {}, options: RequestOptions = {}): Promise<CampaignInfo> {
    return object<CampaignInfo>(await this.call("campaign.create", { ...definition, name, queue }, options), "campaign.create");
  }

  /** `campaign.update`: change a campaign's definition (pacing limits, windows, retries...); checked whole. */
  async campaignUpdate(name: string, changes: Readonly<Record<string, unknown>>, options: RequestOptions = {}): Promise<CampaignInfo> {
    return object<CampaignInfo>(await this.call("campaign.update", { name, changes }, options), "campaign.update");
  }

  /** `campaign.get`: definition, state, records by status, each list's counts. */
  async campaignGet(name: string, options: RequestOptions = {}): Promise<CampaignInfo> {
    return object<CampaignInfo>(await this.call("campaign.get", { name }, options), "campaign.get");
  }

  /** `campaign.list`: every campaign with its records by status. */
  async campaignList(options: RequestOptions = {}): Promise<CampaignSummary[]> {
    return list<CampaignSummary>(await this.call("campaign.list", undefined, options), "campaigns", "campaign.list");
  }

  /** `campaign.setState`: start (`running`), pause, resume or stop a campaign's dialling. */
  async campaignSetState(name: string, state: "running" | "paused" | "stopped", options: RequestOptions = {}): Promise<CampaignInfo> {
    return object<CampaignInfo>(await this.call("campaign.setState", { name, state }, options), "campaign.setState");
  }

  /** `campaign.importList`: add a CSV list (with a header); rows left out come back by line. Big files go in 16 KB chunks. */
  async campaignImportList(campaign: string, listName: string, numberColumn: string, csv: string, options: RequestOptions = {}): Promise<ListImportResult> {
    const params = { campaign, list: listName, numberColumn, csv: chunks(csv) };
    return object<ListImportResult>(await this.call("campaign.importList", params, options), "campaign.importList");
  }

  /** `campaign.scheduleCallback`: call a record back at `at` (ISO 8601 with a zone), for this agent only or any. */
  async campaignScheduleCallback(record: number, at: string, options: RequestOptions & { readonly agentOnly?: boolean } = {}): Promise<CallbackBooking> {
    const params = { record, at, agentOnly: options.agentOnly ?? false };
    return object<CallbackBooking>(await this.call("campaign.scheduleCallback", params, options), "campaign.scheduleCallback");
  }

  /** `dnc.add`: put numbers on the global do-not-call list, or a campaign's. */
  async dncAdd(numbers: readonly string[], options: RequestOptions & { readonly campaign?: string; readonly note?: string } = {}): Promise<DncChange> {
    const params = withoutUndefined({ numbers: [...numbers], campaign: options.campaign, note: options.note });
    return object<DncChange>(await this.call("dnc.add", params, options), "dnc.add");
  }

  /** `dnc.remove`: take numbers off the global do-not-call list, or a campaign's. */
  async dncRemove(numbers: readonly string[], options: RequestOptions & { readonly campaign?: string } = {}): Promise<DncChange> {
    const params = withoutUndefined({ numbers: [...numbers], campaign: options.campaign });
    return object<DncChange>(await this.call("dnc.remove", params, options), "dnc.remove");
  }

  /** `dnc.import`: add the numbers of a CSV file (with a header) to a do-not-call list. */
  async dncImport(csv: string, numberColumn: string, options: RequestOptions & { readonly campaign?: string; readonly note?: string } = {}): Promise<DncChange> {
    const params = withoutUndefined({ csv: chunks(csv), numberColumn, campaign: options.campaign, note: options.note });
    return object<DncChange>(await this.call("dnc.import", params, options), "dnc.import");
  }

  /** `dnc.check`: whether a number is on a do-not-call list, and on which. */
  async dncCheck(number: string, options: RequestOptions = {}): Promise<DncStatus> {
    return object<DncStatus>(await this.call("dnc.check", { number }, options), "dnc.check");
  }

  /** `campaign.setDisposition`: give a campaign call (`callID`, or `record`'s latest) a code from the campaign's list. */
  async campaignSetDisposition(
    target: { readonly callID: string } | { readonly record: number },
    disposition: string,
    options: RequestOptions = {},
  ): Promise<DispositionResult> {
    const params = "callID" in target ? { callID: target.callID, disposition } : { record: target.record, disposition };
    return object<DispositionResult>(await this.call("campaign.setDisposition", params, options), "campaign.setDisposition");
  }

  /** `campaign.previewDial`: the agent's phone calls the record on preview (its data as `userData`). */
  async campaignPreviewDial(record: number, options: RequestOptions = {}): Promise<PreviewDialled> {
    return object<PreviewDialled>(await this.call("campaign.previewDial", { record }, options), "campaign.previewDial");
  }

  /** `campaign.previewSkip`: skip the record on preview, with a reason (1-32 characters). */
  async campaignPreviewSkip(record: number, reason: string, options: RequestOptions = {}): Promise<PreviewSkipped> {
    return object<PreviewSkipped>(await this.call("campaign.previewSkip", { record, reason }, options), "campaign.previewSkip");
  }

  /** `report.campaign`: attempts, outcomes, contacts, dispositions, abandon rate, occupancy, contacts per agent hour, list penetration over `[from, to)`. */
  async reportCampaign(campaign: string, from: string, to: string, options: RequestOptions = {}): Promise<CampaignReport> {
    return object<CampaignReport>(await this.call("report.campaign", { campaign, from, to }, options), "report.campaign");
  }
}

/** A report's rows keyed by column: `reportRecords(report)[0]!["answerRate"]`. */
export function reportRecords(report: Report): Readonly<Record<string, ReportValue>>[] {
  return report.rows.map((row) => Object.fromEntries(report.columns.map((column, i) => [column, row[i] ?? null])));
}

/** The parts of an OpenRPC document `discover` reads. */
interface OpenRpcDocument {
  readonly info: { readonly version: string; readonly "x-protocolVersion": string };
  readonly methods: readonly {
    readonly name: string;
    readonly summary?: string;
    readonly params: readonly { readonly name: string; readonly schema: unknown; readonly required?: boolean }[];
    readonly "x-roles": readonly Role[];
  }[];
  readonly "x-events": readonly { readonly name: string }[];
}

function discoveryFromOpenRpc(doc: OpenRpcDocument): Discovery {
  const raw: unknown = doc;
  const shaped =
    typeof raw === "object" && raw !== null && ["methods", "x-events"].every((k) => Array.isArray((raw as Record<string, unknown>)[k]));
  if (!shaped) throw new ProtocolError("rpc.discover: not an OpenRPC document");
  return {
    protocolVersion: doc.info["x-protocolVersion"],
    serverVersion: doc.info.version,
    methods: doc.methods.map((m) => ({
      name: m.name,
      summary: m.summary ?? "",
      params: {
        type: "object",
        properties: Object.fromEntries(m.params.map((p) => [p.name, p.schema])),
        required: m.params.filter((p) => p.required === true).map((p) => p.name),
      },
      roles: m["x-roles"],
    })),
    events: doc["x-events"].map((e) => e.name),
    document: doc as unknown as Readonly<Record<string, unknown>>,
  };
}
