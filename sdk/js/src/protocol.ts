/**
 * The JSON-RPC 2.0 client core, sans-IO: requests out as text, frames in,
 * replies and events out. It never touches a socket, a timer or a promise
 * (STYLE §3.2): the shell (`client.ts`) calls `request`/`batch`/`notification`
 * for the frames to send, `receive` with each WebSocket message, and acts on
 * what `receive` returns:
 *
 * - `reply` / `error`: the answer to a request this core issued;
 * - `event`: an event notification, in order, its seq checked;
 * - `seqAnomaly`: the seq skipped ahead (`gap`: the event is still delivered,
 *   after this item) or went back (`duplicate`: the event is not delivered,
 *   as after a resume that replays something the client already had);
 * - `unmatched`: a reply to no pending request (one that timed out and was
 *   forgotten, or an error about a frame the server could not parse);
 * - `violation`: a frame that is not protocol v1; it is skipped.
 *
 * One core lives as long as its client: request ids stay unique across
 * reconnects, and the seq tracker spans the connections of one session.
 */

import { type FrameCodec, JSON_CODEC } from "./codec.js";
import { CtidError, type RpcError, rpcErrorFromWire } from "./errors.js";
import type { CtidEvent } from "./events.js";

/** Requests that may wait for a reply at once. */
export const DEFAULT_MAX_PENDING = 10_000;
/** The most requests one batch may hold (the server's limit). */
export const MAX_BATCH = 100;

/** Params of a request: by name (an object) or by position (an array). */
export type Params = Readonly<Record<string, unknown>> | readonly unknown[] | undefined;

export type Incoming =
  | { readonly type: "reply"; readonly id: number; readonly method: string; readonly result: unknown }
  | { readonly type: "error"; readonly id: number; readonly method: string; readonly error: RpcError }
  | { readonly type: "event"; readonly event: CtidEvent }
  | {
      readonly type: "seqAnomaly";
      readonly kind: "gap" | "duplicate";
      readonly expected: number;
      readonly received: number;
      readonly name: string;
    }
  | { readonly type: "unmatched"; readonly id: unknown; readonly message: unknown }
  | { readonly type: "violation"; readonly reason: string };

/** A frame to send and the ids of the requests in it (in order; none for a notification). */
export interface Outgoing {
  /** Text for `ctid.v1.json`, bytes for `ctid.v1.msgpack`. */
  readonly frame: string | Uint8Array;
  readonly ids: readonly number[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}

export class RpcClientCore {
  readonly maxPending: number;
  #nextId = 1;
  /** Request id -> method, for requests waiting for a reply. */
  readonly #pending = new Map<number, string>();
  #lastSeq = 0;
  #codec: FrameCodec;

  constructor(options: { maxPending?: number; codec?: FrameCodec } = {}) {
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#codec = options.codec ?? JSON_CODEC;
  }

  /** The encoding of the frames this core makes and reads (JSON unless given). */
  get codec(): FrameCodec {
    return this.#codec;
  }

