// The wallboard (大屏): one summary (GET /api/wallboard), asked again whenever the live stream
// says something changed, and every few seconds for the waits and the clock. Every figure is an
// element with data-figure="<key>", its text the API's value as formatted here, so the browser
// suite can hold each one against the API's answer.
import { $, CENTRE_TIME_ZONE, centreNow, el } from "./ui.js";

const REFRESH_MS = 5000; // the longest wait grows by itself: ask again at least this often
const SETTLE_MS = 500; // a burst of events makes one request
const SHADES = 5;

const FORMATS = {
  count: (value) => (value === null || value === undefined ? "—" : String(value)),
  seconds: (value) => (value === null || value === undefined ? "—" : String(Math.round(value))),
  percent: (value) => (value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`),
};

// The figures of a summary by key; keys of list items carry their code.
function figuresOf(s) {
  const figures = {
    "queue.waiting": s.queue.waiting,
    "queue.longest_wait_seconds": s.queue.longest_wait_seconds,
    "calls.service_level_15s": s.calls.service_level_15s,
    "calls.standard": s.calls.standard,
    "calls.offered": s.calls.offered,
    "calls.answered": s.calls.answered,
    "calls.abandoned": s.calls.abandoned,
    "agents.idle": s.agents.idle,
    "agents.on_call": s.agents.on_call,
    "agents.paused": s.agents.paused,
    "agents.offline": s.agents.offline,
    "tickets.total": s.tickets.total,
    "deadlines.overdue": s.deadlines.overdue,
    "deadlines.due_soon": s.deadlines.due_soon,
  };
  for (const c of s.tickets.by_channel) figures[`tickets.by_channel.${c.channel}`] = c.count;
  for (const c of s.tickets.by_status) figures[`tickets.by_status.${c.status}`] = c.count;
  for (const d of s.tickets.by_division) figures[`tickets.by_division.${d.code}`] = d.count;
  for (const d of s.deadlines.worst_departments) {
    figures[`deadlines.worst.${d.code ?? "none"}.overdue`] = d.overdue;
    figures[`deadlines.worst.${d.code ?? "none"}.due_soon`] = d.due_soon;
  }
  for (const e of s.emergencies) figures[`emergencies.${e.code}`] = e.count;
  for (const [reason, count] of Object.entries(s.agents.pause_reasons)) figures[`agents.pause_reasons.${reason}`] = count;
  for (const h of s.hot_topics) figures[`hot_topics.${h.alert_id}`] = h.ticket_count;
  return figures;
}

// ok / warn / alarm by the thresholds the summary carries.
function levels(s) {
  const t = s.thresholds;
  const above = (value, warn, alarm) => (value === null ? "" : value >= alarm ? "alarm" : value >= warn ? "warn" : "ok");
  const rate = s.calls.service_level_15s;
  return {
    "queue.waiting": above(s.queue.waiting, t.waiting_warn, t.waiting_alarm),
    "queue.longest_wait_seconds": above(s.queue.longest_wait_seconds, t.longest_wait_warn, t.longest_wait_alarm),
    "calls.service_level_15s": rate === null ? "" : rate >= s.calls.standard ? "ok" : "alarm",
    "calls.abandoned": above(s.calls.abandonment_rate, t.abandonment_warn, t.abandonment_alarm),
    "deadlines.overdue": s.deadlines.overdue ? "alarm" : "ok",
    "deadlines.due_soon": s.deadlines.due_soon ? "warn" : "ok",
  };
}

const figure = (key, format, value, label) =>
  el("li", {}, el("span", { class: "wb-label" }, label), " ",
    el("strong", { "data-figure": key, "data-format": format }, FORMATS[format](value)));

function fillLists(s) {
  $("#wb-channels").replaceChildren(...s.tickets.by_channel.map((c) =>
    figure(`tickets.by_channel.${c.channel}`, "count", c.count, c.label)));
  $("#wb-statuses").replaceChildren(...(s.tickets.by_status.length
    ? s.tickets.by_status.map((c) => figure(`tickets.by_status.${c.status}`, "count", c.count, c.label))
    : [el("li", { class: "wb-muted" }, "今日暂无工单")]));
  $("#wb-worst").replaceChildren(...(s.deadlines.worst_departments.length
    ? s.deadlines.worst_departments.map((d) => el("li", {},
      el("span", { class: "wb-label" }, d.name), " 超期 ",
      el("strong", { class: "red", "data-figure": `deadlines.worst.${d.code ?? "none"}.overdue`, "data-format": "count" }, String(d.overdue)),
      " 即将 ",
      el("strong", { class: "yellow", "data-figure": `deadlines.worst.${d.code ?? "none"}.due_soon`, "data-format": "count" }, String(d.due_soon))))
    : [el("li", { class: "wb-muted" }, "无超期、即将超期工单")]));
  $("#wb-emergencies").replaceChildren(...s.emergencies.map((e) =>
    figure(`emergencies.${e.code}`, "count", e.count, `${e.code} ${e.name}`)));
  const reasons = Object.entries(s.agents.pause_reasons);
  $("#wb-pause-reasons").replaceChildren(...reasons.map(([reason, count]) =>
    figure(`agents.pause_reasons.${reason}`, "count", count, `示忙：${reason}`)));
  $("#wb-hot").replaceChildren(...(s.hot_topics.length
    ? s.hot_topics.map((h) => figure(`hot_topics.${h.alert_id}`, "count", h.ticket_count,
      `${h.place || ""} ${[].concat(h.keywords || []).join("、")}`.trim() || "热点"))
    : [el("li", { class: "wb-muted" }, "暂无热点")]));
}

let mapReady = null;
function shadeMap(s) {
  mapReady ??= fetch("/static/img/divisions.svg").then((r) => r.text()).then((svg) => {
    const map = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
    $("#wb-map").replaceChildren(document.importNode(map, true));
  });
  return mapReady.then(() => {
    const most = Math.max(1, ...s.tickets.by_division.map((d) => d.count));
    for (const d of s.tickets.by_division) {
      const tile = $(`#wb-map [data-division="${d.code}"]`);
      if (!tile) continue;
      const shade = d.count ? Math.min(SHADES - 1, 1 + Math.floor(((SHADES - 1) * (d.count - 1)) / most)) : 0;
      tile.setAttribute("class", `division shade-${shade}`);
      const count = tile.querySelector(".division-count");
      count.textContent = String(d.count);
      count.setAttribute("data-figure", `tickets.by_division.${d.code}`);
      count.setAttribute("data-format", "count");
    }
  });
}

