// Shared page furniture: safe DOM building, the layout (大字版, logout), time, and ticket views.
import * as api from "./api.js";

// Builds an element; strings become text nodes, so citizen text is never parsed as HTML.
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

// replaceChildren() writes a null child as the text "null"; optional parts are left out here.
export function show(node, ...children) {
  node.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
}

let toastTimer;
export function toast(message, kind = "info") {
  const box = $("#toast");
  box.textContent = message;
  box.className = `toast ${kind}`;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (box.hidden = true), kind === "error" ? 8000 : 4000);
}

export function explain(error) {
  if (error instanceof api.ApiError && error.code === "stale_version") {
    return "工单已被他人更新，请刷新后再操作";
  }
  return error.message || String(error);
}

// A visible note where a service that is not yet installed would be.
export function unavailableNote(what) {
  return el("p", { class: "note", "data-unavailable": "" }, `${what}暂未接入，本功能将在服务上线后自动启用。`);
}

// Alt+<key> shortcuts; the handlers receive the keyboard event.
export function altKeys(bindings) {
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    const handler = bindings[event.key.toLowerCase()] || bindings[event.code];
    if (handler) {
      event.preventDefault();
      handler(event);
    }
  });
}

const LARGE_FONT_KEY = "hotline.largeFont";

function applyLargeFont(on) {
  document.documentElement.classList.toggle("large-font", on);
  $("#large-font")?.setAttribute("aria-pressed", String(on));
}

export function initLayout() {
  applyLargeFont(localStorage.getItem(LARGE_FONT_KEY) === "1");
  const toggle = () => {
    const on = !document.documentElement.classList.contains("large-font");
    localStorage.setItem(LARGE_FONT_KEY, on ? "1" : "0");
    applyLargeFont(on);
  };
  $("#large-font")?.addEventListener("click", toggle);
  altKeys({ l: toggle });
  $("#logout")?.addEventListener("click", async () => {
    await api.logout();
    window.location.assign("/login");
  });
}

export function showLive(connected) {
  const badge = $("#live");
  if (badge) badge.hidden = !connected;
}

// --- time: the centre's clock and zone (base.html's data-time-zone, data-centre-now), never
// the browser's. The API's times without an offset are wall-clock times at the centre.
const pad = (n) => String(n).padStart(2, "0");
const centre = document.documentElement.dataset;
export const CENTRE_TIME_ZONE = centre.timeZone || "Asia/Shanghai";
// The server's clock governs deadlines; a browser whose clock is off still counts by it.
const clockSkew = centre.centreNow ? Date.parse(centre.centreNow) - Date.now() : 0;
export const centreNow = () => Date.now() + clockSkew;

const WALL_CLOCK = new Intl.DateTimeFormat("en-US", {
  timeZone: CENTRE_TIME_ZONE, hourCycle: "h23",
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
});

// The centre's wall clock at an instant: {year, month, day, hour, minute, second}.
function wallClock(instant) {
  const parts = {};
  for (const { type, value } of WALL_CLOCK.formatToParts(instant)) parts[type] = Number(value);
  return parts;
}

// How far the centre's wall clock is ahead of UTC at an instant, in milliseconds.
const offsetAt = (instant) => {
  const p = wallClock(instant);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
};
const HAS_OFFSET = /(?:Z|[+-]\d\d:?\d\d)$/i;

// Milliseconds since the epoch for an API time: with an offset as written; without one, as
// the centre's wall clock (twice, so a daylight-saving change in the zone is found).
export function instantOf(iso) {
  if (!iso) return NaN;
  const text = String(iso).replace(/(\.\d{3})\d+/, "$1");
  if (HAS_OFFSET.test(text)) return Date.parse(text);
  const wall = Date.parse(`${text.length === 10 ? `${text}T00:00:00` : text}Z`);
  if (Number.isNaN(wall)) return NaN;
  return wall - offsetAt(wall - offsetAt(wall));
}

const dateOf = (p) => `${p.year}-${pad(p.month)}-${pad(p.day)}`;

