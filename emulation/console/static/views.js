// Views that follow requests: messages (filter, detail, history), traces (Mermaid), logs, inbox, agent.
"use strict";
(() => {
  const {views, h, get, api, badge, when, table, go} = Console;
  const STATUSES = ["", "created", "queued", "processing", "completed", "failed"];
  const TYPES = ["", "notify", "web_action", "schedule_creation", "scheduled", "agent_response", "hello_world"];
  const select = (id, options, value) => h("select", {id}, options.map((o) => h("option", {value: o, selected: o === value}, o || "any")));

  views.messages = {mount(el, args) {
    if (args[0]) return views.message.mount(el, args);
    const status = select("f-status", STATUSES, ""), type = select("f-type", TYPES, "");
    const body = h("div", {});
    el.append(h("h2", {}, "Messages"),
      h("div", {class: "toolbar"}, "status", status, "type", type, h("span", {class: "muted small"}, "newest first, up to 50")), body);
    return {async refresh() {
      const query = new URLSearchParams({status: status.value, message_type: type.value});
      const data = await get(api("/messages?" + query));
      const rows = (data.messages || []).map((m) => h("tr", {class: "link", "data-id": m.id, onclick: () => go("#/messages/" + m.id)},
        h("td", {class: "mono"}, m.id), h("td", {}, m.message_type), h("td", {}, badge(m.status)),
        h("td", {}, m.retry_count || 0), h("td", {class: "mono"}, when(m.created_date)), h("td", {class: "mono"}, when(m.updated_date))));
      body.replaceChildren(table(["id", "type", "status", "retries", "created", "updated"], rows));
    }};
  }};

  views.message = {mount(el, args) {
    const id = args[0], head = h("div", {}), history = h("div", {}), detail = h("div", {class: "grid2"});
    el.append(h("h2", {}, "Message ", h("span", {class: "mono"}, id)), head, detail, h("h3", {}, "History (from the trace)"), history);
    return {async refresh() {
      const data = await get(api("/messages/" + encodeURIComponent(id)));
      const m = data.message;
      head.replaceChildren(h("div", {class: "toolbar"}, badge(m.status), h("span", {}, m.message_type), h("span", {}, "retries: " + (m.retry_count || 0)),
        m.error_message ? h("span", {class: "error"}, m.error_message) : null,
        data.traces.map((t) => h("a", {href: "#/traces/" + encodeURIComponent(t.trace_id), class: "trace-link", title: t.trace_id}, "trace: " + t.entry.split(": ").pop() + " →"))));
      detail.replaceChildren(h("div", {}, h("h3", {}, "Record"), h("pre", {}, JSON.stringify(m, null, 2))),
        h("div", {}, h("h3", {}, "Results"), data.results.length ? h("pre", {}, JSON.stringify(data.results, null, 2)) : h("p", {class: "muted"}, "none")));
      history.replaceChildren(table(["platform time", "from", "to", "what"], data.history.map((hop) => h("tr", {},
        h("td", {class: "mono"}, when(hop.at)), h("td", {}, hop.source), h("td", {}, hop.target),
        h("td", {class: hop.detail && hop.detail.error ? "error" : ""}, hop.label + (hop.detail && hop.detail.error ? " — " + hop.detail.error : ""))))));
    }};
  }};

  views.traces = {mount(el, args) {
    if (args[0]) return views.trace.mount(el, args);
    const body = h("div", {});
    el.append(h("h2", {}, "Traces"), h("p", {class: "muted"}, "Every request through the stack, newest first. Click one for its sequence diagram."), body);
    return {async refresh() {
      const data = await get("/_rez/traces");
      body.replaceChildren(table(["entry", "hops", "messages", "trace id"], data.traces.map((t) => h("tr", {class: "link", onclick: () => go("#/traces/" + encodeURIComponent(t.trace_id))},
        h("td", {}, t.entry), h("td", {}, t.hops), h("td", {class: "mono"}, t.message_ids.join(" ")), h("td", {class: "mono small"}, t.trace_id)))));
    }};
  }};

  let diagrams = 0;
  views.trace = {mount(el, args) {
    const key = args[0], diagram = h("div", {class: "diagram", id: "diagram"}), hops = h("div", {}), source = h("pre", {});
    let shown = null;
    el.append(h("h2", {}, "Trace ", h("span", {class: "mono small"}, key)), diagram, h("h3", {}, "Hops"), hops,
      h("details", {}, h("summary", {}, "Mermaid source"), source));
    return {async refresh() {
      const trace = await get("/_rez/traces/" + encodeURIComponent(key));
      if (trace.mermaid !== shown) {  // re-render only when the trace grew
        shown = trace.mermaid; source.textContent = trace.mermaid;
        const {svg} = await window.mermaid.render("trace-diagram-" + (++diagrams), trace.mermaid);
        diagram.innerHTML = svg;  // Mermaid's own SVG output (securityLevel strict)
        diagram.dataset.hops = trace.hops.length;
      }
      hops.replaceChildren(table(["#", "platform time", "from", "to", "what", "ms"], trace.hops.map((hop, i) => h("tr", {},
        h("td", {}, i + 1), h("td", {class: "mono"}, when(hop.at)), h("td", {}, hop.source), h("td", {}, hop.target),
        h("td", {class: hop.detail && hop.detail.error ? "error" : ""}, hop.label), h("td", {}, hop.detail && hop.detail.duration_ms != null ? hop.detail.duration_ms : "")))));
    }};
  }};

  views.logs = {mount(el) {
    const fn = select("log-function", [""].concat((Console.info && Console.info.functions) || []), "");
    const pause = h("input", {type: "checkbox", id: "log-pause"});
    const pane = h("pre", {id: "logpane"});
    let after = 0;
    fn.onchange = () => { after = 0; pane.textContent = ""; };
    el.append(h("h2", {}, "Function logs"), h("div", {class: "toolbar"}, "function", fn, h("label", {}, pause, " pause"),
      h("span", {class: "muted small"}, "live tail, as `rez logs --follow`")), pane);
    return {async refresh() {
      if (pause.checked) return;
      const data = await get("/_rez/logs" + (fn.value ? "/" + fn.value : "") + "?after=" + after);
      if (!data.lines.length) return;
      const atBottom = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 20;
      pane.append(data.lines.map((l) => l.time.slice(11, 23) + " " + l.function.padEnd(10) + " " + l.text + "\n").join(""));
      after = data.lines[data.lines.length - 1].seq;
      if (atBottom) pane.scrollTop = pane.scrollHeight;
    }};
  }};

  views.inbox = {mount(el) {
    const body = h("div", {});
    el.append(h("h2", {}, "ntfy inbox"), h("p", {class: "muted"}, "What the phone would show, newest first (the ntfy fake)."), body);
    return {async refresh() {
      const data = await get(api("/inbox"));
      const rows = data.messages.slice().reverse().map((m) => h("tr", {},
        h("td", {class: "mono"}, m.time ? when(new Date(m.time * 1000).toISOString()) : ""), h("td", {}, m.topic),
        h("td", {}, m.priority || ""), h("td", {}, m.title || ""), h("td", {}, (m.tags || []).join(", ")),
        h("td", {style: "white-space: pre-wrap"}, m.message)));
      body.replaceChildren(table(["time", "topic", "priority", "title", "tags", "message"], rows));
    }};
  }};

  views.agent = {mount(el) {
    const frame = h("iframe", {title: "agent chat", id: "agent-frame"});
    el.append(h("h2", {}, "Agent chat"), h("p", {class: "muted"}, "The agent's own page on the HTTP API, signed in as the demo user."), frame);
    get(api("/agent")).then((data) => { frame.src = data.url; }).catch((err) => Console.status(err.message, true));
    return {};
  }};
})();
