/**
 * The client shell against a scripted server socket, on fake timers: every
 * time asserted here is exact, and nothing waits on the real clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import {
  AuthenticationError,
  ConnectionClosedError,
  CstaError,
  CtidClient,
  CtidError,
  ProtocolError,
  ReplayGap,
  RequestTimeoutError,
  RpcError,
  SessionLost,
  type ClientOptions,
  type CtidEvent,
  type DeliveredEvent,
  type SessionRestarted,
  type StateChange,
} from "../../src/index.js";
import { MockServer, eventParams, welcome } from "../helpers/mock-socket.js";

const URL = "ws://ctid.test/v1";
const TOKEN = "token-0123456789abcdef";

/** Let promise callbacks run, without moving the clock. */
const settle = (): Promise<void> => vi.advanceTimersByTimeAsync(0).then(() => undefined);
/** Move the fake clock by `ms` and run what fell due. */
const advance = (ms: number): Promise<void> => vi.advanceTimersByTimeAsync(ms).then(() => undefined);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function makeClient(server: MockServer, options: Partial<ClientOptions> = {}): CtidClient {
  // random() = 0: no jitter, so the backoff delays are exact.
  return new CtidClient(URL, { token: TOKEN, WebSocket: server.WebSocket, reconnect: { random: () => 0 }, ...options });
}

/** A client logged in as session S1. */
async function connected(options: Partial<ClientOptions> = {}): Promise<{ server: MockServer; client: CtidClient }> {
  const server = new MockServer();
  const client = makeClient(server, options);
  const done = client.connect();
  server.socket.accept();
  server.socket.reply(welcome("S1"));
  await done;
  return { server, client };
}

/** Resolve or reject `promise` into a value to assert on, without an unhandled rejection. */
function outcome<T>(promise: Promise<T>): { value?: T; error?: unknown; done: boolean } {
  const box: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(box, { value, done: true }),
    (error: unknown) => Object.assign(box, { error, done: true }),
  );
  return box;
}

describe("connecting", () => {
  it("opens the socket with the JSON subprotocol and logs in with the token", async () => {
    const server = new MockServer();
    const client = makeClient(server);
    const states: StateChange[] = [];
    client.onStateChange((change) => states.push(change));
    const done = outcome(client.connect());
    expect(server.sockets).toHaveLength(1);
    expect(server.socket.url).toBe(URL);
    expect(server.socket.protocols).toEqual(["ctid.v1.json"]);
    expect(server.socket.frames).toEqual([]);
    server.socket.accept();
    expect(server.socket.last).toEqual({ jsonrpc: "2.0", method: "session.login", params: { token: TOKEN }, id: 1 });
    expect(client.state).toBe("connecting");
    server.socket.reply(welcome("S1", "agent"));
    await settle();
    expect(done.value).toEqual(welcome("S1", "agent"));
    expect(client.state).toBe("connected");
    expect(client.session?.sessionID).toBe("S1");
    expect(states.map((s) => s.newState)).toEqual(["connecting", "connected"]);
  });

  it("a refused token rejects connect() and never retries", async () => {
    const server = new MockServer();
    const client = makeClient(server);
    const done = outcome(client.connect());
    server.socket.accept();
    server.socket.fail(-32002, "authentication failed: unknown token");
    await settle();
    expect(done.error).toBeInstanceOf(AuthenticationError);
    expect(client.state).toBe("closed");
    expect(server.socket.closedByClient?.code).toBe(1000);
    await advance(600_000);
    expect(server.sockets).toHaveLength(1);
  });

  it("a first connection that fails rejects connect() with 1006", async () => {
    const server = new MockServer();
    const client = makeClient(server);
    const done = outcome(client.connect());
    server.socket.refuse();
    await settle();
    expect(done.error).toBeInstanceOf(ConnectionClosedError);
    expect((done.error as ConnectionClosedError).code).toBe(1006);
    expect(client.state).toBe("closed");
  });

  it("gives up opening after connectTimeout", async () => {
    const server = new MockServer();
    const client = makeClient(server, { connectTimeout: 5_000 });
    const done = outcome(client.connect());
    await advance(4_999);
    expect(done.done).toBe(false);
    await advance(1);
    expect(done.error).toBeInstanceOf(ConnectionClosedError);
    expect((done.error as Error).message).toMatch(/within 5000 ms/);
    expect(server.socket.closedByClient).toEqual({ code: 1000, reason: undefined });
  });

  it("refuses a server that chose another subprotocol", async () => {
    const server = new MockServer();
    const client = makeClient(server);
    const done = outcome(client.connect());
    server.socket.accept("ctid.v1.msgpack");
    await settle();
    expect(done.error).toBeInstanceOf(ProtocolError);
    expect(server.socket.frames).toEqual([]);
  });

  it("needs connect() before requests, and connect() only once", async () => {
    const server = new MockServer();
    const client = makeClient(server);
    await expect(client.ping()).rejects.toThrow(/call connect\(\) first/);
    void client.connect().catch(() => undefined);
    await expect(client.connect()).rejects.toThrow(CtidError);
  });

  it("says what is missing when there is no WebSocket class", () => {
    expect(() => new CtidClient(URL, { token: TOKEN })).toThrow(/pass one as \{ WebSocket \}/);
  });
});

