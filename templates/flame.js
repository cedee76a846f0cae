// agentpprof flame graph behaviour: zoom, reset, regex search with the matched percentage.
// Written for agentpprof; works in a standalone .svg and inlined in the dashboard.
(function () {
  "use strict";
  function setup(svg) {
    if (svg.getAttribute("data-ready") === "1") return;
    svg.setAttribute("data-ready", "1");
    var W = parseFloat(svg.getAttribute("width")) - 20;
    var total = parseFloat(svg.getAttribute("data-total")) || 0;
    var unit = svg.getAttribute("data-unit") || "";
    var frames = Array.prototype.slice.call(svg.querySelectorAll("g.f"));
    var details = svg.querySelector("text.details");
    var matched = svg.querySelector("text.matched");
    var resetBtn = svg.querySelector("text.reset");
    var searchBtn = svg.querySelector("text.search");
    var data = frames.map(function (g) {
      var t = g.querySelector("title").textContent;
      return {
        g: g, rect: g.querySelector("rect"), text: g.querySelector("text"),
        x: parseFloat(g.getAttribute("data-x")), w: parseFloat(g.getAttribute("data-w")),
        d: parseInt(g.getAttribute("data-d"), 10), v: parseFloat(g.getAttribute("data-v")),
        name: t.replace(/ \([^()]*\)$/, ""), title: t
      };
    });
    var zoomed = null;
    function fit(name, px) {
      var n = Math.floor((px - 6) / 6.6);
      if (n < 3) return "";
      return name.length <= n ? name : name.slice(0, n - 2) + "..";
    }
    function draw(zx, zw, zd) {
      data.forEach(function (f) {
        var inside = f.x >= zx - 1e-9 && f.x + f.w <= zx + zw + 1e-9;
        var ancestor = f.d < zd && f.x <= zx + 1e-9 && f.x + f.w >= zx + zw - 1e-9;
        if (!(inside || ancestor)) { f.g.style.display = "none"; return; }
        f.g.style.display = "";
        var x = ancestor ? 0 : (f.x - zx) / zw * W;
        var w = ancestor ? W : f.w / zw * W;
        f.rect.setAttribute("x", (10 + x).toFixed(2));
        f.rect.setAttribute("width", Math.max(w - 0.5, 0.1).toFixed(2));
        f.text.setAttribute("x", (13 + x).toFixed(2));
        f.text.textContent = fit(f.name, w);
        f.g.classList.toggle("dim", ancestor);
      });
    }
    function zoom(f) {
      zoomed = f;
      draw(f.x, f.w, f.d);
      resetBtn.setAttribute("visibility", "visible");
      svg.setAttribute("data-zoomed", f.name);
    }
    function reset() {
      zoomed = null;
      draw(0, 1, 0);
      resetBtn.setAttribute("visibility", "hidden");
      svg.removeAttribute("data-zoomed");
    }
    function search(term) {
      data.forEach(function (f) { f.g.classList.remove("hit"); });
      if (!term) { matched.textContent = ""; svg.removeAttribute("data-matched"); return 0; }
      var re;
      try { re = new RegExp(term, "i"); } catch (e) { matched.textContent = "bad regex"; return 0; }
      var hits = data.filter(function (f) { return f.d > 0 && re.test(f.name); });
      hits.forEach(function (f) { f.g.classList.add("hit"); });
      // matched weight: hit frames not covered by another hit frame (no double counting)
      hits.sort(function (a, b) { return a.x - b.x || a.d - b.d; });
      var sum = 0, end = -1;
      hits.forEach(function (f) {
        if (f.x >= end - 1e-12) { sum += f.w; end = f.x + f.w; }
      });
      var pct = (100 * sum).toFixed(1);
      matched.textContent = "Matched: " + pct + "%";
      svg.setAttribute("data-matched", pct);
      return parseFloat(pct);
    }
    data.forEach(function (f) {
      f.g.addEventListener("click", function (ev) { ev.stopPropagation(); if (f.d === 0) reset(); else zoom(f); });
      f.g.addEventListener("mouseover", function () { details.textContent = f.title; });
      f.g.addEventListener("mouseout", function () { details.textContent = ""; });
    });
    resetBtn.addEventListener("click", reset);
    searchBtn.addEventListener("click", function () {
      var term = window.prompt("Search frames (regular expression):", "");
      if (term !== null) search(term);
    });
    svg.agentpprof = { zoom: function (name) {
      var f = data.filter(function (d) { return d.name === name; })[0]; if (f) zoom(f); return !!f;
    }, reset: reset, search: search, total: total, unit: unit };
  }
  function init() {
    var all = document.querySelectorAll("svg.agentpprof-flame");
    for (var i = 0; i < all.length; i++) setup(all[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
