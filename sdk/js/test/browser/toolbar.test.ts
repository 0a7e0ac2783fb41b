/**
 * The toolbar example in a real browser: Debian's Chromium driven by
 * playwright-core, against a real ctid demo process, with the page and the
 * built SDK (dist/) served by a static file server on port 0.
 *
 * The agent logs in on the page; the simulator rings the agent's phone with
 * a call that carries data; the screen pop must show the caller and the data;
 * the buttons must follow the call's state as the agent answers, holds,
 * retrieves and transfers. With the ACD (the fixture's queue sales at 8001 and
 * agent 2001), the agent logs on, gets ready, takes a queued call, asks for a
 * break while busy (pending until the call ends), does after-call work and logs
 * off, with the state shown and the buttons following it. Screenshots are left
 * in test-results/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { CtidClient } from "../../src/index.js";
import { type CtidServer, nodeClient, startCtid } from "../helpers/ctid-server.js";
import { type StaticServer, serveStatic } from "../helpers/static-server.js";

const here = dirname(fileURLToPath(import.meta.url));
const sdk = resolve(here, "../..");
const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";
const AGENT_TOKEN = "js-sdk-test-agent-token-0123456789";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let ctid: CtidServer;
let files: StaticServer;
let profile: string;
let browser: BrowserContext;
let page: Page;
let admin: CtidClient;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/install-system-deps (or set CHROMIUM)`);
  if (!existsSync(resolve(sdk, "dist/index.js"))) throw new Error("no dist/index.js: run `npm run build` in sdk/js");
  ctid = await startCtid({ config: resolve(sdk, "test/fixtures/agent-demo.toml") });
  files = await serveStatic(sdk);
  profile = mkdtempSync(join(tmpdir(), "ctid-toolbar-profile-"));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 900, height: 560 } });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
  admin = nodeClient(ctid);
  await admin.connect();
});

afterAll(async () => {
  await admin?.close();
  await browser?.close();
  await files?.stop();
  await ctid?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** The state shown for the call `callID` in the toolbar's call list. */
const shownState = (callID: string): Promise<string | null> => page.locator(`#calls tr[data-call-id="${callID}"] td.state`).textContent();

const AGENT_BUTTONS = ["#agent-logon", "#agent-ready", "#agent-acw", "#agent-logoff", "#agent-not-ready"];

/** The agent-state buttons enabled now. */
async function enabledAgentButtons(): Promise<string[]> {
  const enabled: string[] = [];
  for (const button of AGENT_BUTTONS) if (await page.isEnabled(button)) enabled.push(button);
  return enabled;
}

/** Wait until the toolbar shows the agent in `state`. */
const agentShown = (state: string): Promise<void> => page.locator(`#agent-state[data-state="${state}"]`).waitFor();

/** The device's connection state in the call, as the server has it. */
async function serverState(device: string, callID: string): Promise<string | undefined> {
  const calls = await admin.snapshotDevice(device);
  return calls.find((call) => call.connectionIdentifier.callID === callID)?.localCallState;
}

