/**
 * A scripted stand-in for the server's end of a WebSocket, for client tests
 * under fake timers. `MockServer.WebSocket` is the class injected into the
 * client; each socket it creates is kept in `server.sockets`, and the test
 * plays the server: `accept()`, `reply()`, `event()`, `drop()`.
 */
import type { WebSocketConstructor, WebSocketLike } from "../../src/index.js";

export interface SentMessage {
  readonly jsonrpc: string;
  readonly id?: number;
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

export class MockSocket implements WebSocketLike {
  readyState = 0;
  protocol = "";
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  /** Frames the client sent, as text. */
  readonly frames: string[] = [];
  /** How the client closed this socket, if it did. */
  closedByClient: { code: number | undefined; reason: string | undefined } | undefined;

  constructor(
    readonly url: string,
    readonly protocols: string | string[] | undefined,
  ) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error(`send on a socket in state ${this.readyState}`);
    this.frames.push(data);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    this.closedByClient = { code, reason };
    this.readyState = 3;
    this.onclose?.({ code: code ?? 1005, reason: reason ?? "" });
  }

  // ---------------------------------------------------------------- the server's side

  /** Every message the client sent, parsed (a batch frame gives several). */
  get messages(): SentMessage[] {
    return this.frames.flatMap((frame) => {
      const value = JSON.parse(frame) as SentMessage | SentMessage[];
      return Array.isArray(value) ? value : [value];
    });
  }

  /** The last message the client sent. */
  get last(): SentMessage {
    const all = this.messages;
    if (all.length === 0) throw new Error("the client sent nothing on this socket");
    return all[all.length - 1]!;
  }

  /** Complete the handshake with `protocol`. */
  accept(protocol = "ctid.v1.json"): void {
    this.protocol = protocol;
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The connection could not be made: an error, then a close without a close frame. */
  refuse(): void {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code: 1006, reason: "" });
  }

  sendText(text: string): void {
    this.onmessage?.({ data: text });
  }

  sendJson(message: unknown): void {
    this.sendText(JSON.stringify(message));
  }

  /** Answer the request with `id` (default: the last one) with `result`. */
  reply(result: unknown, id: number | undefined = this.last.id): void {
    this.sendJson({ jsonrpc: "2.0", id, result });
  }

  /** Answer the request with `id` (default: the last one) with an error. */
  fail(code: number, message: string, data?: Record<string, unknown>, id: number | undefined = this.last.id): void {
    this.sendJson({ jsonrpc: "2.0", id, error: data === undefined ? { code, message } : { code, message, data } });
  }

  /** Send an event notification. */
  event(name: string, params: Record<string, unknown>): void {
    this.sendJson({ jsonrpc: "2.0", method: name, params });
  }

  /** The server closes the connection with `code` (1006: it just went away). */
  drop(code = 1006, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

export class MockServer {
  readonly sockets: MockSocket[] = [];
  readonly WebSocket: WebSocketConstructor;

  constructor() {
    const sockets = this.sockets;
    this.WebSocket = class extends MockSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    };
  }

  /** The newest socket. */
  get socket(): MockSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (socket === undefined) throw new Error("no socket was opened");
    return socket;
  }
}

/** A login reply. */
export function welcome(sessionID = "S1", role = "admin"): Record<string, unknown> {
  return { sessionID, protocolVersion: "1.0", serverVersion: "0.1.0", role };
}

/** Event params as the server sends them. */
export function eventParams(seq: number, fields: Record<string, unknown> = {}, xref: string | null = "m1"): Record<string, unknown> {
  return { monitorCrossRefID: xref, seq, timestamp: "2027-01-15T08:00:00.000Z", ...fields };
}
