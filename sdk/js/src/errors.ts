/**
 * Every error the SDK rejects with, and how wire codes become them.
 *
 * ```
 * CtidError                      anything this SDK rejects with
 * ├── RpcError                   the server refused a request (.code, .message, .data, .method)
 * │   ├── CstaError              -32000: a CSTA service failed (.cstaError: ECMA-269 name)
 * │   ├── AuthenticationError    -32002: the token was refused
 * │   ├── PermissionDenied       -32005: the session's role may not call the method
 * │   ├── NotActive              -32010: a standby node; `.active` is the active node's URL
 * │   └── SessionLost            -32003: the session is gone (expired or ended)
 * │       └── ReplayGap          -32004: the missed events left the replay window
 * ├── ConnectionClosedError      no connection: it closed or was lost (.code, .reason, .fatal)
 * ├── RequestTimeoutError        no reply within the timeout (.method, .timeout)
 * └── ProtocolError              the server sent something that is not protocol v1
 * ```
 *
 * The JSON-RPC codes and WebSocket close codes are mapped here, in one place
 * (`rpcErrorFromWire`, `ConnectionClosedError`).
 */

/** JSON-RPC error codes of protocol v1: the standard ones and ctid's own (-32000..-32006, -32010). */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** A CSTA service failed; `data.cstaError` has the ECMA-269 value. */
  CstaError: -32000,
  /** A method other than session.login/resume was called before logging in. */
  LoginRequired: -32001,
  AuthenticationFailed: -32002,
  /** session.resume for a session that no longer exists. */
  UnknownSession: -32003,
  /** session.resume for events that have left the replay window. */
  ReplayGap: -32004,
  Forbidden: -32005,
  /** A ctid (non-CSTA) operation failed; `data.reason` says which part. */
  OperationFailed: -32006,
  /** The node is a hot standby; `data.active` is the active node's URL (or null). */
  NotActive: -32010,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes the server uses (and 1000/1006), and what the client does about each. */
export const CloseCode = {
  /** Closed on purpose by this client. */
  Normal: 1000,
  /** The server is shutting down (the client reconnects). */
  GoingAway: 1001,
  /** No close frame: the connection was lost or could not be opened (the client reconnects). */
  Abnormal: 1006,
  /** The client read too slowly; the session lives on (the client resumes). */
  SlowConsumer: 4000,
  /** The session was resumed on another connection (the client stops). */
  TakenOver: 4001,
  /** The session was logged out (the client stops). */
  LoggedOut: 4002,
  /** No login in time after connecting (the client reconnects). */
  LoginTimeout: 4003,
  /** Too many failed logins on one connection (the client stops). */
  TooManyFailedLogins: 4004,
  /** The server's ping got no answer in time (the client resumes). */
  KeepaliveTimeout: 4005,
  /** The node stopped being the active one (the client reconnects, following standbys to the new one). */
  ServiceRestart: 1012,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * After these the client never reconnects: it would fight another connection
 * for the session, revive a session ended on purpose, or retry a bad token.
 */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.TakenOver,
  CloseCode.LoggedOut,
  CloseCode.TooManyFailedLogins,
]);

/** Base of every error this SDK rejects with. */
export class CtidError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Free-form details of an error reply (`error.data`). */
export type ErrorData = Readonly<Record<string, unknown>>;

/**
 * The server answered a request with a JSON-RPC error.
 *
 * `code` is the JSON-RPC code (see `ErrorCode`), `message` the server's text,
 * `data` its structured details (or undefined), `method` the request's method.
 */
export class RpcError extends CtidError {
  readonly code: number;
  readonly data: ErrorData | undefined;
  readonly method: string | undefined;
  /** The server's own message, without the method and code this error's `message` adds. */
  readonly serverMessage: string;

  constructor(code: number, message: string, data?: ErrorData, method?: string) {
    super(`${method ? `${method}: ` : ""}${message} (${code})`);
    this.code = code;
    this.serverMessage = message;
    this.data = data;
    this.method = method;
  }

  /** The ECMA-269 error value for a CSTA failure (`invalidCallIdentifier`, ...); else undefined. */
  get cstaError(): string | undefined {
    const value = this.data?.["cstaError"];
    return typeof value === "string" ? value : undefined;
  }
}

/** A CSTA service failed; `cstaError` is its ECMA-269 name (`"generic"` if the server gave none). */
export class CstaError extends RpcError {
  override get cstaError(): string {
    return super.cstaError ?? "generic";
  }
}

