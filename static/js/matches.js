// "The same claim elsewhere" (issue 8): when the claim form opens, list other places stating the
// same figure or similar words and the existing claims that match; attach the span to one of them.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;
  var current = null;

  function api(method, path, body) {
    return fetch("/api/v1" + path, {
      method: method, credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error((data.error && data.error.message) || ("HTTP " + r.status));
        return data;
      });
    });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function render(box, data, sel) {
    box.textContent = "";
    if (!data.places.length && !data.claims.length) {
      box.appendChild(el("p", "none", "No other place states this figure or these words."));
      return;
    }
    if (data.claims.length) {
      box.appendChild(el("h3", null, "Existing claims that match"));
      var ul = el("ul", "match-list match-claims");
      data.claims.forEach(function (c) {
        var li = el("li");
        var a = el("a", null, c.statement); a.href = c.url;
        var why = el("span", "why", " (" + c.reasons.join("; ") + ") ");
        var btn = el("button", "attach", "Attach to this claim"); btn.type = "button";
        var status = el("span", "status"); status.setAttribute("role", "status");
        btn.addEventListener("click", function () {
          btn.disabled = true;
          api("POST", "/claims/" + c.id + "/spans", { post_id: sel.post_id, comment_id: sel.comment_id,
            start: sel.start, end: sel.end, exact: sel.exact }).then(function (claim) {
            status.textContent = "Attached.";
            document.dispatchEvent(new CustomEvent("workbench:claim-saved", { detail: claim }));
          }).catch(function (e) { btn.disabled = false; status.textContent = e.message; });
        });
        li.append(a, why, btn, status);
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    if (data.places.length) {
      box.appendChild(el("h3", null, "The same thing elsewhere in the corpus"));
      var ol = el("ul", "match-list match-places");
      data.places.forEach(function (p) {
        var li = el("li");
        var a = el("a", null, p.date + (p.comment_path ? " · comment " + p.comment_path : " · post")); a.href = p.url;
        li.append(a, el("q", null, p.exact), el("span", "why", " (" + p.reasons.join("; ") + ")"));
        ol.appendChild(li);
      });
      box.appendChild(ol);
    }
  }

  document.addEventListener("workbench:claim-form-open", function (ev) {
    var sel = ev.detail || {};
    var box = document.getElementById("claim-matches");
    if (!box || !(sel.exact || sel.statement)) return;
    current = sel;
    box.textContent = "Looking for the same claim elsewhere…";
    api("POST", "/matches", sel).then(function (data) {
      if (current === sel) render(box, data, sel);
    }).catch(function () { box.textContent = ""; });
  });
})();
