// The text-message revisit link: the ticket's matter and reply, then satisfaction 1–5 and
// solved, sent once with the token from the address (no phone number to type).
import * as api from "./api.js";
import { $, el, explain, formatTime, initLayout, show } from "./ui.js";

initLayout();

const token = decodeURIComponent(window.location.pathname.split("/").pop());
const form = $("#revisit-form");

async function load() {
  const box = $("#revisit-ticket");
  try {
    const ticket = await api.revisitLink(token);
    show(box, el("dl", { class: "facts" },
      el("dt", {}, "工单号"), el("dd", { id: "revisit-number" }, ticket.number),
      el("dt", {}, "反映事项"), el("dd", {}, ticket.matter),
      el("dt", {}, "承办单位"), el("dd", {}, ticket.department_name || "—"),
      el("dt", {}, "答复时间"), el("dd", {}, formatTime(ticket.replied_at)),
      el("dt", {}, "办理结果"), el("dd", { class: "content" }, ticket.reply || "—"),
      el("dt", {}, "链接有效期至"), el("dd", {}, formatTime(ticket.expires_at))));
    $("#revisit-ratings").append(...ticket.ratings.map((label, index) =>
      el("label", { class: "check" },
        el("input", { type: "radio", name: "satisfaction", value: String(index + 1), required: true }),
        ` ${label}`)));
    form.hidden = false;
  } catch (error) {
    box.replaceChildren(el("p", { class: "error", role: "alert" }, explain(error)));
  }
}

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  try {
    const rated = await api.rateByLink(token, {
      satisfaction: Number(data.get("satisfaction")),
      solved: data.get("solved") === "true",
    });
    form.hidden = true;
    const done = $("#revisit-done");
    done.textContent = `感谢您的评价！工单 ${rated.number}：${rated.rating}，${rated.solved ? "已解决" : "未解决"}。`;
    done.hidden = false;
  } catch (error) {
    $("#revisit-ticket").replaceChildren(el("p", { class: "error", role: "alert" }, explain(error)));
  }
});

if (form) load();