export function formatTime(iso) {
  const instant = instantOf(iso);
  if (Number.isNaN(instant)) return "—";
  const p = wallClock(instant);
  return `${dateOf(p)} ${pad(p.hour)}:${pad(p.minute)}`;
}

// The centre's date today, and a date some days before or after it (YYYY-MM-DD).
export const centreToday = () => dateOf(wallClock(centreNow()));
export function addDays(isoDate, days) {
  const [year, month, day] = isoDate.split("-").map(Number);
  const moved = new Date(Date.UTC(year, month - 1, day + days));
  return `${moved.getUTCFullYear()}-${pad(moved.getUTCMonth() + 1)}-${pad(moved.getUTCDate())}`;
}

export function formatDuration(ms) {
  const minutes = Math.floor(Math.abs(ms) / 60000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days) return `${days}天${hours}小时`;
  return hours ? `${hours}小时${minutes % 60}分` : `${minutes % 60}分`;
}

export function countdown(iso, now = centreNow()) {
  if (!iso) return "";
  const left = instantOf(iso) - now;
  return left >= 0 ? `剩 ${formatDuration(left)}` : `超期 ${formatDuration(left)}`;
}

// The clock that is running: signing while dispatched, then replying; none while the citizen
// is asked for 补正 (the reply clock stands still; it runs on during a 容缺受理).
export function runningDeadline(ticket) {
  if (ticket.supplement_due && !ticket.supplement_tolerated) return null;
  if (ticket.status === "dispatched") return ticket.sign_due;
  if (ticket.status === "accepted") return ticket.reply_due;
  return null;
}

