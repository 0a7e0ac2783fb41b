// A CRM agent toolbar on ctid, in plain JavaScript: no framework, no bundler.
// It loads the SDK's built ES module straight from dist/ (run `npm run build`
// in sdk/js once), logs in with the agent's token, watches the agent's phone,
// and enables each button by the state of the agent's calls.
import { ConnectionState, CtidClient, DeviceWatch } from "../../dist/index.js";

const $ = (selector) => document.querySelector(selector);

/** @type {CtidClient | undefined} */
let client;
/** @type {DeviceWatch | undefined} */
let phone;
/** The calls at the agent's phone, by callID (from DeviceWatch). */
let calls = new Map();
/** Numbers the agent dialled, by callID: the far end until the call's events name it. */
const dialled = new Map();

// Prefill the form from the page's query (?url=...&device=...): handy when a CRM embeds the page.
const query = new URLSearchParams(location.search);
for (const field of ["url", "device"]) if (query.get(field)) $(`#${field}`).value = query.get(field);

$("#login").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("#login-button").disabled = true;
  const device = $("#device").value.trim();
  try {
    client = new CtidClient($("#url").value.trim(), { token: $("#token").value, WebSocket: window.WebSocket });
    client.onStateChange(({ newState, error }) => showStatus(newState, error));
    client.onRestart(() => showError("The connection to ctid was renewed: events in between were lost."));
    client.on("DeliveredEvent", (delivered) => {
      if (delivered.alertingDevice === device) screenPop(delivered);
    });
    await client.connect();
    phone = await DeviceWatch.start(client, device);
    phone.onChange((current) => {
      calls = current;
      render();
    });
    $("#login").hidden = true;
    $("#desk").hidden = false;
    $("#my-device").textContent = device;
  } catch (error) {
    showError(error.message);
    $("#login-button").disabled = false;
  }
});

function showStatus(state, error) {
  const status = $("#status");
  status.dataset.state = state;
  status.textContent = error && state !== "connected" ? `${state}: ${error.message}` : state;
}

function showError(message) {
  $("#error").textContent = message;
}

/** The screen pop: who calls, and the data that travels with the call. */
function screenPop(delivered) {
  $("#screen-pop").hidden = false;
  $("#pop-caller").textContent = delivered.callingDevice;
  $("#pop-called").textContent = delivered.calledDevice;
  const redirected = $("#pop-redirected");
  redirected.hidden = !delivered.lastRedirectionDevice;
  redirected.querySelector("span").textContent = delivered.lastRedirectionDevice ?? "";
  const correlator = $("#pop-correlator");
  correlator.hidden = !delivered.correlatorData;
  correlator.querySelector("strong").textContent = delivered.correlatorData ?? "";
  const rows = Object.entries(delivered.userData ?? {}).map(([key, value]) => {
    const row = document.createElement("tr");
    row.dataset.key = key;
    for (const text of [key, String(value)]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  $("#pop-data tbody").replaceChildren(...rows);
}

/** The first call at the phone in `state`. */
function callIn(state) {
  for (const call of calls.values()) if (call.state === state) return call;
  return undefined;
}

function render() {
  const ringing = callIn(ConnectionState.Alerting);
  const active = callIn(ConnectionState.Connected);
  const held = callIn(ConnectionState.Hold);
  const dialling = callIn(ConnectionState.Initiated);
  $("#answer").disabled = !ringing;
  $("#hold").disabled = !active;
  $("#retrieve").disabled = !held || Boolean(active);
  $("#hangup").disabled = !(active || dialling || held || ringing);
  $("#transfer-button").disabled = !active;
  const rows = [...calls.values()].map((call) => {
    const row = document.createElement("tr");
    row.dataset.callId = call.callID;
    const other = (call.callingDevice === phone.device ? call.calledDevice : call.callingDevice) ?? dialled.get(call.callID);
    for (const [text, cls] of [[call.callID, "id"], [other ?? "", "party"], [call.state, "state"]]) {
      const cell = document.createElement("td");
      cell.className = cls;
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  $("#calls tbody").replaceChildren(...rows);
  if (calls.size === 0) $("#screen-pop").hidden = true;
}

/** Run a CSTA request from a button; a refusal is shown, not thrown. */
async function act(request) {
  showError("");
  try {
    await request();
  } catch (error) {
    showError(error.cstaError ? `${error.serverMessage} (${error.cstaError})` : error.message);
  }
}

$("#dial").addEventListener("submit", (event) => {
  event.preventDefault();
  const number = $("#number").value.trim();
  if (!number) return;
  act(async () => {
    // "prompt": the agent's phone rings (or goes off-hook) first, then the number is dialled.
    const { callID } = await client.makeCall(phone.device, number);
    dialled.set(callID, number);
    render();
  });
});
$("#answer").addEventListener("click", () => act(() => client.answerCall(callIn(ConnectionState.Alerting).connection)));
$("#hold").addEventListener("click", () => act(() => client.holdCall(callIn(ConnectionState.Connected).connection)));
$("#retrieve").addEventListener("click", () => act(() => client.retrieveCall(callIn(ConnectionState.Hold).connection)));
$("#hangup").addEventListener("click", () => {
  const call = callIn(ConnectionState.Connected) ?? callIn(ConnectionState.Initiated) ?? callIn(ConnectionState.Hold) ?? callIn(ConnectionState.Alerting);
  act(() => client.clearConnection(call.connection));
});
$("#transfer").addEventListener("submit", (event) => {
  event.preventDefault();
  const target = $("#transfer-to").value.trim();
  if (target) act(() => client.singleStepTransferCall(callIn(ConnectionState.Connected).connection, target));
});
