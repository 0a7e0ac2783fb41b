/**
 * The token provider against a scripted server socket, on fake timers: a fresh
 * token at login and resume, session.refresh on session.expiring, a new login
 * after close 4001 "token expired", one more try after a stale token, and the
 * wait that a throttled address is told (retryAfter).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { AuthenticationError, ConnectionClosedError, CtidClient, type ClientOptions, type SessionRestarted } from "../../src/index.js";
import { MockServer, welcome } from "../helpers/mock-socket.js";

const URL = "ws://ctid.test/v1";

const settle = (): Promise<void> => vi.advanceTimersByTimeAsync(0).then(() => undefined);
const advance = (ms: number): Promise<void> => vi.advanceTimersByTimeAsync(ms).then(() => undefined);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Hands out jwt-1, jwt-2, ... (asynchronously, as a request to the CRM would). */
function provider(): { calls: number; next: () => Promise<string> } {
  const box = {
    calls: 0,
    next: async (): Promise<string> => {
      box.calls += 1;
      await Promise.resolve();
      return `jwt-${box.calls}`;
    },
  };
  return box;
}

async function connected(tokens: { next: () => Promise<string> }, options: Partial<ClientOptions> = {}): Promise<{ server: MockServer; client: CtidClient }> {
  const server = new MockServer();
  const client = new CtidClient(URL, { tokenProvider: tokens.next, WebSocket: server.WebSocket, reconnect: { random: () => 0 }, ...options });
  const done = client.connect();
  server.socket.accept();
  await settle();
  expect(server.socket.last).toMatchObject({ method: "session.login", params: { token: "jwt-1" } });
  server.socket.reply({ ...welcome("S1", "agent"), expiresAt: "2027-01-15T08:05:30.000Z" });
  await done;
  return { server, client };
}