  /** Speak `codec` from now on: only before the first request, when the codec is loaded lazily. */
  useCodec(codec: FrameCodec): void {
    if (this.#nextId !== 1) throw new CtidError("the encoding cannot change once requests were made");
    this.#codec = codec;
  }

  /** How many requests wait for a reply. */
  get pending(): number {
    return this.#pending.size;
  }

  /** The highest seq delivered in this session (0: none yet). What `session.resume` sends. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** A new session starts: its events count from 1 again. */
  resetSeq(): void {
    this.#lastSeq = 0;
  }

  // ------------------------------------------------------------ outgoing

  request(method: string, params?: Params): Outgoing {
    this.#reserve(1);
    const id = this.#newId(method);
    return { frame: this.#codec.encode(message(method, params, id)), ids: [id] };
  }

  /** A notification: the server sends no reply, not even an error. */
  notification(method: string, params?: Params): string | Uint8Array {
    return this.#codec.encode(message(method, params, undefined));
  }

  /** One frame holding several requests; `ids` are in the order of `calls`. */
  batch(calls: readonly (readonly [method: string, params?: Params])[]): Outgoing {
    if (calls.length === 0) throw new RangeError("a batch needs at least one request");
    if (calls.length > MAX_BATCH) throw new RangeError(`a batch holds at most ${MAX_BATCH} requests`);
    this.#reserve(calls.length);
    const ids = calls.map(([method]) => this.#newId(method));
    const messages = calls.map(([method, params], i) => message(method, params, ids[i]));
    return { frame: this.#codec.encode(messages), ids };
  }

  /** Stop waiting for a reply (timed out or abandoned): a late one comes out as `unmatched`. */
  forget(id: number): void {
    this.#pending.delete(id);
  }

  /** The socket is gone: no pending request will get a reply. Returns their ids. */
  connectionLost(): number[] {
    const ids = [...this.#pending.keys()];
    this.#pending.clear();
    return ids;
  }

  #reserve(count: number): void {
    if (this.#pending.size + count > this.maxPending) {
      throw new CtidError(`more than ${this.maxPending} requests would wait for replies`);
    }
  }

  #newId(method: string): number {
    const id = this.#nextId++;
    this.#pending.set(id, method);
    return id;
  }

  // ------------------------------------------------------------ incoming

  /** What one WebSocket message from the server holds, in order (text or bytes, by the codec). */
  receive(data: unknown): Incoming[] {
    const frame = this.#codec.decode(data);
    if (!frame.ok) return [{ type: "violation", reason: frame.reason }];
    const decoded = frame.value;
    if (Array.isArray(decoded)) {
      if (decoded.length === 0) return [{ type: "violation", reason: "an empty batch" }];
      return decoded.flatMap((item) => this.#one(item));
    }
    return this.#one(decoded);
  }

  #one(message: unknown): Incoming[] {
    if (!isRecord(message)) {
      return [{ type: "violation", reason: `a message that is not an object: ${preview(message)}` }];
    }
    if (message["jsonrpc"] !== "2.0") {
      return [{ type: "violation", reason: 'a message without "jsonrpc": "2.0"' }];
    }
    if ("method" in message) {
      if ("id" in message) return [{ type: "violation", reason: "a request from the server (v1 has none)" }];
      return this.#event(message);
    }
    if ("id" in message && "result" in message !== "error" in message) {
      return [this.#reply(message)];
    }
    return [{ type: "violation", reason: `neither a reply nor a notification: ${preview(message)}` }];
  }

  #reply(message: Record<string, unknown>): Incoming {
    const id = message["id"];
    const method = typeof id === "number" ? this.#pending.get(id) : undefined;
    if (method === undefined || typeof id !== "number") return { type: "unmatched", id, message };
    this.#pending.delete(id);
    if ("error" in message) {
      return { type: "error", id, method, error: rpcErrorFromWire(message["error"], method) };
    }
    return { type: "reply", id, method, result: message["result"] };
  }

  #event(message: Record<string, unknown>): Incoming[] {
    const name = message["method"];
    const params = message["params"] ?? {};
    if (typeof name !== "string" || !isRecord(params)) {
      return [{ type: "violation", reason: `a malformed notification: ${preview(message)}` }];
    }
    const seq = params["seq"];
    if (typeof seq !== "number" || !Number.isInteger(seq)) {
      // Notices about the session itself (session.expiring) are outside its numbered events.
      if (name.startsWith("session.")) return [{ type: "event", event: Object.freeze({ ...params, name }) as CtidEvent }];
      return [{ type: "violation", reason: `an event without a seq: ${preview(message)}` }];
    }
    const event = Object.freeze({ ...params, name }) as CtidEvent;
    const expected = this.#lastSeq + 1;
    if (seq < expected) {
      return [{ type: "seqAnomaly", kind: "duplicate", expected, received: seq, name }];
    }
    this.#lastSeq = seq;
    if (seq > expected) {
      return [{ type: "seqAnomaly", kind: "gap", expected, received: seq, name }, { type: "event", event }];
    }
    return [{ type: "event", event }];
  }
}

function message(method: string, params: Params, id: number | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { jsonrpc: "2.0", method };
  if (params !== undefined) out["params"] = params;
  if (id !== undefined) out["id"] = id;
  return out;
}
