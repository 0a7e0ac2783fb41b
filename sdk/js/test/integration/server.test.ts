/**
 * The SDK against the real ctid server (`ctid demo --no-traffic` on port 0),
 * through the ws package's WebSocket. Waits are on readiness signals (the
 * banner, events, replies); the timeouts are failure guards only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

import {
  AuthenticationError,
  ConnectionClosedError,
  CstaError,
  CtidClient,
  DeviceWatch,
  PermissionDenied,
  RpcError,
  SessionLost,
  type SessionRestarted,
  type StateChange,
} from "../../src/index.js";
import { ADMIN_TOKEN, type CtidServer, EventLog, nodeClient, startCtid } from "../helpers/ctid-server.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";

let server: CtidServer;

beforeAll(async () => {
  server = await startCtid();
});
afterAll(async () => {
  await server?.stop();
});

/** Resolves with the next state change to `state`. */
function reaches(client: CtidClient, state: string): Promise<StateChange> {
  return new Promise((resolve) => {
    const off = client.onStateChange((change) => {
      if (change.newState === state) {
        off();
        resolve(change);
      }
    });
  });
}

describe("against a real ctid", () => {
  it("logs in, pings and discovers the methods and events", async () => {
    const client = nodeClient(server);
    const session = await client.connect();
    expect(session).toMatchObject({ protocolVersion: "1.0", role: "admin" });
    expect(typeof session.sessionID).toBe("string");
    expect(await client.ping()).toMatch(/^\d{4}-\d\d-\d\dT/);
    const discovery = await client.discover();
    expect(discovery.methods.map((m) => m.name)).toContain("MakeCall");
    expect(discovery.events).toContain("DeliveredEvent");
    await client.close();
    expect(client.state).toBe("closed");
  });

  it("refuses a wrong token with an AuthenticationError", async () => {
    const client = nodeClient(server, { token: "not-the-token" });
    await expect(client.connect()).rejects.toBeInstanceOf(AuthenticationError);
    expect(client.state).toBe("closed");
  });

  it("makes a call and follows it through its events", async () => {
    const client = nodeClient(server);
    await client.connect();
    const events = new EventLog(client);
    const xref = await client.monitorStart("1001");
    const caller = await client.makeCall("1001", "1002", {
      autoOriginate: "doNotPrompt",
      correlatorData: "crm-click-1",
      userData: { lead: "L-9" },
    });
    expect(caller.deviceID).toBe("1001");
    const { callID } = caller;
    const ofCall = (e: { [k: string]: unknown }): boolean => JSON.stringify(e).includes(callID);

    expect(await events.next("ServiceInitiatedEvent", ofCall)).toMatchObject({ monitorCrossRefID: xref, initiatingDevice: "1001" });
    expect(await events.next("OriginatedEvent", ofCall)).toMatchObject({ callingDevice: "1001", calledDevice: "1002" });
    const delivered = await events.next("DeliveredEvent", ofCall);
    expect(delivered).toMatchObject({ alertingDevice: "1002", correlatorData: "crm-click-1", userData: { lead: "L-9" } });

    await client.simOffHook("1002");
    expect(await events.next("EstablishedEvent", ofCall)).toMatchObject({ answeringDevice: "1002", localConnectionInfo: "connected" });
    await client.holdCall(caller);
    expect(await events.next("HeldEvent", ofCall)).toMatchObject({ holdingDevice: "1001", localConnectionInfo: "hold" });
    await client.retrieveCall(caller);
    expect(await events.next("RetrievedEvent", ofCall)).toMatchObject({ localConnectionInfo: "connected" });
    await client.clearCall(callID);
    await events.next("CallClearedEvent", (e) => e["clearedCall"] === callID);

    const seqs = events.seen.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(client.statistics()).toMatchObject({ seqGaps: 0, duplicateEvents: 0, protocolViolations: 0 });
    await client.close();
  });

  it("pops the screen with the caller's data and answers the call", async () => {
    const client = nodeClient(server);
    await client.connect();
    const events = new EventLog(client);
    await client.monitorStart("1003");
    const watch = await DeviceWatch.start(client, "1003");
    const callID = await client.simIncomingCall("+15550100", "1003");
    await client.associateData(callID, { correlatorData: "ticket-7", userData: { customer: "C-42" } });
    const delivered = await events.next("DeliveredEvent", (e) => e["alertingDevice"] === "1003");
    expect(delivered).toMatchObject({ callingDevice: "+15550100", calledDevice: "1003", localConnectionInfo: "alerting" });
    await events.next("CallInformationEvent", (e) => e["callID"] === callID);
    expect(watch.calls.get(callID)).toMatchObject({ state: "alerting", callingDevice: "+15550100", userData: { customer: "C-42" } });

    await client.answerCall({ callID, deviceID: "1003" });
    await events.next("EstablishedEvent", (e) => e["answeringDevice"] === "1003");
    expect(watch.calls.get(callID)?.state).toBe("connected");
    const snapshot = await client.snapshotCall(callID);
    expect(snapshot).toMatchObject({ callingDevice: "+15550100", correlatorData: "ticket-7", userData: { customer: "C-42" } });
    await client.clearConnection({ callID, deviceID: "1003" });
    await events.next("ConnectionClearedEvent", (e) => e["releasingDevice"] === "1003");
    expect(watch.calls.size).toBe(0);
    await watch.stop();
    await client.close();
  });

  it("rejects a CSTA failure with a CstaError, and the session goes on", async () => {
    const client = nodeClient(server);
    await client.connect();
    const held = client.holdCall({ callID: "no-such-call", deviceID: "1001" });
    await expect(held).rejects.toBeInstanceOf(CstaError);
    await expect(held).rejects.toMatchObject({ code: -32000, cstaError: "invalidConnectionIdentifier", method: "HoldCall" });
    await expect(client.makeCall("9999", "1002")).rejects.toMatchObject({ cstaError: "invalidCallingDevice" });
    const unknown = client.call("no.such.method");
    await expect(unknown).rejects.toBeInstanceOf(RpcError);
    await expect(unknown).rejects.toMatchObject({ code: -32601 });
    expect(await client.ping()).toBeTruthy();
    await client.close();
  });

  it("sends a batch and reads each outcome", async () => {
    const client = nodeClient(server);
    await client.connect();
    const [ok, bad] = await client.callBatch([["SnapshotDevice", { snapshotObject: "1005" }], ["SnapshotDevice", { snapshotObject: "nope" }]]);
    expect(ok).toEqual({ result: { snapshotData: [] } });
    expect(bad?.error).toBeInstanceOf(CstaError);
    await client.close();
  });

  it("an agent may not drive the simulator (PermissionDenied)", async () => {
    const agent = await startCtid({ config: agentConfig() });
    try {
      const client = new CtidClient(agent.url, { token: AGENT_TOKEN, WebSocket });
      expect((await client.connect()).role).toBe("agent");
      await expect(client.simOffHook("1001")).rejects.toBeInstanceOf(PermissionDenied);
      await client.close();
    } finally {
      await agent.stop();
    }
  });
});

