// Runs docs/webhooks.md's Node verification function over test cases.
// Usage: node verify_docs.mjs <the function's module> <cases.json>
// Each case: {body (base64), header, secret, now}; prints one JSON result per case.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modulePath, casesPath] = process.argv.slice(2);
const { verifyCtidSignature } = await import(pathToFileURL(modulePath).href);
const cases = JSON.parse(readFileSync(casesPath, "utf8"));
const results = cases.map((c) => {
  try {
    const payload = verifyCtidSignature(Buffer.from(c.body, "base64"), c.header, c.secret, 300, c.now);
    return { ok: true, webhook: payload.webhook };
  } catch (error) {
    return { ok: false, error: error.message };
  }
});
process.stdout.write(JSON.stringify(results));