/** The reason of close 4001 and the message of error -32002 for a signed token that expired. */
export const TOKEN_EXPIRED = "token expired";

/** The server refused the token. */
export class AuthenticationError extends RpcError {
  /** The token was correctly signed but has expired: a fresh one will do. */
  get tokenExpired(): boolean {
    return this.serverMessage === TOKEN_EXPIRED;
  }

  /** Seconds to wait when the server refuses logins from this address for a while. */
  get retryAfter(): number | undefined {
    const value = this.data?.["retryAfter"];
    return typeof value === "number" ? value : undefined;
  }
}

/** The session's role may not call this method. */
export class PermissionDenied extends RpcError {}

/**
 * `session.resume` failed: the session no longer exists (expired or ended).
 * The client handles this by logging in again; applications see it as the
 * `reason` of a `SessionRestarted` notice.
 */
export class SessionLost extends RpcError {}

/**
 * The node is a hot standby and serves nobody; `active` says where the active
 * node is. The client follows it by itself (and tries its other URLs);
 * applications see it only if no node is active when the client connects.
 */
export class NotActive extends RpcError {
  /** The active node's URL, if the standby knows it. */
  get active(): string | undefined {
    const value = this.data?.["active"];
    return typeof value === "string" && value !== "" ? value : undefined;
  }
}

/** `session.resume` failed: events after the client's last seq are no longer kept. */
export class ReplayGap extends SessionLost {
  /** The oldest seq the server still had, if it said. */
  get oldestSeq(): number | undefined {
    const value = this.data?.["oldestSeq"];
    return typeof value === "number" ? value : undefined;
  }
}

/**
 * There is no connection to the server: it closed, was lost, or could not be made.
 *
 * `code` is the WebSocket close code (`CloseCode`; 1006 when the connection
 * dropped without a close frame or could not be opened) and `reason` the
 * close reason. A request in flight when its connection closed fails with
 * this error: the server may or may not have carried it out.
 */
export class ConnectionClosedError extends CtidError {
  readonly code: number;
  readonly reason: string;

  constructor(code: number, reason: string, options?: { cause?: unknown }) {
    super(reason ? `connection closed (${code}): ${reason}` : `connection closed (${code})`, options);
    this.code = code;
    this.reason = reason;
  }

  /**
   * True if the client does not reconnect after this close (4001, 4002, 4004);
   * except that with a token provider it does after 4001 `token expired`.
   */
  get fatal(): boolean {
    return FATAL_CLOSE_CODES.has(this.code);
  }

  /** Closed because the session's signed token expired (4001, reason `token expired`). */
  get tokenExpired(): boolean {
    return this.code === CloseCode.TakenOver && this.reason === TOKEN_EXPIRED;
  }
}

/** No reply to `method` within `timeout` ms. The server may still carry it out; a late reply is dropped. */
export class RequestTimeoutError extends CtidError {
  readonly method: string;
  readonly timeout: number;

  constructor(method: string, timeout: number) {
    super(`${method}: no reply within ${timeout} ms`);
    this.method = method;
    this.timeout = timeout;
  }
}

/** The server sent something that is not valid protocol v1 (a bug in one of the two). */
export class ProtocolError extends CtidError {}

const BY_CODE: ReadonlyMap<number, typeof RpcError> = new Map<number, typeof RpcError>([
  [ErrorCode.CstaError, CstaError],
  [ErrorCode.AuthenticationFailed, AuthenticationError],
  [ErrorCode.Forbidden, PermissionDenied],
  [ErrorCode.UnknownSession, SessionLost],
  [ErrorCode.ReplayGap, ReplayGap],
  [ErrorCode.NotActive, NotActive],
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The `RpcError` subclass for a JSON-RPC `error` member. */
export function rpcErrorFromWire(error: unknown, method?: string): RpcError {
  if (!isRecord(error)) {
    return new RpcError(ErrorCode.InternalError, `malformed error member: ${String(error)}`, undefined, method);
  }
  const code = Number.isInteger(error["code"]) ? (error["code"] as number) : ErrorCode.InternalError;
  const message = typeof error["message"] === "string" ? error["message"] : "(no message)";
  const data = isRecord(error["data"]) ? error["data"] : undefined;
  const Cls = BY_CODE.get(code) ?? RpcError;
  return new Cls(code, message, data, method);
}

/** The server refused an HTTP request (a fax upload or download): `status` and its reason. */
export class HttpError extends CtidError {
  readonly status: number;

  constructor(status: number, message: string) {
    super(`HTTP ${status}: ${message}`);
    this.name = "HttpError";
    this.status = status;
  }
}

