// What the dispatch desk and the department portal share: queues on the left, one ticket open.
import * as api from "./api.js";
import { $, actionBar, altKeys, el, explain, listKeys, queueItem, showLive, tickCountdowns, ticketDetail, ticketHeader, toast } from "./ui.js";

/**
 * queues: [{list, count, load() → tickets, extra?(ticket) → node}];
 * actions: the action names this desk offers; primaryKey: Alt+<key> runs `primaryAction`.
 */
export function desk({ queues, actions, primaryKey, primaryAction }) {
  let openId = null;

  async function open(id) {
    openId = id;
    const detail = $("#detail");
    try {
      const ticket = await api.getTicket(id);
      detail.replaceChildren(
        ticketHeader(ticket),
        actionBar(ticket, actions, () => refresh()),
        ticketDetail(ticket),
      );
      for (const button of document.querySelectorAll(".queue button.item")) {
        button.setAttribute("aria-current", String(button.dataset.ticket === ticket.number));
      }
    } catch (error) {
      detail.replaceChildren(el("p", { class: "error" }, explain(error)));
    }
  }

  async function refresh() {
    try {
      await Promise.all(queues.map(async (queue) => {
        const tickets = await queue.load();
        $(queue.count).textContent = tickets.length;
        $(queue.list).replaceChildren(...(tickets.length
          ? tickets.map((t) => queueItem(t, open, queue.extra?.(t)))
          : [el("li", { class: "muted" }, "暂无")]));
      }));
      if (openId !== null) await open(openId);
    } catch (error) {
      toast(explain(error), "error");
    }
  }

  listKeys(".queue");
  tickCountdowns();
  altKeys({ [primaryKey]: () => $(`#detail [data-action="${primaryAction}"]`)?.click() });
  api.subscribe({ "*": (event) => event.type.startsWith("ticket.") && refresh() }, showLive);
  refresh();
}
