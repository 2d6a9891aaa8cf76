// Operator console: the call, its transcript and routing suggestion, one-key transfers, intake.
import * as api from "./api.js";
import {
  $, actionBar, altKeys, departmentOptions, divisionName, el, explain, fillSelect, formatTime,
  initLayout, loadNames, newestOnly, queueItem, show, showLive, ticketDetail, ticketHeader, toast, unavailableNote,
} from "./ui.js";

initLayout();
await loadNames();

const form = $("#ticket-form");
let currentCall = null;
let chosenKnowledge = null;
let paused = false;
let signedIn = null;  // in the queue? null: not known (no switchboard connection here)

// ---------------------------------------------------------------- agent status (签入, 示忙/示闲)
function showAgentState(reason) {
  const out = signedIn === false;
  $("#agent-state").textContent = out ? "未签入" : paused ? `示忙 · ${reason}` : "示闲";
  $("#agent-state").classList.toggle("paused", paused || out);
  $("#agent-toggle").textContent = paused ? "示闲" : "示忙";
  $("#agent-toggle").disabled = out;
  $("#queue-toggle").hidden = signedIn === null;
  $("#queue-toggle").textContent = out ? "签入队列" : "签出队列";
}

async function toggleAgentStatus() {
  const next = !paused;
  const reason = $("#pause-reason").value;
  try {
    await api.setAgentStatus(next, next ? reason : "");
    $("#agent-note").replaceChildren();
  } catch (error) {
    if (!api.isUnavailable(error)) return toast(explain(error), "error");
    $("#agent-note").replaceChildren(unavailableNote("坐席状态服务（队列示忙）"));
  }
  paused = next;
  showAgentState(reason);
}
$("#agent-toggle").addEventListener("click", toggleAgentStatus);

// 签入/签出: the softphone joins or leaves the queue (where members are dynamic, as in
// deploy/asterisk/queues.conf, an operator signs in before 示忙/示闲 means anything).
async function toggleQueue() {
  try {
    await (signedIn ? api.queueLogout() : api.queueLogin());
  } catch (error) {
    return toast(explain(error), "error");
  }
  signedIn = !signedIn;
  paused = false;
  showAgentState("");
  toast(signedIn ? "已签入队列" : "已签出队列", "ok");
}
$("#queue-toggle").addEventListener("click", toggleQueue);

// What the switchboard last reported for this softphone (after a reload, the truth).
async function loadAgentState() {
  try {
    const state = await api.myQueueState();
    paused = Boolean(state.paused);
    signedIn = state.logged_in ?? null;
    showAgentState(state.pause_reason || "");
  } catch (error) {
    if (!api.isUnavailable(error)) throw error;
  }
}

// ---------------------------------------------------------------- the call
// The server sends this console only the calls its softphone answered. A call pops into the
// form only while the form is untouched; otherwise it waits in the 新来电 notice until the
// operator takes it, so a call never overwrites what is being typed (docs/pages.md).
let formTouched = false;
let waitingCall = null;
form.addEventListener("input", () => (formTouched = true));

const CALL_STATES = { ringing: "振铃", queued: "排队中", answered: "通话中", abandoned: "已放弃", ended: "已结束" };

function showCall(call) {
  currentCall = call;
  const transfers = (call.transfers || []).map((t) =>
    el("li", {}, `转接 ${targetLabel(t.target)}（${t.mode === "attended" ? "三方" : "直接"}）：${TRANSFER_RESULTS[t.result] || "进行中"}`));
  show($("#call-info"),
    el("p", {}, el("strong", { id: "caller", "data-call-id": call.id }, call.caller || "未知号码"), ` · ${CALL_STATES[call.state] || call.state}`),
    call.wait_seconds !== undefined && call.wait_seconds !== null ? el("p", { class: "muted" }, `排队等待 ${Math.round(call.wait_seconds)} 秒`) : null,
    call.revisit_ticket ? revisitPop(call.revisit_ticket) : null,
    transfers.length ? el("ul", {}, transfers) : null,
  );
}

// A citizen who pressed 0 in an automated revisit call: the call is about that ticket, so
// the pop opens it (with its 回访计划) in 待回访 rather than offering a new ticket.
function revisitPop(ticket) {
  const open = () => {
    openRevisit(ticket.id);
    $("#revisit-detail").scrollIntoView({ block: "nearest" });
  };
  return el("p", { id: "revisit-pop", class: "revisit-pop" }, `回访转人工：工单 ${ticket.number}`,
    ticket.id ? el("button", { type: "button", id: "open-revisit-ticket", onclick: open }, "打开工单与回访计划") : null);
}
const TRANSFER_RESULTS = { success: "转接成功", busy: "对方忙", no_answer: "无人接听", failed: "转接失败" };

