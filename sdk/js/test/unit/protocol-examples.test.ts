/**
 * The SDK against docs/protocol-examples.md: requests, replies and events the
 * server really sent, recorded by `python -m ctid.testing.examples`.
 *
 * - every method has a typed wrapper (and every wrapper a method);
 * - every recorded event and typed result compiles against the SDK's types
 *   (the TypeScript compiler checks a file generated from the examples: a
 *   missing field, an unknown one or a wrong type fails).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

import { AgentState, EVENT_NAMES, CtidClient, RpcClientCore } from "../../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const sdk = resolve(here, "../..");
const doc = readFileSync(resolve(sdk, "../../docs/protocol-examples.md"), "utf8");

interface Section {
  readonly name: string;
  readonly blocks: readonly unknown[];
}

/** `### \`Name\`` sections of one part of the document, with their JSON blocks parsed. */
function sections(part: string): Section[] {
  return part
    .split(/^### `/m)
    .slice(1)
    .map((chunk) => ({
      name: chunk.slice(0, chunk.indexOf("`")),
      blocks: [...chunk.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as unknown),
    }));
}

const [methodPart, eventPart] = doc.split(/^## Events$/m) as [string, string];
const methods = sections(methodPart);
const events = sections(eventPart);

/** Server methods -> the client's typed wrapper (null: the client calls it itself). */
const WRAPPERS: Record<string, string | null> = {
  "session.login": null,
  "session.resume": null,
  "session.refresh": null,
  "session.logout": "close",
  "session.ping": "ping",
  "rpc.discover": "discover",
  MonitorStart: "monitorStart",
  MonitorStop: "monitorStop",
  MakeCall: "makeCall",
  AnswerCall: "answerCall",
  ClearConnection: "clearConnection",
  ClearCall: "clearCall",
  HoldCall: "holdCall",
  RetrieveCall: "retrieveCall",
  ConsultationCall: "consultationCall",
  TransferCall: "transferCall",
  ConferenceCall: "conferenceCall",
  SingleStepTransferCall: "singleStepTransferCall",
  DeflectCall: "deflectCall",
  AlternateCall: "alternateCall",
  ReconnectCall: "reconnectCall",
  GenerateDigits: "generateDigits",
  AssociateData: "associateData",
  SnapshotDevice: "snapshotDevice",
  SnapshotCall: "snapshotCall",
  "sim.incomingCall": "simIncomingCall",
  "sim.offHook": "simOffHook",
  "sim.onHook": "simOnHook",
  "sim.pressDigits": "simPressDigits",
  "sim.holdKey": "simHoldKey",
  "sim.lines": "simLines",
  "sim.hears": "simHears",
  "sim.messageWaiting": "simMessageWaiting",
  "sim.dropLink": "simDropLink",
  "sim.restoreLink": "simRestoreLink",
  SetAgentState: "setAgentState",
  GetAgentState: "getAgentState",
  SingleStepConferenceCall: "singleStepConferenceCall",
  "agent.list": "agentList",
  "agent.reasonCodes": "agentReasonCodes",
  "agent.snapshot": "agentSnapshot",
  "queue.list": "queueList",
  "queue.snapshot": "queueSnapshot",
  "supervisor.whisper": "supervisorWhisper",
  "recording.start": "recordingStart",
  "recording.pause": "recordingPause",
  "recording.resume": "recordingResume",
  "recording.stop": "recordingStop",
  "recording.tag": "recordingTag",
  "recording.get": "recordingGet",
  "recording.setImportant": "recordingSetImportant",
  "voicemail.list": "voicemailList",
  "voicemail.get": "voicemailGet",
  "voicemail.markHeard": "voicemailMarkHeard",
  "voicemail.delete": "voicemailDelete",
  "recording.delete": "recordingDelete",
  "recording.search": "recordingSearch",
  "fax.send": "faxSend",
  "fax.get": "faxGet",
  "fax.search": "faxSearch",
  "fax.cancel": "faxCancel",
  "fax.tag": "faxTag",
  "records.status": "recordsStatus",
  "records.search": "recordsSearch",
  "records.get": "recordsGet",
  "records.history": "recordsHistory",
  "records.flush": "recordsFlush",
  "report.list": "reportList",
  "report.ivrNodes": "reportIvrNodes",
  "report.handleTimes": "reportHandleTimes",
  "report.trunkOccupancy": "reportTrunkOccupancy",
  "report.agents": "reportAgents",
  "report.abandoned": "reportAbandoned",
  "report.answerRate": "reportAnswerRate",
  "report.serviceLevel": "reportServiceLevel",
  "report.queueWaits": "reportQueueWaits",
  "ivr.listFlows": "ivrListFlows",
  "ivr.validateFlow": "ivrValidateFlow",
  "ivr.reload": "ivrReload",
  "ivr.calls": "ivrCalls",
  "ivr.statistics": "ivrStatistics",
  "routing.overrides": "routingOverrides",
  "routing.setOverride": "routingSetOverride",
  "routing.test": "routingTest",
  "webhook.create": "webhookCreate",
  "webhook.update": "webhookUpdate",
  "webhook.delete": "webhookDelete",
  "webhook.list": "webhookList",
  "webhook.test": "webhookTest",
  "webhook.status": "webhookStatus",
  "campaign.create": "campaignCreate",
  "campaign.update": "campaignUpdate",
  "campaign.get": "campaignGet",
  "campaign.list": "campaignList",
  "campaign.setState": "campaignSetState",
  "campaign.importList": "campaignImportList",
  "campaign.scheduleCallback": "campaignScheduleCallback",
  "campaign.setDisposition": "campaignSetDisposition",
  "campaign.previewDial": "campaignPreviewDial",
  "campaign.previewSkip": "campaignPreviewSkip",
  "report.campaign": "reportCampaign",
  "dnc.add": "dncAdd",
  "dnc.remove": "dncRemove",
  "dnc.import": "dncImport",
  "dnc.check": "dncCheck",
};


/** Events typed but not recorded in the document, with the reason. */
const UNRECORDED_EVENTS: Record<string, string> = {
  // Sent when the switch reports a recording failed (docs/records.md); the scripted session has none.
  RecordingFailedEvent: "a failed recording",
  // Published once the file is checked and committed; the scripted session ends before.
  "recording.available": "a recording's file complete",
  // The scripted preview campaign runs until it is finished: it is never paused or stopped.
  "campaign.paused": "a paused campaign",
  "campaign.stopped": "a stopped campaign",
};

/** Result types of the methods whose recorded reply is checked by the compiler. */
const RESULT_TYPES: Record<string, string> = {
  "session.login": "SessionInfo",
  "session.ping": "{ timestamp: string }",
  "session.refresh": "{ expiresAt: string | null }",
  MonitorStart: "{ monitorCrossRefID: string }",
  MakeCall: "{ callingDevice: ConnectionID }",
  ConsultationCall: "{ initiatedCall: ConnectionID }",
  TransferCall: "{ transferredCall: ConnectionID }",
  SingleStepTransferCall: "{ transferredCall: ConnectionID }",
  ConferenceCall: "{ conferenceCall: ConnectionID }",
  SnapshotDevice: "{ snapshotData: DeviceSnapshotEntry[] }",
  SnapshotCall: "CallSnapshot",
  "sim.incomingCall": "{ callID: string }",
  "sim.lines": "{ lines: SimLine[] }",
  "sim.hears": "SimHears",
  "sim.messageWaiting": "SimMessageWaiting",
  SetAgentState: "AgentStateResult",
  GetAgentState: "{ agentStateList: AgentStateEntry[] }",
  SingleStepConferenceCall: "SupervisionResult",
  "supervisor.whisper": "SupervisionResult",
  "agent.list": "{ agents: AgentSummary[] }",
  "agent.reasonCodes": "{ reasonCodes: string[] }",
  "agent.snapshot": "AgentSnapshot",
  "queue.list": "{ queues: QueueSummary[] }",
  "queue.snapshot": "QueueSnapshot",
  "recording.start": "RecordingStatus",
  "recording.pause": "RecordingStatus",
  "recording.resume": "RecordingStatus",
  "recording.stop": "RecordingStatus",
  "recording.tag": "{ recordingID: string; tags: string[] }",
  "recording.get": "Recording",
  "voicemail.list": "VoicemailBox",
  "voicemail.get": "VoicemailMessage",
  "voicemail.markHeard": "{ messageID: string; heard: boolean }",
  "voicemail.delete": "{ messageID: string; deleted: boolean }",
  "recording.setImportant": "{ recordingID: string; important: boolean }",
  "recording.delete": "{ recordingID: string; state: \"deleted\" }",
  "recording.search": "{ recordings: Recording[] }",
  "fax.send": "{ faxID: string } | FaxBatch",
  "fax.get": "Fax",
  "fax.search": "{ faxes: Fax[] }",
  "fax.cancel": "{ faxID: string; state: string }",
  "fax.tag": "{ faxID: string; tags: string[] }",
  "records.status": "RecordsStatus",
  "records.search": "RecordsSearchResult",
  "records.get": "CallRecord",
  "records.history": "RecordsHistoryResult",
  "records.flush": "Record<string, never>",
  "report.list": "{ reports: ReportInfo[] }",
  "report.ivrNodes": "Report",
  "report.handleTimes": "Report",
  "report.trunkOccupancy": "Report",
  "report.agents": "Report",
  "report.abandoned": "Report",
  "report.answerRate": "Report",
  "report.serviceLevel": "Report",
  "report.queueWaits": "Report",
  "ivr.listFlows": "{ flows: FlowInfo[] }",
  "ivr.validateFlow": "FlowValidation",
  "ivr.reload": "IvrReload",
  "ivr.calls": "{ calls: IvrCall[] }",
  "ivr.statistics": "IvrStatistics",
  "routing.overrides": "{ overrides: RoutingOverride[] }",
  "routing.setOverride": "{ overrides: RoutingOverride[] }",
  "routing.test": "RoutingDecision",
  "webhook.create": "{ webhook: Webhook }",
  "webhook.update": "{ webhook: Webhook }",
  "webhook.list": "{ webhooks: Webhook[] }",
  "webhook.test": "WebhookTest",
  "webhook.status": "{ webhooks: WebhookStatus[] }",
  "campaign.create": "CampaignInfo",
  "campaign.update": "CampaignInfo",
  "campaign.get": "CampaignInfo",
  "campaign.list": "{ campaigns: CampaignSummary[] }",
  "campaign.setState": "CampaignInfo",
  "campaign.importList": "ListImportResult",
  "campaign.scheduleCallback": "CallbackBooking",
  "campaign.setDisposition": "DispositionResult",
  "campaign.previewDial": "PreviewDialled",
  "campaign.previewSkip": "PreviewSkipped",
  "report.campaign": "CampaignReport",
  "dnc.add": "DncChange",
  "dnc.remove": "DncChange",
  "dnc.import": "DncChange",
  "dnc.check": "DncStatus",
};

/** The SDK's types the generated file names. */
const RESULT_IMPORTS = [
  "EventMap",
  ...new Set(Object.values(RESULT_TYPES).flatMap((type) => type.match(/\b[A-Z]\w+/g) ?? []).filter((name) => name !== "Record")),
];

/** Methods whose recorded reply is `{}` (nothing to type). */
function isEmptyReply(name: string): boolean {
  const method = methods.find((m) => m.name === name)!;
  return method.blocks.every((b) => typeof b !== "object" || b === null || !("result" in b) || JSON.stringify((b as { result: unknown }).result) === "{}");
}

describe("docs/protocol-examples.md", () => {
  it("has the sections this test reads", () => {
    expect(methods.length).toBeGreaterThan(30);
    expect(events.length).toBeGreaterThanOrEqual(EVENT_NAMES.length - Object.keys(UNRECORDED_EVENTS).length);
  });

  it("every method has a typed wrapper, and every wrapper a method (a new method fails here until typed)", () => {
    const documented = methods.map((m) => m.name).sort();
    expect(documented).toEqual(Object.keys(WRAPPERS).sort());
    for (const wrapper of Object.values(WRAPPERS)) {
      if (wrapper !== null) expect(typeof (CtidClient.prototype as unknown as Record<string, unknown>)[wrapper], wrapper).toBe("function");
    }
  });

  it("every documented event has a type, and the core delivers each recorded one", () => {
    expect([...events.map((e) => e.name), ...Object.keys(UNRECORDED_EVENTS)].sort()).toEqual([...EVENT_NAMES].sort());
    for (const { name, blocks } of events) {
      for (const block of blocks) {
        const items = new RpcClientCore().receive(JSON.stringify(block));
        expect(items.find((item) => item.type === "event")).toMatchObject({ type: "event", event: { name } });
      }
    }
  });

  it("every method's recorded reply is checked by the compiler", () => {
    const replied = methods.filter((m) => m.blocks.some((b) => typeof b === "object" && b !== null && "result" in b)).map((m) => m.name);
    // The client calls session.resume itself; rpc.discover's recorded reply is shortened ("[...]").
    const unchecked = ["session.resume", "rpc.discover"];
    const missing = replied.filter((name) => !(name in RESULT_TYPES) && !isEmptyReply(name) && !unchecked.includes(name));
    expect(missing).toEqual([]);
  });

  it("the agent states are the server's (the ones the recorded events use)", () => {
    const seen = new Set(events.flatMap(({ blocks }) => blocks.map((b) => (b as { params: Record<string, unknown> }).params["agentState"])).filter((s) => s !== undefined));
    for (const state of seen) expect(Object.values(AgentState)).toContain(state);
  });

  describe("the recorded events and results compile against the SDK's types", () => {
    const dir = mkdtempSync(join(tmpdir(), "ctid-js-examples-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("with no diagnostics", () => {
      const lines = [
        `import type { ${RESULT_IMPORTS.join(", ")} } from ${JSON.stringify(resolve(sdk, "src/index.js"))};`,
      ];
      let checked = 0;
      for (const { name, blocks } of events) {
        for (const block of blocks) {
          const params = (block as { params: Record<string, unknown> }).params;
          lines.push(`export const e${checked++}: EventMap[${JSON.stringify(name)}] = ${JSON.stringify({ name, ...params })};`);
        }
      }
      for (const { name, blocks } of methods) {
        const type = RESULT_TYPES[name];
        if (type === undefined) continue;
        for (const block of blocks) {
          if (typeof block === "object" && block !== null && "result" in block) {
            lines.push(`export const r${checked++}: ${type} = ${JSON.stringify((block as { result: unknown }).result)};`);
          }
        }
      }
      expect(checked).toBeGreaterThan(70);
      const file = join(dir, "examples.mts");
      writeFileSync(file, lines.join("\n"));
      const config = ts.readConfigFile(resolve(sdk, "tsconfig.base.json"), (path) => ts.sys.readFile(path));
      const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, sdk);
      const program = ts.createProgram([file], { ...options, noEmit: true, types: [] });
      const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      expect(problems).toEqual([]);
    });
  });
});
