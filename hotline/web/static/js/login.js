import * as api from "./api.js";
import { $, explain, initLayout } from "./ui.js";

initLayout();

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("#login-error");
  error.hidden = true;
  try {
    await api.login($("#username").value.trim(), $("#password").value);
    const next = new URLSearchParams(window.location.search).get("next");
    // Only same-site paths: never follow ?next= to another host.
    const safeNext = next && next.startsWith("/") && !next.startsWith("//") ? next : null;
    // "/" sends each role to its own page.
    window.location.assign(safeNext || "/");
  } catch (failure) {
    error.textContent = explain(failure);
    error.hidden = false;
  }
});
