// The public's page: file a request, follow it by number + phone, supply what a department asks
// for (补正), rate it, see published ratings.
import * as api from "./api.js";
import { barChart } from "./charts.js";
import { $, el, explain, formatTime, initLayout, percent, show, toast } from "./ui.js";

initLayout();

const RATINGS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"];

$("#file-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  try {
    const ticket = await api.fileRequest({
      citizen_phone: data.get("citizen_phone"),
      citizen_name: data.get("citizen_name"),
      type: data.get("type"),
      real_name: data.get("real_name") === "on",
      content: data.get("content"),
      address: data.get("address"),
    });
    const banner = $("#filed");
    banner.textContent = `提交成功，工单号 ${ticket.number}，请凭工单号和手机号查询办理进度。`;
    banner.hidden = false;
    $("#lookup-number").value = ticket.number;
    $("#lookup-phone").value = data.get("citizen_phone");
    event.target.reset();
  } catch (error) {
    toast(explain(error), "error");
  }
});

function ratingForm(number, phone) {
  const form = el("form", { id: "rating-form" },
    el("h3", {}, "请对办理结果评价"),
    el("label", {}, "满意度", el("select", { name: "rating" }, RATINGS.map((r) => el("option", {}, r)))),
    el("label", {}, "问题是否解决", el("select", { name: "solved" }, el("option", { value: "true" }, "已解决"), el("option", { value: "false" }, "未解决"))),
    el("label", {}, "意见（可不填）", el("textarea", { name: "note", rows: 2, maxlength: 500 })),
    el("button", { type: "submit", class: "primary" }, "提交评价"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      await api.rateTicket(number, {
        phone, rating: data.get("rating"), solved: data.get("solved") === "true", note: data.get("note"),
      });
      toast("感谢您的评价", "ok");
      await lookUp(number, phone);
    } catch (error) {
      toast(explain(error), "error");
    }
  });
  return form;
}

// 补正: everything the department still needs, listed at once; the answer restarts its clock.
function supplementForm(number, phone, supplement) {
  const form = el("form", { id: "supplement-form" },
    el("h3", {}, supplement.tolerated ? "您的申请已容缺受理，请补齐以下材料" : "承办单位需要您补充以下内容"),
    el("ol", { id: "supplement-items" }, supplement.items.map((item) => el("li", {}, item))),
    supplement.note ? el("p", { class: "muted" }, supplement.note) : null,
    el("p", {}, supplement.tolerated
      ? `请在 ${formatTime(supplement.due)} 前补齐；逾期未补齐的，视为撤回申请。`
      : `请在 ${formatTime(supplement.due)} 前补充；逾期未补充的，将按现有情况办理。`),
    el("label", {}, "补充内容", el("textarea", { name: "content", rows: 4, maxlength: 5000, required: true })),
    el("button", { type: "submit", class: "primary" }, "提交补充"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api.supplyMissing(number, { phone, content: new FormData(form).get("content") });
      toast("已提交，承办单位将继续办理", "ok");
      await lookUp(number, phone);
    } catch (error) {
      toast(explain(error), "error");
    }
  });
  return form;
}

async function lookUp(number, phone) {
  const box = $("#lookup-result");
  try {
    const ticket = await api.lookUp(number, phone);
    // A request for more comes first: on a phone the facts below would hide it.
    const asked = ticket.supplement ? supplementForm(ticket.number, phone, ticket.supplement) : null;
    show(box,
      asked,
      el("dl", { class: "facts" },
        el("dt", {}, "工单号"), el("dd", {}, ticket.number),
        el("dt", {}, "状态"), el("dd", { id: "public-status" }, ticket.status_label),
        ticket.merged_into ? [el("dt", {}, "合并办理"), el("dd", {}, `随工单 ${ticket.merged_into} 一并办理`)] : [],
        el("dt", {}, "诉求"), el("dd", { class: "content" }, ticket.content),
        el("dt", {}, "承办单位"), el("dd", { id: "public-department" }, ticket.department_name || "待派单"),
        el("dt", {}, "办结时限"), el("dd", {}, formatTime(ticket.reply_due)),
        el("dt", {}, "办理结果"), el("dd", { class: "content" }, ticket.reply || "办理中"),
        el("dt", {}, "评价"), el("dd", { id: "public-rating" }, ticket.rating || "未评价")),
      ticket.can_rate ? ratingForm(ticket.number, phone) : null,
    );
    asked?.scrollIntoView({ block: "start" });
  } catch (error) {
    box.replaceChildren(el("p", { class: "error", role: "alert" }, explain(error)));
  }
}

$("#lookup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  lookUp($("#lookup-number").value.trim(), $("#lookup-phone").value.trim());
});

async function loadRatings() {
  const published = await api.publishedRatings();
  const rows = published.departments;
  $("#ratings-title").textContent = `好差评公示（${published.start} 至 ${published.end}）`;
  $("#ratings-table").replaceChildren(
    el("thead", {}, el("tr", {}, ["单位", "评价数", ...RATINGS, "满意率"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.length ? rows.map((d) => el("tr", { "data-code": d.code },
      el("td", {}, d.name), el("td", { class: "num" }, d.total),
      RATINGS.map((r) => el("td", { class: "num" }, d.levels[r] || 0)),
      el("td", { class: "num" }, percent(d.satisfaction_rate))))
      : el("tr", {}, el("td", { colspan: 8, class: "muted" }, "本期暂无评价。"))),
  );
  $("#ratings-chart").replaceChildren(rows.length
    ? barChart(rows.map((d) => ({ label: d.name, value: d.satisfaction_rate })), { title: "满意率", max: 1, format: percent })
    : el("p", { class: "muted" }, ""));
}

loadRatings().catch((error) => toast(explain(error), "error"));
