/* Follow-up desk: the audited "show the full number" of a 回访 task's caller. */
(function () {
  "use strict";
  var errorBox = document.getElementById("reveal-error");
  var buttons = document.querySelectorAll(".reveal-number");
  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () {
      var id = button.getAttribute("data-task-id");
      var row = button.closest("tr");
      button.disabled = true;
      hotlineApi.post("/api/return-visits/" + encodeURIComponent(id) + "/reveal", { reason: "值班主任回访来电人" })
        .then(function (data) {
          hotlineApi.text(row.querySelector("[data-testid=task-caller]"), data.caller_full || "号码未知");
          button.hidden = true;
        })
        .catch(function (error) {
          errorBox.hidden = false;
          hotlineApi.text(errorBox, "无法显示完整号码：" + error.message);
          button.disabled = false;
        });
    });
  });
})();
