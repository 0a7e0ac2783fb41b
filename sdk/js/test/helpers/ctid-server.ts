/**
 * A real ctid server for integration tests: `ctid demo --no-traffic` as a
 * child process on port 0, ready when its banner prints the WebSocket URL.
 * The ctid program is the repository's `.venv/bin/ctid` (made by `make
 * setup`), or `$CTID_BIN`. It runs in a temporary directory of its own (its
 * `state/`: records database, spool, prompts), removed when it stops, so a test
 * run leaves nothing in the source tree; a `config` is copied there first
 * (relative paths in it are then relative to that directory).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { WebSocket } from "ws";

import { CtidClient, type ClientOptions, type CtidEvent } from "../../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "../../../..");
export const ADMIN_TOKEN = "js-sdk-test-admin-token-0123456789";

/** Milliseconds to wait for the banner before the test fails (a guard, not a sleep). */
const START_TIMEOUT = 30_000;

export interface CtidServer {
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export function ctidBinary(): string {
  const bin = process.env["CTID_BIN"] ?? resolve(REPO, ".venv/bin/ctid");
  if (!existsSync(bin)) {
    throw new Error(`no ctid program at ${bin}: run \`make setup\` at the top of the repository (or set CTID_BIN)`);
  }
  return bin;
}

/** Start `ctid demo --no-traffic` on 127.0.0.1:0 (with `config`, if given) and wait for its URL. */
export function startCtid(options: { config?: string; env?: Record<string, string> } = {}): Promise<CtidServer> {
  const args = ["demo", "--no-traffic", "--listen", "127.0.0.1:0"];
  const home = mkdtempSync(join(tmpdir(), "ctid-js-server-"));
  if (options.config !== undefined) {
    const config = join(home, "ctid.toml");
    copyFileSync(options.config, config);
    args.push("--config", config);
  }
  const child = spawn(ctidBinary(), args, {
    cwd: home,
    env: { ...process.env, CTID_ADMIN_TOKEN: ADMIN_TOKEN, PYTHONUNBUFFERED: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((done) =>
    child.once("exit", () => {
      rmSync(home, { recursive: true, force: true });
      done();
    }),
  );
  const server = (url: string): CtidServer => ({
    url,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  });
  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      rejectStart(new Error(`ctid printed no URL within ${START_TIMEOUT} ms:\n${output}`));
    }, START_TIMEOUT);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /WebSocket URL\s*:\s*(ws:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveStart(server(match[1]!));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      rejectStart(new Error(`ctid exited (${code}) before it was ready:\n${output}`));
    });
  });
}

/** A client of `server` through the ws package (Node 20 has no WebSocket of its own). */
export function nodeClient(server: CtidServer, options: Partial<ClientOptions> = {}): CtidClient {
  return new CtidClient(server.url, { token: ADMIN_TOKEN, WebSocket, requestTimeout: 10_000, ...options });
}

/**
 * The events a client receives from now on, to wait for in order:
 * `await events.next("DeliveredEvent", (e) => e.alertingDevice === "1001")`.
 */
export class EventLog {
  readonly seen: CtidEvent[] = [];
  #read = 0;
  #wake: (() => void) | undefined;
  readonly stop: () => void;

  constructor(client: CtidClient) {
    this.stop = client.on("*", (event) => {
      this.seen.push(event);
      this.#wake?.();
    });
  }

  /** The next event called `name` (that `match` accepts), skipping others; fails after `timeout` ms. */
  async next(name: string, match: (event: CtidEvent) => boolean = () => true, timeout = 10_000): Promise<CtidEvent> {
    const deadline = Date.now() + timeout;
    for (;;) {
      while (this.#read < this.seen.length) {
        const event = this.seen[this.#read++]!;
        if (event.name === name && match(event)) return event;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no ${name} within ${timeout} ms; saw: ${this.seen.map((e) => `${e.seq}:${e.name}`).join(", ")}`);
      }
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.#wake = () => {
          clearTimeout(timer);
          wake();
        };
      });
    }
  }
}
