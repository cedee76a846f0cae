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
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind);
  else bind();
})();
