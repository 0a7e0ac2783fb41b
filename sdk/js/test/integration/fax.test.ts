/**
 * The fax wrappers against the real `ctid demo --no-traffic` (call records in
 * SQLite, so fax is on): upload a PDF (rendered by Ghostscript), send it to a busy
 * number (it fails at once, no transfer to wait for), events, get, search, download.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type CtidClient, type FaxFailedEvent, HttpError, RpcError } from "../../src/index.js";
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

/** A one-page PDF with a line of text, its cross-reference table computed. */
function onePagePdf(text: string): Uint8Array {
  const stream = `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let pdf = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, "0")} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(pdf);
}

describe("fax", () => {
  it("uploads a PDF, sends it to a busy number, and finds the failed fax", async () => {
    await admin.monitorStart({ faxObject: "*" });
    const failed = new Promise<FaxFailedEvent>((resolve) => admin.on("fax.failed", resolve));
    const doc = await admin.faxUpload(onePagePdf("Price list"), { name: "js-prices" });
    expect(doc).toMatchObject({ name: "js-prices", source: "pdf", pages: 1 });
    const faxID = await admin.faxSend("5550100486", ["js-prices"], { retries: 0, header: "ACME" });
    const event = await failed;
    expect(event).toMatchObject({ faxID, direction: "out", willRetry: false, resultText: "not reached: busy" });
    const fax = await admin.faxGet(faxID);
    expect(fax).toMatchObject({ state: "failed", attempts: 1, maxAttempts: 1, documents: [doc.documentID] });
    // The demo has no [fax.email]: not mailed; the node is the demo's.
    expect(fax).toMatchObject({ emailTo: null, emailStatus: null, emailAttempts: null, emailedAt: null, emailError: null });
    expect(typeof fax.node).toBe("string");
    expect(fax.node?.length).toBeGreaterThan(0);
    expect(await admin.faxSearch({ emailStatus: "pending" })).toEqual([]);
    const noRelay = await admin.faxSend("5550100486", ["js-prices"], { emailTo: ["me@example.com"] }).catch((e: unknown) => e);
    expect(noRelay).toBeInstanceOf(RpcError);
    expect(noRelay).toMatchObject({ code: -32006, data: { reason: "no-email-relay" } });
    expect((await admin.faxSearch({ number: "5550100486" })).map((f) => f.faxID)).toEqual([faxID]);
    expect(await admin.faxTag(faxID, ["urgent", "acme"])).toEqual(["urgent", "acme"]);
    expect((await admin.faxSearch({ tags: ["acme"] })).map((f) => [f.faxID, f.tags])).toEqual([[faxID, ["urgent", "acme"]]]);
    const tiff = await admin.faxDownload({ document: "js-prices" });
    expect([...tiff.subarray(0, 4)]).toEqual([0x49, 0x49, 0x2a, 0x00]); // "II*\0": little-endian TIFF
    const pdf = await admin.faxDownload({ faxID }, "pdf");
    expect(new TextDecoder().decode(pdf.subarray(0, 5))).toBe("%PDF-");
    const batch = await admin.faxSendBatch(["5550200486", "5550300486"], [doc.documentID], { retries: 0 });
    expect(batch.faxes.map((f) => f.to)).toEqual(["5550200486", "5550300486"]);
    await expect(admin.faxUpload(new TextEncoder().encode("not a document"))).rejects.toBeInstanceOf(HttpError);
  });
});