export const FLAG_LABELS = { green: "正常", yellow: "即将超期", red: "已超期" };
export const percent = (rate) => (rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`);

export function flagBadge(flag) {
  return el("span", { class: `flag flag-${flag}`, text: FLAG_LABELS[flag] || flag });
}

export function fillSelect(select, options, { blank } = {}) {
  select.replaceChildren(
    ...(blank ? [el("option", { value: "" }, blank)] : []),
    ...options.map(([value, label]) => el("option", { value }, label)),
  );
}

// --- names: people read names, not codes. Staff pages load the directory once, before they
// render (await loadNames()); then departmentName() and divisionName() answer at once.
const departmentsByCode = new Map();
const divisionsByCode = new Map();
let namesLoaded;
export function loadNames() {
  namesLoaded ??= Promise.all([api.departments(), api.divisions()].map((list) => list.catch(() => [])))
    .then(([departments, divisions]) => {
      for (const d of departments) departmentsByCode.set(d.code, d);
      for (const d of divisions) divisionsByCode.set(d.code, d);
    });
  return namesLoaded;
}
// The name, with the code after it for those who work with codes; the code alone if unknown.
export function departmentName(code) {
  if (!code) return "—";
  const found = departmentsByCode.get(code);
  return found ? `${found.name}（${code}）` : code;
}
export const divisionName = (code) => (code ? divisionsByCode.get(code)?.name ?? code : "—");
export async function departmentOptions() {
  await loadNames();
  return [...departmentsByCode.values()].filter((d) => d.active).map((d) => [d.code, departmentName(d.code)]);
}

// --- a ticket, read-only
const HISTORY_LABELS = {
  create: "登记", dispatch: "派单", "close-direct": "直接办结", accept: "签收", return: "退单",
  "rule-return": "退单裁定", "request-extension": "申请延期", "decide-extension": "延期审批",
  reply: "办理回复", assist: "协办意见", revisit: "回访", rate: "评价", close: "办结",
  reopen: "重办", merge: "合并", withdraw: "撤件", supervise: "督办", remind: "催办",
  rectify: "差评整改", "request-supplement": "补正告知", supplement: "群众补正", "supplement-lapsed": "逾期未补正",
};

// A ticket waiting for the citizen's 补正, as a queue line says it.
export const waitingForCitizen = (t) =>
  t.supplement_due
    ? el("span", { class: "reason" }, `${t.supplement_tolerated ? "容缺受理，待补齐材料" : "待群众补正"} · 限 ${formatTime(t.supplement_due)}`)
    : null;

const SUPPLEMENT_OUTCOMES = {
  supplied: "已补正", lapsed: "逾期未补", replied: "未等补正即回复", returned: "退单", withdrawn: "撤件", merged: "合并",
};

function field(label, value) {
  return [el("dt", {}, label), el("dd", {}, value ?? "—")];
}

export function ticketHeader(ticket) {
  return el(
    "div",
    { class: "ticket-head" },
    el("strong", { class: "number" }, ticket.number),
    el("span", { class: `status status-${ticket.status}` }, ticket.status_label),
    el("span", { class: "tag" }, ticket.type),
    ticket.urgency === "紧急" ? el("span", { class: "tag urgent" }, "紧急") : null,
    ticket.supervised ? el("span", { class: "tag supervised" }, "督办") : null,
    ticket.rectification_open ? el("span", { class: "tag bad" }, "差评整改") : null,
    ticket.supplement_due ? el("span", { class: "tag waiting" }, ticket.supplement_tolerated ? "容缺受理" : "待补正") : null,
    runningDeadline(ticket) ? flagBadge(ticket.sla_flag) : null,
  );
}

export function ticketDetail(ticket) {
  const dl = el(
    "dl",
    { class: "facts" },
    field("诉求内容", el("span", { class: "content" }, ticket.content)),
    field("市民", `${ticket.citizen_name || "（未留姓名）"} ${ticket.citizen_phone}${ticket.real_name ? " · 实名" : ""}`),
    field("地址", ticket.address || "—"),
    field("区县", divisionName(ticket.division)),
    field("承办单位", departmentName(ticket.department)),
    field("签收时限", formatTime(ticket.sign_due)),
    field("办结时限", formatTime(ticket.reply_due)),
  );
  if (ticket.suggested_department) {
    dl.append(...field("系统建议", departmentName(ticket.suggested_department)));
  }
  if (ticket.chosen_department) dl.append(...field("接线员选择", departmentName(ticket.chosen_department)));
  if (ticket.extension_pending_days) dl.append(...field("延期申请", `${ticket.extension_pending_days} 个工作日`));
  if (ticket.rating) dl.append(...field("评价", `${ticket.rating}${ticket.solved === false ? " · 未解决" : ""}`));
  if (ticket.rectification_due) dl.append(...field("整改时限", formatTime(ticket.rectification_due)));
  if (ticket.supplement_due) {
    dl.append(...field(ticket.supplement_tolerated ? "补齐材料时限" : "补正时限",
      `${formatTime(ticket.supplement_due)}（${ticket.supplement_tolerated ? "办理时限照常计算，逾期未补齐视为撤回申请" : "办理时限暂停计算"}）`));
  }
  const parts = [dl];
  if (ticket.supplements?.length) {
    parts.push(el("h4", {}, "补正告知"), el("ul", { class: "supplements" }, ticket.supplements.map((s) =>
      el("li", {}, `${formatTime(s.requested_at)} ${departmentName(s.department)} ${s.tolerated ? "容缺受理" : "一次性告知"}（限 ${formatTime(s.due)}）：`,
        el("ol", {}, s.items.map((item) => el("li", {}, item))),
        s.note ? el("div", { class: "muted" }, s.note) : null,
        s.commitment ? el("div", { class: "muted" }, `申请人书面承诺：${s.commitment}`) : null,
        el("div", {}, s.outcome ? `${SUPPLEMENT_OUTCOMES[s.outcome] || s.outcome}${s.content ? `：${s.content}` : ""}` : "等待群众补正")))));
  }
  if (ticket.revisit_plan) parts.push(...revisitPlan(ticket.revisit_plan));
  if (ticket.returns?.length) {
    parts.push(
      el("h4", {}, "退单记录"),
      el("ul", { class: "returns" }, ticket.returns.map((r) =>
        el("li", {}, `${formatTime(r.returned_at)} ${departmentName(r.department)}「${r.category}」${r.reason}`,
          r.ruling ? ` → ${r.ruling === "insist" ? "强派" : "同意改派"}${r.improper ? "（不当退单）" : ""}` : " → 待裁定"))),
    );
  }
  if (ticket.supervisions?.length) {
    parts.push(el("h4", {}, "督办"), el("ul", {}, ticket.supervisions.map((s) =>
      el("li", {}, `${formatTime(s.issued_at)} ${s.kind === "remind" ? "催办" : "督办"}：${s.reason || ""}${s.due ? `（限 ${formatTime(s.due)}）` : ""}`))));
  }
  if (ticket.history?.length) {
    parts.push(el("h4", {}, "办理过程"), el("ol", { class: "history" }, ticket.history.map((h) =>
      el("li", {}, el("time", {}, formatTime(h.at)), ` ${HISTORY_LABELS[h.action] || h.action} · ${h.actor}${h.department ? ` · ${departmentName(h.department)}` : ""}`,
        historyNote(h.data)))));
  }
  return el("div", { class: "ticket-detail" }, parts);
}

// 回访计划: the channel and why, the window, the attempts left and how each attempt ended.
function revisitPlan(plan) {
  const texts = plan.handled_by === "sms";
  const nextStep = plan.status === "sent" ? "链接有效至" : texts ? "下次发送" : "下次外呼";
  const facts = el(
    "dl",
    { class: "facts" },
    field("回访渠道", `${plan.channel_label} · ${plan.status_label}`),
    field("时间窗", `${formatTime(plan.earliest)} 至 ${formatTime(plan.latest)}`),
    field("剩余次数", plan.handled_by === "operator" ? "—" : `${plan.attempts_left} 次${plan.next_at ? `（${nextStep} ${formatTime(plan.next_at)}）` : ""}`),
  );
  const reasons = el("ul", { class: "revisit-reasons" }, plan.reasons.map((r) =>
    el("li", {}, el("time", {}, formatTime(r.at)), ` ${r.text}`)));
  const attempts = plan.attempts.length
    ? el("ol", { class: "revisit-attempts" }, plan.attempts.map((a) =>
      el("li", {}, `第 ${a.number} 次 ${formatTime(a.claimed_at)}：${a.outcome_label}`,
        a.satisfaction ? `（${a.channel === "sms" ? "链接评价" : "按键"} ${a.satisfaction}${a.solved === null ? "" : a.solved ? "，已解决" : "，未解决"}）` : "")))
    : el("p", { class: "muted" }, texts ? "尚未发送" : "尚未外呼");
  return [el("h4", {}, "回访计划"), facts, el("h5", {}, "原因"), reasons, el("h5", {}, "每次尝试"), attempts];
}

function historyNote(data) {
  const text = data && (data.reason || data.content || data.answer || data.note || (data.department && departmentName(data.department)));
  return text ? el("div", { class: "muted" }, String(text)) : null;
}

// --- actions: buttons driven by ticket.actions, each with its small inline form
const RATINGS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"].map((r) => [r, r]);
const YES_NO = [["true", "是"], ["false", "否"]];
export const ACTION_FORMS = {
  dispatch: { label: "派单", fields: [{ name: "department", label: "承办单位", type: "department" }] },
  "close-direct": { label: "直接办结", fields: [{ name: "answer", label: "答复内容", type: "textarea" }] },
  accept: { label: "签收", fields: [] },
  return: {
    label: "退单",
    fields: [
      { name: "category", label: "退单类别", type: "select", options: [["职能不符", "职能不符"], ["属地不符", "属地不符"], ["权属不清", "权属不清"]] },
      { name: "reason", label: "退单理由", type: "textarea" },
    ],
  },
  "rule-return": {
    label: "退单裁定",
    fields: [
      { name: "decision", label: "裁定", type: "select", options: [["redispatch", "同意退单，改派"], ["insist", "退单不当，强派原单位"]] },
      { name: "department", label: "改派单位（同意时）", type: "department", optional: true },
    ],
  },
  "request-extension": {
    label: "申请延期",
    fields: [
      { name: "days", label: "延期工作日", type: "number" },
      { name: "reason", label: "延期理由", type: "textarea" },
    ],
  },
  "decide-extension": {
    label: "延期审批",
    fields: [
      { name: "approved", label: "是否批准", type: "boolean", options: [["true", "批准"], ["false", "不批准"]] },
      { name: "days", label: "批准工作日（可少于申请）", type: "number", optional: true },
    ],
  },
  "request-supplement": {
    label: "补正告知",
    fields: [
      { name: "tolerated", label: "方式", type: "boolean", options: [["false", "补正：暂停办理时限，待群众补正"], ["true", "容缺受理：先予办理，限期补齐材料"]] },
      { name: "items", label: "需补正的全部内容（每行一项，一次告知完整）", type: "lines" },
      { name: "days", label: "补正期限（工作日，默认 5）", type: "number", optional: true },
      { name: "commitment", label: "申请人书面承诺（容缺受理时必填）", type: "text", optional: true },
      { name: "note", label: "说明", type: "text", optional: true },
    ],
  },
  supplement: { label: "登记补正", fields: [{ name: "content", label: "群众补正的内容", type: "textarea" }] },
  reply: { label: "办理回复", fields: [{ name: "content", label: "办理结果", type: "textarea" }] },
  assist: { label: "协办意见", fields: [{ name: "content", label: "协办意见", type: "textarea" }] },
  revisit: {
    label: "回访",
    fields: [
      { name: "rating", label: "满意度", type: "select", options: RATINGS },
      { name: "solved", label: "诉求是否解决", type: "boolean", options: YES_NO },
      { name: "note", label: "回访记录", type: "textarea", optional: true },
    ],
  },
  rate: {
    label: "补录评价",
    fields: [
      { name: "rating", label: "满意度", type: "select", options: RATINGS },
      { name: "solved", label: "诉求是否解决", type: "boolean", options: YES_NO },
    ],
  },
  close: { label: "办结", fields: [] },
  reopen: { label: "重办", fields: [{ name: "reason", label: "重办理由", type: "textarea" }] },
  merge: { label: "合并", fields: [{ name: "into", label: "并入主工单号", type: "ticket" }] },
  withdraw: { label: "撤件", fields: [{ name: "reason", label: "撤件理由", type: "textarea" }] },
  supervise: {
    label: "督办",
    fields: [
      { name: "reason", label: "督办意见", type: "textarea" },
      { name: "days", label: "限期工作日", type: "number", optional: true },
    ],
  },
  remind: { label: "催办", fields: [{ name: "note", label: "催办说明", type: "text", optional: true }] },
  rectify: {
    label: "差评整改",
    fields: [
      { name: "verification", label: "核实情况", type: "textarea" },
      { name: "rectification", label: "整改措施", type: "textarea" },
      { name: "feedback", label: "向群众反馈情况", type: "textarea" },
    ],
  },
};

async function input(spec, ticket) {
  const attrs = { name: spec.name, required: !spec.optional };
  if (spec.type === "textarea") return el("textarea", { ...attrs, rows: 3 });
  if (spec.type === "lines") return el("textarea", { ...attrs, rows: 5 });
  if (spec.type === "number") return el("input", { ...attrs, type: "number", min: 1, max: 60 });
  if (spec.type === "text" || spec.type === "ticket") return el("input", attrs);
  const select = el("select", attrs);
  if (spec.type === "department") {
    fillSelect(select, await departmentOptions(), { blank: spec.optional ? "（不改派）" : "请选择" });
    select.value = ticket.chosen_department || ticket.suggested_department || "";
  } else {
    fillSelect(select, spec.options);
  }
  return select;
}

async function readForm(form, specs) {
  const params = {};
  for (const spec of specs) {
    const raw = form.elements[spec.name].value.trim();
    if (!raw && spec.optional) continue;
    if (spec.type === "number") params[spec.name] = Number(raw);
    else if (spec.type === "lines") params[spec.name] = raw.split("\n").map((line) => line.trim()).filter(Boolean);
    else if (spec.type === "boolean") params[spec.name] = raw === "true";
    else if (spec.type === "ticket") params[spec.name] = await ticketIdByNumber(raw);
    else params[spec.name] = raw;
  }
  return params;
}

async function ticketIdByNumber(number) {
  const found = (await api.listTickets({ q: number, page_size: 5 })).items.find((t) => t.number === number);
  if (!found) throw new Error(`没有找到工单 ${number}`);
  return found.id;
}

// The buttons for the actions this user may take now (only those in `wanted`), with forms.
export function actionBar(ticket, wanted, onDone) {
  const bar = el("div", { class: "actions" });
  const formSlot = el("div", { class: "action-form" });
  for (const action of ticket.actions.filter((a) => wanted.includes(a))) {
    const spec = ACTION_FORMS[action];
    bar.append(el("button", {
      type: "button",
      class: action === "accept" || action === "dispatch" ? "primary" : "",
      "data-action": action,
      onclick: () => (spec.fields.length ? openForm(ticket, action, formSlot, onDone) : perform(ticket, action, {}, onDone)),
    }, spec.label));
  }
  return el("div", {}, bar, formSlot);
}

async function perform(ticket, action, params, onDone) {
  try {
    const updated = await api.act(ticket.id, action, { ...params, version: ticket.version });
    toast(`${ACTION_FORMS[action].label}成功：${updated.number} ${updated.status_label}`, "ok");
    onDone(updated);
  } catch (error) {
    toast(explain(error), "error");
  }
}

async function openForm(ticket, action, slot, onDone) {
  const spec = ACTION_FORMS[action];
  const form = el("form", { class: "inline-form", "data-form": action });
  for (const f of spec.fields) form.append(el("label", {}, f.label, await input(f, ticket)));
  form.append(el("div", { class: "row" },
    el("button", { type: "submit", class: "primary" }, `确认${spec.label}`),
    el("button", { type: "button", onclick: () => slot.replaceChildren() }, "取消")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let params;
    try {
      params = await readForm(form, spec.fields);
    } catch (error) {
      toast(explain(error), "error");
      return;
    }
    await perform(ticket, action, params, onDone);
  });
  slot.replaceChildren(form);
  form.querySelector("input, select, textarea")?.focus();
}

// J/K moves through a list of buttons (the queue), Enter opens the focused one.
export function listKeys(listSelector) {
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, textarea, select")) return;
    const step = { j: 1, k: -1 }[event.key];
    if (!step) return;
    const items = [...document.querySelectorAll(`${listSelector} button.item`)];
    if (!items.length) return;
    const at = items.indexOf(document.activeElement);
    items[Math.max(0, Math.min(items.length - 1, at + step))].focus();
  });
}

// A queue item: a button showing one ticket line, its countdown and flag.
export function queueItem(ticket, onOpen, extra = null) {
  const deadline = runningDeadline(ticket);
  return el("li", {}, el("button", { type: "button", class: `item flag-edge-${ticket.sla_flag}`, "data-ticket": ticket.number, onclick: () => onOpen(ticket.id) },
    el("span", { class: "line" }, el("strong", {}, ticket.number), " ", ticket.type ? el("span", { class: "tag" }, ticket.type) : null,
      ticket.urgency === "紧急" ? el("span", { class: "tag urgent" }, "紧急") : null,
      deadline ? el("span", { class: "countdown", "data-due": deadline }, countdown(deadline)) : null,
      deadline ? flagBadge(ticket.sla_flag) : null),
    el("span", { class: "summary" }, ticket.content),
    extra));
}

// For async loads that race (a click and a live refresh): only the newest may render.
// Each call returns a check that stays true until the next call.
export function newestOnly() {
  let latest = 0;
  return () => {
    const mine = ++latest;
    return () => mine === latest;
  };
}

// Keeps every countdown on the page current.
export function tickCountdowns() {
  setInterval(() => {
    for (const node of document.querySelectorAll("[data-due]")) node.textContent = countdown(node.dataset.due);
  }, 30000);
}
