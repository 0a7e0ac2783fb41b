// A contact-centre wallboard on ctid, in plain JavaScript: no framework, no
// bundler. It loads the SDK's built ES module from dist/ (run `npm run build`
// in sdk/js once), logs in with a supervisor's (or an admin's) token, and shows
// every queue the token may see: callers waiting, the longest wait, today's
// service level and counts, and the agents by state, live from `queue.figures`
// and the agent events. A supervisor limited to some queues sees only those.
//
// It takes snapshots once (queue.list, queue.snapshot, agent.list,
// agent.snapshot), then monitors each queue ({queueObject}: its figures and its
// members' agent events). Between events it only ticks the clocks: the longest
// wait and each agent's time in state grow by the second on the page.
import { CtidClient, isAgentEvent } from "../../dist/index.js";

const $ = (selector) => document.querySelector(selector);

/** @type {CtidClient | undefined} */
let client;
/** Queue name -> { figures, serviceLevelSeconds, number, at } (at: when longestWait was measured, ms). */
const queues = new Map();
/** Agent id -> the agent's snapshot, as the last event or snapshot had it. */
const agents = new Map();

// Prefill the form from the page's query (?url=...&encoding=msgpack): handy on a wall screen.
const query = new URLSearchParams(location.search);
for (const field of ["url", "encoding"]) {
  const value = query.get(field);
  if (value) $(`#${field}`).value = value;
}

$("#login").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("#login-button").disabled = true;
  showError("");
  try {
    await start($("#url").value.trim(), $("#token").value, $("#encoding").value);
    $("#login").hidden = true;
    $("#board").hidden = false;
  } catch (error) {
    showError(error);
    await client?.close();
    client = undefined;
    $("#login-button").disabled = false;
  }
});

async function start(url, token, encoding) {
  client = new CtidClient(url, { token, encoding });
  client.onStateChange(({ newState }) => {
    const status = $("#status");
    status.dataset.state = newState;
    status.textContent = newState === "connected" ? `connected (${client.encoding})` : newState;
  });
  client.on("queue.figures", (event) => {
    const queue = queues.get(event.queue);
    if (queue === undefined) return;
    queue.figures = event;
    queue.at = Date.parse(event.timestamp);
    render();
  });
  client.on("*", (event) => {
    if (!isAgentEvent(event)) return;
    agents.set(event.agentID, event);
    render();
  });
  // After a takeover or a lost session the SDK logs in again and restarts the
  // monitors; events were missed, so take the snapshots again.
  client.onRestart(() => void load().catch(showError));
  await client.connect();
  await load();
  for (const name of queues.keys()) await client.monitorStart({ queueObject: name });
  render();
  setInterval(render, 1000);
}

/** Snapshots of every queue and agent the token may see. */
async function load() {
  const now = Date.now();
  const listed = await client.queueList();
  const snapshots = await Promise.all(listed.map((queue) => client.queueSnapshot(queue.queue)));
  queues.clear();
  for (const snapshot of snapshots) {
    queues.set(snapshot.queue, { figures: snapshot, serviceLevelSeconds: snapshot.serviceLevelSeconds, number: snapshot.number, at: now });
  }
  const people = await client.agentList();
  const details = await Promise.all(people.map((agent) => client.agentSnapshot(agent.agentID)));
  agents.clear();
  for (const agent of details) agents.set(agent.agentID, agent);
  render();
}

/** Seconds as m:ss, or h:mm:ss from an hour. */
function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** The longest wait now: the figure grows by the time since it was measured while callers wait. */
function longestWaitNow(queue, now) {
  const { waiting, longestWait } = queue.figures;
  return waiting > 0 ? longestWait + (now - queue.at) / 1000 : 0;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function chips(td, byState) {
  for (const [state, count] of Object.entries(byState)) {
    if (!count) continue;
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.dataset.state = state;
    chip.textContent = `${count} ${state}`;
    td.append(chip);
  }
}

function render() {
  const now = Date.now();
  $("#clock").textContent = new Date(now).toLocaleTimeString();

  const body = $("#queues tbody");
  body.replaceChildren();
  let waiting = 0;
  let longest = 0;
  let answered = 0;
  let abandoned = 0;
  for (const [name, queue] of [...queues].sort(([a], [b]) => a.localeCompare(b))) {
    const f = queue.figures;
    const wait = longestWaitNow(queue, now);
    waiting += f.waiting;
    longest = Math.max(longest, wait);
    answered += f.answeredToday;
    abandoned += f.abandonedToday;
    const row = body.insertRow();
    row.dataset.queue = name;
    row.dataset.alarm = String(f.waiting > 0 && f.allBusy);
    cell(row, queue.number ? `${name} (${queue.number})` : name, "name");
    cell(row, String(f.waiting), "n waiting");
    cell(row, duration(wait), "n longest");
    const level = cell(row, `${Math.round(f.serviceLevelToday * 100)}%`, "n service-level");
    level.dataset.low = String(f.serviceLevelToday < 0.8);
    level.title = `answered within ${queue.serviceLevelSeconds} s`;
    cell(row, String(f.offeredToday), "n offered");
    cell(row, String(f.answeredToday), "n answered");
    cell(row, String(f.abandonedToday), "n abandoned");
    chips(cell(row, "", "by-state"), f.agentsByState);
  }
  $("#total-waiting").textContent = String(waiting);
  $("#total-longest").textContent = duration(longest);
  $("#total-answered").textContent = String(answered);
  $("#total-abandoned").textContent = String(abandoned);

  const table = $("#agents tbody");
  table.replaceChildren();
  const counts = {};
  for (const agent of [...agents.values()].sort((a, b) => a.agentID.localeCompare(b.agentID))) {
    counts[agent.agentState] = (counts[agent.agentState] ?? 0) + 1;
    const row = table.insertRow();
    row.dataset.agentId = agent.agentID;
    cell(row, `${agent.agentName} (${agent.agentID})`, "name");
    const state = cell(row, agent.reasonCode ? `${agent.agentState} (${agent.reasonCode})` : agent.agentState, "state");
    state.dataset.state = agent.agentState;
    cell(row, agent.agentState === "loggedOff" ? "" : duration((now - Date.parse(agent.since)) / 1000), "n since");
    cell(row, agent.agentDevice ?? "", "device");
  }
  const summary = $("#agent-counts");
  summary.replaceChildren();
  chips(summary, counts);
}

function showError(error) {
  const text = error instanceof Error ? error.message : String(error);
  $("#error").textContent = text;
}
