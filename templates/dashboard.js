// Dashboard wiring: search boxes and reset buttons drive the inline flame graphs.
(function () {
  "use strict";
  function flame(id) {
    var svg = document.getElementById(id);
    return svg && svg.agentpprof ? svg.agentpprof : null;
  }
  function bind() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-search]"), function (input) {
      var id = input.getAttribute("data-search");
      var out = document.querySelector("[data-match='" + id + "']");
      function run() {
        var f = flame(id);
        if (!f) return;
        var pct = f.search(input.value);
        out.textContent = input.value ? "Matched: " + pct.toFixed(1) + "%" : "";
      }
      input.addEventListener("input", run);
      input.addEventListener("change", run);
    });
    Array.prototype.forEach.call(document.querySelectorAll("button[data-reset]"), function (btn) {
      btn.addEventListener("click", function () {
        var f = flame(btn.getAttribute("data-reset"));
        if (f) f.reset();
      });
    });
  }
  // a tag in the outcomes table: highlight its prompt frames in the system and friction graphs
  function focusTag(tag) {
    var re = "^prompt:" + tag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "$";
    ["system-flamegraph", "friction-flamegraph"].forEach(function (id) {
      var input = document.querySelector("input[data-search='" + id + "']");
      if (!input) return;
      input.value = re;
      input.dispatchEvent(new Event("input"));
    });
  }
  function sortable(table) {
    Array.prototype.forEach.call(table.querySelectorAll("th[data-sort]"), function (th, col) {
      th.style.cursor = "pointer";
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var num = th.getAttribute("data-sort") === "num";
        var dir = th.getAttribute("data-dir") === "desc" ? 1 : -1;
        th.setAttribute("data-dir", dir === 1 ? "asc" : "desc");
        function key(row) {
          var cell = row.cells[col];
          var v = cell.getAttribute("data-value") || cell.textContent;
          return num ? parseFloat(v) || 0 : v;
        }
        rows.sort(function (a, b) { var x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * dir; });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  function bindOutcomes() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), sortable);
    Array.prototype.forEach.call(document.querySelectorAll("a[data-focus]"), function (a) {
      a.addEventListener("click", function () { focusTag(a.getAttribute("data-focus")); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bindOutcomes);
  else bindOutcomes();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind);
  else bind();
})();
