// The one place where pages talk to the server. Every endpoint is one function here.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `请求失败（HTTP ${status}）`);
    this.status = status;
    this.code = (body && body.code) || "http_error";
    this.body = body;
  }
}

// Services that other teams are still building answer 404 (route absent) or 503 (not wired).
export const isUnavailable = (error) =>
  error instanceof ApiError && (error.status === 404 || error.status === 503);

async function request(method, path, { body, query, headers = {} } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  if (response.status === 401 && !path.startsWith("/api/public") && !path.startsWith("/api/auth")) {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: `服务器返回了无法识别的内容（HTTP ${response.status}）` };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

const get = (path, query) => request("GET", path, { query });
const post = (path, body) => request("POST", path, { body: body ?? {} });

// --- session
export async function login(username, password) {
  const session = await post("/api/auth/token", { username, password });
  await request("POST", "/session", { headers: { Authorization: `Bearer ${session.access_token}` } });
  return session;
}
export const logout = () => request("POST", "/logout");
export const me = () => get("/api/me");

// --- tickets
export const listTickets = (query) => get("/api/tickets", query);
export const getTicket = (id) => get(`/api/tickets/${id}`);
export const createTicket = (fields) => post("/api/tickets", fields);
export const act = (id, action, params) => post(`/api/tickets/${id}/actions/${action}`, params);
export const revisitQueue = async () => (await get("/api/revisits/queue")).items;

// --- directory
export const departments = () => get("/api/departments");
export const divisions = () => get("/api/divisions");
export const transferTargets = () => get("/api/transfer-targets");

// --- figures
export const departmentStats = (query) => get("/api/stats/departments", query);
export const overdueTickets = () => get("/api/stats/overdue");
export function exportUrl(format, query) {
  const params = new URLSearchParams({ format, ...query });
  return `/api/stats/departments/export?${params}`;
}

// --- public (no login)
export const fileRequest = (fields) => post("/api/public/tickets", fields);
export const lookUp = (number, phone) =>
  get(`/api/public/tickets/${encodeURIComponent(number)}`, { phone });
export const rateTicket = (number, rating) =>
  post(`/api/public/tickets/${encodeURIComponent(number)}/rating`, rating);
export const supplyMissing = (number, answer) =>
  post(`/api/public/tickets/${encodeURIComponent(number)}/supplement`, answer);
export const publishedRatings = (query) => get("/api/public/ratings", query);
// The text-message revisit link (the token is the whole credential).
export const revisitLink = (token) => get(`/api/public/revisit/${encodeURIComponent(token)}`);
export const rateByLink = (token, rating) => post(`/api/public/revisit/${encodeURIComponent(token)}`, rating);

// --- telephony, speech, classifier, knowledge base: may be absent (see isUnavailable)
export const calls = async (query) => (await get("/api/calls", query)).items;
export const transferCall = (callId, target, mode) =>
  post(`/api/calls/${callId}/transfer`, { target, mode });
// → {repeat_caller, calls, tickets} over the last 30 days
export const callHistory = (phone) => get("/api/calls/history", { phone });
// → {call_id, caller}: the full number, only for the operator who answered (audited)
export const callCaller = (callId) => get(`/api/calls/${callId}/caller`);
export const setAgentStatus = (paused, reason) => post("/api/agents/me/status", { paused, reason });
export const myQueueState = () => get("/api/agents/me");
export const queueLogin = () => post("/api/agents/me/login");
export const queueLogout = () => post("/api/agents/me/logout");
export const transcript = (uuid) => get(`/api/transcripts/${encodeURIComponent(uuid)}`);
export const callTranscripts = (callId) => get("/api/transcripts", { call_id: callId });
export const classify = (text) => post("/api/classify", { text });
export const searchKnowledge = (q) => get("/api/kb/search", { q });
export const hotspots = async () => (await get("/api/hotspots")).items;
export const callStats = (query) => get("/api/stats/calls", query);
export const revisitStats = (query) => get("/api/stats/revisits", query);

// --- live events: one EventSource per page, handlers by event type ("*" hears everything).
// Handlers get (data, eventType): the event type is the SSE event name (also data.event);
// data.type is a ticket's own type (投诉, 咨询 …).
export function subscribe(handlers, onStatus = () => {}) {
  const source = new EventSource("/api/events/stream");
  const deliver = (type) => (message) => {
    let data = {};
    try {
      data = JSON.parse(message.data);
    } catch {
      return;
    }
    handlers[type]?.(data, type);
    handlers["*"]?.(data, type);
  };
  for (const type of EVENT_TYPES) source.addEventListener(type, deliver(type));
  source.onopen = () => onStatus(true);
  source.onerror = () => onStatus(false);
  return source;
}

const EVENT_TYPES = [
  "ticket.created", "ticket.dispatched", "ticket.accepted", "ticket.returned",
  "ticket.return_ruled", "ticket.redispatched", "ticket.extension_requested",
  "ticket.extension_decided", "ticket.replied", "ticket.revisited", "ticket.rated",
  "ticket.closed", "ticket.reopened", "ticket.merged", "ticket.withdrawn",
  "ticket.supervised", "ticket.reminded", "ticket.rectification_opened", "ticket.rectified",
  "ticket.due_soon", "ticket.overdue", "ticket.assisted", "ticket.supplement_requested",
  "ticket.supplemented", "ticket.supplement_ended",
  "call.ringing", "call.answered", "call.transferred", "call.ended", "call.abandoned",
  "transcript.partial", "transcript.final", "classification.suggested",
];
