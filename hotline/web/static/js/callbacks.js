/* Agent console: the 回拨任务 panel (work items, the 回拨 button, the progress of a call-back). */
(function () {
  "use strict";
  var LIST_MS = 5000;
  var PROGRESS_MS = 1500;
  var panel = document.getElementById("callback-panel");
  if (!panel) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var state = { items: [], working: null, busy: false };

  function showError(message) {
    $("callback-error").hidden = !message;
    hotlineApi.text($("callback-error"), message || "");
  }

  function cell(row, value, className) {
    var td = document.createElement("td");
    if (value instanceof Node) { td.appendChild(value); } else { td.textContent = value; }
    if (className) { td.className = className; }
    row.appendChild(td);
    return td;
  }

  function recordingLink(url) {
    if (!url) { return "—"; }
    var link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = "播放留言";
    return link;
  }

  function renderItems(data) {
    var body = $("callback-items");
    body.innerHTML = "";
    state.items = data.items;
    hotlineApi.text($("callback-count"), data.items.length ? "（" + data.items.length + "）" : "");
    if (!data.items.length) {
      body.innerHTML = '<tr><td colspan="8" class="muted">暂无待回拨任务</td></tr>';
    }
    data.items.forEach(function (item) {
      var row = document.createElement("tr");
      row.setAttribute("data-item", item.id);
      var service = item.service_label + (item.topic ? " / " + item.topic : "");
      cell(row, item.source_label);
      cell(row, item.caller, "mono");
      cell(row, item.region_label);
      cell(row, service);
      cell(row, item.attempts + " / " + item.max_attempts);
      cell(row, item.next_attempt_local);
      cell(row, recordingLink(item.voicemail && item.voicemail.recording_url));
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-small btn-primary";
      button.textContent = item.status === "in_progress" ? "回拨中" : "回拨";
      button.disabled = item.status !== "pending" || !item.due || state.busy;
      button.setAttribute("data-call-item", item.id);
      button.addEventListener("click", function () { startCall(item.id); });
      cell(row, button);
      body.appendChild(row);
    });
    renderVoicemails(data.voicemails || []);
  }

  function renderVoicemails(rows) {
    $("voicemail-only").hidden = !rows.length;
    var list = $("voicemail-list");
    list.innerHTML = "";
    rows.forEach(function (v) {
      var item = document.createElement("li");
      item.textContent = v.created_at_local + " · " + v.region_label + " · " + v.service_label + " ";
      item.appendChild(recordingLink(v.recording_url));
      list.appendChild(item);
    });
  }

  function loadItems() {
    return hotlineApi.get("/api/work-items").then(renderItems).catch(function () {
      /* keep the last list; try again next tick */
    });
  }

  function lastAttempt(item) {
    var attempts = item.attempt_list || [];
    return attempts.length ? attempts[attempts.length - 1] : null;
  }

  function progressText(item) {
    var attempt = lastAttempt(item);
    if (item.status === "in_progress") {
      return "第" + (attempt ? attempt.number : 1) + "次回拨：" + (attempt ? attempt.outcome_label : "呼叫中") + "…";
    }
    if (item.status === "done") { return "回拨已接通，任务已完成。请在“咨询登记”中登记本次咨询。"; }
    if (item.status === "unreachable") { return "已回拨" + item.attempts + "次均未接通，任务已关闭，系统已短信告知来电人。"; }
    var outcome = attempt ? attempt.outcome_label : "";
    return "本次回拨未接通（" + outcome + "）。下次回拨时间：" + item.next_attempt_local + "。";
  }

  function renderProgress(item) {
    var box = $("callback-progress");
    box.hidden = false;
    box.className = "alert " + (item.status === "done" ? "alert-success" : item.status === "in_progress" ? "" : "alert-error");
    box.setAttribute("data-status", item.status);
    hotlineApi.text($("callback-progress-text"), progressText(item));
    hotlineApi.text($("callback-phone"), item.status === "in_progress" && item.phone ? item.phone : "");
    $("callback-close").hidden = item.status !== "done";
  }

  function followProgress(itemId) {
    state.working = itemId;
    hotlineApi.get("/api/work-items/" + itemId).then(function (item) {
      renderProgress(item);
      if (item.status === "in_progress") {
        window.setTimeout(function () { followProgress(itemId); }, PROGRESS_MS);
      } else {
        state.busy = false;
        loadItems();
      }
    }).catch(function () {
      window.setTimeout(function () { followProgress(itemId); }, PROGRESS_MS);
    });
  }

  function startCall(itemId) {
    showError("");
    state.busy = true;
    Array.prototype.forEach.call(panel.querySelectorAll("[data-call-item]"), function (b) { b.disabled = true; });
    hotlineApi.post("/api/work-items/" + itemId + "/call").then(function (data) {
      renderProgress(data.item);
      followProgress(itemId);
    }).catch(function (error) {
      state.busy = false;
      showError("回拨未能发起：" + error.message);
      loadItems();
    });
  }

  $("callback-close-button").addEventListener("click", function () {
    if (state.working === null) { return; }
    var note = $("callback-note").value.trim();
    hotlineApi.post("/api/work-items/" + state.working + "/close", note ? { outcome_note: note } : {})
      .then(function () {
        $("callback-close").hidden = true;
        hotlineApi.text($("callback-progress-text"), "已办结。");
      })
      .catch(function (error) { showError("办结失败：" + error.message); });
  });

  window.hotlineCallbacks = { state: state, reload: loadItems };
  loadItems();
  window.setInterval(function () { if (!state.busy) { loadItems(); } }, LIST_MS);
})();
