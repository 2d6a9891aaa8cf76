// The figures of a period, shared by the supervisor's dashboard and the social supervisors'
// page: centre figures, charts, the ranking table, exports, and the call service level.
import * as api from "./api.js";
import { barChart } from "./charts.js";
import { $, addDays, altKeys, centreToday, el, explain, percent, toast, unavailableNote } from "./ui.js";

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

function period() {
  return { start: $("#start").value, end: $("#end").value, by: $("#by").value };
}

export function figure(label, value, id) {
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

export async function loadOptional(box, what, fetch, render) {
  try {
    box.replaceChildren(render(await fetch()));
  } catch (error) {
    box.replaceChildren(api.isUnavailable(error) ? unavailableNote(what) : el("p", { class: "error" }, explain(error)));
  }
}

const seconds = (value) => (value === null || value === undefined ? "—" : `${Number(value).toFixed(1)} 秒`);

// GET /api/stats/calls: the period's totals (docs/kpis.md).
function callLevel({ totals, standard }) {
  const level = figure("15 秒接通率", percent(totals.service_level_15s), "fig-15s");
  if (totals.meets_standard !== null) {
    level.append(el("span", { class: totals.meets_standard ? "muted" : "error" },
      `${totals.meets_standard ? "达到" : "未达到"}标准 ${percent(standard)}`));
  }
  return el("div", { class: "cards" },
    figure("人工服务请求", totals.offered, "fig-offered"),
    figure("接通", totals.answered, "fig-answered"),
    level,
    figure("呼损率", percent(totals.abandonment_rate), "fig-abandon"),
    figure("平均等待", seconds(totals.avg_wait_seconds), "fig-wait"),
    figure("平均通话", seconds(totals.avg_handle_seconds), "fig-handle"));
}

// Loads the figures now and whenever the period changes (Alt+R); `more` adds a page's own parts.
export function startFigures(more = async () => {}) {
  async function refresh(event) {
    event?.preventDefault();
    try {
      await Promise.all([loadFigures(), more()]);
    } catch (error) {
      toast(explain(error), "error");
    }
    const { start, end } = period();
    loadOptional($("#call-level"), "话务统计服务", () => api.callStats({ start, end }), callLevel);
  }
  // The last seven days up to the centre's today (not the browser's, which may lag a day).
  const today = centreToday();
  $("#end").value = today;
  $("#start").value = addDays(today, -6);
  $("#period").addEventListener("submit", refresh);
  altKeys({ r: refresh });
  refresh();
}
