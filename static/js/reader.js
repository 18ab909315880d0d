// Reading page enhancements: collapse long reply threads. The page reads fine without it.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-collapse]");
    if (!btn) return;
    var li = document.getElementById(btn.getAttribute("data-collapse"));
    var collapsed = li.classList.toggle("collapsed");
    btn.setAttribute("aria-expanded", String(!collapsed));
    var n = li.querySelectorAll(":scope > ol.replies > li").length;
    btn.textContent = (collapsed ? "Show " : "Hide ") + n + (n === 1 ? " reply" : " replies");
  });
})();
