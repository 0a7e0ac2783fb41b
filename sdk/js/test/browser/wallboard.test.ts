/**
 * The wallboard example in a real browser: Debian's Chromium driven by
 * playwright-core, against a real ctid demo process (two queues, three
 * agents), with the page, the built SDK and @msgpack/msgpack served by a static
 * file server on port 0.
 *
 * An admin's wallboard (over MessagePack, loaded through the page's import
 * map) shows both queues and every agent; agents log on and change state, a
 * caller is answered and two wait, and the page must show what the server
 * says: each queue's figures against `queue.snapshot`, each agent's state
 * against `agent.snapshot`. A supervisor limited to support (over JSON) sees
 * support and its members only. Screenshots are left in test-results/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { CtidClient, QueueSnapshot } from "../../src/index.js";
import { ADMIN_TOKEN, type CtidServer, nodeClient, startCtid } from "../helpers/ctid-server.js";
import { type StaticServer, serveStatic } from "../helpers/static-server.js";

const here = dirname(fileURLToPath(import.meta.url));
const sdk = resolve(here, "../..");
const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";
const SUPPORT_SUPERVISOR_TOKEN = "js-sdk-test-support-supervisor-01234";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let ctid: CtidServer;
let files: StaticServer;
let profile: string;
let browser: BrowserContext;
let admin: CtidClient;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/install-system-deps (or set CHROMIUM)`);
  if (!existsSync(resolve(sdk, "dist/index.js"))) throw new Error("no dist/index.js: run `npm run build` in sdk/js");
  ctid = await startCtid({ config: resolve(sdk, "test/fixtures/wallboard-demo.toml") });
  files = await serveStatic(sdk);
  profile = mkdtempSync(join(tmpdir(), "ctid-wallboard-profile-"));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1100, height: 620 } });
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

async function openBoard(token: string, encoding: "json" | "msgpack"): Promise<Page> {
  const page = await browser.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
  await page.goto(`${files.origin}/examples/wallboard/index.html?url=${encodeURIComponent(ctid.url)}&encoding=${encoding}`);
  expect(await page.isHidden("#board")).toBe(true);
  await page.fill("#token", token);
  await page.click("#login-button");
  await page.locator('#status[data-state="connected"]').waitFor();
  await page.locator("#board").waitFor({ state: "visible" });
  expect(await page.textContent("#status")).toBe(`connected (${encoding})`);
  return page;
}

const exactly = (value: string): RegExp => new RegExp(`^${value.replace(/[()]/g, "\\$&")}$`);

/** Wait until the queue's row shows `text` in the cell of class `column`. */
async function queueShows(page: Page, queue: string, column: string, text: string): Promise<void> {
  await page.locator(`#queues tr[data-queue="${queue}"] td.${column}`, { hasText: exactly(text) }).waitFor();
}

/** Wait until the agent's row shows `text` as its state. */
async function agentShows(page: Page, agentID: string, text: string): Promise<void> {
  await page.locator(`#agents tr[data-agent-id="${agentID}"] td.state`, { hasText: exactly(text) }).waitFor();
}

/** Every figure of the queue's row is the server's `queue.snapshot`. */
async function rowIsServers(page: Page, snapshot: QueueSnapshot): Promise<void> {
  const row = `#queues tr[data-queue="${snapshot.queue}"]`;
  // Figures are throttled (one queue.figures a second at most): wait for the last one.
  await queueShows(page, snapshot.queue, "offered", String(snapshot.offeredToday));
  await queueShows(page, snapshot.queue, "waiting", String(snapshot.waiting));
  expect(await page.textContent(`${row} td.name`)).toBe(`${snapshot.queue} (${snapshot.number})`);
  expect(await page.textContent(`${row} td.answered`)).toBe(String(snapshot.answeredToday));
  expect(await page.textContent(`${row} td.abandoned`)).toBe(String(snapshot.abandonedToday));
  expect(await page.textContent(`${row} td.service-level`)).toBe(`${Math.round(snapshot.serviceLevelToday * 100)}%`);
  const chips = await page.$$eval(`${row} td.by-state .chip`, (spans) => spans.map((s) => s.textContent));
  const expected = Object.entries(snapshot.agentsByState)
    .filter(([, count]) => count)
    .map(([state, count]) => `${count} ${state}`);
  expect(chips.sort()).toEqual(expected.sort());
}

