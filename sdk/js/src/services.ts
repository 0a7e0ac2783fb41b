/**
 * A typed method for every service of protocol v1. Each builds the params in
 * wire form (ECMA-323 names, as docs/protocol.md) and reads the result;
 * `call` (the client's) does the rest. Every method of the server has a
 * wrapper here (test/unit/protocol-examples.test.ts checks it); `call` reaches
 * any method by name.
 */

import { ProtocolError } from "./errors.js";
import type { Params } from "./protocol.js";
import type {
  AgentSnapshot,
  AgentStateEntry,
  AgentStateResult,
  AgentSummary,
  CallRef,
  CallSnapshot,
  ConnectionID,
  DeviceSnapshotEntry,
  Discovery,
  FlowInfo,
  FlowValidation,
  IvrCall,
  IvrReload,
  IvrStatistics,
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
  RequestedAgentState,
  RoutingDecision,
  RoutingOverride,
  SimHears,
  SimLine,
  SupervisionResult,
  UserData,
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
  | { readonly mailboxObject: string };

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

/** `recording.search`'s filters (all optional; `tags`: every one of them). */
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

  /** `rpc.discover`: every method with its params schema and roles, and every event name. */
  discover(options: RequestOptions = {}): Promise<Discovery> {
    return this.call<Discovery>("rpc.discover", undefined, options);
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
              : "mailboxObject" in object
                ? { mailboxObject: object.mailboxObject }
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
}

/** A report's rows keyed by column: `reportRecords(report)[0]!["answerRate"]`. */
export function reportRecords(report: Report): Readonly<Record<string, ReportValue>>[] {
  return report.rows.map((row) => Object.fromEntries(report.columns.map((column, i) => [column, row[i] ?? null])));
}
