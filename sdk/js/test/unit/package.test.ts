/**
 * The package as users get it: `import "ctid-client"` through the exports
 * map (the package imports itself by name), generated declarations next to
 * the ES modules, and the public names. Compiled by `npm run typecheck` too:
 * the WebSocket classes users inject must fit `WebSocketConstructor`.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";
import { WebSocket as NodeWebSocket } from "ws";

import type { WebSocketConstructor } from "../../src/index.js";

const sdk = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

// The browser's WebSocket (DOM) and the ws package's both fit the injected transport.
export const browserWebSocket: WebSocketConstructor | undefined = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
export const nodeWebSocket: WebSocketConstructor = NodeWebSocket;

describe("the package", () => {
  it("is ESM with an exports map whose types condition comes first", () => {
    const manifest = JSON.parse(readFileSync(resolve(sdk, "package.json"), "utf8")) as {
      type: string;
      exports: Record<string, Record<string, string>>;
      dependencies?: Record<string, string>;
    };
    expect(manifest.type).toBe("module");
    expect(Object.keys(manifest.exports["."]!)).toEqual(["types", "default"]);
    // One runtime dependency, for encoding "msgpack" only.
    expect(manifest.dependencies ?? {}).toEqual({ "@msgpack/msgpack": "^3.1.3" });
    for (const file of Object.values(manifest.exports["."]!)) expect(existsSync(resolve(sdk, file)), file).toBe(true);
  });

  it("imports by name and exports the public surface, nothing by accident", async () => {
    const mod = (await import("ctid-client" as string)) as Record<string, unknown>;
    expect(Object.keys(mod).sort()).toEqual(
      [
        "ACD_EVENT_NAMES",
        "AGENT_EVENT_NAMES",
        "AgentEventCause",
        "AgentState",
        "AuthenticationError",
        "CAMPAIGN_EVENT_NAMES",
        "CLOSE_TIMEOUT",
        "CSTA_EVENT_NAMES",
        "EVENT_NAMES",
        "FAX_EVENT_NAMES",
        "HttpError",
        "QueueEntryState",
        "RECORDING_EVENT_NAMES",
        "VOICEMAIL_EVENT_NAMES",
        "RECORD_EVENT_NAMES",
        "ReportName",
        "RequestedAgentState",
        "isAgentEvent",
        "reportRecords",
        "ClientState",
        "CloseCode",
        "ConnectionClosedError",
        "ConnectionState",
        "CstaError",
        "CstaErrorValue",
        "CtidClient",
        "CtidError",
        "CtidServices",
        "DEFAULT_MAX_PENDING",
        "DeviceWatch",
        "Endpoints",
        "ErrorCode",
        "EventCause",
        "FATAL_CLOSE_CODES",
        "MAX_BATCH",
        "NotActive",
        "PermissionDenied",
        "ProtocolError",
        "ReconnectPolicy",
        "ReplayGap",
        "RequestTimeoutError",
        "Role",
        "RpcClientCore",
        "RpcError",
        "SUBPROTOCOL",
        "JSON_CODEC",
        "JSON_SUBPROTOCOL",
        "MSGPACK_SUBPROTOCOL",
        "loadCodec",
        "msgpackCodec",
        "SessionLost",
        "SystemStatus",
        "TOKEN_EXPIRED",
        "eventConnection",
        "rpcErrorFromWire",
        "snapshotRequest",
      ].sort(),
    );
  });

  it("loads @msgpack/msgpack only on demand, so a JSON page needs no import map", () => {
    // A static import anywhere in dist/ would make every page resolve the bare name.
    for (const file of ["index.js", "client.js", "codec.js", "protocol.js"]) {
      const code = readFileSync(resolve(sdk, "dist", file), "utf8");
      expect(code, file).not.toMatch(/^\s*import[^(]*["']@msgpack\/msgpack["']/m);
    }
    expect(readFileSync(resolve(sdk, "dist/codec.js"), "utf8")).toMatch(/await import\("@msgpack\/msgpack"\)/);
  });

  it("declarations are generated next to the modules, with no globals", () => {
    const declarations = readFileSync(resolve(sdk, "dist/index.d.ts"), "utf8");
    expect(declarations).toMatch(/export \{[^}]*\bCtidClient\b[^}]*\} from ".\/client.js"/);
    expect(readFileSync(resolve(sdk, "dist/client.d.ts"), "utf8")).not.toMatch(/declare global/);
  });
});
