/**
 * Several servers (a hot-standby pair) against scripted sockets on fake
 * timers: URLs tried in turn, a standby's NotActive followed, and the
 * SessionRestarted notice after a takeover with fresh snapshots.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { CtidClient, Endpoints, NotActive, SessionLost, type SessionRestarted, snapshotRequest } from "../../src/index.js";
import { MockServer, welcome } from "../helpers/mock-socket.js";

const A = "ws://node-a:8765/v1";
const B = "ws://node-b:8765/v1";
const TOKEN = "token-0123456789abcdef";

const settle = (): Promise<void> => vi.advanceTimersByTimeAsync(0).then(() => undefined);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function makeClient(server: MockServer, urls: string[]): CtidClient {
  return new CtidClient(urls, { token: TOKEN, WebSocket: server.WebSocket, reconnect: { random: () => 0 } });
}

describe("several URLs", () => {
  it("follows a standby's NotActive to the active node at once", async () => {
    const server = new MockServer();
    const client = makeClient(server, [B, A]);
    const done = client.connect();
    expect(server.socket.url).toBe(B);
    server.socket.accept();
    server.socket.fail(-32010, `this ctid node is a standby: connect to ${A}`, { active: A });
    await settle();
    expect(server.sockets).toHaveLength(2);
    expect(server.socket.url).toBe(A);
    server.socket.accept();
    server.socket.reply(welcome("S1"));
    expect((await done).sessionID).toBe("S1");
    expect(client.url).toBe(A);
    expect(client.urls).toEqual([B, A]);
    expect(client.statistics().connections).toBe(2);
  });

  it("tries the next URL when one cannot be reached, and fails once each was tried", async () => {
    const server = new MockServer();
    const client = makeClient(server, [A, B]);
    const done = client.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    server.socket.refuse();
    await settle();
    expect(server.socket.url).toBe(B);
    server.socket.refuse();
    await settle();
    const error = await done;
    expect(error).toMatchObject({ code: 1006 });
    expect(server.sockets.map((s) => s.url)).toEqual([A, B]);
  });

  it("gives the NotActive error when no node is active", async () => {
    const server = new MockServer();
    const client = makeClient(server, [A]);
    const done = client.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    server.socket.accept();
    server.socket.fail(-32010, "this ctid node is a standby: no active node is known yet; try again", { active: null });
    await settle();
    const error = await done;
    expect(error).toBeInstanceOf(NotActive);
    expect((error as NotActive).code).toBe(-32010);
    expect((error as NotActive).active).toBeUndefined();
    expect(server.sockets).toHaveLength(1);
  });

  it("after a takeover: resume fails on the new node, the client logs in again with snapshots", async () => {
    const server = new MockServer();
    const client = makeClient(server, [A, B]);
    const done = client.connect();
    server.socket.accept();
    server.socket.reply(welcome("S1"));
    await done;
    const started = client.monitorStart("1001");
    server.socket.reply({ monitorCrossRefID: "m1" });
    expect(await started).toBe("m1");
    let notice: SessionRestarted | undefined;
    client.onRestart((n) => (notice = n));

    // a stops being active: it closes with 1012.
    server.socket.drop(1012, "this ctid node is no longer active: reconnect");
    await vi.advanceTimersByTimeAsync(500);
    expect(server.socket.url).toBe(A);
    server.socket.refuse(); // a is gone
    await vi.advanceTimersByTimeAsync(1000);
    expect(server.socket.url).toBe(B);
    server.socket.accept();
    expect(server.socket.last).toMatchObject({ method: "session.resume", params: { sessionID: "S1" } });
    server.socket.fail(-32003, "no such session on this node (it expired, or it belonged to another node or to ctid before a restart): log in again and take snapshots");
    await settle();
    expect(server.socket.last).toMatchObject({ method: "session.login" });
    server.socket.reply(welcome("S9"));
    await settle();
    expect(server.socket.last).toMatchObject({ method: "MonitorStart", params: { monitorObject: { deviceObject: "1001" } } });
    server.socket.reply({ monitorCrossRefID: "m1" });
    await settle();
    expect(server.socket.last).toMatchObject({ method: "SnapshotDevice", params: { snapshotObject: "1001" } });
    const snapshot = { snapshotData: [{ connectionIdentifier: { callID: "c1", deviceID: "1001" }, localCallState: "connected", callingDevice: "+15550100", calledDevice: "1001" }] };
    server.socket.reply(snapshot);
    await settle();

    expect(client.state).toBe("connected");
    expect(notice?.reason).toBeInstanceOf(SessionLost);
    expect(notice).toMatchObject({ oldSessionID: "S1", newSessionID: "S9", lastSeq: 0, url: B });
    expect([...notice!.monitors]).toEqual([["m1", "m1"]]);
    expect([...notice!.snapshots]).toEqual([["m1", snapshot]]);
    expect(client.url).toBe(B);
  });
});

describe("Endpoints", () => {
  it("rotates on failure and follows standbys", () => {
    const e = new Endpoints([A, B]);
    expect(e.current).toBe(A);
    e.failed();
    expect(e.current).toBe(B);
    e.failed();
    expect(e.current).toBe(A);
    expect(e.follow(B)).toBe(true);
    expect(e.current).toBe(B);
    expect(e.follow("ws://node-c:8765/v1")).toBe(true);
    expect(e.current).toBe("ws://node-c:8765/v1");
    e.failed();
    expect(e.current).toBe(B);
    expect(e.follow(undefined)).toBe(false);
    expect(e.current).toBe(A);
    expect(e.follow("http://x/")).toBe(false);
    expect(e.current).toBe(B);
    expect(e.follow(B)).toBe(false);
    expect(e.current).toBe(A);
    expect(() => new Endpoints([])).toThrow(/at least one/);
    expect(() => new Endpoints([A, "http://x/"])).toThrow(/ws:\/\//);
  });

  it("knows the snapshot of each kind of monitor", () => {
    expect(snapshotRequest({ monitorObject: { deviceObject: "1001" } })).toEqual(["SnapshotDevice", { snapshotObject: "1001" }]);
    expect(snapshotRequest({ monitorObject: { callObject: { callID: "c1" } } })).toEqual(["SnapshotCall", { snapshotObject: "c1" }]);
    expect(snapshotRequest({ monitorObject: { agentObject: "2001" } })).toEqual(["agent.snapshot", { agentID: "2001" }]);
    expect(snapshotRequest({ monitorObject: { queueObject: "sales" } })).toEqual(["queue.snapshot", { queue: "sales" }]);
    expect(snapshotRequest({ monitorObject: { mailboxObject: "agent:2001" } })).toEqual(["voicemail.list", { mailbox: "agent:2001" }]);
    expect(snapshotRequest({ monitorObject: { mailboxObject: "*" } })).toBeUndefined();
    expect(snapshotRequest({})).toBeUndefined();
  });
});
