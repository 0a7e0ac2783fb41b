/**
 * The client shell: one WebSocket at a time (injected), the sans-IO core
 * (`protocol.ts`), timers for request timeouts and reconnect backoff, and the
 * listeners the application registered.
 *
 * Reconnecting (README "Reconnect semantics"): after a lost socket the client
 * resumes its session with `session.resume` and receives every event it
 * missed, with the original seq. If the session is gone or the events left
 * the replay window, it logs in again, starts the application's monitors
 * again, and signals `onRestart` before any event of the new session. It
 * never reconnects after close codes 4001, 4002 or 4004, nor after its token
 * is refused.
 *
 * With a `tokenProvider` (a callback returning a fresh token, e.g. a signed
 * JWT from the CRM) instead of a fixed token, it asks for a token at every
 * login and resume, refreshes the session's token on `session.expiring`, and
 * after close 4001 `token expired` or a refused stale token it fetches a
 * fresh token and logs in again.
 */

import { ReconnectPolicy, type ReconnectOptions } from "./backoff.js";
import { type Encoding, JSON_SUBPROTOCOL, loadCodec } from "./codec.js";
import {
  AuthenticationError,
  CloseCode,
  ConnectionClosedError,
  CtidError,
  HttpError,
  NotActive,
  ProtocolError,
  RequestTimeoutError,
  RpcError,
  SessionLost,
} from "./errors.js";
import { Endpoints, snapshotRequest } from "./failover.js";
import type { CtidEvent, EventMap } from "./events.js";
import { type Incoming, type Outgoing, type Params, RpcClientCore } from "./protocol.js";
import { CtidServices } from "./services.js";
import type { FaxDocument, ResumeInfo, SessionInfo } from "./values.js";

/** The WebSocket subprotocol of the default encoding (`ctid.v1.msgpack` with `encoding: "msgpack"`). */
export const SUBPROTOCOL = JSON_SUBPROTOCOL;
/** Milliseconds `close()` waits for the server to confirm the logout and close. */
export const CLOSE_TIMEOUT = 2_000;

