/* Agent console: status buttons, the call card (short polling), the consultation form.
   The card shows an inbound call or the agent's call-back call alike; both are recorded here. */
(function () {
  "use strict";
  var POLL_MS = 1500;
  var STAGES = { ringing: "振铃中", talking: "通话中", wrap_up: "话后整理" };
  var STATUS = { available: "示闲", "break": "小休", offline: "离线" };
  var root = document.getElementById("console");
  if (!root) { return; }

  var vocabulary = { services: {}, groups: {}, regions: {}, dispositions: {} };
  var state = { current: null, formCallSid: null, historyFor: null, saved: {} };
  var $ = function (id) { return document.getElementById(id); };
  var field = function (name) { return root.querySelector('[data-field="' + name + '"]'); };

  function showError(box, message) {
    box.hidden = !message;
    hotlineApi.text(box, message || "");
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return "—"; }
    var minutes = Math.floor(seconds / 60), rest = seconds % 60;
    return minutes ? minutes + "分" + (rest < 10 ? "0" : "") + rest + "秒" : rest + "秒";
  }

  /* ----- status ----- */
  function renderStatus(status) {
    var pill = $("status-pill");
    pill.className = "pill pill-" + status;
    pill.setAttribute("data-status", status);
    hotlineApi.text(pill, STATUS[status] || status);
    Array.prototype.forEach.call(root.querySelectorAll("[data-set-status]"), function (button) {
      button.classList.toggle("current", button.getAttribute("data-set-status") === status);
    });
  }

  Array.prototype.forEach.call(root.querySelectorAll("[data-set-status]"), function (button) {
    button.addEventListener("click", function () {
      var status = button.getAttribute("data-set-status");
      showError($("status-error"), "");
      hotlineApi.put("/api/agents/me/status", { status: status })
        .then(function (data) { renderStatus((data && data.status) || status); poll(); })
        .catch(function (error) { showError($("status-error"), "状态切换失败：" + error.message); });
    });
  });

  /* ----- the incoming-call card ----- */
  function renderHistory(rows) {
    var list = $("history");
    list.innerHTML = "";
    if (!rows.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = "无历史咨询记录";
      list.appendChild(none);
      return;
    }
    rows.forEach(function (c) {
      var item = document.createElement("li");
      var meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = c.created_at_local + " · " + c.case_number + " · " + c.topic + " · " + c.disposition_label;
      var summary = document.createElement("div");
      summary.textContent = c.summary;
      item.appendChild(meta);
      item.appendChild(summary);
      list.appendChild(item);
    });
  }

  function loadHistory(callSid) {
    if (state.historyFor === callSid) { return; }
    state.historyFor = callSid;
    $("history").innerHTML = '<li class="muted">加载中…</li>';
    hotlineApi.get("/api/calls/" + encodeURIComponent(callSid) + "/history")
      .then(function (data) { if (state.historyFor === callSid) { renderHistory(data.consultations); } })
      .catch(function () { $("history").innerHTML = '<li class="muted">历史记录暂不可用</li>'; });
  }

  function renderCard(current) {
    var card = $("call-card");
    $("call-empty").hidden = !!current;
    $("call-details").hidden = !current;
    card.classList.toggle("live", !!current);
    if (!current) { return; }
    var stage = field("stage");
    stage.className = "stage " + current.stage;
    hotlineApi.text(stage, STAGES[current.stage] || current.stage);
    hotlineApi.text(field("caller"), current.caller_full || current.caller);
    hotlineApi.text(field("service"), vocabulary.services[current.service] || current.service || "—");
    hotlineApi.text(field("topic"), current.topic || "—");
    hotlineApi.text(field("group"), current.group ? (current.group + " " + (vocabulary.groups[current.group] || "")) : "—");
    hotlineApi.text(field("region"), current.region === "province" ? "全省" : (vocabulary.regions[current.region] || current.region || "未知"));
    hotlineApi.text(field("waiting"), duration(current.waiting_seconds));
    hotlineApi.text(field("call_sid"), current.call_sid);
    $("flag-priority").hidden = !(current.priority > 0);
    $("flag-repeat").hidden = !current.repeat_caller;
    var callback = current.direction === "outbound";
    $("flag-callback").hidden = !callback;
    hotlineApi.text($("flag-callback"), callback ? "回拨 · " + (current.callback_source_label || "预约回电") : "");
    loadHistory(current.call_sid);
  }

  /* ----- the consultation form ----- */
  function openForm(current) {
    if (state.formCallSid === current.call_sid) { return; }
    if (state.formCallSid && !state.saved[state.formCallSid] && !$("consultation-form").hidden) {
      return; /* keep the unsaved form of the previous call */
    }
    state.formCallSid = current.call_sid;
    var form = $("consultation-form");
    form.reset();
    $("form-call-sid").value = current.call_sid;
    if (current.topic) { $("topic").value = current.topic; }
    $("summary-count").textContent = "0/2000";
    showError($("form-error"), "");
    $("saved").hidden = true;
    $("save").disabled = false;
    form.hidden = false;
    $("form-idle").hidden = true;
  }

  $("summary").addEventListener("input", function () {
    $("summary-count").textContent = $("summary").value.length + "/2000";
  });

  $("consultation-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {
      call_sid: $("form-call-sid").value,
      topic: $("topic").value,
      summary: $("summary").value,
      disposition: $("disposition").value,
      follow_up_needed: $("follow_up_needed").checked
    };
    var referral = $("referral_office").value.trim();
    if (referral) { body.referral_office = referral; }
    $("save").disabled = true;
    showError($("form-error"), "");
    hotlineApi.post("/api/consultations", body)
      .then(function (data) { showSaved(body.call_sid, data.case_number); })
      .catch(function (error) {
        if (error.status === 409 && error.body.details && error.body.details.case_number) {
          showSaved(body.call_sid, error.body.details.case_number);
          return;
        }
        $("save").disabled = false;
        showError($("form-error"), "保存失败：" + error.message);
      });
  });

  function showSaved(callSid, caseNumber) {
    state.saved[callSid] = caseNumber;
    $("consultation-form").hidden = true;
    hotlineApi.text($("case-number"), caseNumber);
    $("case-link").setAttribute("href", "/consultations/" + encodeURIComponent(caseNumber));
    $("saved").hidden = false;
    loadRecent();
  }

  /* ----- my recent consultations ----- */
  function loadRecent() {
    hotlineApi.get("/api/consultations?limit=10").then(function (data) {
      var body = $("recent");
      body.innerHTML = "";
      if (!data.consultations.length) {
        body.innerHTML = '<tr><td colspan="6" class="muted">暂无咨询记录</td></tr>';
        return;
      }
      data.consultations.forEach(function (c) {
        var row = document.createElement("tr");
        var link = document.createElement("a");
        link.href = "/consultations/" + encodeURIComponent(c.case_number);
        link.className = "mono";
        link.textContent = c.case_number;
        var cells = [link, c.created_at_local, c.topic, c.disposition_label, c.caller, c.summary];
        cells.forEach(function (value, index) {
          var cell = document.createElement("td");
          if (value instanceof Node) { cell.appendChild(value); } else { cell.textContent = value; }
          if (index === 4) { cell.className = "mono"; }
          if (index === 5) { cell.className = "summary"; cell.title = value; }
          row.appendChild(cell);
        });
        body.appendChild(row);
      });
    }).catch(function () { /* the next save reloads it */ });
  }

  /* ----- polling ----- */
  var polling = false;
  function poll() {
    if (polling) { return; }
    polling = true;
    hotlineApi.get("/api/agents/me/current")
      .then(function (current) {
        state.current = current;
        renderCard(current);
        if (current && (current.stage === "talking" || current.stage === "wrap_up")) {
          openForm(current);
        }
      })
      .catch(function () { /* keep the last card; try again next tick */ })
      .then(function () { polling = false; });
  }

  function start() {
    hotlineApi.get("/api/vocabulary").then(function (data) {
      data.services.forEach(function (s) { vocabulary.services[s.code] = s.name; });
      data.groups.forEach(function (g) { vocabulary.groups[g.digit] = g.name; });
      data.regions.forEach(function (r) { vocabulary.regions[r.code] = r.name; });
      data.dispositions.forEach(function (d) { vocabulary.dispositions[d.code] = d.label; });
    }).catch(function () {}).then(function () {
      poll();
      window.setInterval(poll, POLL_MS);
    });
    hotlineApi.get("/api/me").then(function (me) {
      if (me.agent) { renderStatus(me.agent.status); }
    }).catch(function () {});
    loadRecent();
  }

  window.hotlineConsole = { state: state, poll: poll };
  start();
})();
