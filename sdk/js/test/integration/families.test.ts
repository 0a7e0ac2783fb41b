/**
 * The ACD, IVR, routing, recording, records and report wrappers against the
 * real `ctid demo --no-traffic` (queues sales 8001 and support 8002, agents
 * 2001-2010 logged off, the IVR's flow main at 4008001234, call records in
 * SQLite). Waits are on events and replies; the timeouts are failure guards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  AgentState,
  CstaError,
  type CtidClient,
  DeviceWatch,
  EVENT_NAMES,
  type QueueFiguresEvent,
  type RecordingDeletedEvent,
  type RecordingStoppedEvent,
  reportRecords,
} from "../../src/index.js";
import { type CtidServer, EventLog, nodeClient, startCtid } from "../helpers/ctid-server.js";

let server: CtidServer;
let admin: CtidClient;

beforeAll(async () => {
  server = await startCtid();
  admin = nodeClient(server);
  await admin.connect();
});
afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

describe("rpc.discover", () => {
  it("lists no event the SDK does not type", async () => {
    const { events } = await admin.discover();
    expect(events.length).toBeGreaterThan(20);
    expect(events.filter((name) => !(EVENT_NAMES as readonly string[]).includes(name))).toEqual([]);
  });
});

describe("the ACD", () => {
  it("an agent logs on, takes a queued call, goes not ready while busy, and is recorded", async () => {
    const log = new EventLog(admin);
    const figures: QueueFiguresEvent[] = [];
    admin.on("queue.figures", (event) => figures.push(event));
    await admin.monitorStart({ queueObject: "sales" });
    const desk = await DeviceWatch.start(admin, "1003", { agent: true });
    expect(desk.agent).toBeUndefined();
    expect(await admin.getAgentState("1003")).toEqual([]);

    expect(await desk.logOn("2003")).toMatchObject({ agentState: AgentState.NotReady });
    expect(desk.agent).toMatchObject({ agentID: "2003", agentDevice: "1003", agentState: "notReady" });
    await desk.ready();
    expect(desk.agent?.agentState).toBe("ready");
    const [entry] = await admin.getAgentState("1003");
    expect(entry).toMatchObject({ agentID: "2003", agentState: "ready", loggedOnState: true });
    expect((await admin.agentList()).find((a) => a.agentID === "2003")?.agentState).toBe("ready");
    expect((await admin.queueList()).map((q) => q.queue)).toEqual(["sales", "support"]);
    expect(await admin.agentReasonCodes()).toEqual(["break", "lunch", "training", "meeting", "other"]);

    const callID = await admin.simIncomingCall("+15550177", "8001");
    await log.next("agent.reserved", (e) => e["agentID"] === "2003");
    const queued = await admin.queueSnapshot("sales");
    expect(queued.calls.find((c) => c.callID === callID)).toMatchObject({ state: "offered", offeredTo: ["2003"] });
    const ringing = [...desk.calls.values()].find((c) => c.state === "alerting");
    expect(ringing?.userData).toMatchObject({ "ctid.queue": "sales" });
    await admin.answerCall(ringing!.connection);
    await log.next("AgentBusyEvent", (e) => e["agentID"] === "2003");
    expect(desk.agent?.agentState).toBe("busy");

    const pending = await desk.notReady("lunch");
    expect(pending).toEqual({ agentState: "busy", reasonCode: null, pendingAgentState: "notReady", pendingReasonCode: "lunch" });
    expect(desk.agent).toMatchObject({ agentState: "busy", pendingAgentState: "notReady", pendingReasonCode: "lunch" });
    const told = await log.next("agent.pending", (e) => e["agentID"] === "2003");
    expect(told).toMatchObject({ oldState: "busy", newState: "busy", pendingAgentState: "notReady" });
    await expect(desk.notReady("nap")).rejects.toBeInstanceOf(CstaError);

    const recording = await admin.recordingStart(callID, { tags: ["complaint"] });
    expect(recording).toMatchObject({ callID, state: "recording", tags: ["complaint"] });
    expect(await admin.recordingTag(recording.recordingID, ["vip"])).toEqual(["complaint", "vip"]);
    const whisper = await admin.supervisorWhisper(ringing!.connection, "1009");
    expect(whisper).toMatchObject({ conferencedCall: { deviceID: "1009" }, participationType: "whisper" });
    await admin.clearConnection(whisper.conferencedCall);

    await admin.clearConnection(ringing!.connection);
    await log.next("AgentNotReadyEvent", (e) => e["agentID"] === "2003");
    expect(desk.agent).toMatchObject({ agentState: "notReady", reasonCode: "lunch", pendingAgentState: null });
    const stopped = (await log.next("RecordingStoppedEvent")) as unknown as RecordingStoppedEvent;
    expect(stopped.recordingID).toBe(recording.recordingID);

    await admin.recordsFlush();
    const found = await admin.recordingSearch({ caller: "+15550177" });
    expect(found.map((r) => r.recordingID)).toEqual([recording.recordingID]);
    expect(await admin.recordingGet(recording.recordingID)).toMatchObject({ state: "done", important: false });
    expect((await admin.recordsStatus()).databaseUp).toBe(true);
    expect((await admin.agentSnapshot("2003")).today.calls).toBe(1);
    await log.next("queue.figures", (e) => e["answeredToday"] === 1);
    expect(figures.at(-1)?.queue).toBe("sales");

    // Supervisors and admins keep a recording from retention, or delete it.
    expect(await admin.recordingSetImportant(recording.recordingID, true)).toBe(true);
    await admin.recordsFlush();
    expect((await admin.recordingGet(recording.recordingID)).important).toBe(true);
    await expect(admin.recordingDelete(recording.recordingID)).rejects.toMatchObject({ code: -32006, data: { reason: "important" } });
    expect(await admin.recordingSetImportant(recording.recordingID, false)).toBe(false);
    await admin.recordsFlush();
    await admin.recordingDelete(recording.recordingID);
    const deleted = (await log.next("RecordingDeletedEvent")) as unknown as RecordingDeletedEvent;
    expect(deleted).toMatchObject({ recordingID: recording.recordingID, callID, state: "deleted", startedBy: "admin", deletedBy: "admin (admin)" });
    expect((await admin.recordingGet(recording.recordingID)).state).toBe("deleted");

    // The call's record: found by the caller's number, by its id, and in the number's history.
    const records = await admin.recordsSearch({ number: "+15550177" });
    expect(records.records.map((r) => r.callID)).toEqual([callID]);
    expect(records.records[0]).toMatchObject({ caller: "+15550177", queue: "sales", agentID: "2003", recordingIDs: [recording.recordingID] });
    expect(await admin.recordsGet(callID)).toEqual(records.records[0]);
    // A call of no campaign: no campaign fields, and the campaign filters skip it.
    expect(records.records[0]).toMatchObject({ campaignRecord: null, campaignOutcome: null, amd: null, agentDisposition: null });
    expect(await admin.recordsSearch({ campaignRecord: 1, campaignOutcome: "answered" })).toEqual({ records: [], nextCursor: null });
    const history = await admin.recordsHistory("+15550177");
    expect(history.number).toBe("+15550177");
    expect(history.calls.map((r) => r.callID)).toEqual([callID]);
    // 555-01xx numbers are fictional: phonenumbers knows no place for them.
    expect(history.callerInfo).toBeNull();

    await desk.logOff();
    expect(desk.agent).toMatchObject({ agentID: "2003", agentState: "loggedOff" });
    await desk.stop();
    log.stop();
  });
});

describe("the IVR, inbound routing and reports", () => {
  it("lists flows, tests a route and runs a report", async () => {
    const flows = await admin.ivrListFlows();
    expect(flows.find((f) => f.name === "main")?.numbers).toContain("ivr:main");
    expect(await admin.ivrValidateFlow({ name: "main" })).toMatchObject({ valid: true, name: "main" });
    expect(await admin.routingTest("4008001234", { callingNumber: "+15550100" })).toEqual({
      destination: { flow: "main" },
      rejected: false,
      reason: "rule front-door",
    });
    expect((await admin.routingOverrides()).map((o) => o.name)).toContain("closed");
    // The demo has no outbound routes: outside numbers go as dialled.
    expect(await admin.outboundRouteTest("0201234567")).toEqual({
      direction: "outbound",
      calledNumber: "0201234567",
      route: null,
      trunkGroup: null,
      hunt: null,
      dial: "0201234567",
      line: null,
      freeLines: [],
      reason: "no outbound routes: as dialled, on the switch's default line",
    });
    expect((await admin.ivrStatistics()).statistics).toBeInstanceOf(Array);
    expect(await admin.ivrCalls()).toEqual([]);

    expect((await admin.reportList()).map((r) => r.method)).toContain("report.answerRate");
    // Today (UTC) and tomorrow: the day of the call taken in the test above.
    const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const report = await admin.reportAgents({ from: day(-1), to: day(1), timezone: "UTC" });
    expect(report.columns).toEqual(["agent", "calls", "talkSeconds", "acwSeconds", "readySeconds", "notReadySeconds"]);
    const agent2003 = reportRecords(report).find((row) => row["agent"] === "2003");
    expect(agent2003?.["calls"]).toBe(1);
  });
});

describe("outbound campaigns and do-not-call lists", () => {
  it("creates a campaign, imports a list with bad rows and keeps a DNC list", async () => {
    const created = await admin.campaignCreate("js-renewals", "sales", { mode: "preview", maxAttempts: 3 });
    expect(created).toMatchObject({ state: "stopped", source: "api", records: {}, lists: [] });
    expect(created.campaign).toMatchObject({ name: "js-renewals", queue: "sales", mode: "preview", maxAttempts: 3 });
    expect((await admin.campaignUpdate("js-renewals", { priority: 2 })).campaign["priority"]).toBe(2);
    const imported = await admin.campaignImportList("js-renewals", "january", "phone", "name,phone\nAnn,5551234\nBob,x\nCy,555-1234\n");
    expect(imported).toEqual({
      campaign: "js-renewals",
      list: "january",
      imported: 1,
      problems: [{ line: 3, problem: "'x' is not a phone number (digits, a leading +, separators)" }],
      duplicates: [{ line: 4, firstLine: 2 }],
      alreadyListed: [],
      records: { new: 1 },
    });
    const info = await admin.campaignGet("js-renewals");
    expect(info.lists.map((l) => [l.name, l.imported, l.rejected])).toEqual([["january", 1, 2]]);
    expect((await admin.campaignList()).find((c) => c.name === "js-renewals")).toMatchObject({ mode: "preview", records: { new: 1 } });
    await expect(admin.campaignGet("nope")).rejects.toMatchObject({ code: -32006 });
    expect((await admin.campaignSetState("js-renewals", "paused")).state).toBe("paused");
    await expect(admin.campaignSetState("nope", "running")).rejects.toMatchObject({ code: -32006 });

    expect(await admin.dncAdd(["555 1234"], { campaign: "js-renewals", note: "asked" })).toEqual({ list: "js-renewals", added: 1, already: 0 });
    const status = await admin.dncCheck("5551234");
    expect(status).toMatchObject({ number: "5551234", listed: true });
    expect(status.lists.map((l) => [l.scope, l.note])).toEqual([["js-renewals", "asked"]]);
    expect(await admin.dncRemove(["5551234"], { campaign: "js-renewals" })).toEqual({ list: "js-renewals", removed: 1 });
    expect((await admin.dncImport("tel\n5550001\n", "tel")).added).toBe(1);
    expect(await admin.dncCheck("5550001")).toMatchObject({ listed: true });
  });
});
