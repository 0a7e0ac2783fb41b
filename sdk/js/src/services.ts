/**
 * A typed method for every service of protocol v1. Each builds the params in
 * wire form (ECMA-323 names, as docs/protocol.md) and reads the result;
 * `call` (the client's) does the rest. Methods of new families (ACD, IVR,
 * records) can be used through `call` until they are typed here.
 */

import { ProtocolError } from "./errors.js";
import type { Params } from "./protocol.js";
import type {
  CallRef,
  CallSnapshot,
  ConnectionID,
  DeviceSnapshotEntry,
  Discovery,
  SimHears,
  SimLine,
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

/** What `MonitorStart` watches: a device, or one call. A string is a device. */
export type MonitorObject = string | { readonly deviceObject: string } | { readonly callObject: CallRef };

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

  /** `MonitorStart`: receive the events of a device (or of one call); resolves with its monitorCrossRefID. */
  async monitorStart(object: MonitorObject, options: RequestOptions = {}): Promise<string> {
    const monitorObject =
      typeof object === "string"
        ? { deviceObject: object }
        : "deviceObject" in object
          ? { deviceObject: object.deviceObject }
          : { callObject: callRef(object.callObject) };
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
}
