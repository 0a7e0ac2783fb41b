/**
 * The wire encodings, sans-IO: the core speaking `ctid.v1.msgpack` reads the
 * bytes Python's msgpack (the server's packer, `use_bin_type=True`) makes, in
 * every shape a WebSocket hands them over, and refuses what is not its frame.
 */
import { decode, encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";

import { CtidClient, CtidError, JSON_CODEC, loadCodec, msgpackCodec, RpcClientCore } from "../../src/index.js";
import { MockServer } from "../helpers/mock-socket.js";

// Made by the server's library: msgpack.packb({"jsonrpc": "2.0", "id": 7, "result":
// {"sessionID": "s-1", "n": 2**40, "f": 1.5, "none": None, "list": [1, "é"]}}, use_bin_type=True)
const PY_REPLY = hex(
  "83a76a736f6e727063a3322e30a2696407a6726573756c7485a973657373696f6e4944a3732d31a16ecf0000010000000000a166cb3ff8000000000000a46e6f6e65c0a46c6973749201a2c3a9",
);
// msgpack.packb({"jsonrpc": "2.0", "method": "queue.figures", "params": {"monitorCrossRefID": "m4",
// "seq": 6, "queue": "sales", "waiting": 2, "longestWait": 12.5}}, use_bin_type=True)
const PY_EVENT = hex(
  "83a76a736f6e727063a3322e30a66d6574686f64ad71756575652e66696775726573a6706172616d7385b16d6f6e69746f7243726f73735265664944a26d34a373657106a57175657565a573616c6573a777616974696e6702ab6c6f6e6765737457616974cb4029000000000000",
);

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g)!.map((byte) => parseInt(byte, 16)));
}

const msgpack = msgpackCodec({ encode, decode });

function loggedInCore(): RpcClientCore {
  const core = new RpcClientCore({ codec: msgpack });
  for (let id = 1; id < 7; id += 1) core.request("session.ping");
  core.request("session.login", { token: "t" }); // id 7
  return core;
}

describe("ctid.v1.msgpack in the core", () => {
  it("sends requests, batches and notifications as MessagePack bytes", () => {
    const core = new RpcClientCore({ codec: msgpack });
    const out = core.request("MakeCall", { callingDevice: "1001", calledDirectoryNumber: "1002" });
    expect(out.ids).toEqual([1]);
    expect(out.frame).toBeInstanceOf(Uint8Array);
    expect(decode(out.frame as Uint8Array)).toEqual({
      jsonrpc: "2.0",
      method: "MakeCall",
      params: { callingDevice: "1001", calledDirectoryNumber: "1002" },
      id: 1,
    });
    const batch = core.batch([["session.ping"], ["SnapshotDevice", { snapshotObject: "1001" }]]);
    expect(batch.ids).toEqual([2, 3]);
    expect(decode(batch.frame as Uint8Array)).toEqual([
      { jsonrpc: "2.0", method: "session.ping", id: 2 },
      { jsonrpc: "2.0", method: "SnapshotDevice", params: { snapshotObject: "1001" }, id: 3 },
    ]);
    expect(decode(core.notification("session.ping") as Uint8Array)).toEqual({ jsonrpc: "2.0", method: "session.ping" });
  });

  it.each([
    ["a Uint8Array", (b: Uint8Array): unknown => b],
    ["an ArrayBuffer (a browser with binaryType arraybuffer)", (b: Uint8Array): unknown => b.slice().buffer],
    ["a Node Buffer (ws)", (b: Uint8Array): unknown => Buffer.from(b)],
    ["a view into a larger buffer", (b: Uint8Array): unknown => new DataView(Uint8Array.from([9, 9, ...b, 9]).buffer, 2, b.length)],
  ])("reads the server's reply from %s", (_, shape) => {
    const core = loggedInCore();
    expect(core.receive(shape(PY_REPLY))).toEqual([
      {
        type: "reply",
        id: 7,
        method: "session.login",
        result: { sessionID: "s-1", n: 2 ** 40, f: 1.5, none: null, list: [1, "é"] },
      },
    ]);
  });

  it("reads the server's events with their seq checked", () => {
    const core = new RpcClientCore({ codec: msgpack });
    const items = core.receive(PY_EVENT);
    expect(items).toEqual([
      { type: "seqAnomaly", kind: "gap", expected: 1, received: 6, name: "queue.figures" },
      {
        type: "event",
        event: { name: "queue.figures", monitorCrossRefID: "m4", seq: 6, queue: "sales", waiting: 2, longestWait: 12.5 },
      },
    ]);
    expect(core.lastSeq).toBe(6);
  });

  it("skips a text frame, bytes that are not MessagePack, and a Blob it cannot read", () => {
    const core = new RpcClientCore({ codec: msgpack });
    expect(core.receive('{"jsonrpc":"2.0","id":1,"result":1}')).toEqual([
      { type: "violation", reason: "a text frame on a ctid.v1.msgpack connection" },
    ]);
    const [bad] = core.receive(Uint8Array.from([0xc1]));
    expect(bad!.type).toBe("violation");
    expect((bad as { reason: string }).reason).toMatch(/^not valid MessagePack: /);
    expect(core.receive(new Blob([PY_REPLY.slice().buffer as ArrayBuffer]))).toEqual([
      { type: "violation", reason: "a binary frame in a form the client cannot read (set binaryType to arraybuffer)" },
    ]);
  });

  it("the JSON codec skips binary frames", () => {
    expect(JSON_CODEC.decode(PY_REPLY)).toEqual({ ok: false, reason: "a binary frame on a ctid.v1.json connection" });
    expect(JSON_CODEC.decode("[1]")).toEqual({ ok: true, value: [1] });
  });

  it("changes encoding only before the first request", () => {
    const core = new RpcClientCore();
    expect(core.codec.subprotocol).toBe("ctid.v1.json");
    core.useCodec(msgpack);
    expect(core.codec.subprotocol).toBe("ctid.v1.msgpack");
    core.request("session.ping");
    expect(() => core.useCodec(JSON_CODEC)).toThrow(CtidError);
    expect(core.codec.subprotocol).toBe("ctid.v1.msgpack");
  });
});

describe("loadCodec", () => {
  it("loads @msgpack/msgpack on demand and has JSON without it", async () => {
    expect(await loadCodec("json")).toBe(JSON_CODEC);
    const codec = await loadCodec("msgpack");
    expect(codec.subprotocol).toBe("ctid.v1.msgpack");
    expect(codec.decode(PY_REPLY)).toEqual({
      ok: true,
      value: { jsonrpc: "2.0", id: 7, result: { sessionID: "s-1", n: 2 ** 40, f: 1.5, none: null, list: [1, "é"] } },
    });
  });

  it("refuses an unknown encoding", async () => {
    await expect(loadCodec("xml" as "json")).rejects.toThrow('encoding must be "json" or "msgpack", not "xml"');
    expect(() => new CtidClient("ws://x/v1", { token: "t", encoding: "cbor" as "json", WebSocket: new MockServer().WebSocket })).toThrow(
      'options.encoding must be "json" or "msgpack", not "cbor"',
    );
  });
});