// Taking a call: its full number (an audited read, allowed to the operator who answered it)
// goes into 来电号码, and the caller's history is shown; a revisit call's ticket opens in 待回访
// instead.
async function takeCall(call) {
  waitingCall = null;
  $("#incoming").hidden = true;
  showCall(call);
  const revisit = call.revisit_ticket;
  if (revisit?.id) openRevisit(revisit.id);
  else if (!revisit) loadTranscript(call);
  let caller;
  try {
    caller = (await api.callCaller(call.id)).caller;
  } catch (error) {
    return toast(explain(error), "error");
  }
  if (currentCall?.id !== call.id) return;  // another call was taken meanwhile
  currentCall = { ...currentCall, caller };
  $("#caller").textContent = caller;
  if (revisit) return;  // about a ticket already filed: the form is left as it is
  $("#citizen-phone").value = caller;
  formTouched = false;
  if (caller) loadCallerHistory(caller);
}

function offerCall(call) {
  waitingCall = call;
  $("#incoming-text").textContent = `新来电 ${call.caller || "未知号码"} · ${CALL_STATES[call.state] || call.state}`;
  $("#incoming").hidden = false;
}
$("#take-incoming").addEventListener("click", () => waitingCall && takeCall(waitingCall));

function onCallEvent(call) {
  if (currentCall && call.id === currentCall.id) return showCall({ ...currentCall, ...call, caller: currentCall.caller });
  if (waitingCall && call.id === waitingCall.id) return offerCall({ ...waitingCall, ...call });
  if (call.state !== "answered") return;
  if (formTouched && !call.revisit_ticket) offerCall(call);  // a revisit pop leaves the form alone
  else takeCall(call);
}

async function loadCurrentCall() {
  try {
    const me = await api.me();
    const mine = await api.calls({ state: "answered", operator: me.username, page_size: 1 });
    if (mine.length) await takeCall(mine[0]);
  } catch (error) {
    if (!api.isUnavailable(error)) return toast(explain(error), "error");
    $("#call-note").replaceChildren(unavailableNote("话务服务（来电弹屏）"), el("p", { class: "muted" }, "可在右侧直接输入来电号码。"));
  }
}

// The call service's screen-pop history when it is installed, else the tickets filed from the number.
async function callerHistory(phone) {
  try {
    return await api.callHistory(phone);
  } catch (error) {
    if (!api.isUnavailable(error)) throw error;
    const tickets = (await api.listTickets({ phone, page_size: 10 })).items;
    return { repeat_caller: tickets.length > 0, calls: null, tickets };
  }
}

async function loadCallerHistory(phone) {
  const box = $("#caller-history");
  let history;
  try {
    history = await callerHistory(phone);
  } catch (error) {
    box.replaceChildren(el("p", { class: "error" }, explain(error)));
    return;
  }
  const { tickets, calls } = history;
  const repeat = history.repeat_caller || tickets.length > 0;
  $("#call-card").classList.toggle("repeat", repeat);
  box.replaceChildren(
    repeat
      ? el("p", {}, el("span", { class: "tag repeat", id: "repeat-caller" }, "重复来电"),
          ` 历史工单 ${tickets.length} 件${calls ? `，近 ${history.days ?? 30} 天来电 ${calls.length} 次` : ""}`)
      : el("p", { class: "muted" }, "首次来电，无历史工单。"),
    el("ul", { class: "queue" }, tickets.map((t) =>
      el("li", {}, el("span", {}, `${formatTime(t.created_at)} ${t.number} ${t.status_label}`),
        el("div", { class: "muted summary" }, t.content)))),
  );
}
$("#citizen-phone").addEventListener("change", (event) => {
  const phone = event.target.value.trim();
  if (phone) loadCallerHistory(phone);
});

