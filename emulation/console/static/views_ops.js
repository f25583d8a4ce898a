// Views that operate the platform: queues and DLQs (inspect, redrive), schedules (pause/resume),
// alarms, and fault injection for functions and fakes.
"use strict";
(() => {
  const {views, h, get, post, del, api, badge, when, table, status, refresh} = Console;
  const act = (fn) => async () => { try { await fn(); await refresh(); } catch (err) { status(err.message, true); } };

  views.queues = {mount(el) {
    const queues = h("div", {}), dlqs = h("div", {}), peek = h("div", {id: "dlq-peek"});
    el.append(h("h2", {}, "Queues"), queues, h("h3", {}, "Dead-letter queues"), dlqs, peek);
    async function inspect(key) {
      const data = await get(api("/dlq/" + key));
      peek.replaceChildren(h("h3", {}, "Waiting in " + key + " DLQ"), data.messages.length ? table(["receives", "body"],
        data.messages.map((m) => h("tr", {}, h("td", {}, m.receive_count), h("td", {}, h("pre", {}, JSON.stringify(m.body, null, 2))))))
        : h("p", {class: "muted"}, "empty"));
    }
    return {async refresh() {
      const data = await get(api("/queues"));
      queues.replaceChildren(table(["queue", "visible", "in flight", "delayed", "visibility timeout", "dead letters to"],
        data.queues.filter((q) => !q.is_dlq).map((q) => h("tr", {}, h("td", {class: "mono"}, q.name), h("td", {}, q.visible),
          h("td", {}, q.in_flight), h("td", {}, q.delayed), h("td", {}, q.visibility_timeout + " s"),
          h("td", {class: "mono"}, q.dlq ? q.dlq + " (after " + q.max_receive_count + " receives)" : "—")))));
      dlqs.replaceChildren(table(["queue", "dead letters", "dlq", ""], data.dlqs.map((d) => h("tr", {"data-dlq": d.queue},
        h("td", {}, d.queue), h("td", {class: "count"}, d.messages), h("td", {class: "mono"}, d.dlq),
        h("td", {}, h("button", {type: "button", class: "inspect", onclick: act(() => inspect(d.queue))}, "Inspect"), " ",
          h("button", {type: "button", class: "primary redrive", disabled: !d.messages, onclick: act(async () => {
            const moved = await post(api("/dlq/" + d.queue + "/redrive"));
            status("redrove " + moved.moved + " message(s) from " + d.queue);
            peek.replaceChildren(h("p", {id: "redrive-result"}, "Redrove " + moved.moved + " message(s) from " + d.queue + " to its source queue."));
          })}, "Redrive"))))));
    }};
  }};

  views.schedules = {mount(el) {
    const body = h("div", {});
    el.append(h("h2", {}, "Schedules"), h("p", {class: "muted"}, "EventBridge Scheduler schedules, next fire times in their own timezone (platform clock)."), body);
    return {async refresh() {
      const data = await get(api("/schedules"));
      body.replaceChildren(table(["name", "status", "expression", "timezone", "next fires (local)", "runs", "last run", ""],
        data.schedules.map((s) => h("tr", {"data-name": s.name}, h("td", {}, s.name, h("div", {class: "muted small mono"}, s.id || s.scheduler_name)),
          h("td", {}, badge(s.status)), h("td", {class: "mono"}, s.expression), h("td", {}, s.timezone),
          h("td", {class: "mono small"}, s.next.map((f) => h("div", {title: f.utc}, f.local))),
          h("td", {}, s.record ? s.record.execution_count || 0 : ""), h("td", {class: "mono small"}, s.record ? when(s.record.last_run) : ""),
          h("td", {}, s.id && s.status === "active" ? h("button", {type: "button", onclick: act(() => post(api("/schedules/" + s.id + "/pause")))}, "Pause") : null,
            s.id && s.status === "paused" ? h("button", {type: "button", onclick: act(() => post(api("/schedules/" + s.id + "/resume")))}, "Resume") : null)))));
    }};
  }};

  views.alarms = {mount(el) {
    const body = h("div", {}), transitions = h("div", {});
    el.append(h("h2", {}, "Alarms"), h("div", {class: "toolbar"},
      h("button", {type: "button", onclick: act(() => post("/_rez/alarms"))}, "Evaluate now"),
      h("span", {class: "muted small"}, "evaluated each minute of platform time")), body, h("h3", {}, "Transitions"), transitions);
    return {async refresh() {
      const data = await get("/_rez/alarms");
      body.replaceChildren(table(["alarm", "state", "reason"], data.alarms.map((a) => h("tr", {"data-alarm": a.name},
        h("td", {class: "mono"}, a.name), h("td", {}, badge(a.state)), h("td", {class: "small"}, a.reason)))));
      transitions.replaceChildren(data.transitions.length ? table(["alarm", "change"], data.transitions.slice().reverse().map((t) =>
        h("tr", {}, h("td", {class: "mono"}, t.alarm), h("td", {}, badge(t.from), " → ", badge(t.to))))) : h("p", {class: "muted"}, "none yet"));
    }};
  }};

  const number = (id, placeholder) => h("input", {id, type: "number", min: 0, size: 6, placeholder, style: "width: 7em"});
  views.faults = {mount(el) {
    const functions = h("div", {}), fakes = h("div", {});
    el.append(h("h2", {}, "Fault injection"), h("h3", {}, "Functions"), functions, h("h3", {}, "Fakes (outside world)"), fakes);
    const fnNames = (Console.info && Console.info.functions) || [];
    functions.append(table(["function", "fail next", "time out next", "latency ms", "", "now"], fnNames.map((fn) => {
      const fail = number("fail-" + fn, "0"), timeout = number("timeout-" + fn, "0"), latency = number("latency-" + fn, "0");
      const value = (input) => parseInt(input.value || "0", 10);
      return h("tr", {"data-function": fn}, h("td", {class: "mono"}, fn), h("td", {}, fail), h("td", {}, timeout), h("td", {}, latency),
        h("td", {}, h("button", {type: "button", onclick: act(() => post("/_rez/functions/" + fn + "/faults",
          {fail_next: value(fail), timeout_next: value(timeout), latency_ms: value(latency)}))}, "Apply"), " ",
          h("button", {type: "button", onclick: act(() => del("/_rez/functions/" + fn + "/faults"))}, "Clear")),
        h("td", {class: "mono small now"}));
    })));
    return {async refresh() {
      const info = await get(api("/overview"));
      functions.querySelectorAll("tr[data-function]").forEach((row) => {
        const f = info.function_faults[row.dataset.function];
        row.querySelector(".now").textContent = f ? JSON.stringify(f) : "none";
      });
      const data = await get(api("/fakes"));
      if (!fakes.firstChild) fakes.append(table(["fake", "status", "latency ms", "times", "", "pending plans"],
        Object.keys(data.fakes).map((name) => {
          const code = number("status-" + name, "e.g. 500"), latency = number("flatency-" + name, "0"), times = number("times-" + name, "all");
          const plan = () => Object.fromEntries(Object.entries({status: code.value, latency_ms: latency.value, times: times.value})
            .filter(([, v]) => v !== "").map(([k, v]) => [k, parseInt(v, 10)]));
          return h("tr", {"data-fake": name}, h("td", {class: "mono"}, name), h("td", {}, code), h("td", {}, latency), h("td", {}, times),
            h("td", {}, h("button", {type: "button", onclick: act(() => post(api("/fakes/" + name + "/faults"), plan()))}, "Add"), " ",
              h("button", {type: "button", onclick: act(() => del(api("/fakes/" + name + "/faults")))}, "Heal")),
            h("td", {class: "mono small plans"}));
        })));
      fakes.querySelectorAll("tr[data-fake]").forEach((row) => {
        const list = data.fakes[row.dataset.fake] || [];
        const brief = (plan) => JSON.stringify(Object.fromEntries(Object.entries(plan).filter(([, v]) => v)));  // set fields only
        row.querySelector(".plans").textContent = list.length ? list.map(brief).join(" then ") : "none";
      });
    }};
  }};
})();