function setStatus(text, live) {
  const badge = $("#wb-live");
  badge.textContent = text;
  badge.dataset.live = String(live);
}

async function show(s) {
  fillLists(s);
  await shadeMap(s);
  const figures = figuresOf(s);
  const level = levels(s);
  for (const node of document.querySelectorAll("main [data-figure]")) {
    const key = node.dataset.figure;
    node.textContent = FORMATS[node.dataset.format](figures[key]);
    if (key in level) node.dataset.level = level[key];
  }
  // Operators' states come from this worker's AMI bridge (docs/deploy.md "The wallboard").
  $("#wb-no-switchboard").hidden = s.agents.telephony && s.agents.connected;
  $("#wb-day").textContent = s.day;
  const board = $("#wallboard");
  board.dataset.asOf = s.now;
  board.setAttribute("aria-busy", "false");
}

let stream = null;
let stopped = false;
function stop(message) {
  stopped = true;
  stream?.close();
  setStatus(message, false);
  $("#wallboard").dataset.refused = "true";
}

let pending = null;
async function refresh() {
  if (stopped) return;
  try {
    const response = await fetch("/api/wallboard", { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (response.status === 401 || response.status === 403) {
      stop("已停用：请重新登录或向管理员申请大屏令牌");
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    await show(await response.json());
  } catch {
    setStatus("● 数据暂不可用，稍后重试", false);
  }
}
function refreshSoon() {
  if (pending) return;
  pending = setTimeout(() => {
    pending = null;
    refresh();
  }, SETTLE_MS);
}

const CLOCK = new Intl.DateTimeFormat("zh-CN", { timeZone: CENTRE_TIME_ZONE, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
setInterval(() => { $("#wb-clock").textContent = CLOCK.format(centreNow()); }, 1000);
$("#wb-clock").textContent = CLOCK.format(centreNow());

stream = new EventSource("/api/wallboard/stream");
stream.onopen = () => setStatus("● 实时", true);
stream.onerror = () => !stopped && setStatus("○ 重新连接中", false);
stream.addEventListener("changed", refreshSoon);
stream.addEventListener("revoked", () => stop("已停用：大屏令牌已被收回"));
setInterval(refresh, REFRESH_MS);
refresh();
