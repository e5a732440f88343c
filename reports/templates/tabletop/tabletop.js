// The tabletop console's script: live fragments over server-sent events, actions as
// JSON POSTs, large type, keyboard shortcuts. The server renders every fragment; this
// file only swaps them in, so what a view shows is always what the server says.
"use strict";

(function () {
  const body = document.body;
  const view = body.dataset.view;
  let version = Number(body.dataset.version);
  let received = performance.now(); // when the clock shown was the server's

  // -- large type (remembered in this browser) ------------------------------------
  const large = document.getElementById("large-type");
  function setLarge(on) {
    document.documentElement.classList.toggle("large", on);
    large.setAttribute("aria-pressed", on ? "true" : "false");
    try { localStorage.setItem("drillbit-large-type", on ? "1" : "0"); } catch (e) { /* private mode */ }
  }
  let remembered = null;
  try { remembered = localStorage.getItem("drillbit-large-type"); } catch (e) { /* private mode */ }
  setLarge(remembered === "1");
  large.addEventListener("click", () => setLarge(!document.documentElement.classList.contains("large")));

  // -- "acting as" (remembered in this browser) ------------------------------------
  const acting = document.getElementById("acting-as");
  if (acting) {
    try {
      const who = localStorage.getItem("drillbit-acting-as");
      if (who && [...acting.options].some((o) => o.value === who)) acting.value = who;
    } catch (e) { /* private mode */ }
    acting.addEventListener("change", () => {
      try { localStorage.setItem("drillbit-acting-as", acting.value); } catch (e) { /* private mode */ }
    });
  }

  // -- live fragments ----------------------------------------------------------------
  const connection = document.getElementById("connection");
  function apply(update) {
    if (update.version < version) return; // an older state arriving late changes nothing
    version = update.version;
    received = performance.now();
    body.dataset.version = String(version);
    body.dataset.phase = update.phase;
    const focused = document.activeElement && document.activeElement.id;
    for (const [name, html] of Object.entries(update.fragments)) {
      const el = document.querySelector(`[data-fragment="${name}"]`);
      if (el && el.innerHTML !== html) el.innerHTML = html;
    }
    // A swapped fragment replaced the focused button: focus its successor by id.
    if (focused && document.activeElement === body) {
      const again = document.getElementById(focused);
      if (again) again.focus();
    }
  }
  // -- the clock runs on between changes ---------------------------------------------
  // The server sends the clock at each change; while it runs, the page counts on from
  // there (drill seconds times the speed), as the server's clock does.
  function hms(seconds) {
    const s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? `${h}h` : "") + (m ? `${m}m` : "") + (r || (!h && !m) ? `${r}s` : "");
  }
  function wall(seconds) {
    const s = Math.floor(seconds) % 86400;
    return [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60].map((n) => String(n).padStart(2, "0")).join(":");
  }
  setInterval(() => {
    const clock = document.querySelector("p.clock");
    if (!clock || clock.dataset.running !== "true") return;
    const passed = ((performance.now() - received) / 1000) * Number(clock.dataset.speed);
    clock.querySelector(".t").textContent = "+" + hms(Number(clock.dataset.t) + passed);
    if (clock.dataset.wall) clock.querySelector(".wall").textContent = wall(Number(clock.dataset.wall) + passed);
  }, 500);

  const events = new EventSource(`/events?view=${view}`);
  events.addEventListener("state", (e) => apply(JSON.parse(e.data)));
  events.addEventListener("open", () => { connection.textContent = "live"; });
  events.addEventListener("error", () => { connection.textContent = "reconnecting…"; });

  // -- actions -------------------------------------------------------------------------
  function errorSlot(control) {
    const holder = control.closest("form") || control.closest("section") || body;
    return holder.querySelector("[data-error]");
  }
  async function send(action, control) {
    const slot = errorSlot(control);
    if (slot) slot.textContent = "";
    // A page is answered by whom it went to, not by whoever the browser acts as.
    if (acting && !("by" in action) && !["acknowledge", "start", "pause", "resume", "speed", "release", "hold", "end", "finish"].includes(action.action)) {
      action.by = acting.value;
    }
    let answer;
    try {
      const response = await fetch(`/api/action?view=${view}`, {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify(action), credentials: "same-origin",
      });
      answer = await response.json();
      if (!response.ok) throw new Error(answer.error || `the console answered ${response.status}`);
    } catch (err) {
      if (slot) slot.textContent = err.message;
      return false;
    }
    if (answer.state) apply(answer.state);
    return true;
  }

  document.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-action]");
    if (button) send(JSON.parse(button.dataset.action), button);
  });

  document.addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target;
    const submitter = e.submitter;
    const action = {action: form.dataset.action};
    for (const [key, value] of new FormData(form)) {
      if (key !== "action" && String(value).trim() !== "") action[key] = value;
    }
    if (submitter && submitter.name === "action") action.action = submitter.value;
    if (await send(action, submitter || form)) {
      form.querySelectorAll("textarea, input").forEach((field) => { field.value = ""; });
    }
  });

  // -- keyboard shortcuts (when the focus is not in a text field) -------------------------
  const shortcuts = {
    l: () => large.click(),
    "?": () => { const d = document.querySelector("details.shortcuts"); d.open = !d.open; d.querySelector("summary").focus(); },
    w: () => acting && acting.focus(),
    a: () => focus("#pages button[data-action], #acknowledge"),
    u: () => focus("#update-phase"),
    n: () => focus("#note-text"),
    b: () => focus("#runbooks button, #runbooks-h"),
    i: () => focus("#injects button, #injects-h"),
    s: () => focus("[data-fragment=clock] button"),
    r: () => focus("#record-h"),
    c: () => focus("#scorecard-h"),
  };
  function focus(selector) {
    const el = document.querySelector(selector);
    if (el) el.focus();
  }
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
    const run = shortcuts[e.key.toLowerCase()] || shortcuts[e.key];
    if (run) { e.preventDefault(); run(); }
  });
})();
