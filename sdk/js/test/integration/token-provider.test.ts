/**
 * A token provider against a real ctid (`ctid demo` with `[auth.jwt]`): the
 * tokens are real HS256 JWTs. Short-lived tokens make the server's own
 * timers fire (session.expiring halfway when less than two minutes are left;
 * the end at exp); the test waits for what the client does, never for a time.
 */
import { createHmac } from "node:crypto";
import { resolve } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { WebSocket } from "ws";

import { CtidClient, type SessionRestarted } from "../../src/index.js";
import { type CtidServer, startCtid } from "../helpers/ctid-server.js";

const SECRET = "js-sdk-test-jwt-secret-0123456789abcdef-0123";

function hs256(payload: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signing = `${part({ alg: "HS256", typ: "JWT" })}.${part(payload)}`;
  return `${signing}.${createHmac("sha256", SECRET).update(signing).digest("base64url")}`;
}

/** A token for `sub` that expires `seconds` from now. */
function mint(seconds: number, sub = "alice"): string {
  const now = Date.now() / 1000;
  return hs256({ sub, role: "agent", devices: ["1001"], iat: Math.floor(now), exp: now + seconds });
}

let server: CtidServer;

beforeAll(async () => {
  server = await startCtid({ config: resolve(import.meta.dirname, "../fixtures/jwt-demo.toml"), env: { CTID_JWT_SECRET: SECRET } });
});
afterAll(async () => {
  await server.stop();
});

describe("a token provider against a real ctid", () => {
  it("refreshes the session's token when the server says it is expiring", async () => {
    // 2 s left: the warning comes halfway, after 1 s.
    const tokens = [mint(2), mint(3600)];
    let calls = 0;
    let refreshed!: (message: string) => void;
    const done = new Promise<string>((resolveDone) => (refreshed = resolveDone));
    const client = new CtidClient(server.url, {
      WebSocket,
      tokenProvider: async () => tokens[calls++]!,
      logger: { info: (message) => message.startsWith("ctid: token refreshed") && refreshed(message) },
    });
    const expiring = new Promise((resolveExpiring) => client.on("session.expiring", resolveExpiring));
    const session = await client.connect();
    expect(session.role).toBe("agent");
    expect(await expiring).toMatchObject({ name: "session.expiring" });
    expect(await done).toMatch(/^ctid: token refreshed; the session now lasts until \d{4}-\d\d-\d\dT/);
    expect(calls).toBe(2);
    expect(await client.ping()).toMatch(/Z$/);
    expect(client.session?.sessionID).toBe(session.sessionID);
    await client.close();
  });

  it("logs in again with a fresh token after the server ends the session (4001 token expired)", async () => {
    // The refresh gets another user's token (refused), so the 1-second session ends.
    const tokens = [mint(1), mint(3600, "mallory"), mint(3600), mint(3600)];
    let calls = 0;
    const client = new CtidClient(server.url, { WebSocket, tokenProvider: () => tokens[calls++]!, reconnect: { initial: 10, random: () => 0 } });
    const restarted = new Promise<SessionRestarted>((resolveRestart) => client.onRestart(resolveRestart));
    const first = await client.connect();
    await client.monitorStart("1001");
    const notice = await restarted;
    expect(notice.oldSessionID).toBe(first.sessionID);
    expect(notice.newSessionID).not.toBe(first.sessionID);
    expect([...notice.monitors.keys()]).toEqual(["m1"]);
    expect(calls).toBe(4); // login, refresh (refused), resume (session gone), login
    expect(await client.ping()).toMatch(/Z$/);
    expect(client.state).toBe("connected");
    expect(client.statistics()).toMatchObject({ connections: 2, restarts: 1 });
    await client.close();
  });
});