// ---------------------------------------------------------------- transcript
let transcriptLines = [];
function onTranscript(data, final) {
  if (!currentCall || data.call_id !== currentCall.id) return;  // only the call on screen
  const box = $("#transcript");
  if (!transcriptLines.length) box.replaceChildren();
  box.querySelector(".partial")?.remove();
  if (final) {
    transcriptLines.push(data.text);
    box.append(el("p", { class: "final" }, data.text));
  } else {
    box.append(el("p", { class: "partial" }, data.text));
  }
  box.scrollTop = box.scrollHeight;
}
// Taking a call: its transcript so far (the caller may have spoken in the IVR, before the
// answer), in place of the last call's.
async function loadTranscript(call) {
  transcriptLines = [];
  $("#transcript").replaceChildren(el("p", { class: "muted" }, "通话接通后显示。"));
  let found;
  try {
    found = (await api.callTranscripts(call.id)).items;
  } catch (error) {
    if (!api.isUnavailable(error)) toast(explain(error), "error");
    return;
  }
  if (currentCall?.id !== call.id || !found.length) return;
  transcriptLines = [];
  $("#transcript").replaceChildren();
  for (const stream of found) {
    for (const segment of stream.segments) onTranscript({ call_id: call.id, text: segment.text }, true);
  }
  const partial = found.at(-1).partial;
  if (partial) onTranscript({ call_id: call.id, text: partial }, false);
}

$("#use-transcript").addEventListener("click", () => {
  if (!transcriptLines.length) return toast("还没有转写文本");
  $("#content").value = transcriptLines.join("");
});

// ---------------------------------------------------------------- transfers
let transferTargets = [];
async function transfer(target) {
  const mode = $("#attended").checked ? "attended" : "blind";
  if (!currentCall) return toast(`当前没有通话，无法转接 ${target.name}`, "error");
  try {
    const result = await api.transferCall(currentCall.id, target.code, mode);
    toast(`正在${mode === "attended" ? "三方" : ""}转接 ${target.name}${target.number ? ` ${target.number}` : ""}`, "ok");
    return result;
  } catch (error) {
    if (api.isUnavailable(error)) {
      $("#transfer-note").replaceChildren(unavailableNote("转接服务"));
      return toast(`转接服务暂未接入，请手工拨打 ${target.number || target.name}`, "error");
    }
    toast(explain(error), "error");
  }
}

async function loadTransferTargets() {
  transferTargets = await api.transferTargets();
  $("#transfer-targets").replaceChildren(...transferTargets.map((target, index) =>
    el("button", {
      type: "button",
      class: target.kind === "emergency" ? "emergency-line" : "",
      "data-transfer": target.code,
      title: `${target.code}：${target.when}`,
      onclick: () => transfer(target),
    }, ...[el("span", { class: "target-name" }, target.name),
      target.number ? el("span", { class: "target-number" }, target.number) : null,
      index < 9 ? el("kbd", {}, `Alt+${index + 1}`) : null].filter(Boolean))));
}

// A transfer on the call card: the target's name and number, not its code.
function targetLabel(code) {
  const target = transferTargets.find((t) => t.code === code);
  if (!target) return code;
  return target.number ? `${target.name} ${target.number}` : target.name;
}

// ---------------------------------------------------------------- routing suggestion
function choose(select, value) {
  if (value && [...select.options].some((o) => o.value === value)) select.value = value;
}

// The primary line is the one-key (attended) transfer; the other lines to alert sit beside it,
// each a button of its own, named as the transfer buttons are.
function emergencyButton(target, props, text) {
  const transferNow = () => {
    $("#attended").checked = true;
    transfer(target);
  };
  return el("button", { type: "button", ...props, onclick: transferNow }, text);
}

function showEmergency(lines, reason) {
  const [primary, ...linked] = lines
    .map((code) => transferTargets.find((t) => t.code === code))
    .filter(Boolean);
  if (!primary) return;
  $("#emergency-text").textContent = `紧急情况：${reason}——请立即转接 ${primary.name}`;
  $("#emergency-transfer").replaceWith(emergencyButton(primary, { id: "emergency-transfer" },
    `一键转接 ${primary.number || primary.code}（三方）`));
  show($("#emergency-linked"), linked.length ? "同时通知" : null, linked.map((target) =>
    emergencyButton(target, { "data-line": target.code, title: `${target.code}：${target.when}` },
      target.number ? `${target.name} ${target.number}` : target.name)));
  $("#emergency-linked").hidden = !linked.length;
  $("#emergency").hidden = false;
}

