// Dispute page enhancements: Ctrl/Cmd+Enter posts a discussion message or an adjudication;
// the task board shows the weights field only when distributing by weight.
(function () {
  "use strict";
  document.querySelectorAll(".discussion-form textarea, .adjudicate-form textarea").forEach(function (area) {
    area.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && area.form) {
        ev.preventDefault();
        area.form.requestSubmit();
      }
    });
  });
  var mode = document.getElementById("p-mode");
  var weights = document.getElementById("p-weights");
  if (mode && weights) {
    var sync = function () { weights.closest("div").hidden = mode.value !== "weighted"; };
    mode.addEventListener("change", sync);
    sync();
  }
})();
