/**
 * `encoding: "msgpack"` against the real ctid (`ctid demo --no-traffic` on
 * port 0): the client offers `ctid.v1.msgpack`, the server's binary frames
 * (its event frames are spliced from cached pieces, not packed whole) decode to
 * the same messages the JSON encoding gives, and a resume over a cut
 * connection replays the missed events as MessagePack too.
 */
import { decode } from "@msgpack/msgpack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

import { CstaError, CtidClient } from "../../src/index.js";
import { ADMIN_TOKEN, type CtidServer, EventLog, nodeClient, startCtid } from "../helpers/ctid-server.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";

let server: CtidServer;

beforeAll(async () => {
  server = await startCtid();
});
afterAll(async () => {
  await server?.stop();
});

/** A `ws` WebSocket that keeps every frame the server sent, as received. */
function recordingWebSocket(frames: unknown[]): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.on("message", (data, isBinary) => frames.push(isBinary ? data : String(data)));
    }
  } as unknown as typeof WebSocket;
}

describe("ctid.v1.msgpack against a real ctid", () => {
  it("speaks binary frames only, and a call's events carry the same data as over JSON", async () => {
    const frames: unknown[] = [];
    const client = nodeClient(server, { encoding: "msgpack", WebSocket: recordingWebSocket(frames) });
    const jsonClient = nodeClient(server);
    await Promise.all([client.connect(), jsonClient.connect()]);
    expect(client.encoding).toBe("msgpack");
    const events = new EventLog(client);
    const jsonEvents = new EventLog(jsonClient);
    await client.monitorStart("1001");
    await jsonClient.monitorStart("1001");

    const caller = await client.makeCall("1001", "1002", {
      autoOriginate: "doNotPrompt",
      correlatorData: "crm-ü-1",
      userData: { lead: "L-9", amount: 12.5, count: 2 ** 40, vip: true, note: "ß" },
    });
    const ofCall = (e: { [k: string]: unknown }): boolean => e["callID"] === caller.callID || JSON.stringify(e).includes(caller.callID);
    const delivered = await events.next("DeliveredEvent", ofCall);
    const jsonDelivered = await jsonEvents.next("DeliveredEvent", ofCall);
    expect(delivered).toMatchObject({
      alertingDevice: "1002",
      correlatorData: "crm-ü-1",
      userData: { lead: "L-9", amount: 12.5, count: 2 ** 40, vip: true, note: "ß" },
    });
    // Everything but the session's own numbering is what the JSON session got.
    const { seq, monitorCrossRefID, ...same } = delivered;
    const { seq: jsonSeq, monitorCrossRefID: jsonXref, ...jsonSame } = jsonDelivered;
    expect(same).toEqual(jsonSame);
    expect([typeof seq, typeof monitorCrossRefID, typeof jsonSeq, typeof jsonXref]).toEqual(["number", "string", "number", "string"]);

    await client.clearCall(caller.callID);
    await events.next("CallClearedEvent", (e) => e["clearedCall"] === caller.callID);
    await expect(client.holdCall({ callID: "no-such-call", deviceID: "1001" })).rejects.toBeInstanceOf(CstaError);
    const outcomes = await client.callBatch([["session.ping"], ["no.such.method"]]);
    expect((outcomes[0] as { result: { timestamp: string } }).result.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(outcomes[1]!.error).toMatchObject({ code: -32601 });

    const seqs = events.seen.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(client.statistics()).toMatchObject({ seqGaps: 0, duplicateEvents: 0, protocolViolations: 0 });
    // Every frame the server sent this session was binary and a JSON-RPC message or batch.
    expect(frames.length).toBeGreaterThan(8);
    for (const frame of frames) {
      // Binary, and an ArrayBuffer: the client set binaryType as a browser needs it.
      expect(frame).toBeInstanceOf(ArrayBuffer);
      const message = decode(frame as ArrayBuffer) as unknown;
      const first = Array.isArray(message) ? message[0] : message;
      expect(first).toMatchObject({ jsonrpc: "2.0" });
    }
    await Promise.all([client.close(), jsonClient.close()]);
  });

  it("a msgpack client is refused by a server that chose JSON (wrong subprotocol)", async () => {
    // A socket that claims the server chose ctid.v1.json whatever was offered.
    class JsonOnly extends WebSocket {
      constructor(url: string, _protocols?: string | string[]) {
        super(url, ["ctid.v1.json"]);
      }
    }
    const client = new CtidClient(server.url, { token: ADMIN_TOKEN, encoding: "msgpack", WebSocket: JsonOnly as unknown as typeof WebSocket, reconnect: false });
    await expect(client.connect()).rejects.toThrow("the server chose subprotocol \"ctid.v1.json\", not ctid.v1.msgpack");
  });

  it("resumes over MessagePack and receives the events it missed", async () => {
    const proxy = await TcpProxy.start(server.url);
    try {
      const client = new CtidClient(proxy.url(server.url), {
        token: ADMIN_TOKEN,
        WebSocket,
        encoding: "msgpack",
        reconnect: { initial: 50, maximum: 200 },
      });
      await client.connect();
      const events = new EventLog(client);
      await client.monitorStart("1005");
      const admin = nodeClient(server);
      await admin.connect();
      await admin.simIncomingCall("+15550133", "1005");
      const first = await events.next("DeliveredEvent", (e) => e["alertingDevice"] === "1005");
      const lost = new Promise<void>((resolve) => client.onStateChange((c) => c.newState === "reconnecting" && resolve()));
      proxy.refusing = true;
      proxy.cutAll();
      await lost;
      await admin.simOffHook("1005");
      await admin.simOnHook("1005");
      proxy.refusing = false;
      await events.next("CallClearedEvent");
      expect(events.seen.map((e) => e.name)).toEqual(expect.arrayContaining(["EstablishedEvent", "ConnectionClearedEvent", "CallClearedEvent"]));
      const seqs = events.seen.map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => first.seq + i));
      expect(client.statistics()).toMatchObject({ resumes: 1, restarts: 0, seqGaps: 0, protocolViolations: 0 });
      await Promise.all([client.close(), admin.close()]);
    } finally {
      await proxy.stop();
    }
  });
});
