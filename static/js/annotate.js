// The annotation layer of the reading page: highlights painted from the claims payload, the side
// panel (printed by the server, adopted here), the "Add claim" adder and form, the hover card, the
// keys, and selecting words with the keyboard alone (n/p to a text, s or the text's "Select words"
// button to select, arrows by word or sentence). The page reads without it.
//
// Offsets: the server counts Unicode code points inside a text unit (the post body or one
// comment); the DOM counts UTF-16 units. Everything here converts at the edges.
(function () {
  "use strict";
  var perf = window.performance && performance.mark ? performance : null;
  if (perf) perf.mark("annotate:start");
  var reader = document.querySelector(".reader[data-post-id]");
  var dataEl = document.getElementById("claims-data");
  if (!reader || !dataEl) return;

  var POST_ID = Number(reader.getAttribute("data-post-id"));
  var CAN_ANNOTATE = reader.getAttribute("data-can-annotate") === "1";
  var CLAIM_URL = reader.getAttribute("data-claim-url");
  var CONTEXT = 32;
  var STATUS_LABELS = {no_verdict: "no verdict yet", agreed: "verdicts agree", disputed: "disputed",
                       adjudicated: "adjudicated", blind: "verdicts hidden"};
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;

  var claims = [];            // in reading order
  var byId = {};
  var decorations = {};       // name -> items
  var units = {};             // "body" or comment id -> {el, text}
  var pending = null;         // the selection the adder / form works on
  var formReturn = null;      // the text unit focused when the form opened from the keyboard
  var current = -1;           // index for j/k

  var panel = document.getElementById("claims-panel");
  var list = document.getElementById("claim-list");
  var empty = document.getElementById("claim-empty");
  var detail = document.getElementById("claim-detail");
  var form = document.getElementById("claim-form");
  var adder = document.getElementById("adder");
  var card = document.getElementById("claim-card");
  var live = document.getElementById("announce");
  var help = document.getElementById("keys-help");
  var filter = document.getElementById("status-filter");
  var toggle = document.getElementById("panel-toggle");

  document.body.classList.add("js-annotate");

  // ---- code points <-> UTF-16 -------------------------------------------------------------
  function isHigh(c) { return c >= 0xD800 && c <= 0xDBFF; }
  function cpToU16(s, cp) {
    var i = 0;
    for (var n = 0; n < cp && i < s.length; n++) i += (isHigh(s.charCodeAt(i)) && i + 1 < s.length) ? 2 : 1;
    return i;
  }
  function u16ToCp(s, u) {
    var n = 0;
    for (var i = 0; i < u; n++) i += (isHigh(s.charCodeAt(i)) && i + 1 < s.length) ? 2 : 1;
    return n;
  }
  function cpSlice(s, a, b) { return Array.from(s).slice(a, b).join(""); }

  function unitKey(commentId) { return commentId == null ? "body" : String(commentId); }
  Array.prototype.forEach.call(document.querySelectorAll(".text[data-unit]"), function (el) {
    var key = el.getAttribute("data-unit") === "body" ? "body" : el.getAttribute("data-comment-id");
    units[key] = {el: el, text: el.textContent, key: key};
  });

  // ---- painting: one pass per text unit ------------------------------------------------------
  // The ranges of the given units, by unit key, in one pass over the claims and decorations
  // (not one pass per unit: a post with 300 comments and 1,000 claims has 300 units).
  function rangesByUnit(keys) {
    var out = {};
    keys.forEach(function (k) { out[k] = []; });
    claims.forEach(function (c) {
      c.spans.forEach(function (s) {
        var list = s.post_id === POST_ID && out[unitKey(s.comment_id)];
        if (list) list.push({kind: "claim", claim: c, start: s.start, end: s.end});
      });
    });
    Object.keys(decorations).forEach(function (name) {
      decorations[name].forEach(function (item, i) {
        var list = out[unitKey(item.comment_id)];
        if (list) list.push({kind: "deco", name: name, index: i, item: item, start: item.start, end: item.end});
      });
    });
    return out;
  }

  function paintUnit(unit, unitRanges, kept) {
    var text = unit.text;
    var ranges = unitRanges.filter(function (r) { return r.end > r.start; });
    ranges.forEach(function (r) { r.a = cpToU16(text, r.start); r.b = cpToU16(text, r.end); });
    var cuts = [0, text.length];
    ranges.forEach(function (r) { cuts.push(r.a, r.b); });
    cuts = cuts.filter(function (x, i, arr) { return x >= 0 && x <= text.length && arr.indexOf(x) === i; })
               .sort(function (x, y) { return x - y; });
    var frag = document.createDocumentFragment();
    for (var i = 0; i + 1 < cuts.length; i++) {
      var a = cuts[i], b = cuts[i + 1];
      var node = document.createTextNode(text.slice(a, b));
      var covering = ranges.filter(function (r) { return r.a <= a && r.b >= b; });
      covering.filter(function (r) { return r.kind === "deco"; })
        .sort(function (x, y) { return (x.b - x.a) - (y.b - y.a); })  // the narrowest innermost, so it gets the click
        .forEach(function (r) {
        var span = document.createElement("span");
        span.className = "deco " + (r.item.className || "");
        span.setAttribute("data-deco", r.name);
        span.setAttribute("data-deco-index", String(r.index));
        if (r.item.title) span.title = r.item.title;
        span.appendChild(node);
        node = span;
      });
      var cl = covering.filter(function (r) { return r.kind === "claim"; });
      if (cl.length) {
        var ids = [], statuses = [];
        cl.forEach(function (r) {
          if (ids.indexOf(r.claim.id) < 0) ids.push(r.claim.id);
          if (statuses.indexOf(r.claim.status) < 0) statuses.push(r.claim.status);
        });
        var mark = document.createElement("mark");
        mark.className = "claim " + statuses.join(" ") + (ids.length > 1 ? " overlap d" + Math.min(ids.length, 3) : "");
        mark.setAttribute("data-claims", ids.join(" "));
        mark.tabIndex = 0;
        mark.setAttribute("aria-label", "claim: " + ids.map(function (id) { return byId[id].statement; }).join("; "));
        mark.appendChild(node);
        node = mark;
      }
      frag.appendChild(node);
    }
    unit.el.textContent = "";
    unit.el.appendChild(frag);
    if (kept && kept.el === unit.el) restoreSelection(unit.el, kept.offsets);
  }

  // A repaint replaces the unit's text nodes; keep the reader's selection across it. Read once
  // per pass: asking for the selection makes the browser bring its layout up to date, which
  // once per unit cost hundreds of milliseconds on a long thread.
  function selectionToKeep() {
    var sel = window.getSelection();
    if (!sel || !sel.rangeCount || sel.isCollapsed) return null;
    var r = sel.getRangeAt(0);
    var unitEl = unitOf(r.startContainer);
    if (!unitEl || !unitEl.contains(r.endContainer)) return null;
    return {el: unitEl, offsets: [offsetIn(unitEl, r.startContainer, r.startOffset),
                                  offsetIn(unitEl, r.endContainer, r.endOffset)]};
  }
  function pointAt(unitEl, offset) {
    var walker = document.createTreeWalker(unitEl, NodeFilter.SHOW_TEXT), node, pos = 0, last = null;
    while ((node = walker.nextNode())) {
      if (offset <= pos + node.data.length) return [node, offset - pos];
      pos += node.data.length;
      last = node;
    }
    return last ? [last, last.data.length] : [unitEl, 0];
  }
  function restoreSelection(unitEl, kept) {
    var a = pointAt(unitEl, kept[0]), b = pointAt(unitEl, kept[1]);
    var r = document.createRange();
    r.setStart(a[0], a[1]);
    r.setEnd(b[0], b[1]);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
  }

  function paintKeys(keys) {
    keys = keys.filter(function (k) { return units[k]; });
    var ranges = rangesByUnit(keys), kept = selectionToKeep();
    keys.forEach(function (k) { paintUnit(units[k], ranges[k], kept); });
  }
  function paintAll() { paintKeys(Object.keys(units)); }

  // ---- claims and the side panel -------------------------------------------------------------
  function orderKey(c) {
    var s = c.spans.filter(function (x) { return x.post_id === POST_ID; })[0];
    if (!s) return [Infinity, 0];
    var pos = s.comment_id == null ? -1 : positionOf(s.comment_id);
    return [pos, s.start];
  }
  var commentOrder = {};
  Array.prototype.forEach.call(document.querySelectorAll(".text[data-unit=comment]"), function (el, i) {
    commentOrder[el.getAttribute("data-comment-id")] = i;
  });
  function positionOf(id) { var p = commentOrder[String(id)]; return p == null ? Infinity : p; }
  function sortClaims() {
    claims.sort(function (x, y) {
      var a = orderKey(x), b = orderKey(y);
      return a[0] - b[0] || a[1] - b[1] || x.id - y.id;
    });
  }

  function verdictSummary(c) {
    if (c.adjudication) return "final: " + c.adjudication.rating.replace(/_/g, " ");
    if (c.verdicts_hidden) return c.verdict_count + " verdict" + (c.verdict_count === 1 ? "" : "s") + ", hidden until you give yours";
    if (c.verdicts.length) return c.verdicts.map(function (v) { return v.rating.replace(/_/g, " "); }).join(", ");
    return "no verdict yet";
  }
  function where(c) {
    var s = c.spans[0];
    return s && s.comment_path ? "comment " + s.comment_path : "post";
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // The panel's items. The server prints the same markup (corpus/presenters.py panel_html), spaces
  // between the spans included, so the script adopts the printed list when it matches the payload
  // (adoptList) and builds it only after a change (renderList: a save, an edit from another script).
  var items = {};             // claim id -> its <li> in the panel
  function itemParts(c) {
    return [["status-badge s-" + c.status, STATUS_LABELS[c.status] || c.status], ["where", where(c)],
            ["statement", c.statement], ["verdicts", verdictSummary(c)]];
  }
  function buildItem(c) {
    var li = el("li", "claim-item");
    li.setAttribute("data-claim-id", c.id);
    li.setAttribute("data-status", c.status);
    var a = el("a", "claim-link");
    a.href = CLAIM_URL + c.id;
    a.setAttribute("data-claim-id", c.id);
    itemParts(c).forEach(function (part, k) {
      if (k) a.appendChild(document.createTextNode(" "));
      a.appendChild(el("span", part[0], part[1]));
    });
    li.appendChild(a);
    return li;
  }

  function renderList() {
    var frag = document.createDocumentFragment();
    items = {};
    claims.forEach(function (c) { frag.appendChild(items[c.id] = buildItem(c)); });
    list.textContent = "";
    list.appendChild(frag);
    list.setAttribute("data-built", "script");
    applyFilter();
    updateCounts();
  }

  // The printed items, if they are what renderList would build from the payload: the same claims in
  // the same order, each with its status and its text (badge, where, statement, verdicts), and the
  // first and last exactly the markup buildItem makes (the server prints every item alike). Only
  // reads, and few of them: about 4 ms for 1,000 claims in Chromium, where building them took 13-26 ms.
  function itemText(c) { return itemParts(c).map(function (part) { return part[1]; }).join(" "); }
  function adoptList() {
    var lis = list.children, n = claims.length;
    if (lis.length !== n) return false;
    if (n && (lis[0].outerHTML !== buildItem(claims[0]).outerHTML ||
              lis[n - 1].outerHTML !== buildItem(claims[n - 1]).outerHTML)) return false;
    var found = {};
    for (var k = 0; k < n; k++) {
      var c = claims[k], li = lis[k];
      if (li.getAttribute("data-claim-id") !== String(c.id) || li.getAttribute("data-status") !== c.status ||
          li.textContent !== itemText(c)) return false;
      found[c.id] = li;
    }
    items = found;
    list.setAttribute("data-built", "server");
    applyFilter();  // the browser may have kept a filter chosen before a reload
    updateCounts();
    return true;
  }

  // The status filter hides items; it needs no rebuild.
  function applyFilter() {
    var want = filter.value, shown = 0;
    claims.forEach(function (c) {
      var li = items[c.id], hide = !!want && c.status !== want;
      if (li.hidden !== hide) li.hidden = hide;
      if (!hide) shown++;
    });
    empty.hidden = shown > 0;
  }
  function updateCounts() {
    document.getElementById("claim-count").textContent = String(claims.length);
    toggle.querySelector("span").textContent = String(claims.length);
  }

  function setClaims(items) {
    claims = items.slice();
    byId = {};
    claims.forEach(function (c) { byId[c.id] = c; });
    sortClaims();
  }

  function upsertClaim(c) {
    var old = byId[c.id];
    var keys = {};
    (old ? old.spans : []).concat(c.spans).forEach(function (s) { keys[unitKey(s.comment_id)] = 1; });
    if (old) claims.splice(claims.indexOf(old), 1);
    if (!c.retracted) { claims.push(c); byId[c.id] = c; } else delete byId[c.id];
    sortClaims();
    paintKeys(Object.keys(keys));
    renderList();
  }

  function visibleClaims() {
    return claims.filter(function (c) { return !filter.value || c.status === filter.value; });
  }

  function firstMark(id) { return document.querySelector('mark[data-claims~="' + id + '"]'); }

  function focusClaim(id, opts) {
    var mark = firstMark(id);
    Array.prototype.forEach.call(document.querySelectorAll("mark.current"), function (m) { m.classList.remove("current"); });
    Array.prototype.forEach.call(document.querySelectorAll('mark[data-claims~="' + id + '"]'), function (m) { m.classList.add("current"); });
    Array.prototype.forEach.call(list.querySelectorAll(".claim-item.selected"), function (li) { li.classList.remove("selected"); });
    if (items[id]) items[id].classList.add("selected");
    current = visibleClaims().indexOf(byId[id]);
    if (mark) {
      mark.scrollIntoView({block: "center"});
      mark.focus({preventScroll: true});
    }
    if (!opts || opts.detail !== false) showDetail(id);
  }

  function showDetail(id) {
    var c = byId[id];
    if (!c) return;
    if (!form || form.hidden) {
      detail.textContent = "";
      var h = el("h3", null, c.statement);
      h.id = "detail-h";
      detail.appendChild(h);
      var meta = el("p", "meta");
      meta.appendChild(el("span", "status-badge s-" + c.status, STATUS_LABELS[c.status] || c.status));
      meta.appendChild(el("span", null, " " + c.category + " · " + where(c)));
      detail.appendChild(meta);
      detail.appendChild(el("p", "verdicts", "Verdicts: " + verdictSummary(c)));
      if (c.sources.length) {
        var ul = el("ul", "sources-list");
        c.sources.forEach(function (s) {
          var li = el("li");
          li.appendChild(el("span", "stance stance-" + s.stance, s.stance));
          li.appendChild(document.createTextNode(" " + (s.title || s.url)));
          ul.appendChild(li);
        });
        detail.appendChild(ul);
      }
      var link = el("a", "open-claim", "Open the claim page");
      link.href = CLAIM_URL + c.id;
      detail.appendChild(link);
      var close = el("button", "link close-detail", "Close");
      close.type = "button";
      close.setAttribute("data-action", "close-detail");
      detail.appendChild(document.createTextNode(" "));
      detail.appendChild(close);
      detail.hidden = false;
      openDrawer();
    }
  }

  // ---- the hover / focus card ----------------------------------------------------------------
  function showCard(mark) {
    var ids = mark.getAttribute("data-claims").split(" ");
    card.textContent = "";
    ids.forEach(function (id) {
      var c = byId[id];
      if (!c) return;
      var block = el("div", "card-claim");
      block.appendChild(el("span", "status-badge s-" + c.status, STATUS_LABELS[c.status] || c.status));
      block.appendChild(el("p", "card-statement", c.statement));
      block.appendChild(el("p", "card-verdicts", verdictSummary(c)));
      card.appendChild(block);
    });
    card.hidden = false;
    var r = mark.getBoundingClientRect();
    var top = window.scrollY + r.bottom + 6;
    var left = Math.max(8, Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - card.offsetWidth - 8));
    card.style.top = top + "px";
    card.style.left = left + "px";
  }
  function hideCard() { card.hidden = true; }

  // ---- selection and the adder ---------------------------------------------------------------
  function unitOf(node) {
    var e = node && (node.nodeType === 1 ? node : node.parentElement);
    return e ? e.closest(".text[data-unit]") : null;
  }
  function offsetIn(unitEl, node, offset) {
    var r = document.createRange();
    r.setStart(unitEl, 0);
    r.setEnd(node, offset);
    return r.toString().length;
  }
  function readSelection() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    var range = sel.getRangeAt(0);
    var ue = unitOf(range.startContainer);
    if (!ue || ue !== unitOf(range.endContainer)) return null;
    var key = ue.getAttribute("data-unit") === "body" ? "body" : ue.getAttribute("data-comment-id");
    var text = units[key].text;
    var a = offsetIn(ue, range.startContainer, range.startOffset);
    var b = offsetIn(ue, range.endContainer, range.endOffset);
    while (a < b && /\s/.test(text[a])) a++;          // the words, not the spaces around them
    while (b > a && /\s/.test(text[b - 1])) b--;
    if (b <= a) return null;
    var start = u16ToCp(text, a), end = u16ToCp(text, b);
    var cps = Array.from(text);
    return {post_id: POST_ID, comment_id: key === "body" ? null : Number(key), start: start, end: end,
            exact: text.slice(a, b), prefix: cps.slice(Math.max(0, start - CONTEXT), start).join(""),
            suffix: cps.slice(end, end + CONTEXT).join(""), rect: range.getBoundingClientRect()};
  }
  function showAdder() {
    if (!CAN_ANNOTATE || (form && !form.hidden)) return;
    var s = readSelection();
    if (!s) { adder.hidden = true; return; }
    pending = s;
    adder.hidden = false;
    // On a phone (the panel is a drawer) the adder waits at the foot of the screen, beside the
    // Claims button, rather than over the line below the words.
    var docked = isDrawer();
    adder.classList.toggle("docked", docked);
    if (docked) { adder.style.top = adder.style.left = ""; return; }
    adder.style.top = (window.scrollY + s.rect.bottom + 6) + "px";
    adder.style.left = Math.max(8, Math.min(window.scrollX + s.rect.right - adder.offsetWidth / 2,
                                            document.documentElement.clientWidth - adder.offsetWidth - 8)) + "px";
  }

  // ---- the claim form ------------------------------------------------------------------------
  var sourceCounter = 0;
  var categoriesLoaded = null;
  function loadCategories() {
    if (categoriesLoaded) return categoriesLoaded;
    var select = document.getElementById("f-category");
    categoriesLoaded = fetch("/api/v1/categories", {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        select.textContent = "";
        var blank = el("option", null, "choose a category");
        blank.value = "";
        select.appendChild(blank);
        data.items.forEach(function (c) {
          var o = el("option", null, c.name);
          o.value = c.name;
          select.appendChild(o);
        });
      });
    return categoriesLoaded;
  }

  function addSourceRow() {
    var tpl = document.getElementById("source-row");
    var row = tpl.content.firstElementChild.cloneNode(true);
    var n = ++sourceCounter;
    row.querySelector("legend").textContent = "Source " + (document.querySelectorAll("#source-rows .source-row").length + 1);
    Array.prototype.forEach.call(row.querySelectorAll("[data-name]"), function (input) {
      input.id = "src-" + n + "-" + input.getAttribute("data-name");
    });
    Array.prototype.forEach.call(row.querySelectorAll("label[data-for]"), function (label) {
      label.htmlFor = "src-" + n + "-" + label.getAttribute("data-for");
    });
    document.getElementById("source-rows").appendChild(row);
    row.querySelector("[data-name=url]").focus();
    return row;
  }

  function openForm(sel) {
    if (!form || !sel) return;
    var from = document.activeElement;
    formReturn = from && from.matches && from.matches(".text[data-unit]") ? from : formReturn;
    pending = sel;
    adder.hidden = true;
    detail.hidden = true;
    form.reset();
    document.getElementById("source-rows").textContent = "";
    document.getElementById("claim-matches").textContent = "";
    setError(null);
    document.getElementById("form-quote").textContent = sel.exact;
    var statement = sel.exact.replace(/\s+/g, " ").trim();
    document.getElementById("f-statement").value = statement;
    form.hidden = false;
    panel.classList.add("composing");
    window.Workbench.setDecorations("pending-claim", [{comment_id: sel.comment_id, start: sel.start, end: sel.end,
                                                       className: "pending", title: "the words of the new claim", data: {}}]);
    openDrawer();
    loadCategories();
    document.getElementById("f-statement").focus();
    document.dispatchEvent(new CustomEvent("workbench:claim-form-open", {detail: {
      post_id: sel.post_id, comment_id: sel.comment_id, start: sel.start, end: sel.end,
      exact: sel.exact, statement: statement}}));
  }

  // restore: the reader cancelled (Esc, Cancel), so a form opened from a text focused with the
  // keyboard gives focus back to that text with the same words selected, ready to adjust.
  function closeForm(restore) {
    if (!form || form.hidden) return false;
    var back = formReturn, words = pending;
    formReturn = null;
    form.hidden = true;
    panel.classList.remove("composing");
    window.Workbench.setDecorations("pending-claim", []);
    setError(null);
    pending = null;
    if (restore && back && document.contains(back) && words && back === units[unitKey(words.comment_id)].el) {
      var text = units[unitKey(words.comment_id)].text;
      back.focus({preventScroll: true});
      restoreSelection(back, [cpToU16(text, words.start), cpToU16(text, words.end)]);
      announce("Claim cancelled. The words are still selected: press s, or the Select words button, to adjust them.");
    }
    return true;
  }

  function setError(message) {
    var box = document.getElementById("form-error");
    if (!box) return;
    box.textContent = message || "";
    box.hidden = !message;
  }

  function formPayload() {
    var s = pending;
    var body = {post_id: s.post_id, comment_id: s.comment_id, start: s.start, end: s.end, exact: s.exact,
                prefix: s.prefix, suffix: s.suffix,
                statement: document.getElementById("f-statement").value.replace(/\s+/g, " ").trim(),
                category: document.getElementById("f-category").value, sources: []};
    Array.prototype.forEach.call(document.querySelectorAll("#source-rows .source-row"), function (row) {
      var src = {};
      Array.prototype.forEach.call(row.querySelectorAll("[data-name]"), function (input) {
        if (input.value.trim()) src[input.getAttribute("data-name")] = input.value.trim();
      });
      if (Object.keys(src).some(function (k) { return k !== "stance"; })) body.sources.push(src);
    });
    var rating = form.querySelector("input[name=rating]:checked");
    if (rating && rating.value) {
      body.verdict = {rating: rating.value, rationale: document.getElementById("f-rationale").value.trim()};
    }
    return body;
  }

  function save(ev) {
    ev.preventDefault();
    if (!pending) return;
    var body = formPayload();
    if (!body.statement) { setError("Write the claim as a short statement."); return; }
    if (!body.category) { setError("Choose a category."); return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch("/api/v1/claims", {method: "POST", credentials: "same-origin",
                             headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
                             body: JSON.stringify(body)})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return {ok: r.ok, status: r.status, data: data}; });
      })
      .then(function (res) {
        button.disabled = false;
        if (!res.ok) {
          var err = res.data.error || {};
          setError((err.message || ("The server refused the claim (" + res.status + ").")) +
                   (err.field ? " (" + err.field + ")" : ""));
          return;
        }
        claimSaved(res.data);
      })
      .catch(function () {
        button.disabled = false;
        setError("The claim could not be sent; check the connection and try again.");
      });
  }

  function claimSaved(claim) {
    var y = window.scrollY;
    upsertClaim(claim);
    closeForm();
    window.getSelection().removeAllRanges();
    window.scrollTo(window.scrollX, y);
    announce("Claim saved: " + claim.statement);
    var li = items[claim.id];
    if (li) li.classList.add("just-saved");
    var m = firstMark(claim.id);
    if (m) m.focus({preventScroll: true});
  }

  function announce(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 30);
  }

  // ---- the drawer (phones) and the help ------------------------------------------------------
  function isDrawer() { return window.matchMedia("(max-width: 900px)").matches; }
  function openDrawer() {
    if (!isDrawer()) return;
    panel.classList.add("open");
    toggle.setAttribute("aria-expanded", "true");
  }
  function closeDrawer() {
    if (!panel.classList.contains("open")) return false;
    panel.classList.remove("open");
    toggle.setAttribute("aria-expanded", "false");
    return true;
  }
  var helpReturn = null;      // where focus was when the help opened, to go back there
  function toggleHelp(show) {
    var wasOpen = !help.hidden;
    help.hidden = show === undefined ? !help.hidden : !show;
    if (!help.hidden && !wasOpen) {
      helpReturn = document.activeElement;
      help.querySelector("button").focus();
    } else if (help.hidden && wasOpen) {
      var back = helpReturn;
      helpReturn = null;
      if (back && back !== document.body && document.contains(back) && help.contains(document.activeElement)) {
        back.focus({preventScroll: true});
      }
    }
  }

  function escape() {
    if (!help.hidden) { toggleHelp(false); return; }
    if (!card.hidden) hideCard();
    if (!adder.hidden) { adder.hidden = true; return; }
    if (closeForm(true)) return;
    if (!detail.hidden) { detail.hidden = true; return; }
    closeDrawer();
  }

  function step(delta) {
    var vis = visibleClaims();
    if (!vis.length) return;
    var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("mark[data-claims]");
    if (focused) {  // the reader may have tabbed or clicked elsewhere since the last j/k
      var ids = focused.getAttribute("data-claims").split(" ").map(Number);
      var here = current >= 0 && current < vis.length && ids.indexOf(vis[current].id) >= 0;
      var idx = vis.indexOf(byId[ids[0]]);
      if (!here && idx >= 0) current = idx;
    }
    current = current < 0 ? (delta > 0 ? 0 : vis.length - 1) : (current + delta + vis.length) % vis.length;
    focusClaim(vis[current].id, {detail: true});
    announce("Claim " + (current + 1) + " of " + vis.length + ": " + vis[current].statement);
  }

  // ---- selecting words with the keyboard -------------------------------------------------------
  // Every text unit is a Tab stop (n / p go to the next / previous one); s starts a selection in
  // the focused unit; then the arrows step it by word (left / right) or sentence (up / down),
  // Shift moves only its end, Alt+Shift only its start, Home / End go to the unit's bounds. It is a
  // real DOM selection, so a (or Enter) adds a claim through readSelection like a mouse selection.
  // The unit's words are runs of non-space characters without the punctuation around them, so a
  // selection never starts or ends inside a surrogate pair (an emoji is a word of its own).
  var unitEls = Array.prototype.slice.call(document.querySelectorAll(".text[data-unit]"));
  var bar = document.getElementById("select-bar");
  var topbar = document.querySelector(".topbar");
  var kbd = null;             // while selecting: {el, unit, i, j} (first and last word index)
  var OPENERS = "\"'\u201c\u2018\u00ab([{", CLOSERS = "\"'\u201d\u2019\u00bb)]}.,;:!?\u2026";
  var CONTENT = /[\p{L}\p{N}\p{S}]/u;  // a word has a letter, a digit or a symbol (currency, emoji)

  function unitFor(el) { return units[el.getAttribute("data-unit") === "body" ? "body" : el.getAttribute("data-comment-id")]; }
  function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }
  function unitName(el) {
    if (el.getAttribute("data-unit") === "body") return "the post";
    var pos = el.closest("article") && el.closest("article").querySelector(".pos");
    return "comment " + (pos ? pos.textContent.trim() : "");
  }

  function sentenceEnds(text) {
    var ends = [];
    if (window.Intl && Intl.Segmenter) {
      var seg = new Intl.Segmenter(document.documentElement.lang || "en", {granularity: "sentence"});
      Array.from(seg.segment(text)).forEach(function (s) { ends.push(s.index + s.segment.length); });
    } else {
      var re = /[.!?\u2026]+["'\u201d\u2019)\]]*\s+|\n/g, m;
      while ((m = re.exec(text))) ends.push(m.index + m[0].length);
      ends.push(text.length);
    }
    return ends;
  }

  // The unit's words ({a, b} in UTF-16 units) and sentences ({i, j}: first and last word).
  function wordsOf(unit) {
    if (unit.words) return unit;
    var text = unit.text, words = [], re = /\S+/g, m;
    while ((m = re.exec(text))) {
      var a = m.index, b = a + m[0].length;
      while (a < b && OPENERS.indexOf(text[a]) >= 0) a++;
      while (b > a && CLOSERS.indexOf(text[b - 1]) >= 0) b--;
      if (b > a && CONTENT.test(text.slice(a, b))) words.push({a: a, b: b});  // a lone dash is no word
    }
    var ends = sentenceEnds(text), sents = [], sentOf = [], s = 0;
    words.forEach(function (w, k) {
      while (s < ends.length - 1 && w.a >= ends[s]) s++;
      var last = sents[sents.length - 1];
      if (!last || last.s !== s) sents.push({s: s, i: k, j: k}); else last.j = k;
      sentOf.push(sents.length - 1);
    });
    unit.words = words;
    unit.sents = sents;
    unit.sentOf = sentOf;
    return unit;
  }

  function shownUnits() { return unitEls.filter(function (e) { return e.getClientRects().length > 0; }); }
  function topInset() { return (topbar ? topbar.getBoundingClientRect().bottom : 0) + 8; }
  function bottomInset() {
    return (bar && !bar.hidden ? bar.offsetHeight + (parseFloat(getComputedStyle(bar).bottom) || 0) : 0) + 4;
  }
  function firstOnScreen() {
    var list = shownUnits(), top = topInset();
    for (var k = 0; k < list.length; k++) {
      var r = list[k].getBoundingClientRect();
      if (r.bottom > top && r.top < window.innerHeight) return list[k];
    }
    return list[0] || null;
  }
  // The unit the keys act on: the focused one (or the one holding the focused highlight), else
  // the one holding the selection or caret, else the first one on screen.
  function currentUnit() {
    var u = unitOf(document.activeElement) || buttonUnit(document.activeElement);
    if (u) return u;
    var sel = window.getSelection();
    if (sel && sel.rangeCount && (u = unitOf(sel.getRangeAt(0).startContainer))) return u;
    return null;
  }

  function showBar(state, el) {
    if (!bar) return;
    bar.setAttribute("data-state", state);
    var where = bar.querySelectorAll(".where");
    where[0].textContent = el ? cap(unitName(el)) : "";
    where[1].textContent = el ? unitName(el) : "";
    bar.hidden = false;
  }
  function hideBar() { if (bar) bar.hidden = true; }

  function focusUnit(el, quiet) {
    el.focus({preventScroll: true});
    var r = el.getBoundingClientRect(), top = topInset();
    if (r.top < top || r.top > window.innerHeight - bottomInset() - 40) window.scrollBy(0, r.top - top - 8);
    if (!quiet) {
      var list = shownUnits();
      announce(cap(unitName(el)) + ", text " + (list.indexOf(el) + 1) + " of " + list.length +
               ". Press s to select words.");
    }
  }

  function stepUnit(delta) {
    if (kbd) stopSelecting(false);
    var list = shownUnits();
    if (!list.length) return;
    var cur = currentUnit(), at = cur ? list.indexOf(cur) : -1;
    if (at < 0 || (cur !== document.activeElement && !cur.contains(document.activeElement))) {
      focusUnit(at >= 0 ? cur : firstOnScreen());
      return;
    }
    var next = list[at + delta];
    if (next) focusUnit(next);
    else announce(delta > 0 ? "That was the last comment." : "This is the post, the first text.");
  }

  function wordRange(el, a, b) {
    var p = pointAt(el, a), q = pointAt(el, b), r = document.createRange();
    r.setStart(p[0], p[1]);
    r.setEnd(q[0], q[1]);
    return r;
  }

  function describe() {
    var w = kbd.unit.words, n = kbd.j - kbd.i + 1, text = kbd.unit.text, quote;
    if (n > 16) {
      quote = text.slice(w[kbd.i].a, w[kbd.i + 7].b) + " \u2026 " + text.slice(w[kbd.j - 5].a, w[kbd.j].b);
    } else quote = text.slice(w[kbd.i].a, w[kbd.j].b);
    return "Selected: \u2018" + quote.replace(/\s+/g, " ") + "\u2019 (" + n + (n === 1 ? " word)" : " words)");
  }

  // Make the DOM selection match kbd, keep the moving edge on screen, say what is selected.
  function applySelection(edge, prefix) {
    var w = kbd.unit.words, el = kbd.el;
    var r = wordRange(el, w[kbd.i].a, w[kbd.j].b);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
    var at = edge === "start" ? w[kbd.i] : w[kbd.j];
    var rect = wordRange(el, at.a, at.b).getBoundingClientRect(), top = topInset(), bottom = window.innerHeight - bottomInset();
    if (rect.top < top) window.scrollBy(0, rect.top - top - 16);
    else if (rect.bottom > bottom) window.scrollBy(0, rect.bottom - bottom + 16);
    showAdder();
    announce((prefix || "") + describe());
  }

  // target: the text of a "Select words" button; otherwise the text the keys act on (s).
  function startSelecting(target) {
    var el = target || currentUnit() || firstOnScreen();
    if (!el) return;
    if (kbd && kbd.el === el) {  // s again: where am I?
      if (document.activeElement !== el) el.focus({preventScroll: true});
      announce(describe());
      return;
    }
    if (kbd) stopSelecting(false);
    var unit = wordsOf(unitFor(el)), w = unit.words;
    if (!w.length) { focusUnit(el, true); announce(unitName(el) + " has no words to select."); return; }
    var i = 0, j = 0, caret = null;
    var sel = window.getSelection(), r = sel && sel.rangeCount ? sel.getRangeAt(0) : null;
    if (r && unitOf(r.startContainer) === el && unitOf(r.endContainer) === el) {
      var a = offsetIn(el, r.startContainer, r.startOffset), b = offsetIn(el, r.endContainer, r.endOffset);
      if (b > a) {  // words already selected (with the mouse, say): keep them, snapped to whole words
        for (i = 0; i < w.length - 1 && w[i].b <= a; i++);
        for (j = w.length - 1; j > 0 && w[j].a >= b; j--);
        if (j < i) caret = a;
      } else caret = a;
    } else {
      var mark = document.activeElement && document.activeElement.closest && document.activeElement.closest("mark");
      if (mark && el.contains(mark)) caret = offsetIn(el, mark, 0);
    }
    if (caret !== null) {  // a caret (or a focused highlight): the sentence it is in
      var k = 0;
      while (k < w.length - 1 && w[k].b <= caret) k++;
      var s = unit.sents[unit.sentOf[k]];
      i = s.i; j = s.j;
    }
    asApplication(el, true);  // before the focus moves, so a screen reader meets it as one
    if (document.activeElement !== el) el.focus({preventScroll: true});
    kbd = {el: el, unit: unit, i: i, j: j};
    el.classList.add("kbd-selecting");
    showBar("selecting", el);
    applySelection("start", "Selecting words in " + unitName(el) + ": arrows move by word, up and down by sentence, " +
                   "Shift with an arrow moves the end" + (CAN_ANNOTATE ? ", Enter adds a claim" : "") + ", Escape stops. ");
  }

  // cancel: Esc, so the words are let go and a caret stays where they began (s resumes there);
  // otherwise the reader moved on (Tab, a click, the form) and the selection stays as it is.
  function stopSelecting(cancel) {
    if (!kbd) return;
    var el = kbd.el, w = kbd.unit.words[kbd.i];
    el.classList.remove("kbd-selecting");
    asApplication(el, false);
    kbd = null;
    if (cancel) {
      var p = pointAt(el, w.a);
      window.getSelection().collapse(p[0], p[1]);
      adder.hidden = true;
      announce("Stopped selecting; nothing selected. Press s, or the Select words button, to select again.");
    }
    if (document.activeElement === el) showBar("idle", el); else hideBar();
  }

  // A key while selecting; true if it was ours. Ctrl and Cmd combinations (copy, say) are left alone.
  function selectionKey(ev) {
    if (ev.ctrlKey || ev.metaKey) return false;
    var u = kbd.unit, n = u.words.length, S = u.sents, sentOf = u.sentOf;
    var i = kbd.i, j = kbd.j, edge = "end", forward = true, s;
    var shift = ev.shiftKey, alt = ev.altKey;
    if (alt && !(shift && /^Arrow(Left|Right)$/.test(ev.key))) return false;  // Alt+arrow is the browser's
    switch (ev.key) {
      case "Escape":
        ev.preventDefault();
        stopSelecting(true);
        return true;
      case "Enter":
        if (shift) return false;
        ev.preventDefault();
        if (CAN_ANNOTATE) openForm(readSelection());
        return true;
      case "ArrowRight":
        if (alt) { i = Math.min(i + 1, j); edge = "start"; }
        else if (shift) j = Math.min(j + 1, n - 1);
        else if (j + 1 < n) { i++; j++; }
        break;
      case "ArrowLeft":
        forward = false;
        if (alt) { i = Math.max(i - 1, 0); edge = "start"; }
        else if (shift) j = Math.max(j - 1, i);
        else if (i > 0) { i--; j--; edge = "start"; }
        break;
      case "ArrowDown":
        s = sentOf[j];
        if (shift) j = j < S[s].j ? S[s].j : (s + 1 < S.length ? S[s + 1].j : j);
        else if (s + 1 < S.length) { i = S[s + 1].i; j = S[s + 1].j; }
        break;
      case "ArrowUp":
        forward = false;
        if (shift) { j = Math.max(S[sentOf[j]].i - 1, i); break; }
        s = sentOf[i];
        if (i === S[s].i && j === S[s].j) s--;
        if (s >= 0) { i = S[s].i; j = S[s].j; }
        edge = "start";
        break;
      case "Home":
        forward = false;
        if (shift) i = 0; else { i = 0; j = 0; }
        edge = "start";
        break;
      case "End":
        if (shift) j = n - 1; else { i = n - 1; j = n - 1; }
        break;
      default:
        return false;
    }
    ev.preventDefault();
    var moved = i !== kbd.i || j !== kbd.j;
    kbd.i = i;
    kbd.j = j;
    applySelection(edge, moved ? "" : (i === j && shift && !forward ? "One word is the least. " :
                                       forward ? "End of the text. " : "Start of the text. "));
    return true;
  }

  // While selecting, the text is an "application": screen readers (NVDA, JAWS) leave browse mode
  // when the focus lands on one and pass every key to the page, so the arrows, Enter and Esc reach
  // selectionKey. Only while selecting: in browse mode the text must read as text.
  function asApplication(el, on) {
    if (on) {
      el.setAttribute("role", "application");
      el.setAttribute("aria-label", "Selecting words in " + unitName(el));
      el.setAttribute("aria-describedby", "select-keys");
    } else {
      el.removeAttribute("role");
      el.removeAttribute("aria-label");
      el.setAttribute("aria-describedby", "unit-keys");
    }
  }

  // A "Select words in comment 7.2" button in each text's header: what a screen-reader user in
  // browse mode finds (b, the elements list) and activates (Enter, Space), since browse mode keeps
  // n, p and s for itself. It starts selecting exactly as s does. Not a Tab stop (tabindex -1):
  // the text after it is one already, where s does the same; shown on hover and focus only.
  function buttonUnit(node) {
    var key = node && node.getAttribute && node.getAttribute("data-select-unit");
    return key && units[key] ? units[key].el : null;
  }
  unitEls.forEach(function (e) {
    e.tabIndex = 0;
    e.setAttribute("aria-describedby", "unit-keys");
  });
  function addSelectButtons() {  // at the end of the start, after the painting
    unitEls.forEach(function (e) {
      var article = e.closest("article"), head = article && article.querySelector("header");
      if (!head) return;
      var b = el("button", "select-words", "Select words");
      b.type = "button";
      b.tabIndex = -1;
      b.setAttribute("aria-label", "Select words in " + unitName(e));
      b.setAttribute("data-select-unit", unitFor(e).key);
      head.appendChild(b);
    });
  }
  document.addEventListener("focusin", function (ev) {
    var t = ev.target;
    if (kbd && t === kbd.el) { showBar("selecting", t); return; }
    if (t.matches && t.matches(".text[data-unit]") && t.matches(":focus-visible")) showBar("idle", t);
    else if (!help.contains(t)) hideBar();
  });
  document.addEventListener("focusout", function (ev) {
    if (!kbd || ev.target !== kbd.el) return;
    window.setTimeout(function () {  // the keys help borrows focus and gives it back; so does the window
      var now = document.activeElement;
      if (!kbd || now === kbd.el || help.contains(now) || !document.hasFocus()) return;
      stopSelecting(false);
    }, 0);
  });
  document.addEventListener("mousedown", function (ev) {
    if (kbd && !(ev.target.closest && ev.target.closest("#adder"))) stopSelecting(false);
  });

  // ---- events --------------------------------------------------------------------------------
  document.addEventListener("mouseup", function (ev) {
    if (ev.target.closest && (ev.target.closest("#adder") || ev.target.closest("#claims-panel"))) return;
    window.setTimeout(showAdder, 0);
  });
  document.addEventListener("keyup", function (ev) {
    if (ev.shiftKey && /^Arrow/.test(ev.key)) showAdder();
  });
  adder.addEventListener("mousedown", function (ev) { ev.preventDefault(); });  // keep the selection
  adder.addEventListener("click", function () { openForm(pending || readSelection()); });

  document.addEventListener("keydown", function (ev) {
    if (kbd && ev.target === kbd.el && selectionKey(ev)) return;
    if (ev.key === "Escape") { escape(); return; }
    var t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    if (ev.key === "j") { ev.preventDefault(); step(1); }
    else if (ev.key === "k") { ev.preventDefault(); step(-1); }
    else if (ev.key === "n") { ev.preventDefault(); stepUnit(1); }
    else if (ev.key === "p") { ev.preventDefault(); stepUnit(-1); }
    else if (ev.key === "s") { ev.preventDefault(); startSelecting(); }
    else if (ev.key === "a" && CAN_ANNOTATE) {
      var s = readSelection();
      if (s) { ev.preventDefault(); openForm(s); }
      else announce("Select some words in the post or a comment first: press s to select them with the keyboard.");
    }
    else if (ev.key === "?") { ev.preventDefault(); toggleHelp(); }
    else if (ev.key === "Enter" && t && t.matches && t.matches("mark[data-claims]")) {
      focusClaim(Number(t.getAttribute("data-claims").split(" ")[0]));
    }
  });

  document.addEventListener("click", function (ev) {
    var deco = ev.target.closest("span.deco[data-deco]");
    if (deco) {
      var name = deco.getAttribute("data-deco");
      var item = (decorations[name] || [])[Number(deco.getAttribute("data-deco-index"))];
      document.dispatchEvent(new CustomEvent("workbench:decoration-click", {detail: {name: name, item: item}}));
      return;
    }
    var mark = ev.target.closest("mark[data-claims]");
    if (mark) {
      if (!window.getSelection().isCollapsed) return;  // finishing a selection, not a click
      focusClaim(Number(mark.getAttribute("data-claims").split(" ")[0]));
      return;
    }
    var link = ev.target.closest("a.claim-link[data-claim-id]");
    if (link && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey) {
      ev.preventDefault();
      closeForm();
      if (isDrawer()) closeDrawer();
      focusClaim(Number(link.getAttribute("data-claim-id")), {detail: !isDrawer()});
      return;
    }
    var start = buttonUnit(ev.target.closest("button.select-words"));
    if (start) { startSelecting(start); return; }
    var action = ev.target.closest("[data-action]");
    if (!action) return;
    var what = action.getAttribute("data-action");
    if (what === "cancel") closeForm(true);
    else if (what === "close-detail") detail.hidden = true;
    else if (what === "close-panel") closeDrawer();
    else if (what === "close-help") toggleHelp(false);
  });

  document.addEventListener("mouseover", function (ev) {
    var mark = ev.target.closest && ev.target.closest("mark[data-claims]");
    if (mark) showCard(mark);
  });
  document.addEventListener("mouseout", function (ev) {
    var mark = ev.target.closest && ev.target.closest("mark[data-claims]");
    if (mark && !(ev.relatedTarget && mark.contains(ev.relatedTarget))) hideCard();
  });
  document.addEventListener("focusin", function (ev) {
    var mark = ev.target.closest && ev.target.closest("mark[data-claims]");
    if (mark) showCard(mark); else hideCard();
  });

  toggle.addEventListener("click", function () {
    if (panel.classList.contains("open")) closeDrawer();
    else { panel.classList.add("open"); toggle.setAttribute("aria-expanded", "true"); panel.focus(); }
  });
  filter.addEventListener("change", function () { current = -1; applyFilter(); });

  if (form) {
    form.addEventListener("submit", save);
    document.getElementById("add-source").addEventListener("click", addSourceRow);
    form.addEventListener("click", function (ev) {
      var rm = ev.target.closest(".remove-source");
      if (rm) rm.closest(".source-row").remove();
    });
  }

  document.addEventListener("workbench:claim-saved", function (ev) {
    if (ev.detail && ev.detail.id) claimSaved(ev.detail);
  });

  // ---- the API for other scripts (search suggestions) ----------------------------------------
  window.Workbench = window.Workbench || {};
  window.Workbench.setDecorations = function (name, items) {
    var keys = {};
    (decorations[name] || []).concat(items || []).forEach(function (d) { keys[unitKey(d.comment_id)] = 1; });
    if (items && items.length) decorations[name] = items.slice(); else delete decorations[name];
    paintKeys(Object.keys(keys));
  };
  window.Workbench.addClaim = function (claim) { upsertClaim(claim); };
  window.Workbench.claims = function () { return claims.slice(); };
  window.Workbench.toCodePoints = u16ToCp;
  window.Workbench.toUtf16 = cpToU16;
  window.Workbench.cpSlice = cpSlice;

  // ---- start ---------------------------------------------------------------------------------
  setClaims(JSON.parse(dataEl.textContent));
  paintAll();
  if (perf) perf.mark("annotate:panel-start");
  if (!adoptList()) renderList();
  if (perf) perf.mark("annotate:panel-end");
  addSelectButtons();
  panel.querySelector(".panel-filter").hidden = false;
  panel.querySelector(".panel-close").hidden = false;
  toggle.hidden = false;
  if (CAN_ANNOTATE) loadCategories();
  document.body.setAttribute("data-annotate", "ready");
  if (perf) {
    perf.mark("annotate:ready");
    if (perf.measure) perf.measure("annotate:startup", "annotate:start", "annotate:ready");
  }
})();