describe("requests", () => {
  it("resolves typed results and sends ECMA-323 params", async () => {
    const { server, client } = await connected();
    const made = outcome(client.makeCall("1001", "1002", { autoOriginate: "doNotPrompt", userData: { lead: "L-9" } }));
    expect(server.socket.last).toEqual({
      jsonrpc: "2.0",
      id: 2,
      method: "MakeCall",
      params: { callingDevice: "1001", calledDirectoryNumber: "1002", autoOriginate: "doNotPrompt", userData: { lead: "L-9" } },
    });
    server.socket.reply({ callingDevice: { callID: "c1", deviceID: "1001" } });
    await settle();
    expect(made.value).toEqual({ callID: "c1", deviceID: "1001" });
  });

  it("rejects with a CstaError carrying code, data and cstaError", async () => {
    const { server, client } = await connected();
    const held = outcome(client.holdCall({ callID: "no-such-call", deviceID: "1001" }));
    server.socket.fail(-32000, "callToBeHeld: no connection", { cstaError: "invalidConnectionIdentifier" });
    await settle();
    const error = held.error as CstaError;
    expect(error).toBeInstanceOf(CstaError);
    expect(error.code).toBe(-32000);
    expect(error.cstaError).toBe("invalidConnectionIdentifier");
    expect(error.data).toEqual({ cstaError: "invalidConnectionIdentifier" });
    expect(error.method).toBe("HoldCall");
  });

  it("times out after exactly requestTimeout and drops the late reply", async () => {
    const { server, client } = await connected({ requestTimeout: 3_000 });
    const ping = outcome(client.ping());
    const id = server.socket.last.id;
    await advance(2_999);
    expect(ping.done).toBe(false);
    await advance(1);
    expect(ping.error).toBeInstanceOf(RequestTimeoutError);
    expect(ping.error).toMatchObject({ method: "session.ping", timeout: 3_000 });
    server.socket.reply({ timestamp: "late" }, id);
    await settle();
    expect(client.statistics()).toMatchObject({ unmatchedReplies: 1, pendingRequests: 0 });
  });

  it("takes a per-call timeout", async () => {
    const { client } = await connected();
    const call = outcome(client.call("queue.snapshot", { queue: "sales" }, { timeout: 100 }));
    await advance(100);
    expect(call.error).toBeInstanceOf(RequestTimeoutError);
  });

  it("sends a batch in one frame; errors are outcomes, in order", async () => {
    const { server, client } = await connected();
    const batch = outcome(
      client.callBatch([
        ["MonitorStart", { monitorObject: { deviceObject: "1001" } }],
        ["SnapshotDevice", { snapshotObject: "9999" }],
      ]),
    );
    expect(server.socket.frames).toHaveLength(2);
    server.socket.sendText(
      JSON.stringify([
        { jsonrpc: "2.0", id: 3, error: { code: -32000, message: "no device", data: { cstaError: "invalidDeviceIdentifier" } } },
        { jsonrpc: "2.0", id: 2, result: { monitorCrossRefID: "m1" } },
      ]),
    );
    await settle();
    const [first, second] = batch.value!;
    expect(first).toEqual({ result: { monitorCrossRefID: "m1" } });
    expect(second?.error).toBeInstanceOf(CstaError);
    expect(client.monitors.get("m1")).toEqual({ monitorObject: { deviceObject: "1001" } });
  });

  it("sends notifications without an id", async () => {
    const { server, client } = await connected();
    await client.notify("session.ping");
    expect(JSON.parse(server.socket.frames.at(-1)!)).toEqual({ jsonrpc: "2.0", method: "session.ping" });
  });

  it("calls any method by name with call()", async () => {
    const { server, client } = await connected();
    const result = outcome(client.call<{ agents: string[] }>("acd.agents", { queue: "sales" }));
    expect(server.socket.last).toMatchObject({ method: "acd.agents", params: { queue: "sales" } });
    server.socket.reply({ agents: ["a1"] });
    await settle();
    expect(result.value).toEqual({ agents: ["a1"] });
  });
});