async function showSuggestion(result) {
  const names = Object.fromEntries((await departmentOptions()));
  const top = result.top3 || [];
  const evidence = result.evidence || [];
  const pickDepartment = (code) => {
    choose($("#department"), code);
    for (const b of $("#suggestions").querySelectorAll("[data-department]")) {
      b.setAttribute("aria-pressed", String(b.dataset.department === code));
    }
  };
  const acceptAll = () => {
    pickDepartment(result.department || top[0]?.[0]);
    choose($("#type"), result.type);
    choose($("#urgency"), result.urgency);
    choose($("#division"), result.division);
    toast("已采纳智能分析建议", "ok");
  };
  show($("#suggestions"),
    el("h3", {}, "智能分析", result.uncertain ? el("span", { class: "tag" }, "把握不大，请核对") : null),
    el("div", {}, top.map(([code, prob]) => el("button", {
      type: "button", class: "choice", "data-department": code, "aria-pressed": "false",
      onclick: () => pickDepartment(code),
    }, `${names[code] || code} ${Math.round(prob * 100)}%`))),
    el("p", {}, `类型 ${result.type || "—"} · ${result.urgency || "—"} · 区县 ${divisionName(result.division)}`),
    evidence.length ? el("p", { class: "evidence" }, "依据：", evidence.map((w) => el("mark", {}, w))) : null,
    el("button", { type: "button", class: "primary", id: "accept-suggestion", onclick: acceptAll }, "一键采纳"),
  );
  if (result.emergency) {
    // emergency_lines: every line to alert, primary first (older servers send only emergency).
    const lines = result.emergency_lines?.length ? result.emergency_lines : [result.emergency];
    showEmergency(lines, evidence.join("、") || "来电内容");
  } else {
    $("#emergency").hidden = true;
  }
  if (result.utility) {
    $("#suggestions").append(el("p", { class: "note" }, `公用事业诉求，可转接 ${result.utility}`));
  }
}

async function analyse() {
  const text = $("#content").value.trim();
  if (!text) return toast("请先填写诉求内容", "error");
  try {
    await showSuggestion(await api.classify(text));
  } catch (error) {
    if (!api.isUnavailable(error)) return toast(explain(error), "error");
    $("#suggestions").replaceChildren(unavailableNote("智能分析服务"), el("p", { class: "muted" }, "请手工选择承办单位。"));
  }
}
$("#classify").addEventListener("click", analyse);

// ---------------------------------------------------------------- knowledge base
async function searchKnowledge(event) {
  event?.preventDefault();
  const q = $("#kb-query").value.trim() || $("#content").value.trim().slice(0, 40);
  if (!q) return;
  const box = $("#kb-results");
  try {
    const { items: entries, answer_found: answerFound } = await api.searchKnowledge(q);
    // A weak hit only shares some words with the question: reading it out could misinform.
    const noAnswer = answerFound ? [] : [el("p", { class: "note", id: "kb-no-answer" }, "知识库中没有找到答案")];
    box.replaceChildren(...noAnswer, ...entries.map((entry) => el("div", { class: entry.match === "weak" ? "kb-entry weak" : "kb-entry" },
      el("strong", {}, entry.title || entry.questions?.[0] || ""),
      entry.match === "weak" ? el("span", { class: "badge" }, "仅部分相关，请核实") : null,
      el("p", { class: "content" }, entry.answer),
      entry.materials?.length ? el("p", { class: "muted" }, `所需材料：${[].concat(entry.materials).join("、")}`) : null,
      el("button", {
        type: "button",
        onclick: () => {
          chosenKnowledge = entry;
          $("#answer").value = entry.answer;
          $("#type").value = "咨询";
          toast("已引用知识库答复", "ok");
        },
      }, "引用为答复"))));
  } catch (error) {
    if (!api.isUnavailable(error)) return toast(explain(error), "error");
    box.replaceChildren(unavailableNote("知识库"));
  }
}
$("#kb-form").addEventListener("submit", searchKnowledge);

// ---------------------------------------------------------------- filing
function ticketFields() {
  const data = new FormData(form);
  const fields = {
    content: data.get("content"),
    citizen_phone: data.get("citizen_phone"),
    citizen_name: data.get("citizen_name"),
    real_name: data.get("real_name") === "on",
    no_automated_revisit: data.get("no_automated_revisit") === "on",
    type: data.get("type"),
    urgency: data.get("urgency"),
    address: data.get("address"),
    channel: "phone",
  };
  if (data.get("division")) fields.division = data.get("division");
  if (data.get("department")) fields.department = data.get("department");
  if (currentCall) fields.call_id = currentCall.id;
  return fields;
}

function filed(ticket, how) {
  const banner = $("#filed");
  banner.textContent = `${how}：工单号 ${ticket.number}（${ticket.status_label}）`;
  banner.hidden = false;
  form.reset();
  formTouched = false;
  // The caller may still be on the line with another matter: keep their number ready.
  if (currentCall?.state === "answered" && currentCall.caller && !currentCall.caller.includes("*")) {
    $("#citizen-phone").value = currentCall.caller;
  }
  chosenKnowledge = null;
  $("#suggestions").replaceChildren();
  $("#emergency").hidden = true;
  $("#call-card").classList.remove("repeat");
  $("#caller-history").replaceChildren();
}