describe("a token provider", () => {
  it("is asked at login, and again for session.refresh when the session is expiring", async () => {
    const tokens = provider();
    const { server, client } = await connected(tokens);
    const seen: string[] = [];
    client.on("*", (event) => seen.push(event.name));
    server.socket.event("session.expiring", { expiresAt: "2027-01-15T08:05:30.000Z", secondsLeft: 60 });
    await settle();
    expect(seen).toEqual(["session.expiring"]);
    expect(server.socket.last).toMatchObject({ method: "session.refresh", params: { token: "jwt-2" } });
    server.socket.reply({ expiresAt: "2027-01-15T08:20:30.000Z" });
    await settle();
    expect(tokens.calls).toBe(2);
    expect(client.state).toBe("connected");
    expect(server.sockets).toHaveLength(1);
  });

  it("after close 4001 token expired, logs in again with a fresh token", async () => {
    const tokens = provider();
    const { server, client } = await connected(tokens);
    const started = client.monitorStart("1001");
    server.socket.reply({ monitorCrossRefID: "m1" });
    await started;
    const restarts: SessionRestarted[] = [];
    client.onRestart((notice) => restarts.push(notice));
    server.socket.drop(4001, "token expired");
    await advance(500);
    expect(server.sockets).toHaveLength(2);
    server.socket.accept();
    await settle();
    expect(server.socket.last).toMatchObject({ method: "session.resume", params: { token: "jwt-2", sessionID: "S1" } });
    server.socket.fail(-32003, "no such session (it may have expired): log in again and take snapshots");
    await settle();
    expect(server.socket.last).toMatchObject({ method: "session.login", params: { token: "jwt-3" } });
    server.socket.reply(welcome("S2", "agent"));
    await settle();
    expect(server.socket.last).toMatchObject({ method: "MonitorStart", params: { monitorObject: { deviceObject: "1001" } } });
    server.socket.reply({ monitorCrossRefID: "m1" });
    await settle();
    expect(client.state).toBe("connected");
    expect(restarts.map((r) => [r.oldSessionID, r.newSessionID])).toEqual([["S1", "S2"]]);
  });

  it("asks once more when the token it got had expired", async () => {
    const tokens = provider();
    const server = new MockServer();
    const client = new CtidClient(URL, { tokenProvider: tokens.next, WebSocket: server.WebSocket });
    const done = client.connect();
    server.socket.accept();
    await settle();
    server.socket.fail(-32002, "token expired");
    await settle();
    expect(server.socket.last).toMatchObject({ method: "session.login", params: { token: "jwt-2" } });
    server.socket.reply(welcome("S1", "agent"));
    expect((await done).sessionID).toBe("S1");
    expect(server.sockets).toHaveLength(1);
  });

  it("waits retryAfter when a reconnect is throttled, then tries again", async () => {
    const tokens = provider();
    const { server, client } = await connected(tokens);
    server.socket.drop(1006);
    await advance(500);
    server.socket.accept();
    await settle();
    server.socket.fail(-32002, "too many failed logins from 10.0.0.1: try again in 40 s", { retryAfter: 40 });
    await settle();
    expect(client.state).toBe("reconnecting");
    await advance(39_999);
    expect(server.sockets).toHaveLength(2);
    await advance(1);
    expect(server.sockets).toHaveLength(3);
    server.socket.accept();
    await settle();
    server.socket.reply({ ...welcome("S1", "agent"), lastSeq: 0, replayed: 0, lastCloseReason: null });
    await settle();
    expect(client.state).toBe("connected");
  });

  it("without a provider, 4001 token expired is final", async () => {
    const server = new MockServer();
    const client = new CtidClient(URL, { token: "jwt-fixed", WebSocket: server.WebSocket });
    const done = client.connect();
    server.socket.accept();
    server.socket.reply(welcome("S1", "agent"));
    await done;
    server.socket.drop(4001, "token expired");
    await advance(600_000);
    expect(server.sockets).toHaveLength(1);
    expect(client.state).toBe("closed");
    const error = await client.ping().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error).toMatchObject({ code: 4001, reason: "token expired", tokenExpired: true, fatal: true });
  });

  it("a refresh that fails is logged and the session goes on until the server ends it", async () => {
    const warnings: string[] = [];
    let calls = 0;
    const server = new MockServer();
    const client = new CtidClient(URL, {
      tokenProvider: () => {
        calls += 1;
        if (calls === 2) throw new Error("CRM unreachable");
        return `jwt-${calls}`;
      },
      WebSocket: server.WebSocket,
      logger: { warn: (message) => warnings.push(message) },
    });
    const done = client.connect();
    server.socket.accept();
    await settle();
    server.socket.reply(welcome("S1", "agent"));
    await done;
    server.socket.event("session.expiring", { expiresAt: "2027-01-15T08:05:30.000Z", secondsLeft: 60 });
    await settle();
    expect(warnings).toEqual(["ctid: could not refresh the token: connection closed (1006): the token provider failed: Error: CRM unreachable"]);
    expect(server.socket.messages.map((m) => m.method)).toEqual(["session.login"]);
    expect(client.state).toBe("connected");
  });

  it("needs exactly one of token and tokenProvider", () => {
    const server = new MockServer();
    expect(() => new CtidClient(URL, { WebSocket: server.WebSocket })).toThrow("options.token must be a non-empty string");
    expect(() => new CtidClient(URL, { token: "t", tokenProvider: () => "t", WebSocket: server.WebSocket })).toThrow(
      "give options.token or options.tokenProvider, not both",
    );
  });

  it("AuthenticationError tells a stale token and a throttled address", () => {
    const stale = new AuthenticationError(-32002, "token expired");
    expect([stale.tokenExpired, stale.retryAfter]).toEqual([true, undefined]);
    const throttled = new AuthenticationError(-32002, "too many failed logins", { retryAfter: 12 });
    expect([throttled.tokenExpired, throttled.retryAfter]).toEqual([false, 12]);
  });
});
