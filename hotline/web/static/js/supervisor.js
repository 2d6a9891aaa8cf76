// Supervisor dashboard: the figures (figures.js), 智能回访 figures, overdue and due-soon
// lists, search, 督办, hot topics.
import * as api from "./api.js";
import { figure, loadOptional, startFigures } from "./figures.js";
import {
  $, actionBar, departmentName, divisionName, el, explain, initLayout, loadNames, percent, queueItem,
  showLive, tickCountdowns, ticketDetail, ticketHeader, toast,
} from "./ui.js";

initLayout();
await loadNames();

// A list line names the department that holds the ticket.
const lineEnd = (t) => [
  el("span", { class: "muted" }, t.department ? departmentName(t.department) : "待派单"),
  t.supervised ? el("span", { class: "reason" }, "已督办") : null,
];

async function openTicket(id) {
  const ticket = await api.getTicket(id);
  const box = $("#detail");
  box.hidden = false;
  box.replaceChildren(ticketHeader(ticket), actionBar(ticket, ["supervise", "remind", "decide-extension"], () => {
    loadLists();
    openTicket(id);
  }), ticketDetail(ticket));
  box.scrollIntoView({ block: "nearest" });
}

async function loadLists() {
  const [overdue, running] = await Promise.all([
    api.overdueTickets(),
    api.listTickets({ status: "dispatched,accepted", page_size: 200 }),
  ]);
  const overdueIds = new Set(overdue.map((t) => t.id));
  const overdueRows = overdue.map((t) => ({ ...t, sla_flag: "red" }));
  const dueSoon = running.items.filter((t) => t.sla_flag === "yellow" && !overdueIds.has(t.id));
  const fill = (list, count, tickets) => {
    $(count).textContent = tickets.length;
    $(list).replaceChildren(...(tickets.length ? tickets.map((t) => queueItem(t, openTicket, lineEnd(t)))
      : [el("li", { class: "muted" }, "暂无")]));
  };
  fill("#overdue", "#overdue-count", overdueRows);
  fill("#due-soon", "#due-soon-count", dueSoon);
}

$("#search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const { items } = await api.listTickets({ q: $("#search-q").value.trim(), page_size: 20 });
    $("#search-results").replaceChildren(...(items.length ? items.map((t) => queueItem(t, openTicket, lineEnd(t)))
      : [el("li", { class: "muted" }, "没有找到工单。")]));
  } catch (error) {
    toast(explain(error), "error");
  }
});

function hotspotList(spots) {
  if (!spots.length) return el("p", { class: "muted" }, "暂无热点。");
  return el("ul", { class: "hotspots" }, spots.map((s) => el("li", {},
    el("strong", {}, `${s.place || (s.division ? divisionName(s.division) : "")} ${[].concat(s.keywords || []).join("、")}`),
    ` ${s.ticket_count} 件（常态每周 ${s.baseline_weekly ?? "—"} 件）`,
    s.department ? el("span", { class: "tag" }, departmentName(s.department)) : null)));
}

// GET /api/stats/revisits: the revisits of the period's replies (docs/kpis.md).
const number = (value) => (value === null || value === undefined ? "—" : String(value));
const REVISIT_COLUMNS = [
  ["plans", "计划数", number],
  ["settled", "已到期或已完成", number],
  ["completed_in_time", "按时完成", number],
  ["completion_rate", "按时完成率", percent],
  ["completed_by", "由该渠道完成", number],
  ["attempts", "尝试次数", number],
  ["per_completed", "每完成一件的尝试", (v) => (v === null ? "—" : Number(v).toFixed(2))],
];

function revisitTable(rows, columns) {
  return el("div", { class: "table-wrap" }, el("table", {},
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "渠道"),
      columns.map(([, label]) => el("th", { class: "num", scope: "col" }, label)))),
    el("tbody", {}, rows.map((row) => el("tr", { "data-channel": row.channel },
      el("th", { scope: "row" }, row.label),
      columns.map(([key, , format]) => el("td", { class: "num", "data-key": key }, format(row[key]))))))));
}

function revisitFigures(stats) {
  const days = stats.within_working_days;
  // One row per channel: the plans policy gave it and how many were done in time (by anyone),
  // then what the channel itself completed and the attempts it took.
  const channels = stats.by_channel.map((row) => {
    const tried = stats.attempts.find((a) => a.channel === row.channel);
    return {
      ...row,
      completed_by: stats.completed_by.find((c) => c.channel === row.channel).completed,
      attempts: tried ? tried.attempts : null,
      per_completed: tried ? tried.per_completed : null,
    };
  });
  return el("div", {},
    el("div", { class: "cards" },
      figure("回访计划", stats.plans, "rv-plans"),
      figure("已完成", stats.completed, "rv-completed"),
      figure(`${days} 个工作日内完成率`, percent(stats.completion_rate), "rv-completion-rate"),
      figure("自动回访占比", percent(stats.automated_share), "rv-automated-share"),
      figure("不接受机器回访", stats.opt_outs, "rv-opt-outs"),
      figure("转人工回访", stats.handed_to_operators, "rv-handed")),
    revisitTable(channels, REVISIT_COLUMNS),
    el("h3", {}, "转人工原因"),
    stats.handover_reasons.length
      ? el("ul", { id: "rv-reasons" }, stats.handover_reasons.map((r) =>
        el("li", { "data-reason": r.reason }, `${r.label}：`, el("strong", {}, String(r.plans)), " 件")))
      : el("p", { class: "muted" }, "本期没有转人工的回访。"),
    el("h3", {}, "外呼与短信结果"),
    stats.outcomes.length
      ? el("ul", { id: "rv-outcomes" }, stats.outcomes.map((o) =>
        el("li", { "data-outcome": `${o.channel}-${o.outcome}` },
          `${stats.by_channel.find((c) => c.channel === o.channel)?.label ?? o.channel} · ${o.label}：`,
          el("strong", {}, String(o.attempts)), " 次")))
      : el("p", { class: "muted" }, "本期没有自动回访。"));
}

startFigures(async () => {
  const period = { start: $("#start").value, end: $("#end").value };
  loadOptional($("#revisit-figures"), "智能回访统计", () => api.revisitStats(period), revisitFigures);
  await loadLists();
  loadOptional($("#hotspots"), "热点分析服务", api.hotspots, hotspotList);
});
tickCountdowns();
api.subscribe({ "*": (_, type) => type.startsWith("ticket.") && loadLists().catch(() => {}) }, showLive);