describe("reconnecting to a real ctid", () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await TcpProxy.start(server.url);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it("resumes after the connection is cut and receives the events it missed", async () => {
    const log: string[] = [];
    const client = new CtidClient(proxy.url(server.url), {
      token: ADMIN_TOKEN,
      WebSocket,
      reconnect: { initial: 20, maximum: 100 },
      logger: { info: (message: string) => log.push(message) },
    });
    await client.connect();
    const events = new EventLog(client);
    await client.monitorStart("1004");
    const admin = nodeClient(server);
    await admin.connect();

    await admin.simIncomingCall("+15550111", "1004");
    const first = await events.next("DeliveredEvent", (e) => e["alertingDevice"] === "1004");

    const lost = reaches(client, "reconnecting");
    proxy.refusing = true;
    proxy.cutAll();
    expect((await lost).error).toMatchObject({ code: 1006 });
    // While it cannot reach the server, the call is answered and hung up.
    await admin.simOffHook("1004");
    await admin.simOnHook("1004");
    expect(events.seen).toHaveLength(1);
    const back = reaches(client, "connected");
    proxy.refusing = false;
    await back;
    await events.next("CallClearedEvent");

    const replayed = log.map((line) => /resumed the session: (\d+) events replayed/.exec(line)).find(Boolean);
    expect(Number(replayed?.[1])).toBeGreaterThanOrEqual(3);
    const names = events.seen.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(["EstablishedEvent", "ConnectionClearedEvent", "CallClearedEvent"]));
    const seqs = events.seen.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => first.seq + i));
    expect(client.statistics()).toMatchObject({ resumes: 1, restarts: 0, seqGaps: 0 });
    expect(client.statistics().connections).toBeGreaterThanOrEqual(2);
    await Promise.all([client.close(), admin.close()]);
  });

  it("logs in again and restarts its monitors when the session is gone", async () => {
    const client = new CtidClient(proxy.url(server.url), { token: ADMIN_TOKEN, WebSocket, reconnect: { initial: 50, maximum: 200 } });
    await client.connect();
    const oldSession = client.session!.sessionID;
    const xref = await client.monitorStart("1006");
    const restarted = new Promise<SessionRestarted>((resolve) => client.onRestart(resolve));
    // A new server behind the relay knows nothing of the session.
    const other = await startCtid();
    try {
      proxy.retarget(other.url);
      proxy.cutAll();
      const notice = await restarted;
      expect(notice.reason).toBeInstanceOf(SessionLost);
      expect(notice.reason.code).toBe(-32003);
      expect(notice.oldSessionID).toBe(oldSession);
      expect(notice.newSessionID).toBe(client.session!.sessionID);
      const newXref = notice.monitors.get(xref)!;
      expect(newXref).toMatch(/^m\d+$/);
      const events = new EventLog(client);
      const admin = nodeClient(other);
      await admin.connect();
      await admin.simIncomingCall("+15550122", "1006");
      expect(await events.next("DeliveredEvent")).toMatchObject({ monitorCrossRefID: newXref, alertingDevice: "1006", seq: 1 });
      await Promise.all([client.close(), admin.close()]);
    } finally {
      proxy.retarget(server.url);
      await other.stop();
    }
  });

  it("stops for good when another connection takes the session over (4001)", async () => {
    const client = nodeClient(server);
    const session = await client.connect();
    const closed = reaches(client, "closed");
    // Another program resumes the same session on its own socket.
    const thief = new WebSocket(server.url, ["ctid.v1.json"]);
    await new Promise((resolve) => thief.once("open", resolve));
    const reply = new Promise<string>((resolve) => thief.once("message", (data) => resolve(String(data))));
    thief.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "session.resume", params: { token: ADMIN_TOKEN, sessionID: session.sessionID, lastSeq: 0 } }));
    expect(JSON.parse(await reply)).toMatchObject({ id: 1, result: { sessionID: session.sessionID } });
    const change = await closed;
    expect(change.error).toBeInstanceOf(ConnectionClosedError);
    expect(change.error).toMatchObject({ code: 4001, fatal: true });
    await expect(client.ping()).rejects.toMatchObject({ code: 4001 });
    expect(client.statistics().connections).toBe(1);
    thief.close();
  });

  it("closes with the server's 4002 after close()", async () => {
    const client = nodeClient(server);
    await client.connect();
    const closed = reaches(client, "closed");
    await client.close();
    expect((await closed).error).toMatchObject({ code: 1000 });
    await expect(client.ping()).rejects.toBeInstanceOf(ConnectionClosedError);
  });
});

