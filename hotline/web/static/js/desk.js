// What the dispatch desk and the department portal share: queues on the left, one ticket open.
import * as api from "./api.js";
import {
  $, actionBar, altKeys, el, explain, listKeys, newestOnly, queueItem, showLive, tickCountdowns,
  ticketDetail, ticketHeader, toast,
} from "./ui.js";

/**
 * queues: [{list, count, load() → tickets, extra?(ticket) → node}];
 * actions: the action names this desk offers; primaryKey: Alt+<key> runs `primaryAction`.
 */
export function desk({ queues, actions, primaryKey, primaryAction }) {
  let openId = null;
  const nextLoad = newestOnly();

  // keepForm: a live refresh must not wipe a form someone is filling in.
  async function open(id, { keepForm = false } = {}) {
    openId = id;
    const detail = $("#detail");
    const formOpen = () => keepForm && detail.querySelector("form");
    if (formOpen()) return;
    // An explicit open drops the old buttons at once, so nobody acts on what is being replaced.
    if (!keepForm) detail.replaceChildren(el("p", { class: "muted" }, "加载中…"));
    const isNewest = nextLoad();
    try {
      const ticket = await api.getTicket(id);
      if (!isNewest() || formOpen()) return;
      detail.replaceChildren(
        ticketHeader(ticket),
        actionBar(ticket, actions, () => refresh(true)),
        ticketDetail(ticket),
      );
      for (const button of document.querySelectorAll(".queue button.item")) {
        button.setAttribute("aria-current", String(button.dataset.ticket === ticket.number));
      }
    } catch (error) {
      detail.replaceChildren(el("p", { class: "error" }, explain(error)));
    }
  }

  async function refresh(reopen, { keepForm = false } = {}) {
    try {
      await Promise.all(queues.map(async (queue) => {
        const tickets = await queue.load();
        $(queue.count).textContent = tickets.length;
        $(queue.list).replaceChildren(...(tickets.length
          ? tickets.map((t) => queueItem(t, open, queue.extra?.(t)))
          : [el("li", { class: "muted" }, "暂无")]));
      }));
      if (openId !== null && reopen) await open(openId, { keepForm });
    } catch (error) {
      toast(explain(error), "error");
    }
  }

  listKeys(".queue");
  tickCountdowns();
  altKeys({ [primaryKey]: () => $(`#detail [data-action="${primaryAction}"]`)?.click() });
  // One action publishes several events at once: refresh once for the burst, and re-read the
  // open ticket only when it changed.
  let pending = null;
  let openChanged = false;
  function onTicketEvent(data) {
    openChanged ||= data.ticket_id === openId;
    clearTimeout(pending);
    pending = setTimeout(() => {
      refresh(openChanged, { keepForm: true });
      openChanged = false;
    }, 250);
  }
  api.subscribe({ "*": (data, type) => type.startsWith("ticket.") && onTicketEvent(data) }, showLive);
  refresh(false);
}
