// A first session from Node: watch a phone, ring it from outside, answer it.
//   node examples/node/first-session.mjs ws://127.0.0.1:8765/v1 <admin token> [phone]
// (`ctid demo --no-traffic` prints both. Node 20 has no WebSocket of its own:
// npm install ws, and pass its class.)
import { WebSocket } from "ws";

import { CtidClient } from "ctid-client";

const [url, token, phone = "1002"] = process.argv.slice(2);
if (!url || !token) {
  console.error("usage: node first-session.mjs URL TOKEN [PHONE]");
  process.exit(2);
}

const ctid = new CtidClient(url, { token, WebSocket });
await ctid.connect();
try {
  const answered = new Promise((resolve) => {
    ctid.on("DeliveredEvent", (event) => {
      console.log(`${event.seq}: ${event.alertingDevice} rings, ${event.callingDevice} calling`);
      ctid.simOffHook(phone); // the phone answers (the simulator's sim.* methods need the admin token)
    });
    ctid.on("EstablishedEvent", (event) => {
      console.log(`${event.seq}: ${event.answeringDevice} answered`);
      resolve(event);
    });
  });
  await ctid.monitorStart(phone);
  const callID = await ctid.simIncomingCall("+15550100", phone);
  await answered;
  await ctid.clearCall(callID);
} finally {
  await ctid.close();
}