describe("events", () => {
  it("calls listeners by name and '*', in order, until unsubscribed", async () => {
    const { server, client } = await connected();
    const delivered: DeliveredEvent[] = [];
    const all: string[] = [];
    const off = client.on("DeliveredEvent", (event) => delivered.push(event));
    client.on("*", (event) => all.push(`${event.name}:${event.seq}`));
    server.socket.event("DeliveredEvent", eventParams(1, { alertingDevice: "1001", callingDevice: "+15550100", localConnectionInfo: "alerting" }));
    server.socket.event("EstablishedEvent", eventParams(2));
    off();
    server.socket.event("DeliveredEvent", eventParams(3));
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ name: "DeliveredEvent", seq: 1, callingDevice: "+15550100", localConnectionInfo: "alerting" });
    expect(all).toEqual(["DeliveredEvent:1", "EstablishedEvent:2", "DeliveredEvent:3"]);
  });

  it("drops duplicates and counts gaps", async () => {
    const { server, client } = await connected();
    const seen: number[] = [];
    client.on("*", (event: CtidEvent) => seen.push(event.seq));
    for (const seq of [1, 2, 2, 1, 5, 6]) server.socket.event("HeldEvent", eventParams(seq));
    expect(seen).toEqual([1, 2, 5, 6]);
    expect(client.statistics()).toMatchObject({ events: 4, duplicateEvents: 2, seqGaps: 1, lastSeq: 6 });
  });

  it("forgets a call monitor when its MonitorEndedEvent comes", async () => {
    const { server, client } = await connected();
    const started = outcome(client.monitorStart({ callObject: "c9" }));
    expect(server.socket.last.params).toEqual({ monitorObject: { callObject: "c9" } });
    server.socket.reply({ monitorCrossRefID: "m2" });
    await settle();
    expect(started.value).toBe("m2");
    expect([...client.monitors.keys()]).toEqual(["m2"]);
    server.socket.event("MonitorEndedEvent", eventParams(1, { cause: "normalClearing" }, "m2"));
    expect(client.monitors.size).toBe(0);
  });
});

