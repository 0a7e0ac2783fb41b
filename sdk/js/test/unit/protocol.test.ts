/** The sans-IO JSON-RPC core: text in, text out, no socket and no timer. */
import { describe, expect, it } from "vitest";

import {
  AuthenticationError,
  CstaError,
  CtidError,
  PermissionDenied,
  ReplayGap,
  RpcClientCore,
  RpcError,
  SessionLost,
  type Incoming,
} from "../../src/index.js";

const reply = (id: unknown, result: unknown): string => JSON.stringify({ jsonrpc: "2.0", id, result });
const errorReply = (id: unknown, error: unknown): string => JSON.stringify({ jsonrpc: "2.0", id, error });
const event = (name: string, seq: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ jsonrpc: "2.0", method: name, params: { monitorCrossRefID: "m1", seq, timestamp: "t", ...extra } });

describe("outgoing", () => {
  it("builds request frames with ids counting from 1", () => {
    const core = new RpcClientCore();
    const first = core.request("session.login", { token: "secret" });
    const second = core.request("session.ping");
    expect(first).toEqual({ frame: '{"jsonrpc":"2.0","method":"session.login","params":{"token":"secret"},"id":1}', ids: [1] });
    expect(second).toEqual({ frame: '{"jsonrpc":"2.0","method":"session.ping","id":2}', ids: [2] });
    expect(core.pending).toBe(2);
  });

  it("sends params by position as an array", () => {
    const core = new RpcClientCore();
    expect(JSON.parse(core.request("sim.offHook", ["1001"]).frame as string)).toEqual({ jsonrpc: "2.0", method: "sim.offHook", params: ["1001"], id: 1 });
  });

  it("builds notifications without an id, which wait for nothing", () => {
    const core = new RpcClientCore();
    expect(core.notification("session.ping")).toBe('{"jsonrpc":"2.0","method":"session.ping"}');
    expect(core.pending).toBe(0);
  });

  it("builds a batch with one id per request, in order", () => {
    const core = new RpcClientCore();
    core.request("session.ping");
    const out = core.batch([["SnapshotDevice", { snapshotObject: "1001" }], ["session.ping"]]);
    expect(out.ids).toEqual([2, 3]);
    expect(JSON.parse(out.frame as string)).toEqual([
      { jsonrpc: "2.0", method: "SnapshotDevice", params: { snapshotObject: "1001" }, id: 2 },
      { jsonrpc: "2.0", method: "session.ping", id: 3 },
    ]);
  });

  it("refuses an empty batch and one over 100", () => {
    const core = new RpcClientCore();
    expect(() => core.batch([])).toThrow(RangeError);
    expect(() => core.batch(Array.from({ length: 101 }, () => ["session.ping"] as const))).toThrow(RangeError);
    expect(core.pending).toBe(0);
  });

  it("refuses requests beyond maxPending, a batch as a whole", () => {
    const core = new RpcClientCore({ maxPending: 2 });
    core.request("a");
    expect(() => core.batch([["b"], ["c"]])).toThrow(CtidError);
    expect(core.pending).toBe(1);
    core.request("b");
    expect(() => core.request("c")).toThrow(/more than 2 requests/);
  });
});

describe("replies", () => {
  it("matches a reply to its request and its method", () => {
    const core = new RpcClientCore();
    core.request("session.ping");
    expect(core.receive(reply(1, { timestamp: "t" }))).toEqual([{ type: "reply", id: 1, method: "session.ping", result: { timestamp: "t" } }]);
    expect(core.pending).toBe(0);
  });

  it("a second reply with the same id is unmatched", () => {
    const core = new RpcClientCore();
    core.request("session.ping");
    core.receive(reply(1, {}));
    expect(core.receive(reply(1, {}))).toEqual([{ type: "unmatched", id: 1, message: { jsonrpc: "2.0", id: 1, result: {} } }]);
  });

  it("a forgotten request's late reply is unmatched", () => {
    const core = new RpcClientCore();
    const { ids } = core.request("MakeCall", {});
    core.forget(ids[0]!);
    expect(core.receive(reply(1, {}))[0]!.type).toBe("unmatched");
  });

  it("an error about an unparsable frame (id null) is unmatched", () => {
    const core = new RpcClientCore();
    core.request("x");
    const [item] = core.receive(errorReply(null, { code: -32700, message: "parse error" }));
    expect(item).toMatchObject({ type: "unmatched", id: null });
    expect(core.pending).toBe(1);
  });

  it.each([
    [-32000, CstaError],
    [-32002, AuthenticationError],
    [-32005, PermissionDenied],
    [-32003, SessionLost],
    [-32004, ReplayGap],
    [-32601, RpcError],
    [-32006, RpcError],
  ])("maps error code %i to its class", (code, cls) => {
    const core = new RpcClientCore();
    core.request("AnyMethod");
    const [item] = core.receive(errorReply(1, { code, message: "no", data: { reason: "r" } }));
    if (item?.type !== "error") throw new Error(`expected an error, got ${JSON.stringify(item)}`);
    expect(item.error).toBeInstanceOf(cls);
    expect(item.error.constructor).toBe(cls);
    expect(item.error).toMatchObject({ code, serverMessage: "no", data: { reason: "r" }, method: "AnyMethod" });
    expect(item.error.message).toBe(`AnyMethod: no (${code})`);
  });

  it("a CSTA error carries its ECMA-269 value", () => {
    const core = new RpcClientCore();
    core.request("HoldCall");
    const [item] = core.receive(
      errorReply(1, {
        code: -32000,
        message: "callToBeHeld: no connection of device '1001' in call 'no-such-call'",
        data: { cstaError: "invalidConnectionIdentifier" },
      }),
    );
    expect(item?.type === "error" && item.error.cstaError).toBe("invalidConnectionIdentifier");
  });

  it("a ReplayGap says the oldest seq kept", () => {
    const core = new RpcClientCore();
    core.request("session.resume");
    const [item] = core.receive(errorReply(1, { code: -32004, message: "gone", data: { oldestSeq: 50, lastSeq: 90 } }));
    expect(item?.type === "error" && item.error instanceof ReplayGap && item.error.oldestSeq).toBe(50);
  });

  it("a malformed error member becomes an internal error, not a crash", () => {
    const core = new RpcClientCore();
    core.request("x");
    const [item] = core.receive(errorReply(1, "boom"));
    expect(item?.type === "error" && item.error.code).toBe(-32603);
  });

  it("takes a batch of replies, in the server's order", () => {
    const core = new RpcClientCore();
    core.batch([["a"], ["b"]]);
    const items = core.receive(`[${reply(2, "B")},${errorReply(1, { code: -32601, message: "method not found: a" })}]`);
    expect(items.map((i) => i.type)).toEqual(["reply", "error"]);
    expect(items[0]).toMatchObject({ id: 2, method: "b", result: "B" });
  });

  it("connectionLost lists the pending ids and forgets them", () => {
    const core = new RpcClientCore();
    core.request("a");
    core.request("b");
    expect(core.connectionLost()).toEqual([1, 2]);
    expect(core.pending).toBe(0);
    expect(core.receive(reply(1, {}))[0]!.type).toBe("unmatched");
    expect(core.request("c").ids).toEqual([3]);
  });
});

