// Supervisor dashboard: figures per department or division, ranking, overdue lists, 督办.
import * as api from "./api.js";
import { barChart } from "./charts.js";
import {
  $, actionBar, altKeys, el, explain, initLayout, percent, queueItem, showLive,
  tickCountdowns, ticketDetail, ticketHeader, toast, unavailableNote,
} from "./ui.js";

initLayout();

const COLUMNS = [
  ["rank", "排名", String],
  ["name", "单位", String],
  ["dispatched", "派单数", String],
  ["sign_on_time_rate", "按期签收率", percent],
  ["close_on_time_rate", "按期办结率", percent],
  ["satisfaction_rate", "满意率", percent],
  ["solved_rate", "解决率", percent],
  ["return_rate", "退单率", percent],
  ["improper_returns", "不当退单", String],
  ["reopen_rate", "重办率", percent],
  ["avg_handling_hours", "平均办理(小时)", (v) => (v === null ? "—" : Number(v).toFixed(1))],
  ["overdue_now", "当前超期", String],
  ["score", "综合得分", (v) => (v === null ? "—" : Number(v).toFixed(1))],
];
const pad = (n) => String(n).padStart(2, "0");
const isoDate = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

function period() {
  return { start: $("#start").value, end: $("#end").value, by: $("#by").value };
}

function figure(label, value, id) {
  return el("div", { class: "figure", id }, el("span", { class: "muted" }, label), el("strong", {}, value));
}

async function loadFigures() {
  const query = period();
  const stats = await api.departmentStats(query);
  const { start, end } = query;
  $("#export-csv").href = api.exportUrl("csv", { start, end });
  $("#export-xlsx").href = api.exportUrl("xlsx", { start, end });
  $("#centre").replaceChildren(
    figure("受理总量", stats.centre.received, "fig-received"),
    figure("直接办结", stats.centre.closed_direct, "fig-closed-direct"),
    figure("直接办结率", percent(stats.centre.direct_close_rate), "fig-direct-rate"),
    figure("派单总量", stats.departments.reduce((n, d) => n + d.dispatched, 0), "fig-dispatched"),
    figure("当前超期", stats.departments.reduce((n, d) => n + d.overdue_now, 0), "fig-overdue"),
  );
  const ranked = [...stats.departments].sort((a, b) => (a.rank ?? 999) - (b.rank ?? 999));
  const active = ranked.filter((d) => d.dispatched > 0);
  const rows = (key) => active.map((d) => ({ label: d.name, value: d[key] }));
  $("#charts-score").replaceChildren(active.length
    ? barChart(rows("score"), { title: "综合得分", max: 100, format: (v) => v.toFixed(1) })
    : el("p", { class: "muted" }, "本期没有派单。"));
  $("#charts-satisfaction").replaceChildren(active.length
    ? barChart(rows("satisfaction_rate"), { title: "满意率", max: 1, format: percent })
    : el("p", { class: "muted" }, "本期没有评价。"));
  $("#kpi-table").replaceChildren(
    el("thead", {}, el("tr", {}, COLUMNS.map(([key, label]) => el("th", { class: key === "name" ? "" : "num", scope: "col" }, label)))),
    el("tbody", {}, ranked.map((d) => el("tr", { "data-code": d.code }, COLUMNS.map(([key, , format]) =>
      el("td", { class: key === "name" ? "" : "num", "data-key": key }, d[key] === null || d[key] === undefined ? "—" : format(d[key])))))),
  );
}

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
  const supervisedTag = (t) => (t.supervised ? el("span", { class: "reason" }, "已督办") : null);
  const fill = (list, count, tickets) => {
    $(count).textContent = tickets.length;
    $(list).replaceChildren(...(tickets.length ? tickets.map((t) => queueItem(t, openTicket, supervisedTag(t)))
      : [el("li", { class: "muted" }, "暂无")]));
  };
  fill("#overdue", "#overdue-count", overdueRows);
  fill("#due-soon", "#due-soon-count", dueSoon);
}

$("#search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const { items } = await api.listTickets({ q: $("#search-q").value.trim(), page_size: 20 });
    $("#search-results").replaceChildren(...(items.length ? items.map((t) => queueItem(t, openTicket))
      : [el("li", { class: "muted" }, "没有找到工单。")]));
  } catch (error) {
    toast(explain(error), "error");
  }
});

async function loadOptional(box, what, fetch, render) {
  try {
    box.replaceChildren(render(await fetch()));
  } catch (error) {
    box.replaceChildren(api.isUnavailable(error) ? unavailableNote(what) : el("p", { class: "error" }, explain(error)));
  }
}

function callLevel(stats) {
  return el("div", { class: "cards" },
    figure("15 秒接通率", percent(stats.answered_within_15s_rate), "fig-15s"),
    figure("呼损率", percent(stats.abandonment_rate), "fig-abandon"),
    figure("平均等待", stats.avg_wait === undefined || stats.avg_wait === null ? "—" : `${Number(stats.avg_wait).toFixed(0)} 秒`, "fig-wait"));
}

function hotspotList(spots) {
  if (!spots.length) return el("p", { class: "muted" }, "暂无热点。");
  return el("ul", { class: "hotspots" }, spots.map((s) => el("li", {},
    el("strong", {}, `${s.place || s.division || ""} ${[].concat(s.keywords || []).join("、")}`),
    ` ${s.ticket_count} 件（常态每周 ${s.baseline_weekly ?? "—"} 件）`,
    s.department ? el("span", { class: "tag" }, s.department) : null)));
}

async function refresh(event) {
  event?.preventDefault();
  try {
    await Promise.all([loadFigures(), loadLists()]);
  } catch (error) {
    toast(explain(error), "error");
  }
  const { start, end } = period();
  loadOptional($("#call-level"), "话务统计服务", () => api.callStats({ start, end }), callLevel);
  loadOptional($("#hotspots"), "热点分析服务", api.hotspots, hotspotList);
}

const today = new Date();
$("#end").value = isoDate(today);
$("#start").value = isoDate(new Date(today.getTime() - 6 * 86400000));
$("#period").addEventListener("submit", refresh);
altKeys({ r: refresh });
tickCountdowns();
api.subscribe({ "*": (_, type) => type.startsWith("ticket.") && loadLists().catch(() => {}) }, showLive);
refresh();
