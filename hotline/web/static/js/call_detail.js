/* Call detail page: the audited "show the full number" button. */
(function () {
  "use strict";
  var root = document.getElementById("call-detail");
  var button = document.getElementById("reveal");
  if (!root || !button) { return; }
  var sid = root.getAttribute("data-call-sid");
  var errorBox = document.getElementById("reveal-error");
  button.addEventListener("click", function () {
    button.disabled = true;
    hotlineApi.post("/api/calls/" + encodeURIComponent(sid) + "/reveal", { reason: "值班主任查看通话详情" })
      .then(function (data) {
        hotlineApi.text(document.getElementById("caller-number"), data.caller_full);
        button.hidden = true;
      })
      .catch(function (error) {
        errorBox.hidden = false;
        hotlineApi.text(errorBox, "无法显示完整号码：" + error.message);
        button.disabled = false;
      });
  });
})();
