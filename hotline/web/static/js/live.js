/* Supervisors' live view: renders the snapshot from /api/metrics/live and the SSE stream,
   counts waits and time in state between snapshots, and runs the pause/release/move actions. */
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) { return; }
  var streamUrl = root.getAttribute("data-stream-url");
  var apiUrl = root.getAttribute("data-api-url");
  var callUrl = root.getAttribute("data-call-url");
  var connection = document.getElementById("live-connection");
  var messageBox = document.getElementById("live-action-message");
  var regions = [];

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return "—"; }
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    if (h) { return h + "时" + (m < 10 ? "0" : "") + m + "分"; }
    if (m) { return m + "分" + (r < 10 ? "0" : "") + r + "秒"; }
    return r + "秒";
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%";
  }

  function format(value, kind) {
    if (kind === "percent") { return percent(value); }
    if (kind === "duration") { return duration(value); }
    return value === null || value === undefined ? "—" : String(value);
  }

  /* A cell whose seconds keep counting until the next snapshot (a cached snapshot is
     served_at - generated_at old: its seconds are that much behind). */
  var age = 0;
  function counter(seconds) {
    var td = el("td", duration(seconds + age), "mono");
    td.setAttribute("data-counter", String(seconds + age));
    td.setAttribute("data-received", String(Date.now()));
    return td;
  }

  function tick() {
    var cells = root.querySelectorAll("[data-counter]");
    for (var i = 0; i < cells.length; i++) {
      var base = Number(cells[i].getAttribute("data-counter"));
      var since = Number(cells[i].getAttribute("data-received"));
      cells[i].textContent = duration(base + (Date.now() - since) / 1000);
    }
  }

  function fill(tbody, rows, empty) {
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    rows.forEach(function (row) { tbody.appendChild(row); });
    if (empty) { empty.hidden = rows.length > 0; }
  }

  function button(label, action, attrs) {
    var b = el("button", label, "btn btn-small");
    b.type = "button";
    b.setAttribute("data-action", action);
    Object.keys(attrs).forEach(function (k) { b.setAttribute(k, attrs[k]); });
    return b;
  }

  function waitingRow(w) {
    var tr = el("tr");
    tr.setAttribute("data-call-sid", w.call_sid);
    tr.appendChild(el("td", w.position));
    var caller = el("td", null, "mono");
    var link = el("a", w.caller);
    link.href = callUrl + "/" + encodeURIComponent(w.call_sid);
    link.title = "通话详情（可申请查看完整号码）";
    caller.appendChild(link);
    if (w.priority) { caller.appendChild(document.createTextNode(" ")); caller.appendChild(el("span", "绿色通道", "flag flag-priority")); }
    if (w.repeat_caller) { caller.appendChild(document.createTextNode(" ")); caller.appendChild(el("span", "重复", "flag flag-repeat")); }
    tr.appendChild(caller);
    tr.appendChild(el("td", w.region_label));
    tr.appendChild(el("td", w.service_label));
    tr.appendChild(el("td", w.group_label + (w.topic ? "·" + w.topic : "")));
    tr.appendChild(counter(w.waited_seconds));
    var move = el("td");
    var select = el("select", null, "live-move-target");
    select.setAttribute("aria-label", "转移到");
    regions.forEach(function (r) {
      if (r.region === w.region) { return; }
      var option = el("option", r.label);
      option.value = r.region;
      select.appendChild(option);
    });
    move.appendChild(select);
    move.appendChild(button("转移", "move", { "data-call-sid": w.call_sid }));
    tr.appendChild(move);
    return tr;
  }

  function agentRow(a) {
    var tr = el("tr");
    tr.setAttribute("data-agent-id", String(a.id));
    tr.setAttribute("data-state", a.state);
    tr.appendChild(el("td", a.name));
    tr.appendChild(el("td", a.region_label + (a.on_duty ? "" : "（非值班）")));
    var state = el("td");
    state.appendChild(el("span", a.state_label, "live-state live-state-" + a.state));
    tr.appendChild(state);
    tr.appendChild(counter(a.seconds_in_state));
    var call = el("td", a.call ? a.call.caller + " · " + a.call.group_label + " · " + a.call.region_label : "", "mono");
    tr.appendChild(call);
    var actions = el("td");
    if (a.state !== "offline") {
      var resting = a.paused || a.state === "break";
      actions.appendChild(button(resting ? "恢复" : "暂停", resting ? "release" : "pause",
        { "data-agent-id": String(a.id) }));
    }
    tr.appendChild(actions);
    return tr;
  }

  function kpiCells(tr, today, keys) {
    keys.forEach(function (k) { tr.appendChild(el("td", format(today ? today[k[0]] : null, k[1]))); });
  }

  function regionRow(r) {
    var tr = el("tr");
    tr.setAttribute("data-region", r.region);
    if (r.waiting) { tr.className = "live-busy"; }
    tr.appendChild(el("td", r.label));
    tr.appendChild(el("td", r.waiting));
    tr.appendChild(r.longest_wait_seconds === null ? el("td", "—") : counter(r.longest_wait_seconds));
    tr.appendChild(el("td", r.agents.available));
    tr.appendChild(el("td", r.agents.ringing + r.agents.talking));
    tr.appendChild(el("td", r.agents.wrap_up));
    tr.appendChild(el("td", r.agents.paused + r.agents["break"]));
    kpiCells(tr, r.today, [["offered"], ["answered"], ["abandoned"], ["service_level", "percent"],
      ["asa_seconds", "duration"], ["csat", "percent"]]);
    return tr;
  }

  function groupRow(g) {
    var tr = el("tr");
    tr.appendChild(el("td", g.label));
    tr.appendChild(el("td", g.waiting));
    tr.appendChild(g.longest_wait_seconds === null ? el("td", "—") : counter(g.longest_wait_seconds));
    kpiCells(tr, g.today, [["offered"], ["answered"], ["abandoned"], ["service_level", "percent"],
      ["asa_seconds", "duration"]]);
    return tr;
  }

  function render(snapshot) {
    age = Math.max(0, (Date.parse(snapshot.served_at) - Date.parse(snapshot.generated_at)) / 1000) || 0;
    regions = snapshot.regions.map(function (r) { return { region: r.region, label: r.label }; });
    var figures = Object.assign({}, snapshot.today, snapshot.queue);
    var tiles = root.querySelectorAll("[data-kpi]");
    for (var i = 0; i < tiles.length; i++) {
      var key = tiles[i].getAttribute("data-kpi");
      tiles[i].textContent = format(figures[key], tiles[i].getAttribute("data-format"));
    }
    hotlineApi.text(document.getElementById("live-sl-seconds"), snapshot.service_level_seconds);
    hotlineApi.text(document.getElementById("live-updated"), snapshot.generated_at_local);
    hotlineApi.text(document.getElementById("live-routers"), snapshot.processes.routers);
    hotlineApi.text(document.getElementById("live-workers"), snapshot.processes.workers);
    fill(document.getElementById("live-alerts"), snapshot.alerts.map(function (a) {
      var li = el("li", a.message, "alert alert-error live-alert");
      li.setAttribute("data-kind", a.kind);
      return li;
    }));
    fill(document.querySelector("#waiting-table tbody"), snapshot.waiting_callers.map(waitingRow),
      document.getElementById("waiting-empty"));
    fill(document.querySelector("#agents-table tbody"), snapshot.agents.map(agentRow),
      document.getElementById("agents-empty"));
    fill(document.querySelector("#regions-table tbody"), snapshot.regions.map(regionRow));
    fill(document.querySelector("#groups-table tbody"), snapshot.groups.map(groupRow));
  }

  function setConnection(state, label) {
    connection.setAttribute("data-state", state);
    connection.textContent = label;
  }

  function say(text, ok) {
    messageBox.hidden = false;
    messageBox.className = "alert " + (ok ? "alert-success" : "alert-error");
    messageBox.textContent = text;
  }

  function act(target) {
    var action = target.getAttribute("data-action");
    var request;
    if (action === "move") {
      var sid = target.getAttribute("data-call-sid");
      var select = target.parentNode.querySelector("select");
      if (!select || !select.value) { return; }
      request = hotlineApi.post("/api/calls/" + encodeURIComponent(sid) + "/move", { region: select.value });
    } else {
      var id = target.getAttribute("data-agent-id");
      request = hotlineApi.post("/api/agents/" + encodeURIComponent(id) + "/" + action);
    }
    target.disabled = true;
    request.then(function () {
      say(action === "move" ? "已转移到新的地区队列。" : (action === "pause" ? "已暂停该坐席接听。" : "已恢复该坐席接听。"), true);
      return hotlineApi.get(apiUrl).then(render);
    }).catch(function (error) {
      say("操作失败：" + error.message, false);
      target.disabled = false;
    });
  }

  root.addEventListener("click", function (event) {
    var target = event.target.closest("button[data-action]");
    if (target) { act(target); }
  });

  function connect() {
    var source = new EventSource(streamUrl);
    source.addEventListener("open", function () { setConnection("open", "实时连接中"); });
    source.addEventListener("snapshot", function (event) {
      setConnection("open", "实时连接中");
      render(JSON.parse(event.data));
    });
    source.addEventListener("error", function () {
      if (source.readyState !== EventSource.CLOSED) {
        setConnection("retrying", "连接中断，正在重连…");
        return;
      }
      // Refused (e.g. 503: the server's streams are all taken): poll the API for a while.
      setConnection("polling", "定时刷新中（每3秒）");
      pollFor(30000, connect);
    });
  }

  function pollFor(milliseconds, then) {
    var timer = window.setInterval(function () {
      hotlineApi.get(apiUrl).then(render).catch(function () {});
    }, 3000);
    window.setTimeout(function () { window.clearInterval(timer); then(); }, milliseconds);
  }

  hotlineApi.get(apiUrl).then(render).catch(function (error) { say("无法读取实时数据：" + error.message, false); });
  connect();
  window.setInterval(tick, 1000);
})();