/** What the client needs of a WebSocket: the browser's, Node 22's, or the `ws` package's. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  /** Browsers' WebSockets and `ws` have it; the client sets "arraybuffer" for msgpack. */
  binaryType?: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket class, such as `globalThis.WebSocket` or `ws`'s `WebSocket`. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The client's connection state (the SDK's own, not a server value). */
export const ClientState = {
  /** Created; `connect()` not called yet. */
  Idle: "idle",
  /** Opening the first connection and logging in. */
  Connecting: "connecting",
  /** Logged in; requests go out at once. */
  Connected: "connected",
  /** The connection was lost; requests wait (within their timeout) for the next one. */
  Reconnecting: "reconnecting",
  /** Stopped for good; requests reject with the error that stopped it. */
  Closed: "closed",
} as const;
export type ClientState = (typeof ClientState)[keyof typeof ClientState];

export interface StateChange {
  readonly oldState: ClientState;
  readonly newState: ClientState;
  /** Why: the error that lost or closed the connection (a code 1000 close when the application closed it). */
  readonly error?: CtidError;
}

/** The old session could not be resumed, so the client logged in again: take snapshots again. */
export interface SessionRestarted {
  /** Why resuming was impossible (`SessionLost`, or its subclass `ReplayGap`). */
  readonly reason: SessionLost;
  readonly oldSessionID: string;
  readonly newSessionID: string;
  /** The last seq received in the old session; events after it are lost. */
  readonly lastSeq: number;
  /** Old monitorCrossRefID -> new one, for the monitors started again. */
  readonly monitors: ReadonlyMap<string, string>;
  /** Monitors that could not be started again (a call monitor whose call ended), with the error. */
  readonly failedMonitors: ReadonlyMap<string, RpcError>;
  /**
   * A fresh snapshot of each restarted monitor's object, by its new
   * monitorCrossRefID (`SnapshotDevice`, `SnapshotCall`, `agent.snapshot` or
   * `queue.snapshot` results), so a toolbar repaints at once.
   */
  readonly snapshots: ReadonlyMap<string, unknown>;
  /** The server the new session is on: after a hot-standby takeover, another node than before. */
  readonly url: string;
}

export interface ClientStatistics {
  readonly state: ClientState;
  readonly sessionID: string | undefined;
  readonly lastSeq: number;
  /** WebSocket connections opened (the first one included). */
  readonly connections: number;
  readonly resumes: number;
  readonly restarts: number;
  readonly events: number;
  /** Events dropped because their seq had been seen (normal around a resume). */
  readonly duplicateEvents: number;
  /** Times the server's seq skipped ahead (events lost: a server bug). */
  readonly seqGaps: number;
  /** Replies to no waiting request (late replies after a timeout). */
  readonly unmatchedReplies: number;
  /** Frames that were not protocol v1, skipped. */
  readonly protocolViolations: number;
  readonly pendingRequests: number;
}

/** Where the client reports what it does not throw (default: nowhere). `console` fits. */
export interface Logger {
  debug?(message: string, ...args: unknown[]): void;
  info?(message: string, ...args: unknown[]): void;
  warn?(message: string, ...args: unknown[]): void;
  error?(message: string, ...args: unknown[]): void;
}

/** Returns a fresh token (e.g. a JWT from the CRM's backend), or a promise of one. */
export type TokenProvider = () => string | Promise<string>;

export interface ClientOptions {
  /** The token to log in with (`CTID_ADMIN_TOKEN`, or one of the config's `[[auth.tokens]]`). */
  readonly token?: string;
  /**
   * Instead of `token`: returns a fresh token, called at every login and resume
   * and when the session's signed token is about to expire (`session.expiring`).
   */
  readonly tokenProvider?: TokenProvider;
  /**
   * `"json"` (default, `ctid.v1.json`) or `"msgpack"` (`ctid.v1.msgpack`: binary
   * frames; loads the `@msgpack/msgpack` package at `connect()`).
   */
  readonly encoding?: Encoding;
  /** The WebSocket class (default: `globalThis.WebSocket`; in Node 20 pass `ws`'s `WebSocket`). */
  readonly WebSocket?: WebSocketConstructor;
  /** Milliseconds a request waits for its reply, including any wait for a reconnect (default 30 000). */
  readonly requestTimeout?: number;
  /** Milliseconds to open a WebSocket before the attempt counts as failed (default 10 000). */
  readonly connectTimeout?: number;
  /** How to reconnect after a loss; `false`: never (the client closes). Default: `new ReconnectPolicy()`. */
  readonly reconnect?: ReconnectPolicy | ReconnectOptions | false;
  /** Requests that may wait for replies at once (default 10 000). */
  readonly maxPending?: number;
  readonly logger?: Logger;
}

export interface CallOptions {
  /** Milliseconds to wait for the reply (default: the client's `requestTimeout`). */
  readonly timeout?: number;
}

/** One request's outcome in `callBatch`: its result, or the server's error. */
export type BatchOutcome = { readonly result: unknown; readonly error?: undefined } | { readonly error: RpcError };

export type Unsubscribe = () => void;

/** The listener type of `on(name)`: typed for known events, `CtidEvent` for others and `"*"`. */
export type EventListenerFor<K extends string> = (event: K extends keyof EventMap ? EventMap[K] : CtidEvent) => void;

/** A platform `Event` carrying one value to the application's listener. */
class Delivery<T> extends Event {
  constructor(
    type: string,
    readonly detail: T,
  ) {
    super(type);
  }
}

interface Waiter {
  resolve(result: unknown): void;
  reject(error: CtidError): void;
}

/** One WebSocket and what became of it. */
interface Attempt {
  readonly ws: WebSocketLike;
  /** The WebSocket opened (the server was reached). */
  opened: boolean;
  /** Logged in (or resumed) on this socket. */
  established: boolean;
  /** Finished: failed, lost or closed; nothing more is done about it. */
  over: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function copyError(error: CtidError): CtidError {
  // A fresh instance per rejection, so stack traces do not pile up on one shared object.
  return error instanceof ConnectionClosedError ? new ConnectionClosedError(error.code, error.reason) : error;
}

function defaultWebSocket(): WebSocketConstructor | undefined {
  const candidate = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof candidate === "function" ? (candidate as WebSocketConstructor) : undefined;
}

/**
 * A client of a ctid server, for browsers and Node.
 *
 * ```ts
 * const ctid = new CtidClient("ws://127.0.0.1:8765/v1", { token, WebSocket });
 * await ctid.connect();
 * ctid.on("DeliveredEvent", (event) => console.log(event.callingDevice));
 * await ctid.monitorStart("1001");
 * ```
 */
export class CtidClient extends CtidServices {
  readonly requestTimeout: number;
  readonly connectTimeout: number;
  readonly reconnect: ReconnectPolicy | undefined;
  /** The wire encoding: `"json"` or `"msgpack"`. */
  readonly encoding: Encoding;

  #token: string;
  readonly #tokenProvider: TokenProvider | undefined;
  #refreshing = false;
  readonly #endpoints: Endpoints;
  /** Failed attempts before the first session (each URL once, plus standbys' pointers). */
  #firstFailures = 0;
  readonly #WebSocket: WebSocketConstructor;
  readonly #logger: Logger;
  readonly #core: RpcClientCore;
  readonly #events = new EventTarget();
  readonly #signals = new EventTarget();
  /** Requests sent and waiting for their reply, by id. */
  readonly #waiters = new Map<number, Waiter>();
  /** Requests waiting for a connection, to run when the state changes. */
  readonly #queued = new Set<() => void>();
  #state: ClientState = ClientState.Idle;
  #attempt: Attempt | undefined;
  #failures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #session: SessionInfo | undefined;
  /** The application's monitors: cross-ref id -> MonitorStart params, in start order. */
  #monitors = new Map<string, Params>();
  /** Events held back while a restarted session's monitors are set up again. */
  #held: CtidEvent[] | undefined;
  /** Set while a session restart is owed to the application. */
  #restartFrom: { old: SessionInfo; lastSeq: number; reason: SessionLost } | undefined;
  /** Set once the application closes or logs out: the error requests get afterwards. */
  #closing: ConnectionClosedError | undefined;
  #terminal: CtidError | undefined;
  #connected: { resolve(info: SessionInfo): void; reject(error: CtidError): void } | undefined;
  readonly #finished: Promise<void>;
  #markFinished!: () => void;
  readonly #counts = {
    connections: 0,
    resumes: 0,
    restarts: 0,
    events: 0,
    duplicateEvents: 0,
    seqGaps: 0,
    unmatchedReplies: 0,
    protocolViolations: 0,
  };

  /**
   * `url` is one server's URL or, for a hot-standby cluster, several: the
   * client tries them in turn and follows a standby's `NotActive` to the
   * active node (see `failover.ts`).
   */
  constructor(url: string | readonly string[], options: ClientOptions) {
    super();
    const WebSocketClass = options.WebSocket ?? defaultWebSocket();
    if (WebSocketClass === undefined) {
      throw new TypeError("no WebSocket class: pass one as { WebSocket } (in Node 20, the ws package's)");
    }
    if (options.tokenProvider !== undefined) {
      if (options.token !== undefined) throw new TypeError("give options.token or options.tokenProvider, not both");
      if (typeof options.tokenProvider !== "function") throw new TypeError("options.tokenProvider must be a function");
    } else if (typeof options.token !== "string" || options.token === "") {
      throw new TypeError("options.token must be a non-empty string");
    }
    const encoding = options.encoding ?? "json";
    if (encoding !== "json" && encoding !== "msgpack") {
      throw new TypeError(`options.encoding must be "json" or "msgpack", not ${JSON.stringify(encoding)}`);
    }
    this.encoding = encoding;
    this.#endpoints = new Endpoints(url);
    this.#token = options.token ?? "";
    this.#tokenProvider = options.tokenProvider;
    this.#WebSocket = WebSocketClass;
    this.requestTimeout = options.requestTimeout ?? 30_000;
    this.connectTimeout = options.connectTimeout ?? 10_000;
    const reconnect = options.reconnect ?? new ReconnectPolicy();
    this.reconnect = reconnect === false ? undefined : reconnect instanceof ReconnectPolicy ? reconnect : new ReconnectPolicy(reconnect);
    this.#logger = options.logger ?? {};
    this.#core = new RpcClientCore(options.maxPending === undefined ? {} : { maxPending: options.maxPending });
    this.#finished = new Promise((resolve) => {
      this.#markFinished = resolve;
    });
  }

  // ------------------------------------------------------------ public state

  /** The server URL in use (or tried next). */
  get url(): string {
    return this.#endpoints.current;
  }

  /** Every server URL the client was given. */
  get urls(): readonly string[] {
    return this.#endpoints.urls;
  }

  // ------------------------------------------------------------ fax documents (HTTP)

  /**
   * Upload a PDF or TIFF to fax (`POST /fax/documents` on the API port, with this
   * client's token). Rejects with `HttpError` (its `status` and the server's reason).
   */
  async faxUpload(data: Uint8Array | ArrayBuffer | Blob, options: { readonly name?: string } = {}): Promise<FaxDocument> {
    const query = options.name === undefined ? "" : `?name=${encodeURIComponent(options.name)}`;
    const response = await this.#http("POST", `/fax/documents${query}`, data);
    return (await response.json()) as FaxDocument;
  }

  /** A fax's image (`{faxID}`) or a document (`{document}`: id or name) as TIFF or PDF bytes. */
  async faxDownload(
    what: { readonly faxID: string } | { readonly document: string },
    format: "tiff" | "pdf" = "tiff",
  ): Promise<Uint8Array> {
    const key = "faxID" in what ? `id=${encodeURIComponent(what.faxID)}` : `document=${encodeURIComponent(what.document)}`;
    const response = await this.#http("GET", `/fax/download?${key}&format=${format}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  async #http(method: string, path: string, body?: Uint8Array | ArrayBuffer | Blob): Promise<Response> {
    const base = new URL(this.url);
    base.protocol = base.protocol === "wss:" ? "https:" : "http:";
    const target = new URL(path, base.origin);
    const init: RequestInit = { method, headers: { authorization: `Bearer ${await this.#freshToken()}` } };
    if (body !== undefined) init.body = body as BodyInit;
    const response = await fetch(target, init);
    if (!response.ok) {
      let reason = await response.text();
      try {
        reason = String((JSON.parse(reason) as { error?: unknown }).error ?? reason);
      } catch {
        // not JSON: the text as it is
      }
      throw new HttpError(response.status, reason);
    }
    return response;
  }

  get state(): ClientState {
    return this.#state;
  }

  /** The current session (it changes when the client has to log in again). */
  get session(): SessionInfo | undefined {
    return this.#session;
  }

  /** The monitors the application started and has not stopped: cross-ref id -> MonitorStart params. */
  get monitors(): ReadonlyMap<string, Params> {
    return new Map(this.#monitors);
  }

  statistics(): ClientStatistics {
    return {
      ...this.#counts,
      state: this.#state,
      sessionID: this.#session?.sessionID,
      lastSeq: this.#core.lastSeq,
      pendingRequests: this.#core.pending,
    };
  }

  // ------------------------------------------------------------ listeners

  /**
   * Call `listener(event)` for every event called `name` (`"*"`: every event).
   * Listeners run in order of arrival, synchronously, through the platform's
   * `EventTarget`: one that throws is reported by the platform and does not
   * stop the others or the client. Returns the function that unsubscribes.
   */
  on<K extends string>(name: K, listener: EventListenerFor<K>): Unsubscribe {
    return this.#listen(this.#events, name, listener as (value: never) => void);
  }

  /** Call `listener(notice)` when the session had to be replaced: take snapshots again. */
  onRestart(listener: (notice: SessionRestarted) => void): Unsubscribe {
    return this.#listen(this.#signals, "restart", listener);
  }

  /** Call `listener(change)` on every change of `state`. */
  onStateChange(listener: (change: StateChange) => void): Unsubscribe {
    return this.#listen(this.#signals, "state", listener);
  }

  #listen<T>(target: EventTarget, type: string, listener: (value: T) => void): Unsubscribe {
    const wrapped = (event: Event): void => listener((event as Delivery<T>).detail);
    target.addEventListener(type, wrapped);
    return () => target.removeEventListener(type, wrapped);
  }

  // ------------------------------------------------------------ requests

  /** Call any method by name and return its raw result (for methods with no typed wrapper yet). */
  override call<T = unknown>(method: string, params?: Params, options: CallOptions = {}): Promise<T> {
    if (method === "session.logout") {
      // The server answers, then closes with 4002: that close is no error.
      this.#closing ??= new ConnectionClosedError(CloseCode.LoggedOut, "logged out by the application");
    }
    return this.#submit(method, options.timeout, (ws, sent) => {
      const [done] = this.#send(ws, this.#core.request(method, params), sent);
      return done!.then((result) => {
        this.#trackMonitors(method, params, result);
        return result as T;
      });
    });
  }

  /** Send a JSON-RPC notification: no reply comes, not even an error. Resolves once sent. */
  notify(method: string, params?: Params, options: CallOptions = {}): Promise<void> {
    return this.#submit(method, options.timeout, (ws) => {
      ws.send(this.#core.notification(method, params));
      return Promise.resolve();
    });
  }

  /**
   * Send several requests in one frame (at most 100); their outcomes in the
   * order of `calls`. Server errors are outcomes; a timeout or a lost
   * connection rejects the whole batch.
   */
  callBatch(calls: readonly (readonly [method: string, params?: Params])[], options: CallOptions = {}): Promise<BatchOutcome[]> {
    return this.#submit("batch", options.timeout, async (ws, sent) => {
      const settled = await Promise.allSettled(this.#send(ws, this.#core.batch(calls), sent));
      const outcomes: BatchOutcome[] = [];
      for (const [i, outcome] of settled.entries()) {
        if (outcome.status === "fulfilled") {
          const [method, params] = calls[i]!;
          this.#trackMonitors(method, params, outcome.value);
          outcomes.push({ result: outcome.value });
        } else if (outcome.reason instanceof RpcError) {
          outcomes.push({ error: outcome.reason });
        } else {
          throw outcome.reason;
        }
      }
      return outcomes;
    });
  }

  /**
   * Run `start` on the logged-in socket, waiting for one if need be, all
   * within `timeout`. `start` pushes the ids it sent onto `sent`: on a
   * timeout they are forgotten, so their late replies are dropped.
   */
  #submit<T>(label: string, timeout: number | undefined, start: (ws: WebSocketLike, sent: number[]) => Promise<T>): Promise<T> {
    if (this.#terminal !== undefined) return Promise.reject(copyError(this.#terminal));
    if (this.#state === ClientState.Idle) return Promise.reject(new CtidError("not connected: call connect() first"));
    const limit = timeout ?? this.requestTimeout;
    return new Promise<T>((resolve, reject) => {
      const sent: number[] = [];
      const fail = (error: unknown): void => {
        clearTimeout(timer);
        reject(error);
      };
      const run = (): void => {
        if (this.#terminal !== undefined) return fail(copyError(this.#terminal));
        const ws = this.#attempt?.ws;
        if (this.#state !== ClientState.Connected || ws === undefined) {
          this.#queued.add(run);
          return;
        }
        let done: Promise<T>;
        try {
          done = start(ws, sent);
        } catch (error) {
          return fail(error);
        }
        done.then((value) => {
          clearTimeout(timer);
          resolve(value);
        }, fail);
      };
      const timer = setTimeout(() => {
        this.#queued.delete(run);
        this.#abandon(sent);
        reject(new RequestTimeoutError(label, limit));
      }, limit);
      run();
    });
  }

  /** Send `out` on `ws`; one promise per request id, settled by its reply or the socket's loss. */
  #send(ws: WebSocketLike, out: Outgoing, sent?: number[]): Promise<unknown>[] {
    const promises = out.ids.map(
      (id) =>
        new Promise<unknown>((resolve, reject) => {
          this.#waiters.set(id, { resolve, reject });
        }),
    );
    sent?.push(...out.ids);
    try {
      ws.send(out.frame);
    } catch (error) {
      this.#abandon(out.ids);
      throw new ConnectionClosedError(CloseCode.Abnormal, `could not send: ${String(error)}`, { cause: error });
    }
    return promises;
  }

  /** Stop waiting for these requests: their late replies are dropped. */
  #abandon(ids: readonly number[]): void {
    for (const id of ids) {
      this.#waiters.delete(id);
      this.#core.forget(id);
    }
  }

  /** Send one request on `ws` (logged in or not) and wait at most `limit` ms for its reply. */
  #exchange(ws: WebSocketLike, method: string, params: Params, limit: number = this.requestTimeout): Promise<unknown> {
    const out = this.#core.request(method, params);
    const [done] = this.#send(ws, out);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#abandon(out.ids);
        reject(new RequestTimeoutError(method, limit));
      }, limit);
      done!.then(
        (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #trackMonitors(method: string, params: Params, result: unknown): void {
    if (method === "MonitorStart" && isRecord(params) && isRecord(result)) {
      const xref = result["monitorCrossRefID"];
      if (typeof xref === "string") this.#monitors.set(xref, params);
    } else if (method === "MonitorStop" && isRecord(params)) {
      this.#monitors.delete(String(params["monitorCrossRefID"]));
    }
  }

  // ------------------------------------------------------------ lifecycle

  /**
   * Open the connection and log in. Resolves with the session; rejects (and
   * the client is closed) if the first connection or login fails: an
   * `AuthenticationError`, a `ConnectionClosedError` or a `RequestTimeoutError`.
   */
  connect(): Promise<SessionInfo> {
    if (this.#state !== ClientState.Idle) return Promise.reject(new CtidError("connect() may be called only once"));
    this.#setState(ClientState.Connecting);
    const connected = new Promise<SessionInfo>((resolve, reject) => {
      this.#connected = { resolve, reject };
    });
    if (this.encoding === "json") {
      this.#open();
    } else {
      // MessagePack is loaded on first use, so JSON pages never need the package.
      loadCodec(this.encoding).then(
        (codec) => {
          if (this.#terminal !== undefined || this.#closing !== undefined) return;
          this.#core.useCodec(codec);
          this.#open();
        },
        (error: unknown) => this.#finish(new CtidError(error instanceof Error ? error.message : String(error), { cause: error })),
      );
    }
    return connected;
  }

  /**
   * Log out (the session and its monitors end) and close, within
   * `CLOSE_TIMEOUT`. Requests then reject with `ConnectionClosedError` (1000).
   */
  async close(): Promise<void> {
    if (this.#terminal !== undefined) return;
    this.#closing ??= new ConnectionClosedError(CloseCode.Normal, "closed by the application");
    clearTimeout(this.#retryTimer);
    const attempt = this.#attempt;
    if (attempt !== undefined && this.#state === ClientState.Connected) {
      try {
        await this.#exchange(attempt.ws, "session.logout", undefined, CLOSE_TIMEOUT);
        // The server closes with 4002 now; wait for it rather than close from both ends.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([this.#finished, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT)))]);
        clearTimeout(timer); // a pending timer would keep a Node program alive
      } catch {
        // No logout: the server ends the session after its linger time.
      }
    }
    this.#finish(this.#closing);
  }

  #open(): void {
    this.#retryTimer = undefined;
    let ws: WebSocketLike;
    try {
      ws = new this.#WebSocket(this.url, [this.#core.codec.subprotocol]);
      // Bytes must be readable at once (a browser's default, Blob, is not).
      if (this.#core.codec.encoding === "msgpack") ws.binaryType = "arraybuffer";
    } catch (error) {
      this.#attemptFailed(undefined, new ConnectionClosedError(CloseCode.Abnormal, `could not connect to ${this.url}: ${String(error)}`, { cause: error }));
      return;
    }
    const attempt: Attempt = { ws, opened: false, established: false, over: false };
    this.#attempt = attempt;
    const timer = setTimeout(() => {
      this.#attemptFailed(attempt, new ConnectionClosedError(CloseCode.Abnormal, `could not connect to ${this.url} within ${this.connectTimeout} ms`));
    }, this.connectTimeout);
    ws.onopen = () => {
      clearTimeout(timer);
      if (attempt.over) return;
      attempt.opened = true;
      this.#counts.connections += 1;
      const subprotocol = this.#core.codec.subprotocol;
      if (ws.protocol !== subprotocol) {
        this.#attemptFailed(attempt, new ProtocolError(`the server chose subprotocol ${JSON.stringify(ws.protocol)}, not ${subprotocol}`));
        return;
      }
      void this.#establish(attempt);
    };
    ws.onmessage = (event: { data: unknown }) => {
      if (attempt.over) return;
      for (const item of this.#core.receive(event.data)) this.#handle(item);
    };
    ws.onclose = (event: { code?: number; reason?: string }) => {
      clearTimeout(timer);
      const closed = new ConnectionClosedError(event.code ?? CloseCode.Abnormal, event.reason ?? "");
      if (attempt.established) this.#connectionLost(attempt, closed);
      else this.#attemptFailed(attempt, closed);
    };
    ws.onerror = () => {
      // Browsers say nothing useful here; a close event always follows.
    };
  }

  /** Log in (first time), resume, or log in again and restart the monitors. */
  async #establish(attempt: Attempt): Promise<void> {
    try {
      await this.#establishOn(attempt.ws);
    } catch (error) {
      this.#attemptFailed(attempt, error instanceof CtidError ? error : new CtidError(String(error), { cause: error }));
      return;
    }
    if (attempt.over) return;
    attempt.established = true;
    this.#failures = 0;
    this.#setState(ClientState.Connected);
    const connected = this.#connected;
    this.#connected = undefined;
    connected?.resolve(this.#session!);
  }

  async #establishOn(ws: WebSocketLike): Promise<void> {
    const old = this.#session;
    if (old === undefined) {
      this.#session = await this.#login(ws);
      return;
    }
    if (this.#restartFrom === undefined) {
      const lastSeq = this.#core.lastSeq;
      try {
        const info = (await this.#withToken(ws, "session.resume", { sessionID: old.sessionID, lastSeq })) as ResumeInfo;
        this.#counts.resumes += 1;
        this.#logger.info?.(`ctid: resumed the session: ${info.replayed} events replayed (last close: ${info.lastCloseReason})`);
        return;
      } catch (error) {
        if (!(error instanceof SessionLost)) throw error;
        this.#logger.warn?.(`ctid: cannot resume the session (${error.message}); logging in again`);
        this.#restartFrom = { old, lastSeq, reason: error };
      }
    }
    await this.#restart(ws, this.#restartFrom);
  }

  async #login(ws: WebSocketLike): Promise<SessionInfo> {
    const result = await this.#withToken(ws, "session.login", {});
    if (!isRecord(result) || typeof result["sessionID"] !== "string") {
      throw new ProtocolError(`session.login: no sessionID in the result`);
    }
    return result as unknown as SessionInfo;
  }

  /** `method` with a token; with a provider, once more with a fresh one if it was stale. */
  #withToken(ws: WebSocketLike, method: string, params: Record<string, unknown>): Promise<unknown> {
    // A fixed token goes out at once (no await): the request leaves in the same turn.
    if (this.#tokenProvider === undefined) return this.#exchange(ws, method, { token: this.#token, ...params });
    return this.#withFreshToken(ws, method, params);
  }

  async #withFreshToken(ws: WebSocketLike, method: string, params: Record<string, unknown>): Promise<unknown> {
    try {
      return await this.#exchange(ws, method, { token: await this.#freshToken(), ...params });
    } catch (error) {
      if (!(error instanceof AuthenticationError) || !error.tokenExpired) throw error;
      this.#logger.info?.("ctid: the token had expired; asking for a fresh one");
      return await this.#exchange(ws, method, { token: await this.#freshToken(), ...params });
    }
  }

  /** The fixed token, or a fresh one from the provider. */
  async #freshToken(): Promise<string> {
    const provider = this.#tokenProvider;
    if (provider === undefined) return this.#token;
    let token: unknown;
    try {
      token = await provider();
    } catch (error) {
      throw new ConnectionClosedError(CloseCode.Abnormal, `the token provider failed: ${String(error)}`, { cause: error });
    }
    if (typeof token !== "string" || token === "") {
      throw new ProtocolError(`the token provider returned ${JSON.stringify(token)}, not a token`);
    }
    this.#token = token;
    return token;
  }

  /** Give the session a fresh token (`session.expiring` came); failures are logged. */
  async #refreshToken(): Promise<void> {
    if (this.#refreshing) return;
    this.#refreshing = true;
    try {
      const token = await this.#freshToken();
      const reply = await this.call("session.refresh", { token });
      const expires = isRecord(reply) ? reply["expiresAt"] : undefined;
      this.#logger.info?.(`ctid: token refreshed; the session now lasts until ${String(expires)}`);
    } catch (error) {
      // The server ends the session when the token expires; the client then
      // reconnects with a fresh token (close 4001 "token expired").
      this.#logger.warn?.(`ctid: could not refresh the token: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.#refreshing = false;
    }
  }

  /**
   * Log in again, start the monitors again, then tell the application. Events
   * of the new session are held back until the notice is out, so it comes
   * before them. If this fails half-way, the next connection starts it over.
   */
  async #restart(ws: WebSocketLike, from: { old: SessionInfo; lastSeq: number; reason: SessionLost }): Promise<void> {
    this.#held = [];
    const moved = new Map<string, string>();
    const failed = new Map<string, RpcError>();
    const renewed = new Map<string, Params>();
    const snapshots = new Map<string, unknown>();
    try {
      this.#core.resetSeq();
      this.#session = await this.#login(ws);
      for (const [xref, params] of this.#monitors) {
        let result: unknown;
        try {
          result = await this.#exchange(ws, "MonitorStart", params);
        } catch (error) {
          if (!(error instanceof RpcError)) throw error;
          failed.set(xref, error);
          continue;
        }
        const fresh = isRecord(result) ? result["monitorCrossRefID"] : undefined;
        if (typeof fresh !== "string") throw new ProtocolError("MonitorStart: no monitorCrossRefID in the result");
        moved.set(xref, fresh);
        renewed.set(fresh, params);
      }
      for (const [xref, params] of renewed) {
        const request = snapshotRequest(params);
        if (request === undefined) continue;
        try {
          snapshots.set(xref, await this.#exchange(ws, request[0], request[1]));
        } catch (error) {
          if (!(error instanceof RpcError)) throw error;
          // The monitor itself works; the application can still ask for this one.
          this.#logger.warn?.(`ctid: no snapshot for monitor ${xref} after a restart: ${error.message}`);
        }
      }
    } catch (error) {
      this.#held = undefined; // these events die with this session; the next attempt logs in afresh
      throw error;
    }
    this.#monitors = renewed;
    this.#restartFrom = undefined;
    this.#counts.restarts += 1;
    const held = this.#held;
    this.#held = undefined;
    const notice: SessionRestarted = {
      reason: from.reason,
      oldSessionID: from.old.sessionID,
      newSessionID: this.#session.sessionID,
      lastSeq: from.lastSeq,
      monitors: moved,
      failedMonitors: failed,
      snapshots,
      url: this.url,
    };
    this.#signals.dispatchEvent(new Delivery("restart", notice));
    for (const event of held) this.#deliver(event);
  }

  /** A socket that never got established closed, timed out, or failed to log in. */
  #attemptFailed(attempt: Attempt | undefined, error: CtidError): void {
    if (attempt !== undefined) {
      if (attempt.over) return;
      attempt.over = true;
      this.#dropSocket(attempt, error);
    }
    if (this.#terminal !== undefined) return;
    // Where to try next: a standby's pointer, or the next URL after one that could not be reached.
    let immediate = false;
    if (error instanceof NotActive) {
      this.#logger.info?.(`ctid: ${this.url} is a standby (active: ${error.active ?? "unknown"})`);
      immediate = this.#endpoints.follow(error.active);
    } else if (error instanceof ConnectionClosedError && (attempt === undefined || !attempt.opened)) {
      this.#endpoints.failed();
    }
    const firstTime = this.#session === undefined;
    const fatal = error instanceof ConnectionClosedError && error.fatal;
    if (firstTime && this.#closing === undefined && !fatal && !(error instanceof AuthenticationError)) {
      this.#firstFailures += 1;
      const urls = this.#endpoints.urls.length;
      if (this.#firstFailures <= 2 * urls && (immediate || this.#firstFailures < urls)) {
        this.#open();
        return;
      }
    }
    const retryAfter = error instanceof AuthenticationError ? error.retryAfter : undefined;
    if (
      this.#closing !== undefined ||
      firstTime ||
      fatal ||
      (error instanceof AuthenticationError && retryAfter === undefined) ||
      this.reconnect === undefined
    ) {
      this.#finish(this.#closing ?? error);
      return;
    }
    if (retryAfter !== undefined) {
      // Logins from this address are refused for a while: wait as told, then try again.
      this.#logger.warn?.(`ctid: ${error.message}; trying again in ${retryAfter} s`);
      this.#retryTimer = setTimeout(() => this.#open(), retryAfter * 1000);
      return;
    }
    this.#failures += 1;
    this.#logger.info?.(`ctid: reconnect attempt failed: ${error.message}`);
    this.#scheduleRetry(error, immediate);
  }

  /** An established socket closed. */
  #connectionLost(attempt: Attempt, closed: ConnectionClosedError): void {
    if (attempt.over) return;
    attempt.over = true;
    this.#dropSocket(attempt, closed);
    if (this.#terminal !== undefined) return;
    const renewable = closed.tokenExpired && this.#tokenProvider !== undefined;
    if (this.#closing !== undefined || (closed.fatal && !renewable) || this.reconnect === undefined) {
      this.#finish(this.#closing ?? closed);
      return;
    }
    this.#failures = 0;
    this.#setState(ClientState.Reconnecting, closed);
    this.#scheduleRetry(closed);
  }

  #scheduleRetry(error: CtidError, immediate = false): void {
    const policy = this.reconnect!;
    if (policy.maxAttempts !== undefined && this.#failures >= policy.maxAttempts) {
      this.#finish(error);
      return;
    }
    const delay = immediate ? 0 : policy.delay(this.#failures);
    this.#logger.info?.(`ctid: no connection (${error.message}); trying again in ${Math.round(delay)} ms`);
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  /** Forget the socket: close it if still open, and fail the requests waiting on it. */
  #dropSocket(attempt: Attempt, error: CtidError): void {
    const { ws } = attempt;
    ws.onopen = ws.onmessage = ws.onclose = null;
    // Keep an error handler: the ws package emits an error when a socket still
    // connecting is closed, and an EventEmitter without one throws it.
    ws.onerror = () => undefined;
    if (ws.readyState === 0 || ws.readyState === 1) ws.close(CloseCode.Normal);
    if (this.#attempt === attempt) this.#attempt = undefined;
    const lost = error instanceof ConnectionClosedError ? error : new ConnectionClosedError(CloseCode.Abnormal, error.message);
    for (const id of this.#core.connectionLost()) {
      const waiter = this.#waiters.get(id);
      this.#waiters.delete(id);
      waiter?.reject(new ConnectionClosedError(lost.code, lost.reason));
    }
  }

  /** Stop for good: every request rejects with `error`. */
  #finish(error: CtidError): void {
    if (this.#terminal !== undefined) return;
    this.#terminal = error;
    clearTimeout(this.#retryTimer);
    if (this.#attempt !== undefined) {
      this.#attempt.over = true;
      this.#dropSocket(this.#attempt, error);
    }
    this.#setState(ClientState.Closed, error);
    const connected = this.#connected;
    this.#connected = undefined;
    connected?.reject(copyError(error));
    this.#markFinished();
  }

  #setState(state: ClientState, error?: CtidError): void {
    const oldState = this.#state;
    this.#state = state;
    const change: StateChange = error === undefined ? { oldState, newState: state } : { oldState, newState: state, error };
    this.#signals.dispatchEvent(new Delivery("state", change));
    if (state === ClientState.Connected || state === ClientState.Closed) {
      const queued = [...this.#queued];
      this.#queued.clear();
      for (const run of queued) run();
    }
  }

  // ------------------------------------------------------------ incoming

  #handle(item: Incoming): void {
    switch (item.type) {
      case "reply":
      case "error": {
        const waiter = this.#waiters.get(item.id);
        this.#waiters.delete(item.id);
        if (item.type === "reply") waiter?.resolve(item.result);
        else waiter?.reject(item.error);
        break;
      }
      case "event":
        if (item.event.name === "session.expiring" && this.#tokenProvider !== undefined) void this.#refreshToken();
        if (this.#held !== undefined) this.#held.push(item.event);
        else this.#deliver(item.event);
        break;
      case "seqAnomaly":
        if (item.kind === "duplicate") {
          this.#counts.duplicateEvents += 1;
          this.#logger.debug?.(`ctid: dropped duplicate ${item.name} seq ${item.received}`);
        } else {
          this.#counts.seqGaps += 1;
          this.#logger.warn?.(`ctid: events lost: expected seq ${item.expected}, got ${item.received} (${item.name})`);
        }
        break;
      case "unmatched":
        this.#counts.unmatchedReplies += 1;
        this.#logger.info?.("ctid: reply to no waiting request", item.message);
        break;
      case "violation":
        this.#counts.protocolViolations += 1;
        this.#logger.error?.(`ctid: skipped a frame: ${item.reason}`);
        break;
    }
  }

  #deliver(event: CtidEvent): void {
    this.#counts.events += 1;
    if (event.name === "MonitorEndedEvent" && typeof event.monitorCrossRefID === "string") {
      this.#monitors.delete(event.monitorCrossRefID);
    }
    this.#events.dispatchEvent(new Delivery(event.name, event));
    this.#events.dispatchEvent(new Delivery("*", event));
  }
}
