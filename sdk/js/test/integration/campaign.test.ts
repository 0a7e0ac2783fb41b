/**
 * Campaigns from the agent's side against the real `ctid demo --no-traffic`: a preview
 * campaign shows agent 2001 a record, which is skipped, then the next, which is dialled
 * and given a disposition; the campaign's events are typed; `report.campaign`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  type CampaignPreviewEvent,
  type CampaignStartedEvent,
  type CtidClient,
  RpcError,
} from "../../src/index.js";
import { type CtidServer, nodeClient, startCtid } from "../helpers/ctid-server.js";

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

/** The events called `name`, in order, as promises of the next ones. */
function queue<E>(name: string): () => Promise<E> {
  const seen: E[] = [];
  const waiting: ((event: E) => void)[] = [];
  admin.on(name, (event) => {
    const next = waiting.shift();
    if (next !== undefined) next(event as E);
    else seen.push(event as E);
  });
  return () => {
    const ready = seen.shift();
    return ready !== undefined ? Promise.resolve(ready) : new Promise<E>((resolve) => waiting.push(resolve));
  };
}

describe("campaigns", () => {
  it("previews a record, skips it, dials the next and gives it a disposition", async () => {
    const everyDay = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    await admin.campaignCreate("js-survey", "sales", {
      mode: "preview",
      windows: [{ days: everyDay, start: "00:00", end: "24:00" }],
      dispositions: ["sale", "noSale"],
      previewTimeout: 600,
    });
    await admin.campaignImportList("js-survey", "l", "phone", "name,phone\nAnn,5550101\nBob,5550102\n");
    const started = queue<CampaignStartedEvent>("campaign.started");
    const previews = queue<CampaignPreviewEvent>("campaign.preview");
    await admin.monitorStart({ campaignObject: "js-survey" });
    await admin.monitorStart({ agentObject: "2001" });
    await admin.setAgentState("1001", "loggedOn", { agentID: "2001" });
    await admin.setAgentState("1001", "ready");
    await admin.campaignSetState("js-survey", "running");
    expect(await started()).toMatchObject({ campaign: "js-survey", state: "running", mode: "preview", queue: "sales" });

    const first = await previews();
    expect(first).toMatchObject({
      campaign: "js-survey",
      number: "5550101",
      data: { name: "Ann" },
      agentID: "2001",
      callback: false,
      attempts: 0,
      timeout: 600,
      timeoutAction: "dial",
      dispositions: ["sale", "noSale"],
    });
    // The agent's state shows the campaign holding her, and the record.
    const held = await admin.agentSnapshot("2001");
    expect([held.agentState, held.callID]).toEqual(["reserved", null]);
    expect(held.outboundReserve).toEqual({ campaign: "js-survey", record: first.record });
    expect(await admin.campaignPreviewSkip(first.record, "knownCustomer")).toEqual({
      record: first.record,
      status: "skipped",
      reason: "knownCustomer",
    });
    const second = await previews();
    expect(second).toMatchObject({ number: "5550102", data: { name: "Bob" } });
    const dialled = await admin.campaignPreviewDial(second.record);
    expect(dialled.record).toBe(second.record);
    await expect(admin.campaignSetDisposition({ callID: dialled.callID }, "nope")).rejects.toBeInstanceOf(RpcError);
    expect(await admin.campaignSetDisposition({ callID: dialled.callID }, "sale")).toEqual({
      campaign: "js-survey",
      record: second.record,
      callID: dialled.callID,
      disposition: "sale",
      status: "dialling",
      nextAttemptAt: null,
    });
    await admin.campaignSetState("js-survey", "stopped");

    const report = await admin.reportCampaign("js-survey", "2000-01-01", "2100-01-01");
    expect(report.name).toBe("campaign");
    const row = Object.fromEntries(report.columns.map((column, i) => [column, report.rows[0]![i]]));
    expect(row).toMatchObject({ campaign: "js-survey", records: 2, recordsAttempted: 0, listPenetration: 0 });
  });
});
