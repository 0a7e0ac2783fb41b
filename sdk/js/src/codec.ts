/**
 * The two wire encodings of protocol v1, as the server names them:
 * `ctid.v1.json` (text frames) and `ctid.v1.msgpack` (binary frames, the same
 * JSON-RPC messages packed with MessagePack: smaller and cheaper to parse for
 * a wallboard that takes every queue's figures).
 *
 * The JSON codec has no dependency. The MessagePack codec loads
 * `@msgpack/msgpack` only when a client asks for it (`loadCodec("msgpack")`),
 * so a page that speaks JSON and loads the SDK straight from `dist/` (no
 * bundler) never needs to resolve that package. A page that wants msgpack
 * without a bundler maps the bare name with an import map (see the README).
 */

/** Which encoding a client speaks: `"json"` (default) or `"msgpack"`. */
export type Encoding = "json" | "msgpack";

/** A frame as the WebSocket gives it: text, or bytes in one of the platforms' shapes. */
export type FrameData = string | ArrayBuffer | ArrayBufferView;

/** What `decode` makes of one frame: the message, or why it is not one. */
export type Decoded = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/** Encodes messages to frames and frames to messages, for one subprotocol. */
export interface FrameCodec {
  readonly encoding: Encoding;
  /** The WebSocket subprotocol the client offers and the server must choose. */
  readonly subprotocol: string;
  /** One message (or a batch: an array) as one frame. */
  encode(message: unknown): string | Uint8Array;
  /** One frame from the server; never throws. */
  decode(data: unknown): Decoded;
}

export const JSON_SUBPROTOCOL = "ctid.v1.json";
export const MSGPACK_SUBPROTOCOL = "ctid.v1.msgpack";

/** `ctid.v1.json`: text frames only. */
export const JSON_CODEC: FrameCodec = Object.freeze({
  encoding: "json" as const,
  subprotocol: JSON_SUBPROTOCOL,
  encode: (message: unknown): string => JSON.stringify(message),
  decode(data: unknown): Decoded {
    if (typeof data !== "string") return { ok: false, reason: `a binary frame on a ${JSON_SUBPROTOCOL} connection` };
    try {
      return { ok: true, value: JSON.parse(data) as unknown };
    } catch (exc) {
      return { ok: false, reason: `not valid JSON: ${(exc as Error).message}` };
    }
  },
});

/** The two functions of `@msgpack/msgpack` the codec needs. */
export interface MsgpackFunctions {
  encode(value: unknown): Uint8Array;
  decode(data: ArrayLike<number> | ArrayBufferView | ArrayBufferLike): unknown;
}

function bytesOf(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data; // Node's Buffer is one
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/** `ctid.v1.msgpack` over the given MessagePack functions: binary frames only. */
export function msgpackCodec(msgpack: MsgpackFunctions): FrameCodec {
  return Object.freeze({
    encoding: "msgpack" as const,
    subprotocol: MSGPACK_SUBPROTOCOL,
    encode: (message: unknown): Uint8Array => msgpack.encode(message),
    decode(data: unknown): Decoded {
      if (typeof data === "string") return { ok: false, reason: `a text frame on a ${MSGPACK_SUBPROTOCOL} connection` };
      const bytes = bytesOf(data);
      // A browser's default binaryType is "blob", which cannot be read synchronously;
      // the client sets "arraybuffer", so a Blob here means a WebSocket that ignored it.
      if (bytes === undefined) return { ok: false, reason: "a binary frame in a form the client cannot read (set binaryType to arraybuffer)" };
      try {
        return { ok: true, value: msgpack.decode(bytes) };
      } catch (exc) {
        return { ok: false, reason: `not valid MessagePack: ${(exc as Error).message}` };
      }
    },
  });
}

/** The codec for `encoding`, loading `@msgpack/msgpack` on first use for `"msgpack"`. */
export async function loadCodec(encoding: Encoding): Promise<FrameCodec> {
  if (encoding === "json") return JSON_CODEC;
  if (encoding !== "msgpack") throw new TypeError(`encoding must be "json" or "msgpack", not ${JSON.stringify(encoding)}`);
  let module: MsgpackFunctions;
  try {
    module = (await import("@msgpack/msgpack")) as MsgpackFunctions;
  } catch (error) {
    throw new Error(
      `encoding "msgpack" needs the @msgpack/msgpack package (npm install @msgpack/msgpack; in a page without a bundler, map it in an import map): ${String(error)}`,
      { cause: error },
    );
  }
  return msgpackCodec(module);
}