async function fileTicket(event) {
  event?.preventDefault();
  if (!form.reportValidity()) return;
  try {
    filed(await api.createTicket(ticketFields()), "已登记");
  } catch (error) {
    toast(explain(error), "error");
  }
}
form.addEventListener("submit", fileTicket);

$("#close-direct").addEventListener("click", async () => {
  if (!form.reportValidity()) return;
  const answer = $("#answer").value.trim();
  if (!answer) {
    $("#answer").focus();
    return toast("直接办结须填写答复内容", "error");
  }
  let ticket;
  try {
    ticket = await api.createTicket(ticketFields());
  } catch (error) {
    return toast(explain(error), "error");
  }
  try {
    const params = { answer, version: ticket.version };
    if (chosenKnowledge) params.kb_entry_id = chosenKnowledge.id;
    filed(await api.act(ticket.id, "close-direct", params), "已直接办结");
  } catch (error) {
    filed(ticket, "已登记");
    toast(`工单 ${ticket.number} 已登记，但未能直接办结：${explain(error)}`, "error");
  }
});

// ---------------------------------------------------------------- revisits
const REVISIT_ACTIONS = ["revisit", "close", "reopen", "rate"];
// The operators' revisit queue (转人工回访: what the automated call could not or should not do)
// comes first, each with its last reason; the other tickets waiting for a revisit follow.
async function loadRevisits() {
  const [{ items }, forOperators] = await Promise.all([
    api.listTickets({ status: "replied,revisited", page_size: 50 }),
    api.revisitQueue(),
  ]);
  const reasonOf = new Map(forOperators.map((q) => [q.ticket_id, q.reasons.at(-1)?.text || ""]));
  const ordered = [...items.filter((t) => reasonOf.has(t.id)), ...items.filter((t) => !reasonOf.has(t.id))];
  $("#revisit-queue").replaceChildren(...(ordered.length
    ? ordered.map((t) => queueItem(t, openRevisit, reasonOf.has(t.id)
      ? el("span", { class: "tag waiting", title: reasonOf.get(t.id) }, `转人工回访：${reasonOf.get(t.id)}`) : null))
    : [el("li", { class: "muted" }, "暂无待回访工单。")]));
}

let openRevisitId = null;
const nextRevisitLoad = newestOnly();
async function openRevisit(id, { keepForm = false } = {}) {
  openRevisitId = id;
  const formOpen = () => keepForm && $("#revisit-detail form");
  if (formOpen()) return;
  if (!keepForm) $("#revisit-detail").replaceChildren(el("p", { class: "muted" }, "加载中…"));
  const isNewest = nextRevisitLoad();
  const ticket = await api.getTicket(id);
  if (!isNewest() || formOpen()) return;
  $("#revisit-detail").replaceChildren(
    ticketHeader(ticket),
    actionBar(ticket, REVISIT_ACTIONS, () => {
      loadRevisits();
      openRevisit(id);
    }),
    ticketDetail(ticket),
  );
}

// ---------------------------------------------------------------- start
async function start() {
  const [divisions, departments] = await Promise.all([api.divisions(), departmentOptions()]);
  fillSelect($("#division"), divisions.map((d) => [d.code, d.name]), { blank: "（未指明）" });
  fillSelect($("#department"), departments, { blank: "（由派单员派单）" });
  await loadTransferTargets();
  await Promise.all([loadCurrentCall(), loadRevisits(), loadAgentState()]);
  api.subscribe({
    "call.answered": onCallEvent,
    "call.transferred": onCallEvent,
    "call.ended": onCallEvent,
    "call.abandoned": onCallEvent,
    "transcript.partial": (data) => onTranscript(data, false),
    "transcript.final": (data) => onTranscript(data, true),
    "classification.suggested": (data) =>
      currentCall && data.call_id === currentCall.id && showSuggestion(data.suggestion),
    "*": (data, type) => {
      if (!type.startsWith("ticket.")) return;
      loadRevisits();
      if (data.ticket_id === openRevisitId) openRevisit(openRevisitId, { keepForm: true });
    },
  }, showLive);
}

const bindings = {
  t: () => ($("#attended").checked = !$("#attended").checked),
  b: toggleAgentStatus,
  n: () => $("#content").focus(),
  a: analyse,
  k: () => $("#kb-query").focus(),
};
for (let i = 1; i <= 9; i += 1) {
  bindings[`Digit${i}`] = () => transferTargets[i - 1] && transfer(transferTargets[i - 1]);
}
altKeys(bindings);
form.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.ctrlKey) fileTicket(event);
});

start().catch((error) => toast(explain(error), "error"));
