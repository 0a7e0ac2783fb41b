/**
 * The SDK against a real hot-standby pair: `python -m ctid.testing.pair` runs
 * two ctid daemons (a active, b standby) sharing one lease. Their advertised
 * URLs name hosts node-a and node-b, which a WebSocket subclass maps to the
 * ports they bound (port 0). Waits are on readiness lines and events; the
 * timeouts are failure guards only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

import { CtidClient, SessionLost, type SessionRestarted, type WebSocketConstructor } from "../../src/index.js";
import { ADMIN_TOKEN, REPO } from "../helpers/ctid-server.js";

const A = "ws://node-a:8765/v1";
const B = "ws://node-b:8765/v1";
const GUARD = 30_000;

interface Pair {
  readonly ports: Map<string, string>;
  /** Resolves when the pair prints `line`. */
  line(line: string): Promise<void>;
  send(command: string): void;
  stop(): Promise<void>;
}

function python(): string {
  const bin = resolve(REPO, ".venv/bin/python");
  if (!existsSync(bin)) throw new Error(`no ${bin}: run \`make setup\` at the top of the repository`);
  return bin;
}

function startPair(): Promise<Pair> {
  const child: ChildProcess = spawn(python(), ["-m", "ctid.testing.pair"], {
    cwd: REPO,
    env: { ...process.env, CTID_ADMIN_TOKEN: ADMIN_TOKEN, PYTHONUNBUFFERED: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  const lines: string[] = [];
  const waiting: { line: string; done: () => void }[] = [];
  const ports = new Map<string, string>();
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    const parts = output.split("\n");
    output = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      const node = /^node (\w) ws:\/\/127\.0\.0\.1:(\d+)\/v1$/.exec(line);
      if (node) ports.set(`node-${node[1]}`, node[2]!);
      for (const w of waiting.filter((w) => w.line === line)) w.done();
    }
  });
  child.stderr!.on("data", () => undefined);
  const pair: Pair = {
    ports,
    line(line) {
      if (lines.includes(line)) return Promise.resolve();
      return new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`the pair did not print ${line}: ${lines.join(" | ")}`)), GUARD);
        waiting.push({
          line,
          done: () => {
            clearTimeout(timer);
            done();
          },
        });
      });
    },
    send(command) {
      child.stdin!.write(`${command}\n`);
    },
    async stop() {
      child.stdin!.end();
      await exited;
    },
  };
  return pair.line("ready").then(() => pair);
}

/** The ws package's WebSocket, with node-a/node-b mapped to the pair's ports. */
function mapped(pair: Pair): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      const host = new URL(url).hostname;
      const port = pair.ports.get(host);
      super(port === undefined ? url : `ws://127.0.0.1:${port}/v1`, protocols);
    }
  } as unknown as WebSocketConstructor;
}

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.stop();
  pair = undefined;
});

describe("a hot-standby pair", () => {
  it("follows the standby to the active node, and after a takeover logs in again with snapshots", async () => {
    pair = await startPair();
    const client = new CtidClient([B, A], {
      token: ADMIN_TOKEN,
      WebSocket: mapped(pair),
      requestTimeout: 10_000,
      reconnect: { initial: 20, maximum: 100, jitter: 0 },
    });
    await client.connect();
    expect(client.url).toBe(A);
    expect(client.statistics().connections).toBe(2);
    expect(await client.monitorStart("1001")).toBe("m1");
    const oldSession = client.session!.sessionID;
    const restarted = new Promise<SessionRestarted>((done) => client.onRestart(done));

    pair.send("stop a");
    await pair.line("active b");
    const notice = await restarted;
    expect(notice.reason).toBeInstanceOf(SessionLost);
    expect(notice.reason.code).toBe(-32003);
    expect(notice.oldSessionID).toBe(oldSession);
    expect(notice.newSessionID).toBe(client.session!.sessionID);
    expect(notice.newSessionID).not.toBe(oldSession);
    expect([...notice.monitors]).toEqual([["m1", "m1"]]);
    expect([...notice.snapshots]).toEqual([["m1", { snapshotData: [] }]]);
    expect(notice.url).toBe(B);
    expect(typeof (await client.ping())).toBe("string"); // on b, in the new session
    expect(client.state).toBe("connected");
    await client.close();
  }, 60_000);
});
