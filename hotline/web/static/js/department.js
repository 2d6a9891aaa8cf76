// Department portal: the inbox by deadline, signing, returns, extensions, 补正, replies, rectification.
import * as api from "./api.js";
import {
  el, formatTime, initLayout, instantOf, loadNames, runningDeadline, waitingForCitizen,
} from "./ui.js";
import { desk } from "./desk.js";

initLayout();
await loadNames();
const me = await api.me();

const byDeadline = (a, b) =>
  instantOf(runningDeadline(a) || "9999-12-31") - instantOf(runningDeadline(b) || "9999-12-31");

desk({
  queues: [
    {
      list: "#inbox",
      count: "#inbox-count",
      load: async () =>
        (await api.listTickets({ status: "dispatched,accepted", page_size: 200 })).items.sort(byDeadline),
      extra: (t) => [
        t.supervised ? el("span", { class: "reason" }, "督办件") : null,
        // Led by another department: this one co-handles it (协办) and gives its 协办意见.
        t.department !== me.department ? el("span", { class: "reason" }, "协办件") : null,
        waitingForCitizen(t),
      ],
    },
    {
      list: "#rectify-queue",
      count: "#rectify-count",
      // Rectification can be open on a ticket in any status, so look through all of ours.
      load: async () => (await api.listTickets({ page_size: 200 })).items.filter((t) => t.rectification_open),
      extra: (t) => el("span", { class: "reason" }, `差评：${t.rating} · 整改时限 ${formatTime(t.rectification_due)}`),
    },
  ],
  actions: ["accept", "return", "request-extension", "request-supplement", "supplement", "reply", "assist", "rectify"],
  primaryKey: "s",
  primaryAction: "accept",
});