describe("events", () => {
  it("delivers an event as its params plus its name, frozen", () => {
    const core = new RpcClientCore();
    const [item] = core.receive(event("DeliveredEvent", 1, { alertingDevice: "1001", localConnectionInfo: "alerting" }));
    expect(item).toEqual({
      type: "event",
      event: { name: "DeliveredEvent", monitorCrossRefID: "m1", seq: 1, timestamp: "t", alertingDevice: "1001", localConnectionInfo: "alerting" },
    });
    expect(Object.isFrozen(item?.type === "event" && item.event)).toBe(true);
    expect(core.lastSeq).toBe(1);
  });

  it("reports a gap, then still delivers the event", () => {
    const core = new RpcClientCore();
    core.receive(event("A", 1));
    const items = core.receive(event("B", 4));
    expect(items[0]).toEqual({ type: "seqAnomaly", kind: "gap", expected: 2, received: 4, name: "B" });
    expect(items[1]).toMatchObject({ type: "event", event: { name: "B", seq: 4 } });
    expect(core.lastSeq).toBe(4);
  });

  it("drops a duplicate (seq already seen) and says so", () => {
    const core = new RpcClientCore();
    core.receive(event("A", 1));
    core.receive(event("B", 2));
    expect(core.receive(event("A", 1))).toEqual([{ type: "seqAnomaly", kind: "duplicate", expected: 3, received: 1, name: "A" }]);
    expect(core.lastSeq).toBe(2);
  });

  it("counts from 1 again after resetSeq (a new session)", () => {
    const core = new RpcClientCore();
    core.receive(event("A", 1));
    core.receive(event("A", 2));
    core.resetSeq();
    expect(core.receive(event("A", 1)).map((i) => i.type)).toEqual(["event"]);
  });

  it("delivers events of unknown families unchanged", () => {
    const core = new RpcClientCore();
    const [item] = core.receive(event("AgentReadyEvent", 1, { agentID: "a1", queues: [{ queue: "sales" }] }));
    expect(item).toMatchObject({ type: "event", event: { name: "AgentReadyEvent", agentID: "a1", queues: [{ queue: "sales" }] } });
  });
});

describe("frames that are not protocol v1", () => {
  const violations: [string, string][] = [
    ["not JSON", "{nope"],
    ["JSON with trailing data", `${reply(1, {})} trailing`],
    ["an empty batch", "[]"],
    ["a bare value", "42"],
    ["no jsonrpc member", '{"id":1,"result":{}}'],
    ["a request from the server", '{"jsonrpc":"2.0","id":9,"method":"x"}'],
    ["both result and error", '{"jsonrpc":"2.0","id":1,"result":1,"error":{}}'],
    ["an event without a seq", '{"jsonrpc":"2.0","method":"DeliveredEvent","params":{}}'],
    ["an event with array params", '{"jsonrpc":"2.0","method":"DeliveredEvent","params":[1]}'],
  ];
  it.each(violations)("skips %s", (_, text) => {
    const core = new RpcClientCore();
    core.request("x");
    const items: Incoming[] = core.receive(text);
    expect(items).toHaveLength(1);
    expect(items[0]!.type).toBe("violation");
    expect(core.pending).toBe(1);
  });

  it("a session notice (session.expiring) has no seq and leaves the seq alone", () => {
    const core = new RpcClientCore();
    const notice = '{"jsonrpc":"2.0","method":"session.expiring","params":{"expiresAt":"2027-01-15T08:05:30.000Z","secondsLeft":60}}';
    expect(core.receive(notice)).toEqual([
      { type: "event", event: { name: "session.expiring", expiresAt: "2027-01-15T08:05:30.000Z", secondsLeft: 60 } },
    ]);
    expect(core.lastSeq).toBe(0);
  });

  it("a batch goes on past a bad entry", () => {
    const core = new RpcClientCore();
    core.request("x");
    expect(core.receive(`[42, ${reply(1, "ok")}]`).map((i) => i.type)).toEqual(["violation", "reply"]);
  });
});
