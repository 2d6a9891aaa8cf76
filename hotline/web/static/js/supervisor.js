// Supervisor dashboard: the figures (figures.js), overdue and due-soon lists, search, 督办,
// hot topics.
import * as api from "./api.js";
import { loadOptional, startFigures } from "./figures.js";
import {
  $, actionBar, departmentName, divisionName, el, explain, initLayout, loadNames, queueItem, showLive,
  tickCountdowns, ticketDetail, ticketHeader, toast,
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

startFigures(async () => {
  await loadLists();
  loadOptional($("#hotspots"), "热点分析服务", api.hotspots, hotspotList);
});
tickCountdowns();
api.subscribe({ "*": (_, type) => type.startsWith("ticket.") && loadLists().catch(() => {}) }, showLive);
