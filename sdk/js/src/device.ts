/**
 * `DeviceWatch`: the calls at one device and the device's state in each,
 * kept current from a device monitor's events. It is what a toolbar needs to
 * enable its buttons (Answer while `alerting`, Hold while `connected`, ...).
 *
 * It starts with `MonitorStart` and a `SnapshotDevice`, then follows the
 * monitor's events: each carries `localConnectionInfo`, the device's state in
 * the call after the event, so the view never depends on replaying deltas.
 * (Events that happened before the snapshot can arrive after its reply; they
 * are applied in order, and the view converges on the same state.) Events carry
 * the call's whole `userData`, so the newest replaces what was known. If the
 * client has to log in again (`onRestart`), the watch follows its monitor's
 * new id and takes a new snapshot once connected (again on the next
 * connection, if that one fails). It uses only the client's public methods.
 */

import type { CtidClient, Unsubscribe } from "./client.js";
import { type CtidEvent, eventConnection } from "./events.js";
import { type ConnectionID, ConnectionState, type UserData } from "./values.js";

/** One call at the watched device. */
export interface DeviceCall {
  readonly callID: string;
  /** The device's connection in the call (what AnswerCall, HoldCall, ... take). */
  readonly connection: ConnectionID;
  /** The device's connection state in the call. */
  readonly state: ConnectionState;
  readonly callingDevice?: string;
  readonly calledDevice?: string;
  readonly correlatorData?: string;
  readonly userData?: UserData;
}

type Listener = (calls: ReadonlyMap<string, DeviceCall>) => void;

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export class DeviceWatch {
  readonly device: string;
  readonly #client: CtidClient;
  #xref: string | undefined;
  readonly #calls = new Map<string, DeviceCall>();
  readonly #listeners = new Set<Listener>();
  readonly #unsubscribe: Unsubscribe[] = [];
  /** The calls must be snapshotted again (the session was restarted). */
  #stale = false;
  #refreshing = false;

  private constructor(client: CtidClient, device: string) {
    this.#client = client;
    this.device = device;
  }

  /** Start watching `device` (MonitorStart, then SnapshotDevice). */
  static async start(client: CtidClient, device: string): Promise<DeviceWatch> {
    const watch = new DeviceWatch(client, device);
    watch.#unsubscribe.push(
      client.on("*", (event) => watch.#apply(event)),
      client.onRestart((notice) => {
        const old = watch.#xref;
        watch.#xref = old === undefined ? undefined : notice.monitors.get(old);
        watch.#calls.clear();
        watch.#stale = true;
        watch.#changed();
      }),
      // A restart is followed by "connected"; so is the next connection if the snapshot failed.
      client.onStateChange(({ newState }) => {
        if (newState === "connected") watch.#refresh();
      }),
    );
    try {
      watch.#xref = await client.monitorStart(device);
      await watch.#snapshot();
    } catch (error) {
      watch.#unsubscribe.forEach((off) => off());
      throw error;
    }
    return watch;
  }

  /** The monitor's cross-reference id (it changes if the client had to log in again). */
  get monitorCrossRefID(): string | undefined {
    return this.#xref;
  }

  /** The calls at the device now, by callID. */
  get calls(): ReadonlyMap<string, DeviceCall> {
    return new Map(this.#calls);
  }

  /** Call `listener(calls)` at once with the current calls, then after every change. */
  onChange(listener: Listener): Unsubscribe {
    this.#listeners.add(listener);
    listener(this.calls);
    return () => this.#listeners.delete(listener);
  }

  /** Stop the monitor and the listeners. */
  async stop(): Promise<void> {
    this.#unsubscribe.forEach((off) => off());
    this.#listeners.clear();
    const xref = this.#xref;
    this.#xref = undefined;
    if (xref !== undefined) await this.#client.monitorStop(xref);
  }

  #refresh(): void {
    if (!this.#stale || this.#refreshing || this.#xref === undefined) return;
    this.#refreshing = true;
    this.#snapshot().then(
      () => {
        this.#stale = false;
        this.#refreshing = false;
      },
      () => {
        this.#refreshing = false; // still stale: taken again on the next connection
      },
    );
  }

  async #snapshot(): Promise<void> {
    const entries = await this.#client.snapshotDevice(this.device);
    const seen = new Set<string>();
    for (const entry of entries) {
      const callID = entry.connectionIdentifier.callID;
      seen.add(callID);
      const old = this.#calls.get(callID);
      this.#calls.set(callID, {
        ...old,
        callID,
        connection: { callID, deviceID: entry.connectionIdentifier.deviceID },
        state: entry.localCallState,
        ...(entry.callingDevice !== null && { callingDevice: entry.callingDevice }),
        ...(entry.calledDevice !== null && { calledDevice: entry.calledDevice }),
      });
    }
    for (const callID of [...this.#calls.keys()]) if (!seen.has(callID)) this.#calls.delete(callID);
    this.#changed();
  }

  #apply(event: CtidEvent): void {
    if (this.#xref === undefined || event.monitorCrossRefID !== this.#xref) return;
    const state = event.localConnectionInfo;
    switch (event.name) {
      case "CallClearedEvent":
        this.#remove(text(event["clearedCall"]));
        return;
      case "TransferredEvent":
      case "ConferencedEvent":
        // The secondary call is merged into the primary one, which keeps its id.
        this.#remove(text(event["secondaryOldCall"]));
        this.#update(text(event["primaryOldCall"]), state, event);
        return;
      case "CallInformationEvent": {
        const callID = text(event["callID"]);
        if (callID !== undefined && this.#calls.has(callID)) this.#update(callID, state, event);
        return;
      }
      default:
        this.#update(eventConnection(event)?.callID, state, event);
    }
  }

  #update(callID: string | undefined, state: ConnectionState | undefined, event: CtidEvent): void {
    if (callID === undefined || state === undefined) return;
    if (state === ConnectionState.Null) {
      this.#remove(callID);
      return;
    }
    const old = this.#calls.get(callID);
    const userData = event["userData"];
    this.#calls.set(callID, {
      ...old,
      callID,
      connection: { callID, deviceID: this.device },
      state,
      ...(text(event["callingDevice"]) !== undefined && { callingDevice: text(event["callingDevice"])! }),
      ...(text(event["calledDevice"]) !== undefined && { calledDevice: text(event["calledDevice"])! }),
      ...(text(event["correlatorData"]) !== undefined && { correlatorData: text(event["correlatorData"])! }),
      ...(typeof userData === "object" && userData !== null && { userData: userData as UserData }),
    });
    this.#changed();
  }

  #remove(callID: string | undefined): void {
    if (callID !== undefined && this.#calls.delete(callID)) this.#changed();
  }

  #changed(): void {
    const calls = this.calls;
    for (const listener of [...this.#listeners]) listener(calls);
  }
}
