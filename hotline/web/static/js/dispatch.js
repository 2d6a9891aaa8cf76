// Dispatch desk: new tickets with their routing suggestion, returns to rule on, extensions, 补正.
import * as api from "./api.js";
import { departmentName, el, initLayout, loadNames, waitingForCitizen } from "./ui.js";
import { desk } from "./desk.js";

initLayout();
await loadNames();

const suggestionLine = (t) =>
  t.suggested_department || t.chosen_department
    ? el("span", { class: "muted" }, `建议 ${departmentName(t.suggested_department)} · 接线员选 ${departmentName(t.chosen_department)}`)
    : null;

async function returnedWithReasons() {
  const { items } = await api.listTickets({ status: "returned", page_size: 100 });
  // The list omits return reasons; each returned ticket's detail carries them.
  return Promise.all(items.map((t) => api.getTicket(t.id)));
}

const lastReturn = (t) => {
  const latest = t.returns?.at(-1);
  return latest ? el("span", { class: "reason" }, `${departmentName(latest.department)} 退单「${latest.category}」：${latest.reason}`) : null;
};

desk({
  queues: [
    {
      list: "#new-queue",
      count: "#new-count",
      load: async () => (await api.listTickets({ status: "registered", page_size: 100 })).items,
      extra: suggestionLine,
    },
    { list: "#returned-queue", count: "#returned-count", load: returnedWithReasons, extra: lastReturn },
    {
      list: "#extension-queue",
      count: "#extension-count",
      load: async () =>
        (await api.listTickets({ status: "accepted", page_size: 200 })).items.filter((t) => t.extension_pending_days),
      extra: (t) => el("span", { class: "reason" }, `${departmentName(t.department)} 申请延期 ${t.extension_pending_days} 个工作日`),
    },
    {
      // The centre tells the citizen what is missing and records what they bring by phone.
      list: "#supplement-queue",
      count: "#supplement-count",
      load: async () =>
        (await api.listTickets({ status: "accepted", page_size: 200 })).items.filter((t) => t.supplement_due),
      extra: waitingForCitizen,
    },
  ],
  actions: ["dispatch", "rule-return", "decide-extension", "supplement", "merge", "remind", "withdraw", "rectify"],
  primaryKey: "d",
  primaryAction: "dispatch",
});
