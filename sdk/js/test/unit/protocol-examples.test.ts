/**
 * The SDK against docs/protocol-examples.md: requests, replies and events the
 * server really sent, recorded by `python -m ctid.testing.examples`.
 *
 * - every method of the families the SDK types has a typed wrapper;
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

import { CSTA_EVENT_NAMES, CtidClient, RpcClientCore } from "../../src/index.js";

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
  "sim.dropLink": "simDropLink",
  "sim.restoreLink": "simRestoreLink",
};

/** The families the SDK types: session.*, rpc.*, sim.* and the CSTA services (PascalCase). */
const typedFamily = (name: string): boolean => /^(session|rpc|sim)\./.test(name) || /^[A-Z]/.test(name);

/** Result types of the methods whose recorded reply is checked by the compiler. */
const RESULT_TYPES: Record<string, string> = {
  "session.login": "SessionInfo",
  "session.ping": "{ timestamp: string }",
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
};

describe("docs/protocol-examples.md", () => {
  it("has the sections this test reads", () => {
    expect(methods.length).toBeGreaterThan(30);
    expect(events.length).toBeGreaterThanOrEqual(CSTA_EVENT_NAMES.length);
  });

  it("every method of the typed families has a typed wrapper, and every wrapper a method", () => {
    const documented = methods.map((m) => m.name).filter(typedFamily).sort();
    expect(documented).toEqual(Object.keys(WRAPPERS).sort());
    for (const wrapper of Object.values(WRAPPERS)) {
      if (wrapper !== null) expect(typeof (CtidClient.prototype as unknown as Record<string, unknown>)[wrapper], wrapper).toBe("function");
    }
  });

  it("every documented event has a type, and the core delivers each recorded one", () => {
    expect(events.map((e) => e.name).sort()).toEqual([...CSTA_EVENT_NAMES].sort());
    for (const { name, blocks } of events) {
      for (const block of blocks) {
        const items = new RpcClientCore().receive(JSON.stringify(block));
        expect(items.find((item) => item.type === "event")).toMatchObject({ type: "event", event: { name } });
      }
    }
  });

  describe("the recorded events and results compile against the SDK's types", () => {
    const dir = mkdtempSync(join(tmpdir(), "ctid-js-examples-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("with no diagnostics", () => {
      const lines = [
        `import type { CallSnapshot, ConnectionID, CstaEventMap, DeviceSnapshotEntry, SessionInfo, SimHears, SimLine } from ${JSON.stringify(resolve(sdk, "src/index.js"))};`,
      ];
      let checked = 0;
      for (const { name, blocks } of events) {
        for (const block of blocks) {
          const params = (block as { params: Record<string, unknown> }).params;
          lines.push(`export const e${checked++}: CstaEventMap[${JSON.stringify(name)}] = ${JSON.stringify({ name, ...params })};`);
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
      expect(checked).toBeGreaterThan(25);
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