// ------------------------------------------------------------------ agent config

const AGENT_TOKEN = "js-sdk-test-agent-token-0123456789";

function agentConfig(): string {
  return new URL("../fixtures/agent-demo.toml", import.meta.url).pathname;
}

describe("examples/node", () => {
  it("first-session.mjs runs to the end against the server", async () => {
    const { execFile } = await import("node:child_process");
    const script = new URL("../../examples/node/first-session.mjs", import.meta.url).pathname;
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [script, server.url, ADMIN_TOKEN, "1007"], { timeout: 20_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    expect(output).toMatch(/^\d+: 1007 rings, \+15550100 calling\n\d+: 1007 answered\n$/);
  });
});

describe("the ws package as the transport", () => {
  it("a connection attempt that hangs is given up after connectTimeout, without an uncaught error", async () => {
    const { createServer } = await import("node:net");
    const held: import("node:net").Socket[] = [];
    const silent = createServer((socket) => held.push(socket)); // accepts TCP, never answers the upgrade
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    const { port } = silent.address() as import("node:net").AddressInfo;
    try {
      const client = new CtidClient(`ws://127.0.0.1:${port}/v1`, { token: ADMIN_TOKEN, WebSocket, connectTimeout: 200 });
      const failure = await client.connect().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConnectionClosedError);
      expect(failure).toMatchObject({ code: 1006 });
      expect(client.state).toBe("closed");
      // Let the ws package finish aborting its handshake: any error it emits now must be handled.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      held.forEach((socket) => socket.destroy());
      await new Promise<void>((done) => silent.close(() => done()));
    }
  });
});
