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
 *
 * With `{ agent: true }` it also follows the ACD agent at the device, for a
 * toolbar's agent-state buttons: `GetAgentState` at the start (and after a
 * restart), then the agent events the device monitor brings (the monitor of a
 * phone carries the agent events of whoever is logged on there). `logOn`,
 * `ready`, `notReady`, `afterCallWork` and `logOff` change it with
 * `SetAgentState`; their replies are applied too, since a *pending* state (asked
 * while busy) has no event of its own.
 */

import type { CtidClient, Unsubscribe } from "./client.js";
import { type CtidEvent, eventConnection, isAgentEvent } from "./events.js";
import type { RequestOptions } from "./services.js";
import { type AgentSnapshot, type AgentStateResult, type ConnectionID, ConnectionState, type UserData } from "./values.js";

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
type AgentListener = (agent: AgentSnapshot | undefined) => void;

export interface DeviceWatchOptions {
  /** Also follow the ACD agent at the device (`agent`, `onAgentChange`); needs a server with an ACD. */
  readonly agent?: boolean;
}

/** The agent's snapshot in an agent event: the event without its own fields. */
function snapshotOf(event: CtidEvent): AgentSnapshot {
  const { name, monitorCrossRefID, seq, timestamp, localConnectionInfo, oldState, newState, cause, ...snapshot } = event;
  void [name, monitorCrossRefID, seq, timestamp, localConnectionInfo, oldState, newState, cause];
  return snapshot as unknown as AgentSnapshot;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export class DeviceWatch {
  readonly device: string;
  readonly #client: CtidClient;
  #xref: string | undefined;
  readonly #calls = new Map<string, DeviceCall>();
  readonly #listeners = new Set<Listener>();
  readonly #agentListeners = new Set<AgentListener>();
  readonly #followAgent: boolean;
  #agent: AgentSnapshot | undefined;
  readonly #unsubscribe: Unsubscribe[] = [];
  /** The calls must be snapshotted again (the session was restarted). */
  #stale = false;
  #refreshing = false;

  private constructor(client: CtidClient, device: string, followAgent: boolean) {
    this.#client = client;
    this.device = device;
    this.#followAgent = followAgent;
  }

  /** Start watching `device` (MonitorStart, then SnapshotDevice; with `agent`, GetAgentState). */
  static async start(client: CtidClient, device: string, options: DeviceWatchOptions = {}): Promise<DeviceWatch> {
    const watch = new DeviceWatch(client, device, options.agent === true);
    watch.#unsubscribe.push(
      client.on("*", (event) => watch.#apply(event)),
      client.onRestart((notice) => {
        const old = watch.#xref;
        watch.#xref = old === undefined ? undefined : notice.monitors.get(old);
        watch.#calls.clear();
        watch.#stale = true;
        watch.#changed();
        if (watch.#followAgent) watch.#setAgent(undefined);
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

  /**
   * The ACD agent at the device (with `{ agent: true }`): the one logged on, or the
   * last one that logged off here (`agentState: "loggedOff"`); `undefined` if none.
   */
  get agent(): AgentSnapshot | undefined {
    return this.#agent;
  }

  /** Call `listener(agent)` at once with the agent at the device, then after every change. */
  onAgentChange(listener: AgentListener): Unsubscribe {
    this.#agentListeners.add(listener);
    listener(this.#agent);
    return () => this.#agentListeners.delete(listener);
  }

  /** Log `agentID` on at the device (`SetAgentState` `loggedOn`); it is `notReady` then. */
  async logOn(agentID: string, options: RequestOptions & { readonly password?: string; readonly group?: string } = {}): Promise<AgentStateResult> {
    const result = await this.#client.setAgentState(this.device, "loggedOn", {
      ...options,
      agentID,
      ...(options.password !== undefined && { agentPassword: options.password }),
    });
    if (this.#followAgent && this.#agent?.agentID !== agentID) await this.#takeAgent();
    return this.#applied(result);
  }

  /** Make the agent at the device ready for ACD calls (this also ends after-call work). */
  ready(options: RequestOptions = {}): Promise<AgentStateResult> {
    return this.#request("ready", options);
  }

  /** Make the agent not ready, with one of the configured `[acd] reason_codes` (pending while busy). */
  notReady(reasonCode: string, options: RequestOptions = {}): Promise<AgentStateResult> {
    return this.#request("notReady", { ...options, reasonCode });
  }

  /** Start manual after-call work (pending while busy). */
  afterCallWork(options: RequestOptions = {}): Promise<AgentStateResult> {
    return this.#request("workingAfterCall", options);
  }

  /** Log the agent off (pending while busy). */
  logOff(options: RequestOptions = {}): Promise<AgentStateResult> {
    return this.#request("loggedOff", options);
  }

  async #request(state: "ready" | "notReady" | "workingAfterCall" | "loggedOff", options: RequestOptions & { readonly reasonCode?: string }): Promise<AgentStateResult> {
    return this.#applied(await this.#client.setAgentState(this.device, state, options));
  }

  /** A reply's state (and pending state) applied to the agent: pending states have no event. */
  #applied(result: AgentStateResult): AgentStateResult {
    const agent = this.#agent;
    if (this.#followAgent && agent !== undefined) {
      const { agentState, reasonCode, pendingAgentState, pendingReasonCode } = result;
      if (
        agent.agentState !== agentState ||
        agent.reasonCode !== reasonCode ||
        agent.pendingAgentState !== pendingAgentState ||
        agent.pendingReasonCode !== pendingReasonCode
      ) {
        this.#setAgent({ ...agent, agentState, reasonCode, pendingAgentState, pendingReasonCode });
      }
    }
    return result;
  }

  async #takeAgent(): Promise<void> {
    const [agent] = await this.#client.getAgentState(this.device);
    if (agent !== undefined) {
      const { loggedOnState, ...snapshot } = agent;
      void loggedOnState;
      this.#setAgent(snapshot);
    } else if (this.#agent?.agentState !== "loggedOff") {
      this.#setAgent(undefined);
    }
  }

  #setAgent(agent: AgentSnapshot | undefined): void {
    this.#agent = agent;
    for (const listener of [...this.#agentListeners]) listener(agent);
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
    this.#agentListeners.clear();
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
    if (this.#followAgent) await this.#takeAgent();
  }

  #apply(event: CtidEvent): void {
    if (this.#xref === undefined || event.monitorCrossRefID !== this.#xref) return;
    if (isAgentEvent(event)) {
      if (this.#followAgent) this.#setAgent(snapshotOf(event));
      return;
    }
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
