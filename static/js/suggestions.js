// Check-worthy sentence suggestions on the reading page (issue 8): faint underlines through
// window.Workbench.setDecorations; a click offers Accept (becomes a claim) or Dismiss.
(function () {
  "use strict";
  var reader = document.querySelector(".reader[data-post-id]");
  if (!reader) return;
  var postId = reader.getAttribute("data-post-id");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;
  var items = [];
  var menu = null;

  function wb() { return window.Workbench && typeof window.Workbench.setDecorations === "function" ? window.Workbench : null; }

  function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRFToken"] = csrf;
      opts.body = JSON.stringify(body);
    }
    return fetch("/api/v1" + path, opts).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error((data.error && data.error.message) || ("HTTP " + r.status));
        return data;
      });
    });
  }

  function paint() {
    var w = wb();
    if (!w) return;
    w.setDecorations("suggestions", items.map(function (s) {
      return { comment_id: s.comment_id, start: s.start, end: s.end, className: "wb-suggestion",
               title: "Suggested claim (" + s.reasons.join(", ") + ")", data: s };
    }));
  }

  function closeMenu() { if (menu) { menu.remove(); menu = null; } }

  function forget(s) {
    items = items.filter(function (x) { return !(x.comment_id === s.comment_id && x.start === s.start && x.end === s.end); });
    paint();
    closeMenu();
  }

  function openMenu(s, anchor) {
    closeMenu();
    menu = document.createElement("div");
    menu.className = "wb-suggestion-menu";
    menu.setAttribute("role", "dialog");
    menu.setAttribute("aria-label", "Suggested claim");
    var why = document.createElement("p");
    why.className = "reasons";
    why.textContent = "Suggested because of: " + s.reasons.join(", ") + " (score " + s.score + ")";
    var accept = document.createElement("button");
    accept.type = "button"; accept.textContent = "Accept as claim"; accept.className = "suggestion-accept";
    var dismiss = document.createElement("button");
    dismiss.type = "button"; dismiss.textContent = "Dismiss"; dismiss.className = "suggestion-dismiss";
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    var span = { comment_id: s.comment_id, start: s.start, end: s.end, exact: s.exact };
    accept.addEventListener("click", function () {
      api("POST", "/posts/" + postId + "/suggestions/accept", span).then(function (claim) {
        forget(s);
        if (window.Workbench && typeof window.Workbench.addClaim === "function") window.Workbench.addClaim(claim);
      }).catch(function (e) { status.textContent = e.message; });
    });
    dismiss.addEventListener("click", function () {
      api("POST", "/posts/" + postId + "/suggestions/dismiss", span).then(function () { forget(s); })
        .catch(function (e) { status.textContent = e.message; });
    });
    menu.append(why, accept, dismiss, status);
    document.body.appendChild(menu);
    var rect = anchor && anchor.getBoundingClientRect ? anchor.getBoundingClientRect() : null;
    menu.style.left = ((rect ? rect.left : 40) + window.scrollX) + "px";
    menu.style.top = ((rect ? rect.bottom : 40) + window.scrollY + 4) + "px";
    accept.focus();
  }

  var lastDeco = null;  // the underline clicked, to place the menu beside it
  document.addEventListener("click", function (ev) {
    lastDeco = ev.target.closest ? ev.target.closest("span.deco") : null;
  }, true);
  document.addEventListener("workbench:decoration-click", function (ev) {
    var d = ev.detail || {};
    if (d.name !== "suggestions" || !d.item) return;
    openMenu(d.item.data || d.item, lastDeco);
  });
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") closeMenu(); });
  document.addEventListener("click", function (ev) {
    if (menu && !menu.contains(ev.target) && !(ev.target.closest && ev.target.closest("span.deco"))) closeMenu();
  });

  function start() {
    if (!wb()) return;  // the reading page's annotation layer has not landed: do nothing
    api("GET", "/posts/" + postId + "/suggestions").then(function (data) {
      items = data.items || [];
      paint();
    }).catch(function () { /* suggestions are a help, never a blocker */ });
  }
  if (document.readyState === "complete") start(); else window.addEventListener("load", start);
})();