describe("the toolbar example in Chromium", () => {
  it("logs the agent in", async () => {
    await page.goto(`${files.origin}/examples/toolbar/index.html?url=${encodeURIComponent(ctid.url)}`);
    expect(await page.isHidden("#desk")).toBe(true);
    await page.fill("#token", AGENT_TOKEN);
    await page.fill("#device", "1001");
    await page.fill("#agent", "2001");
    await page.click("#login-button");
    await page.locator('#status[data-state="connected"]').waitFor();
    await page.locator("#desk").waitFor({ state: "visible" });
    expect(await page.isHidden("#login")).toBe(true);
    expect(await page.textContent("#my-device")).toBe("1001");
    for (const button of ["#answer", "#hold", "#retrieve", "#hangup", "#transfer-button"]) {
      expect(await page.isDisabled(button), button).toBe(true);
    }
    expect(await page.isVisible("#agent-panel")).toBe(true);
    expect(await page.getAttribute("#agent-state", "data-state")).toBe("loggedOff");
    expect(await enabledAgentButtons()).toEqual(["#agent-logon"]);
  });

  it("pops the screen with the caller and the call's data when the phone rings", async () => {
    // A customer reaches 1002 first (say, an IVR), which adds data and sends the call on to the agent.
    const callID = await admin.simIncomingCall("+15550100", "1002");
    await admin.associateData(callID, { correlatorData: "case-4711", userData: { customer: "C-42", tier: "gold" } });
    await admin.deflectCall({ callID, deviceID: "1002" }, "1001");

    await page.locator("#screen-pop").waitFor({ state: "visible" });
    expect(await page.textContent("#pop-caller")).toBe("+15550100");
    expect(await page.textContent("#pop-redirected span")).toBe("1002");
    expect(await page.textContent("#pop-correlator strong")).toBe("case-4711");
    expect(await page.textContent('#pop-data tr[data-key="customer"] td:last-child')).toBe("C-42");
    expect(await page.textContent('#pop-data tr[data-key="tier"] td:last-child')).toBe("gold");
    expect(await shownState(callID)).toBe("alerting");
    expect(await page.isEnabled("#answer")).toBe(true);
    expect(await page.isDisabled("#hold")).toBe(true);
    mkdirSync(resolve(sdk, "test-results"), { recursive: true });
    await page.screenshot({ path: resolve(sdk, "test-results/toolbar-ringing.png") });

    await page.click("#answer");
    await page.locator(`#calls tr[data-call-id="${callID}"] td.state`, { hasText: "connected" }).waitFor();
    expect(await serverState("1001", callID)).toBe("connected");
    expect(await page.isDisabled("#answer")).toBe(true);
    expect(await page.isEnabled("#hold")).toBe(true);
    expect(await page.isEnabled("#transfer-button")).toBe(true);
    await page.screenshot({ path: resolve(sdk, "test-results/toolbar-connected.png") });

    await page.click("#hold");
    await page.locator(`#calls tr[data-call-id="${callID}"] td.state`, { hasText: "hold" }).waitFor();
    expect(await serverState("1001", callID)).toBe("hold");
    expect(await page.isEnabled("#retrieve")).toBe(true);
    expect(await page.isDisabled("#hold")).toBe(true);

    await page.click("#retrieve");
    await page.locator(`#calls tr[data-call-id="${callID}"] td.state`, { hasText: "connected" }).waitFor();
    expect(await serverState("1001", callID)).toBe("connected");

    await page.fill("#transfer-to", "1003");
    await page.click("#transfer-button");
    await page.locator(`#calls tr[data-call-id="${callID}"]`).waitFor({ state: "detached" });
    expect(await serverState("1001", callID)).toBeUndefined();
    expect(await serverState("1003", callID)).toBe("alerting");
    expect(await page.isDisabled("#answer")).toBe(true);
    expect(await page.isHidden("#screen-pop")).toBe(true);
  });

  it("dials from the phone (click-to-dial), and hangs up", async () => {
    await page.fill("#number", "1004");
    await page.click("#call-button");
    const row = page.locator("#calls tbody tr").first();
    await row.waitFor();
    const callID = (await row.getAttribute("data-call-id"))!;
    expect(await page.textContent(`#calls tr[data-call-id="${callID}"] td.party`)).toBe("1004");
    expect(await serverState("1001", callID)).toBeDefined();
    await page.screenshot({ path: resolve(sdk, "test-results/toolbar-dialling.png") });
    await page.click("#hangup");
    await page.locator(`#calls tr[data-call-id="${callID}"]`).waitFor({ state: "detached" });
    expect(await serverState("1001", callID)).toBeUndefined();
  });

  it("shows a refused request's CSTA error on the page", async () => {
    await page.fill("#number", "12");
    await page.click("#call-button");
    await page.locator("#error", { hasText: "invalid" }).waitFor();
    expect(await page.textContent("#error")).toMatch(/\(invalid\w+\)$/);
    expect(await page.locator("#calls tbody tr").count()).toBe(0);
  });

  it("shows the agent's state and changes it: log on, ready, a queued call, not ready with a reason, after-call work, log off", async () => {
    await page.click("#agent-logon");
    await agentShown("notReady");
    expect((await admin.agentSnapshot("2001")).agentDevice).toBe("1001");
    expect(await enabledAgentButtons()).toEqual(["#agent-ready", "#agent-acw", "#agent-logoff", "#agent-not-ready"]);

    await page.click("#agent-ready");
    await agentShown("ready");
    expect((await admin.agentSnapshot("2001")).agentState).toBe("ready");
    expect(await page.isDisabled("#agent-ready")).toBe(true);

    // A customer rings the queue; the ACD offers the call to the agent's phone.
    const callID = await admin.simIncomingCall("+15550199", "8001");
    await agentShown("reserved");
    await page.locator("#screen-pop").waitFor({ state: "visible" });
    expect(await page.textContent('#pop-data tr[data-key="ctid.queue"] td:last-child')).toBe("sales");
    await page.click("#answer");
    await agentShown("busy");

    // A break asked for while busy waits for the end of the call.
    // The reasons offered are the server's [acd] reason_codes (this fixture's two).
    expect(await page.$$eval("#agent-reason-code option", (options) => options.map((o) => o.textContent))).toEqual(["break", "lunch"]);
    await page.selectOption("#agent-reason-code", "lunch");
    await page.click("#agent-not-ready");
    await page.locator("#agent-pending:not([hidden])").waitFor();
    expect(await page.textContent("#agent-pending span")).toBe("not ready (lunch)");
    expect(await page.textContent("#agent-state")).toBe("busy");
    expect((await admin.agentSnapshot("2001")).pendingAgentState).toBe("notReady");
    expect(await page.isEnabled("#agent-ready")).toBe(true); // it would cancel the pending break
    await page.screenshot({ path: resolve(sdk, "test-results/toolbar-agent-busy.png") });

    await page.click("#hangup");
    await page.locator(`#calls tr[data-call-id="${callID}"]`).waitFor({ state: "detached" });
    await agentShown("notReady");
    expect(await page.textContent("#agent-reason")).toBe("(lunch)");
    expect(await page.isHidden("#agent-pending")).toBe(true);
    expect(await admin.agentSnapshot("2001")).toMatchObject({ agentState: "notReady", reasonCode: "lunch" });

    await page.click("#agent-acw");
    await agentShown("workingAfterCall");
    expect(await page.isDisabled("#agent-acw")).toBe(true);
    await page.screenshot({ path: resolve(sdk, "test-results/toolbar-agent-acw.png") });
    await page.click("#agent-ready");
    await agentShown("ready");

    await page.click("#agent-logoff");
    await agentShown("loggedOff");
    expect((await admin.agentSnapshot("2001")).agentState).toBe("loggedOff");
    expect(await enabledAgentButtons()).toEqual(["#agent-logon"]);
  });

  it("shows a campaign's preview card, skips and dials records, and saves a disposition", async () => {
    await admin.campaignImportList("survey", "l", "phone", "name,phone,plan\nAnn,5550101,gold\nBob,5550102,silver\n");
    await page.click("#agent-logon");
    await agentShown("notReady");
    await page.click("#agent-ready");
    await agentShown("ready");
    await admin.campaignSetState("survey", "running");

    // The agent is reserved for the record and its card shows the record's data.
    await page.locator("#preview-card").waitFor({ state: "visible" });
    await agentShown("reserved");
    expect((await admin.agentSnapshot("2001")).agentState).toBe("reserved");
    expect(await page.textContent("#preview-number")).toBe("5550101");
    expect(await page.textContent('#preview-data tr[data-key="name"] td:last-child')).toBe("Ann");
    expect(await page.textContent('#preview-data tr[data-key="plan"] td:last-child')).toBe("gold");
    await page.screenshot({ path: resolve(sdk, "test-results/toolbar-preview.png") });
    await page.fill("#preview-reason", "knownCustomer");
    await page.click("#preview-skip");

    // The next record: the agent dials it; its phone is prompted, then the customer rung.
    await page.locator("#preview-number", { hasText: "5550102" }).waitFor();
    expect(await page.textContent('#preview-data tr[data-key="name"] td:last-child')).toBe("Bob");
    await page.click("#preview-dial");
    await page.locator("#preview-card").waitFor({ state: "hidden" });
    await page.locator("#disposition").waitFor({ state: "visible" });
    expect(await page.$$eval("#disposition-code option", (options) => options.map((o) => o.textContent))).toEqual([
      "sale",
      "noSale",
      "callBack",
    ]);
    const row = page.locator("#calls tbody tr").first();
    await row.waitFor();
    const callID = (await row.getAttribute("data-call-id"))!;
    // The agent lifts the handset of the prompted phone; the customer is dialled.
    await admin.simOffHook("1001");
    await agentShown("busy");

    await page.selectOption("#disposition-code", "callBack");
    await page.click("#disposition-set");
    await page.locator("#disposition-saved:not([hidden])").waitFor();
    expect(await page.textContent("#disposition-saved strong")).toBe("callBack");
    await page.screenshot({ path: resolve(sdk, "test-results/toolbar-disposition.png") });
    // The server has it: a second disposition of the same call says where the record stands.
    expect(await admin.campaignSetDisposition({ callID }, "callBack")).toMatchObject({ callID, record: 2, disposition: "callBack" });

    await admin.campaignSetState("survey", "stopped");
    await page.click("#hangup");
    await page.locator(`#calls tr[data-call-id="${callID}"]`).waitFor({ state: "detached" });
    await agentShown("ready");
    await page.click("#agent-logoff");
    await agentShown("loggedOff");
  });

  it("raised no error in the page", () => {
    expect(pageErrors).toEqual([]);
  });
});
