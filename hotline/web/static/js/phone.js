/* Browser answering with Twilio's Voice JS SDK (vendored); sounds are served by this site. */
(function () {
  "use strict";
  var root = document.getElementById("console");
  var enable = document.getElementById("phone-enable");
  if (!root || !enable) { return; }
  var stateText = document.getElementById("phone-state");
  var incomingBox = document.getElementById("phone-incoming");
  var hangup = document.getElementById("phone-hangup");
  var ring = root.getAttribute("data-sound-ring");
  var beep = root.getAttribute("data-sound-beep");
  var phone = { device: null, identity: null, call: null, tokenRequests: 0 };
  window.hotlinePhone = phone;

  function say(text) { hotlineApi.text(stateText, text); }

  function sounds() {
    var all = { incoming: ring, outgoing: beep, disconnect: beep };
    ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "s", "h"].forEach(function (key) {
      all["dtmf" + key] = beep;
    });
    return all;
  }

  function fetchToken() {
    phone.tokenRequests += 1;
    return hotlineApi.post("/api/voice/token", {}).then(function (data) {
      phone.identity = data.identity;
      return data.token;
    });
  }

  function bindCall(call) {
    phone.call = call;
    call.on("accept", function () { incomingBox.hidden = true; hangup.hidden = false; say("通话中"); });
    call.on("disconnect", function () { phone.call = null; hangup.hidden = true; incomingBox.hidden = true; say("已就绪，等待来电"); });
    call.on("cancel", function () { phone.call = null; incomingBox.hidden = true; say("来电已取消"); });
    call.on("reject", function () { phone.call = null; incomingBox.hidden = true; say("已拒接"); });
  }

  enable.addEventListener("click", function () {
    enable.disabled = true;
    say("正在获取通话凭证…");
    fetchToken().then(function (token) {
      var device = new Twilio.Device(token, {
        sounds: sounds(),
        publishEvents: false,
        closeProtection: "通话尚未结束，确定离开吗？",
        codecPreferences: ["opus", "pcmu"],
        appName: "hotline-console"
      });
      phone.device = device;
      device.on("registering", function () { say("正在连接…"); });
      device.on("registered", function () { say("已就绪，等待来电"); });
      device.on("unregistered", function () { say("未连接"); });
      device.on("error", function (error) { say("浏览器电话出错：" + (error && error.message || "未知错误")); enable.disabled = false; });
      device.on("incoming", function (call) {
        bindCall(call);
        incomingBox.hidden = false;
        say("来电振铃中");
      });
      device.on("tokenWillExpire", function () {
        fetchToken().then(function (fresh) { device.updateToken(fresh); });
      });
      say("正在连接…");
      return device.register();
    }).catch(function (error) {
      say("无法启用浏览器接听：" + (error && error.message || "未知错误"));
      enable.disabled = false;
    });
  });

  document.getElementById("phone-accept").addEventListener("click", function () { if (phone.call) { phone.call.accept(); } });
  document.getElementById("phone-reject").addEventListener("click", function () { if (phone.call) { phone.call.reject(); } });
  hangup.addEventListener("click", function () { if (phone.call) { phone.call.disconnect(); } });
})();
