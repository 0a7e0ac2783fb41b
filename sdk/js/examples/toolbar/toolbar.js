// A CRM agent toolbar on ctid, in plain JavaScript: no framework, no bundler.
// It loads the SDK's built ES module straight from dist/ (run `npm run build`
// in sdk/js once), logs in with the agent's token, watches the agent's phone,
// and enables each button by the state of the agent's calls. With an agent ID
// (a server with the ACD), it also shows the agent's state and changes it:
// log on, ready, not ready with a reason, after-call work, log off; and, for an
// outbound campaign, a preview card (the record's data, dial, skip with a reason)
// and a disposition picker for the campaign call the agent dialled.
import { AgentState, ConnectionState, CtidClient, DeviceWatch } from "../../dist/index.js";

const $ = (selector) => document.querySelector(selector);

/** @type {CtidClient | undefined} */
let client;
/** @type {DeviceWatch | undefined} */
let phone;
/** The calls at the agent's phone, by callID (from DeviceWatch). */
let calls = new Map();
/** Numbers the agent dialled, by callID: the far end until the call's events name it. */
const dialled = new Map();

// Prefill the form from the page's query (?url=...&device=...&agent=...): handy when a CRM embeds the page.
const query = new URLSearchParams(location.search);
for (const field of ["url", "device", "agent"]) if (query.get(field)) $(`#${field}`).value = query.get(field);

$("#login").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("#login-button").disabled = true;
  const device = $("#device").value.trim();
  const agentID = $("#agent").value.trim();
  try {
    client = new CtidClient($("#url").value.trim(), { token: $("#token").value, WebSocket: window.WebSocket });
    client.onStateChange(({ newState, error }) => showStatus(newState, error));
    client.onRestart(() => showError("The connection to ctid was renewed: events in between were lost."));
    client.on("DeliveredEvent", (delivered) => {
      if (delivered.alertingDevice === device) screenPop(delivered);
    });
    // The device monitor brings the agent's previews (docs/protocol.md, campaigns).
    client.on("campaign.preview", (preview) => {
      if (preview.agentID === agentID) showPreview(preview);
    });
    await client.connect();
    phone = await DeviceWatch.start(client, device, { agent: agentID !== "" });
    phone.onChange((current) => {
      calls = current;
      render();
    });
    if (agentID) {
      // The not-ready reasons are the server's [acd] reason_codes: offer exactly those.
      const reasons = await client.agentReasonCodes();
      $("#agent-reason-code").replaceChildren(...reasons.map((reason) => new Option(reason, reason)));
      $("#agent-id").textContent = agentID;
      $("#agent-panel").hidden = false;
      phone.onAgentChange(renderAgent);
    }
    $("#login").hidden = true;
    $("#desk").hidden = false;
    $("#my-device").textContent = device;
  } catch (error) {
    showError(error.message);
    $("#login-button").disabled = false;
  }
});

/** The record on preview now (campaign.preview), and the campaign call to give a disposition. */
let preview;
let campaignCall;

function showPreview(event) {
  preview = event;
  $("#preview-campaign").textContent = event.campaign;
  $("#preview-number").textContent = event.number;
  $("#preview-callback").hidden = !event.callback;
  const rows = Object.entries(event.data).map(([key, value]) => {
    const row = document.createElement("tr");
    row.dataset.key = key;
    for (const text of [key, String(value)]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  $("#preview-data tbody").replaceChildren(...rows);
  $("#preview-reason").value = "";
  $("#preview-card").hidden = false;
}

function showDisposition(call) {
  campaignCall = call;
  $("#disposition-record").textContent = `${call.number} (record ${call.record})`;
  $("#disposition-code").replaceChildren(...call.dispositions.map((code) => new Option(code, code)));
  $("#disposition-saved").hidden = true;
  $("#disposition").hidden = false;
}

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

const STATE_NAMES = {
  [AgentState.LoggedOff]: "logged off",
  [AgentState.NotReady]: "not ready",
  [AgentState.Ready]: "ready",
  [AgentState.Reserved]: "ringing",
  [AgentState.Busy]: "busy",
  [AgentState.WorkingAfterCall]: "after-call work",
};

/** The agent's state, and which state buttons make sense in it. */
function renderAgent(agent) {
  const state = agent?.agentState ?? AgentState.LoggedOff;
  const shown = $("#agent-state");
  shown.dataset.state = state;
  shown.textContent = STATE_NAMES[state] ?? state;
  $("#agent-reason").textContent = agent?.reasonCode ? `(${agent.reasonCode})` : "";
  const pending = $("#agent-pending");
  pending.hidden = !agent?.pendingAgentState;
  pending.querySelector("span").textContent = agent?.pendingAgentState
    ? `${STATE_NAMES[agent.pendingAgentState]}${agent.pendingReasonCode ? ` (${agent.pendingReasonCode})` : ""}`
    : "";
  const on = state !== AgentState.LoggedOff;
  const onCall = state === AgentState.Busy || state === AgentState.Reserved;
  $("#agent-logon").disabled = on;
  // Ready ends after-call work, or cancels a pending state while on a call.
  $("#agent-ready").disabled = !on || state === AgentState.Ready || (onCall && !agent.pendingAgentState);
  $("#agent-not-ready").disabled = !on;
  $("#agent-acw").disabled = !on || state === AgentState.WorkingAfterCall;
  $("#agent-logoff").disabled = !on;
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

$("#preview-dial").addEventListener("click", () => {
  const shown = preview;
  if (!shown) return;
  act(async () => {
    const { callID } = await client.campaignPreviewDial(shown.record);
    dialled.set(callID, shown.number);
    $("#preview-card").hidden = true;
    preview = undefined;
    showDisposition({ callID, record: shown.record, number: shown.number, dispositions: shown.dispositions });
    render();
  });
});
$("#preview-skip").addEventListener("click", () => {
  const shown = preview;
  if (!shown) return;
  act(async () => {
    await client.campaignPreviewSkip(shown.record, $("#preview-reason").value.trim() || "skipped");
    if (preview === shown) {
      $("#preview-card").hidden = true;
      preview = undefined;
    }
  });
});
$("#disposition-set").addEventListener("click", () => {
  const call = campaignCall;
  if (!call) return;
  const code = $("#disposition-code").value;
  act(async () => {
    await client.campaignSetDisposition({ callID: call.callID }, code);
    const saved = $("#disposition-saved");
    saved.querySelector("strong").textContent = code;
    saved.hidden = false;
  });
});

$("#agent-logon").addEventListener("click", () => act(() => phone.logOn($("#agent").value.trim())));
$("#agent-ready").addEventListener("click", () => act(() => phone.ready()));
$("#agent-not-ready").addEventListener("click", () => act(() => phone.notReady($("#agent-reason-code").value)));
$("#agent-acw").addEventListener("click", () => act(() => phone.afterCallWork()));
$("#agent-logoff").addEventListener("click", () => act(() => phone.logOff()));
