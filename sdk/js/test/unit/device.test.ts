/** DeviceWatch: a device's calls and states, from its monitor's events, through a scripted socket. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { CtidClient, DeviceWatch, type DeviceCall } from "../../src/index.js";
import { MockServer, eventParams, welcome } from "../helpers/mock-socket.js";

const settle = (): Promise<void> => vi.advanceTimersByTimeAsync(0).then(() => undefined);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

async function watching(snapshot: unknown[] = []): Promise<{ server: MockServer; client: CtidClient; watch: DeviceWatch }> {
  const server = new MockServer();
  const client = new CtidClient("ws://ctid.test/v1", { token: "t", WebSocket: server.WebSocket, reconnect: { random: () => 0 } });
  const connected = client.connect();
  server.socket.accept();
  server.socket.reply(welcome("S1"));
  await connected;
  const started = DeviceWatch.start(client, "1001");
  await settle();
  expect(server.socket.last).toMatchObject({ method: "MonitorStart", params: { monitorObject: { deviceObject: "1001" } } });
  server.socket.reply({ monitorCrossRefID: "m1" });
  await settle();
  expect(server.socket.last).toMatchObject({ method: "SnapshotDevice", params: { snapshotObject: "1001" } });
  server.socket.reply({ snapshotData: snapshot });
  return { server, client, watch: await started };
}

const states = (calls: ReadonlyMap<string, DeviceCall>): Record<string, string> =>
  Object.fromEntries([...calls.values()].map((call) => [call.callID, call.state]));

describe("DeviceWatch", () => {
  it("starts from the snapshot and replays it to each new listener", async () => {
    const { watch } = await watching([
      { connectionIdentifier: { callID: "c1", deviceID: "1001" }, localCallState: "hold", callingDevice: "1001", calledDevice: "+15550100" },
    ]);
    const seen: Record<string, string>[] = [];
    watch.onChange((calls) => seen.push(states(calls)));
    expect(seen).toEqual([{ c1: "hold" }]);
    expect(watch.calls.get("c1")).toEqual({
      callID: "c1",
      connection: { callID: "c1", deviceID: "1001" },
      state: "hold",
      callingDevice: "1001",
      calledDevice: "+15550100",
    });
    expect(watch.monitorCrossRefID).toBe("m1");
  });

  it("follows a call through ringing, answer, hold and hang-up", async () => {
    const { server, watch } = await watching();
    const seen: Record<string, string>[] = [];
    watch.onChange((calls) => seen.push(states(calls)));
    const conn = { callID: "c2", deviceID: "1001" };
    server.socket.event(
      "DeliveredEvent",
      eventParams(1, { localConnectionInfo: "alerting", connection: conn, callingDevice: "+15550100", calledDevice: "1001", userData: { customer: "C-42" } }),
    );
    server.socket.event("EstablishedEvent", eventParams(2, { localConnectionInfo: "connected", establishedConnection: conn }));
    server.socket.event("HeldEvent", eventParams(3, { localConnectionInfo: "hold", heldConnection: conn }));
    server.socket.event("CallInformationEvent", eventParams(4, { localConnectionInfo: "hold", callID: "c2", userData: { customer: "C-43" } }));
    server.socket.event("DeliveredEvent", eventParams(5, { localConnectionInfo: "alerting", connection: conn }, "m9")); // another monitor's
    server.socket.event("ConnectionClearedEvent", eventParams(6, { localConnectionInfo: "null", droppedConnection: conn }));
    expect(seen).toEqual([{}, { c2: "alerting" }, { c2: "connected" }, { c2: "hold" }, { c2: "hold" }, {}]);
  });

  it("keeps the caller and the call's newest data", async () => {
    const { server, watch } = await watching();
    const conn = { callID: "c2", deviceID: "1001" };
    server.socket.event("DeliveredEvent", eventParams(1, { localConnectionInfo: "alerting", connection: conn, callingDevice: "+15550100", userData: { a: 1 } }));
    server.socket.event("CallInformationEvent", eventParams(2, { localConnectionInfo: "alerting", callID: "c2", correlatorData: "T-7", userData: { b: 2 } }));
    expect(watch.calls.get("c2")).toMatchObject({ callingDevice: "+15550100", correlatorData: "T-7", userData: { b: 2 } });
  });

  it("merges a transferred call into the primary one", async () => {
    const { server, watch } = await watching([
      { connectionIdentifier: { callID: "c1", deviceID: "1001" }, localCallState: "hold", callingDevice: null, calledDevice: null },
      { connectionIdentifier: { callID: "c2", deviceID: "1001" }, localCallState: "connected", callingDevice: null, calledDevice: null },
    ]);
    server.socket.event("ConferencedEvent", eventParams(1, { localConnectionInfo: "connected", primaryOldCall: "c1", secondaryOldCall: "c2" }));
    expect(states(watch.calls)).toEqual({ c1: "connected" });
    server.socket.event("CallClearedEvent", eventParams(2, { localConnectionInfo: "null", clearedCall: "c1" }));
    expect(watch.calls.size).toBe(0);
  });

  it("after a session restart, follows the new monitor id and takes a new snapshot", async () => {
    const { server, client, watch } = await watching();
    server.socket.event("DeliveredEvent", eventParams(1, { localConnectionInfo: "alerting", connection: { callID: "c2", deviceID: "1001" } }));
    server.socket.drop();
    await vi.advanceTimersByTimeAsync(500);
    server.socket.accept();
    server.socket.fail(-32003, "no such session");
    await settle();
    server.socket.reply(welcome("S2"));
    await settle();
    server.socket.reply({ monitorCrossRefID: "m4" });
    await settle();
    expect(server.socket.last).toMatchObject({ method: "SnapshotDevice" }); // the client's, for its notice
    server.socket.reply({ snapshotData: [] });
    await settle();
    expect(client.state).toBe("connected");
    expect(watch.monitorCrossRefID).toBe("m4");
    expect(watch.calls.size).toBe(0);
    expect(server.socket.last).toMatchObject({ method: "SnapshotDevice" });
    server.socket.reply({
      snapshotData: [{ connectionIdentifier: { callID: "c2", deviceID: "1001" }, localCallState: "connected", callingDevice: null, calledDevice: null }],
    });
    await settle();
    expect(states(watch.calls)).toEqual({ c2: "connected" });
    server.socket.event("HeldEvent", eventParams(1, { localConnectionInfo: "hold", heldConnection: { callID: "c2", deviceID: "1001" } }, "m4"));
    expect(states(watch.calls)).toEqual({ c2: "hold" });
  });

  it("takes the snapshot again on the next connection if the first one after a restart is lost", async () => {
    const { server, watch } = await watching();
    server.socket.drop();
    await vi.advanceTimersByTimeAsync(500);
    server.socket.accept();
    server.socket.fail(-32003, "no such session");
    await settle();
    server.socket.reply(welcome("S2"));
    await settle();
    server.socket.reply({ monitorCrossRefID: "m4" });
    await settle();
    expect(server.socket.last).toMatchObject({ method: "SnapshotDevice" }); // the client's, for its notice
    server.socket.reply({ snapshotData: [] });
    await settle();
    expect(server.socket.last).toMatchObject({ method: "SnapshotDevice" });
    server.socket.drop(); // before the snapshot's reply
    await vi.advanceTimersByTimeAsync(500);
    server.socket.accept();
    expect(server.socket.last).toMatchObject({ method: "session.resume", params: { sessionID: "S2" } });
    server.socket.reply({ ...welcome("S2"), lastSeq: 0, replayed: 0, lastCloseReason: null });
    await settle();
    expect(server.socket.last).toMatchObject({ method: "SnapshotDevice", params: { snapshotObject: "1001" } });
    server.socket.reply({
      snapshotData: [{ connectionIdentifier: { callID: "c8", deviceID: "1001" }, localCallState: "alerting", callingDevice: "+15550100", calledDevice: "1001" }],
    });
    await settle();
    expect(states(watch.calls)).toEqual({ c8: "alerting" });
    server.socket.drop(); // an ordinary resume needs no snapshot
    await vi.advanceTimersByTimeAsync(500);
    server.socket.accept();
    server.socket.reply({ ...welcome("S2"), lastSeq: 0, replayed: 0, lastCloseReason: null });
    await settle();
    expect(server.socket.messages.map((m) => m.method)).toEqual(["session.resume"]);
  });

  it("stop() stops the monitor and the listeners", async () => {
    const { server, watch } = await watching();
    const seen: unknown[] = [];
    watch.onChange((calls) => seen.push(calls));
    const stopped = watch.stop();
    expect(server.socket.last).toMatchObject({ method: "MonitorStop", params: { monitorCrossRefID: "m1" } });
    server.socket.reply({});
    await stopped;
    server.socket.event("DeliveredEvent", eventParams(1, { localConnectionInfo: "alerting", connection: { callID: "c2", deviceID: "1001" } }));
    expect(seen).toHaveLength(1);
  });

  describe("with { agent: true }", () => {
    const snapshot = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
      agentID: "2001",
      agentName: "Alice",
      agentDevice: "1001",
      agentState: "notReady",
      since: "2027-01-15T08:00:00.000Z",
      reasonCode: null,
      pendingAgentState: null,
      pendingReasonCode: null,
      callID: null,
      outboundReserve: null,
      autoAnswer: false,
      queues: [{ queue: "sales", penalty: 0, level: 5, schedule: null, active: true }],
      today: { calls: 0, talkTime: 0, acwTime: 0, notReadyTime: 0, readyTime: 0, reservedTime: 0, ringNoAnswer: 0 },
      ...fields,
    });

    async function agentWatch(logged: Record<string, unknown>[]): Promise<{ server: MockServer; watch: DeviceWatch }> {
      const server = new MockServer();
      const client = new CtidClient("ws://ctid.test/v1", { token: "t", WebSocket: server.WebSocket, reconnect: { random: () => 0 } });
      const connected = client.connect();
      server.socket.accept();
      server.socket.reply(welcome("S1", "agent"));
      await connected;
      const started = DeviceWatch.start(client, "1001", { agent: true });
      await settle();
      server.socket.reply({ monitorCrossRefID: "m1" });
      await settle();
      server.socket.reply({ snapshotData: [] });
      await settle();
      expect(server.socket.last).toMatchObject({ method: "GetAgentState", params: { device: "1001" } });
      server.socket.reply({ agentStateList: logged });
      return { server, watch: await started };
    }

    it("starts from GetAgentState, then follows the agent events of its monitor", async () => {
      const { server, watch } = await agentWatch([{ ...snapshot({ agentState: "ready" }), loggedOnState: true }]);
      const seen: (string | undefined)[] = [];
      watch.onAgentChange((agent) => seen.push(agent?.agentState));
      expect(watch.agent).toEqual(snapshot({ agentState: "ready" }));
      const event = { ...snapshot({ agentState: "reserved", callID: "c1" }), oldState: "ready", newState: "reserved", cause: "offered" };
      server.socket.event("agent.reserved", eventParams(1, event));
      server.socket.event("AgentBusyEvent", eventParams(2, { ...event, agentState: "busy", oldState: "reserved", newState: "busy" }, "m9")); // another monitor's
      expect(watch.agent).toEqual(snapshot({ agentState: "reserved", callID: "c1" }));
      expect(watch.calls.size).toBe(0);
      expect(seen).toEqual(["ready", "reserved"]);
    });

    it("changes the agent's state, and applies a pending state from the reply (no event says it)", async () => {
      const { server, watch } = await agentWatch([]);
      expect(watch.agent).toBeUndefined();
      const loggedOn = watch.logOn("2001", { password: "4711" });
      await settle();
      expect(server.socket.last).toMatchObject({
        method: "SetAgentState",
        params: { device: "1001", requestedAgentState: "loggedOn", agentID: "2001", agentPassword: "4711" },
      });
      server.socket.event("AgentLoggedOnEvent", eventParams(1, { ...snapshot(), oldState: "loggedOff", newState: "notReady", cause: "requested" }));
      server.socket.reply({ agentState: "notReady", reasonCode: null, pendingAgentState: null, pendingReasonCode: null });
      await loggedOn;
      expect(watch.agent?.agentState).toBe("notReady");

      server.socket.event("AgentBusyEvent", eventParams(2, { ...snapshot({ agentState: "busy" }), oldState: "notReady", newState: "busy", cause: "directCall" }));
      const pending = watch.notReady("lunch");
      await settle();
      expect(server.socket.last).toMatchObject({ method: "SetAgentState", params: { device: "1001", requestedAgentState: "notReady", reasonCode: "lunch" } });
      server.socket.reply({ agentState: "busy", reasonCode: null, pendingAgentState: "notReady", pendingReasonCode: "lunch" });
      expect(await pending).toMatchObject({ pendingAgentState: "notReady" });
      expect(watch.agent).toMatchObject({ agentState: "busy", pendingAgentState: "notReady", pendingReasonCode: "lunch" });

      const wrap = watch.afterCallWork();
      await settle();
      expect(server.socket.last).toMatchObject({ params: { requestedAgentState: "workingAfterCall" } });
      server.socket.reply({ agentState: "busy", reasonCode: null, pendingAgentState: "workingAfterCall", pendingReasonCode: null });
      await wrap;
      const off = watch.logOff();
      await settle();
      expect(server.socket.last).toMatchObject({ params: { requestedAgentState: "loggedOff" } });
      server.socket.event("AgentLoggedOffEvent", eventParams(3, { ...snapshot({ agentState: "loggedOff" }), oldState: "busy", newState: "loggedOff" }));
      server.socket.reply({ agentState: "loggedOff", reasonCode: null, pendingAgentState: null, pendingReasonCode: null });
      await off;
      expect(watch.agent).toMatchObject({ agentID: "2001", agentState: "loggedOff", pendingAgentState: null });
    });

    it("ready() ends after-call work", async () => {
      const { server, watch } = await agentWatch([{ ...snapshot({ agentState: "workingAfterCall" }), loggedOnState: true }]);
      const ready = watch.ready();
      await settle();
      expect(server.socket.last).toMatchObject({ method: "SetAgentState", params: { device: "1001", requestedAgentState: "ready" } });
      server.socket.event("AgentReadyEvent", eventParams(1, { ...snapshot({ agentState: "ready" }), oldState: "workingAfterCall", newState: "ready", cause: "requested" }));
      server.socket.reply({ agentState: "ready", reasonCode: null, pendingAgentState: null, pendingReasonCode: null });
      await ready;
      expect(watch.agent?.agentState).toBe("ready");
    });
  });
});