describe("the wallboard example in Chromium", () => {
  let board: Page;

  it("shows every queue and agent to an admin, over MessagePack", async () => {
    board = await openBoard(ADMIN_TOKEN, "msgpack");
    expect(await board.$$eval("#queues tbody tr", (rows) => rows.map((r) => (r as HTMLElement).dataset["queue"]))).toEqual(["sales", "support"]);
    expect(await board.$$eval("#agents tbody tr", (rows) => rows.map((r) => (r as HTMLElement).dataset["agentId"]))).toEqual(["2001", "2002", "2003"]);
    for (const id of ["2001", "2002", "2003"]) await agentShows(board, id, "loggedOff");
    await rowIsServers(board, await admin.queueSnapshot("sales"));
    await rowIsServers(board, await admin.queueSnapshot("support"));
  });

  it("follows agents' states and a queue's callers live", async () => {
    await admin.setAgentState("1001", "loggedOn", { agentID: "2001" });
    await admin.setAgentState("1001", "ready");
    await admin.setAgentState("1002", "loggedOn", { agentID: "2002" });
    await admin.setAgentState("1002", "notReady", { reasonCode: "lunch" });
    await agentShows(board, "2001", "ready");
    await agentShows(board, "2002", "notReady (lunch)");
    await agentShows(board, "2003", "loggedOff");
    expect(await board.textContent('#agents tr[data-agent-id="2002"] td.device')).toBe("1002");

    // One caller reaches Alice and is answered; two more wait (Bob is at lunch).
    await admin.simIncomingCall("+15550101", "8001");
    await agentShows(board, "2001", "reserved");
    await admin.simOffHook("1001");
    await agentShows(board, "2001", "busy");
    await admin.simIncomingCall("+15550102", "8001");
    await admin.simIncomingCall("+15550103", "8001");
    await queueShows(board, "sales", "waiting", "2");
    await board.locator('#queues tr[data-queue="sales"][data-alarm="true"]').waitFor();
    expect(await board.textContent('#queues tr[data-queue="sales"] td.longest')).toMatch(/^\d+:\d\d$/);
    expect(await board.textContent("#total-waiting")).toBe("2");

    const sales = await admin.queueSnapshot("sales");
    expect(sales).toMatchObject({ waiting: 2, offeredToday: 3, answeredToday: 1, agentsByState: { busy: 1, notReady: 1 } });
    await rowIsServers(board, sales);
    await rowIsServers(board, await admin.queueSnapshot("support"));
    for (const id of ["2001", "2002", "2003"]) {
      const agent = await admin.agentSnapshot(id);
      const shown = agent.reasonCode ? `${agent.agentState} (${agent.reasonCode})` : agent.agentState;
      await agentShows(board, id, shown);
    }
    expect(await board.$$eval("#agent-counts .chip", (spans) => spans.map((s) => s.textContent).sort())).toEqual(["1 busy", "1 loggedOff", "1 notReady"]);
    expect(await board.textContent("#total-answered")).toBe("1");
    mkdirSync(resolve(sdk, "test-results"), { recursive: true });
    await board.screenshot({ path: resolve(sdk, "test-results/wallboard.png") });
  });

  it("shows a supervisor only the queues it supervises, over JSON", async () => {
    const page = await openBoard(SUPPORT_SUPERVISOR_TOKEN, "json");
    expect(await page.$$eval("#queues tbody tr", (rows) => rows.map((r) => (r as HTMLElement).dataset["queue"]))).toEqual(["support"]);
    expect(await page.$$eval("#agents tbody tr", (rows) => rows.map((r) => (r as HTMLElement).dataset["agentId"]))).toEqual(["2002", "2003"]);
    await agentShows(page, "2002", "notReady (lunch)");
    await rowIsServers(page, await admin.queueSnapshot("support"));
    // Bob gets ready and is offered a waiting sales caller at once: the supervisor's
    // board follows him (he is a support agent too), the admin's sees sales shorten.
    await admin.setAgentState("1002", "ready");
    await agentShows(page, "2002", "reserved");
    await queueShows(board, "sales", "waiting", "1");
    await page.screenshot({ path: resolve(sdk, "test-results/wallboard-supervisor.png") });
    await page.close();
  });

  it("raised no error in the pages", () => {
    expect(pageErrors).toEqual([]);
  });
});
