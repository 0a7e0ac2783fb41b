/**
 * Several servers (a hot-standby cluster): which URL to try next, as a pure value.
 *
 * The client starts with the first URL. A connection that cannot be opened
 * moves it on to the next URL (round robin); a standby's `NotActive` answer
 * moves it to the URL the standby names, even one not in the list (the
 * cluster knows its members better than each client's configuration).
 *
 * After a takeover the new active node has none of the old node's sessions:
 * `session.resume` fails with `SessionLost`, and the client logs in again,
 * restarts the monitors and publishes `SessionRestarted` with a fresh
 * snapshot of each monitored object (`snapshotRequest`).
 */

/** Throws a `TypeError` unless `url` is a ws:// or wss:// URL with a host. */
function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`expected a ws:// or wss:// URL, got ${JSON.stringify(url)}`);
  }
  if ((parsed.protocol !== "ws:" && parsed.protocol !== "wss:") || parsed.hostname === "") {
    throw new TypeError(`expected a ws:// or wss:// URL, got ${JSON.stringify(url)}`);
  }
}

function usable(url: string): boolean {
  try {
    checkUrl(url);
    return true;
  } catch {
    return false;
  }
}

/** The server URLs a client may use, and the one to use now. */
export class Endpoints {
  readonly urls: readonly string[];
  #index = 0;
  /** A URL a standby sent the client to (used until it fails). */
  #redirect: string | undefined;

  constructor(urls: string | readonly string[]) {
    const list = typeof urls === "string" ? [urls] : [...urls];
    if (list.length === 0) throw new TypeError("give at least one server URL");
    for (const url of list) checkUrl(url);
    this.urls = list;
  }

  get current(): string {
    return this.#redirect ?? this.urls[this.#index]!;
  }

  /** The current URL could not be reached: move on to the next one. */
  failed(): void {
    if (this.#redirect !== undefined) {
      this.#redirect = undefined;
      return;
    }
    this.#index = (this.#index + 1) % this.urls.length;
  }

  /**
   * A standby named the active node: use `active` next. Returns false (and
   * moves on to the next URL) when there is nothing usable to follow.
   */
  follow(active: string | undefined): boolean {
    if (active === undefined || !usable(active) || active === this.current) {
      this.failed();
      return false;
    }
    const listed = this.urls.indexOf(active);
    if (listed >= 0) {
      this.#index = listed;
      this.#redirect = undefined;
    } else {
      this.#redirect = active;
    }
    return true;
  }
}

/** The snapshot of what a `MonitorStart` (its params) watches: [method, params]. */
export function snapshotRequest(params: unknown): [string, Record<string, unknown>] | undefined {
  if (typeof params !== "object" || params === null) return undefined;
  const object = (params as Record<string, unknown>)["monitorObject"];
  if (typeof object !== "object" || object === null) return undefined;
  const o = object as Record<string, unknown>;
  if (typeof o["deviceObject"] === "string") return ["SnapshotDevice", { snapshotObject: o["deviceObject"] }];
  const call = o["callObject"];
  if (typeof call === "string") return ["SnapshotCall", { snapshotObject: call }];
  if (typeof call === "object" && call !== null && typeof (call as Record<string, unknown>)["callID"] === "string") {
    return ["SnapshotCall", { snapshotObject: (call as Record<string, unknown>)["callID"] }];
  }
  if (typeof o["agentObject"] === "string") return ["agent.snapshot", { agentID: o["agentObject"] }];
  if (typeof o["queueObject"] === "string") return ["queue.snapshot", { queue: o["queueObject"] }];
  if (typeof o["mailboxObject"] === "string" && o["mailboxObject"] !== "*") return ["voicemail.list", { mailbox: o["mailboxObject"] }];
  return undefined;
}
