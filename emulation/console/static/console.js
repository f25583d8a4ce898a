// The console's core: DOM helper, JSON calls, the hash router, the live refresh loop and the clock.
// Views register themselves in Console.views (views.js, views_ops.js); nothing here needs a build step.
"use strict";
const Console = (() => {
  const views = {};
  const REFRESH_MS = 1500;
  let current = null, timer = null, busy = false;

  // h("td", {class: "x", onclick: fn}, "text", child): text is always text, never parsed as HTML.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "value") el.value = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  async function call(method, path, body) {
    const options = {method, headers: {}};
    if (body !== undefined) { options.body = JSON.stringify(body); options.headers["content-type"] = "application/json"; }
    const response = await fetch(path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || data.message || ("HTTP " + response.status));
    return data;
  }
  const get = (path) => call("GET", path);
  const post = (path, body) => call("POST", path, body === undefined ? {} : body);
  const del = (path) => call("DELETE", path);
  // Console endpoints live under /_rez/console/api, the control API's own under /_rez.
  const api = (path) => "/_rez/console/api" + path;

  function badge(state) { return h("span", {class: "badge s-" + state}, state); }
  function when(iso) { return iso ? iso.replace("T", " ").replace(/(\.\d{3})\d*/, "$1").replace("+00:00", "Z") : ""; }
  function table(headers, rows) {
    return h("table", {}, h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))), h("tbody", {}, rows));
  }
  function status(text, isError) {
    const el = document.getElementById("status");
    el.textContent = text; el.className = isError ? "error" : "";
  }
  function go(hash) { window.location.hash = hash; }

  async function refresh() {
    if (!current || busy) return;
    busy = true;
    try {
      await Promise.all([current.refresh ? current.refresh() : null, refreshClock()]);
      status("updated " + new Date().toLocaleTimeString());
    } catch (err) { status(err.message, true); } finally { busy = false; }
  }

  function route() {
    const [name, ...args] = (window.location.hash.replace(/^#\/?/, "") || "messages").split("/");
    const view = views[name] || views.messages;
    document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active", a.dataset.view === name));
    const main = document.getElementById("view");
    main.textContent = "";
    current = view.mount(main, args.map(decodeURIComponent)) || {};
    document.body.dataset.view = name;
    refresh();
  }

  async function refreshClock() {
    const clock = await get("/_rez/clock");
    document.getElementById("clock-now").textContent = when(clock.now);
    const mode = document.getElementById("clock-mode");
    mode.textContent = clock.frozen ? "frozen" : "running"; mode.className = "badge " + (clock.frozen ? "s-frozen" : "s-OK");
  }
  function clockControls() {
    const act = (fn) => async () => { try { await fn(); await refresh(); } catch (err) { status(err.message, true); } };
    document.getElementById("clock-freeze").onclick = act(() => post("/_rez/clock/freeze"));
    document.getElementById("clock-unfreeze").onclick = act(() => post("/_rez/clock/unfreeze"));
    document.getElementById("clock-advance").onclick = act(async () => {
      const answer = await post("/_rez/clock/advance", {by: document.getElementById("clock-by").value});
      document.getElementById("clock-result").textContent = "+" + document.getElementById("clock-by").value + ": " + answer.fired + " timer(s) fired";
    });
  }

  async function start() {
    if (window.mermaid) window.mermaid.initialize({startOnLoad: false, securityLevel: "strict", theme: "default"});
    clockControls();
    try {
      const info = await get(api("/overview"));
      Console.info = info;
      document.getElementById("stage").textContent = "stage " + info.stage + " · " + info.target;
    } catch (err) { status(err.message, true); }
    window.addEventListener("hashchange", route);
    route();
    timer = setInterval(refresh, REFRESH_MS);
  }

  return {views, h, get, post, del, api, badge, when, table, status, go, refresh, start, info: null,
          stop: () => clearInterval(timer)};
})();