describe("reconnecting", () => {
  it("resumes after a lost socket with the last seq, after the backoff delay", async () => {
    const { server, client } = await connected();
    server.socket.event("DeliveredEvent", eventParams(1));
    server.socket.event("EstablishedEvent", eventParams(2));
    const seen: number[] = [];
    client.on("*", (event) => seen.push(event.seq));
    server.socket.drop(1006);
    expect(client.state).toBe("reconnecting");
    await advance(499);
    expect(server.sockets).toHaveLength(1);
    await advance(1);
    expect(server.sockets).toHaveLength(2);
    server.socket.accept();
    expect(server.socket.last).toEqual({
      jsonrpc: "2.0",
      id: 2,
      method: "session.resume",
      params: { token: TOKEN, sessionID: "S1", lastSeq: 2 },
    });
    server.socket.reply({ ...welcome("S1"), lastSeq: 4, replayed: 2, lastCloseReason: null });
    server.socket.event("EstablishedEvent", eventParams(2)); // already had it
    server.socket.event("HeldEvent", eventParams(3));
    server.socket.event("RetrievedEvent", eventParams(4));
    await settle();
    expect(client.state).toBe("connected");
    expect(seen).toEqual([3, 4]);
    expect(client.statistics()).toMatchObject({ connections: 2, resumes: 1, restarts: 0, duplicateEvents: 1 });
  });

  it("backs off exponentially up to the maximum while attempts fail", async () => {
    const { server, client } = await connected({ reconnect: { initial: 500, maximum: 4_000, random: () => 0 } });
    const opened: number[] = [];
    const start = Date.now();
    server.socket.drop();
    for (let i = 0; i < 6; i++) {
      const count = server.sockets.length;
      while (server.sockets.length === count) await advance(1);
      opened.push(Date.now() - start);
      server.socket.refuse();
    }
    // Waits of 500, 1000, 2000, 4000, 4000, 4000 ms.
    expect(opened).toEqual([500, 1_500, 3_500, 7_500, 11_500, 15_500]);
    expect(client.state).toBe("reconnecting");
  });

  it("randomises away up to `jitter` of each wait", async () => {
    const { server } = await connected({ reconnect: { initial: 1_000, jitter: 0.5, random: () => 0.5 } });
    server.socket.drop();
    await advance(749);
    expect(server.sockets).toHaveLength(1);
    await advance(1);
    expect(server.sockets).toHaveLength(2);
  });

  it("starts the backoff over after a successful reconnect", async () => {
    const { server, client } = await connected();
    server.socket.drop();
    await advance(500);
    server.socket.refuse();
    await advance(1_000);
    server.socket.accept();
    server.socket.reply({ ...welcome(), lastSeq: 0, replayed: 0, lastCloseReason: null });
    await settle();
    expect(client.state).toBe("connected");
    server.socket.drop();
    await advance(500);
    expect(server.sockets).toHaveLength(4);
  });

  it("holds requests made while reconnecting and sends them after the resume", async () => {
    const { server, client } = await connected();
    server.socket.drop();
    const ping = outcome(client.ping());
    await advance(500);
    server.socket.accept();
    expect(server.socket.messages.map((m) => m.method)).toEqual(["session.resume"]);
    server.socket.reply({ ...welcome(), lastSeq: 0, replayed: 0, lastCloseReason: null });
    await settle();
    expect(server.socket.last.method).toBe("session.ping");
    server.socket.reply({ timestamp: "2027-01-15T08:00:00.000Z" });
    await settle();
    expect(ping.value).toBe("2027-01-15T08:00:00.000Z");
  });

  it("a request waiting for a reconnect still times out", async () => {
    const { server, client } = await connected({ requestTimeout: 2_000 });
    server.socket.drop();
    const ping = outcome(client.ping());
    await advance(500);
    server.socket.refuse();
    await advance(1_500);
    expect(ping.error).toBeInstanceOf(RequestTimeoutError);
    await advance(1_000);
    server.socket.accept();
    server.socket.reply({ ...welcome(), lastSeq: 0, replayed: 0, lastCloseReason: null });
    await settle();
    expect(server.socket.messages.map((m) => m.method)).toEqual(["session.resume"]);
  });

  it("fails a request in flight when its socket is lost (the outcome is unknown)", async () => {
    const { server, client } = await connected();
    const call = outcome(client.makeCall("1001", "1002"));
    server.socket.drop(1006);
    await settle();
    expect(call.error).toBeInstanceOf(ConnectionClosedError);
    expect(call.error).toMatchObject({ code: 1006, fatal: false });
    expect(client.state).toBe("reconnecting");
  });

  it.each([4000, 4003, 4005, 1001, 1006])("reconnects after close code %i", async (code) => {
    const { server, client } = await connected();
    server.socket.drop(code, "bye");
    await advance(500);
    expect(server.sockets).toHaveLength(2);
    expect(client.state).toBe("reconnecting");
  });

  it.each([4001, 4002, 4004])("never reconnects after close code %i", async (code) => {
    const { server, client } = await connected();
    const states: StateChange[] = [];
    client.onStateChange((change) => states.push(change));
    const inFlight = outcome(client.ping());
    server.socket.drop(code, "reason from the server");
    await advance(600_000);
    expect(server.sockets).toHaveLength(1);
    expect(client.state).toBe("closed");
    expect(states.at(-1)?.error).toMatchObject({ code, reason: "reason from the server", fatal: true });
    expect(inFlight.error).toMatchObject({ code });
    await expect(client.ping()).rejects.toMatchObject({ code, fatal: true });
  });

  it("with reconnect: false, a loss closes the client", async () => {
    const { server, client } = await connected({ reconnect: false });
    server.socket.drop(1006);
    await advance(60_000);
    expect(client.state).toBe("closed");
    expect(server.sockets).toHaveLength(1);
  });

  it("gives up after maxAttempts failed attempts in a row", async () => {
    const { server, client } = await connected({ reconnect: { maxAttempts: 2, random: () => 0 } });
    server.socket.drop();
    await advance(500);
    server.socket.refuse();
    await advance(1_000);
    server.socket.refuse();
    await advance(60_000);
    expect(server.sockets).toHaveLength(3);
    expect(client.state).toBe("closed");
    await expect(client.ping()).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it("stops if the token is refused on reconnect", async () => {
    const { server, client } = await connected();
    server.socket.drop();
    await advance(500);
    server.socket.accept();
    server.socket.fail(-32002, "authentication failed: unknown token");
    await settle();
    expect(client.state).toBe("closed");
    await advance(600_000);
    expect(server.sockets).toHaveLength(2);
    await expect(client.ping()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("retries when the resume gets no reply in time", async () => {
    const { server, client } = await connected({ requestTimeout: 1_000 });
    server.socket.drop();
    await advance(500);
    server.socket.accept();
    await advance(1_000);
    expect(server.sockets[1]!.closedByClient?.code).toBe(1000);
    await advance(1_000); // the second failure in a row waits 1 s
    expect(server.sockets).toHaveLength(3);
    expect(client.state).toBe("reconnecting");
  });
});

describe("session restarts", () => {
  it.each([
    [-32003, SessionLost, undefined],
    [-32004, ReplayGap, { oldestSeq: 40, lastSeq: 90 }],
  ])("after error %i: logs in again, restarts the monitors, then signals before new events", async (code, cls, data) => {
    const { server, client } = await connected();
    const started = outcome(client.monitorStart("1001"));
    server.socket.reply({ monitorCrossRefID: "m1" });
    const callMonitor = outcome(client.monitorStart({ callObject: { callID: "c7", deviceID: "1001" } }));
    server.socket.reply({ monitorCrossRefID: "m2" });
    await settle();
    expect([started.value, callMonitor.value]).toEqual(["m1", "m2"]);
    server.socket.event("DeliveredEvent", eventParams(1));
    const log: string[] = [];
    let notice: SessionRestarted | undefined;
    client.onRestart((n) => {
      notice = n;
      log.push("restarted");
    });
    client.on("*", (event) => log.push(`${event.name}:${event.seq}`));

    server.socket.drop();
    await advance(500);
    const socket = server.socket;
    socket.accept();
    expect(socket.last).toMatchObject({ method: "session.resume", params: { sessionID: "S1", lastSeq: 1 } });
    socket.fail(code, "cannot resume", data);
    await settle();
    expect(socket.last).toEqual({ jsonrpc: "2.0", id: 5, method: "session.login", params: { token: TOKEN } });
    socket.reply(welcome("S2"));
    await settle();
    expect(socket.last).toMatchObject({ method: "MonitorStart", params: { monitorObject: { deviceObject: "1001" } } });
    socket.event("DeliveredEvent", eventParams(1, {}, "m5")); // the new session's first event, held back
    socket.reply({ monitorCrossRefID: "m5" });
    await settle();
    expect(socket.last).toMatchObject({ method: "MonitorStart", params: { monitorObject: { callObject: { callID: "c7", deviceID: "1001" } } } });
    socket.fail(-32000, "no call 'c7'", { cstaError: "invalidCallIdentifier" });
    await settle();
    // A fresh snapshot of each restarted monitor goes with the notice.
    expect(socket.last).toMatchObject({ method: "SnapshotDevice", params: { snapshotObject: "1001" } });
    socket.reply({ snapshotData: [] });
    await settle();

    expect(client.state).toBe("connected");
    expect(log).toEqual(["restarted", "DeliveredEvent:1"]);
    expect(notice?.reason).toBeInstanceOf(cls);
    expect(notice).toMatchObject({ oldSessionID: "S1", newSessionID: "S2", lastSeq: 1 });
    expect([...notice!.monitors]).toEqual([["m1", "m5"]]);
    expect([...notice!.failedMonitors.keys()]).toEqual(["m2"]);
    expect(notice!.failedMonitors.get("m2")?.cstaError).toBe("invalidCallIdentifier");
    expect([...notice!.snapshots]).toEqual([["m5", { snapshotData: [] }]]);
    expect(notice!.url).toBe(client.url);
    expect([...client.monitors.keys()]).toEqual(["m5"]);
    expect(client.session?.sessionID).toBe("S2");
    expect(client.statistics()).toMatchObject({ restarts: 1, resumes: 0, lastSeq: 1 });
  });

  it("starts the restart over with a fresh login if the socket is lost half-way", async () => {
    const { server, client } = await connected();
    server.socket.drop();
    await advance(500);
    server.socket.accept();
    server.socket.fail(-32003, "no such session");
    await settle();
    server.socket.drop(); // lost before the login's reply: a failed attempt, so a 1 s wait
    await advance(999);
    expect(server.sockets).toHaveLength(2);
    await advance(1);
    server.socket.accept();
    expect(server.socket.last.method).toBe("session.login");
    server.socket.reply(welcome("S3"));
    await settle();
    expect(client.state).toBe("connected");
    expect(client.session?.sessionID).toBe("S3");
  });
});

describe("closing", () => {
  it("logs out, waits for the server's 4002, and stays closed", async () => {
    const { server, client } = await connected();
    const states: StateChange[] = [];
    client.onStateChange((change) => states.push(change));
    const closed = outcome(client.close());
    expect(server.socket.last.method).toBe("session.logout");
    server.socket.reply({});
    await settle();
    expect(closed.done).toBe(false);
    server.socket.drop(4002, "logged out");
    await settle();
    expect(closed.done).toBe(true);
    expect(client.state).toBe("closed");
    expect(vi.getTimerCount()).toBe(0); // nothing left to keep a Node program alive
    expect(states.at(-1)?.error).toMatchObject({ code: 1000 });
    await expect(client.ping()).rejects.toMatchObject({ code: 1000 });
    await advance(600_000);
    expect(server.sockets).toHaveLength(1);
  });

  it("closes the socket itself if the server does not answer the logout", async () => {
    const { server, client } = await connected();
    const closed = outcome(client.close());
    await advance(2_000);
    expect(closed.done).toBe(true);
    expect(server.socket.closedByClient?.code).toBe(1000);
    expect(client.state).toBe("closed");
  });

  it("while reconnecting, stops the retries", async () => {
    const { server, client } = await connected();
    server.socket.drop();
    await client.close();
    await advance(600_000);
    expect(server.sockets).toHaveLength(1);
    expect(client.state).toBe("closed");
  });

  it("a logout through call() is no error and does not reconnect", async () => {
    const { server, client } = await connected();
    const out = outcome(client.call("session.logout"));
    server.socket.reply({});
    server.socket.drop(4002, "logged out");
    await settle();
    expect(out.value).toEqual({});
    expect(client.state).toBe("closed");
    await expect(client.ping()).rejects.toMatchObject({ code: 4002 });
  });

  it("rejects requests waiting for a connection when closed", async () => {
    const { server, client } = await connected();
    server.socket.drop();
    const ping = outcome(client.ping());
    await client.close();
    await settle();
    expect(ping.error).toBeInstanceOf(ConnectionClosedError);
    expect(ping.error).not.toBeInstanceOf(RpcError);
  });
});
