// agentpprof waterfall: one lane per session and sub-agent, LLM and tool spans coloured by tag,
// waiting-for-the-user gaps hatched. Idle stretches where no lane has work (at least 30 min and
// 5 % of the range) are collapsed to a thin marked band, so sessions a day apart stay readable. Wheel zooms around the pointer, drag pans, a lane's name
// shows that lane's whole run, double-click (or "Reset") shows everything. Written for agentpprof; data from timeline.trace.json.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  function hue(tag) {
    var h = 0;
    for (var i = 0; i < tag.length; i++) h = (h * 31 + tag.charCodeAt(i)) % 360;
    return h;
  }
  function fmt(ms) {
    var s = Math.abs(ms) / 1000;
    if (s < 1) return Math.round(ms) + " ms";
    if (s < 120) return (ms / 1000).toFixed(1) + " s";
    if (s < 7200) return (ms / 60000).toFixed(1) + " min";
    if (s < 172800) return (ms / 3600000).toFixed(1) + " h";
    return (ms / 86400000).toFixed(1) + " d";
  }
  function setup() {
    var holder = document.getElementById("waterfall");
    var node = document.getElementById("waterfall-data");
    if (!holder || !node) return;
    var data = JSON.parse(node.textContent);
    var lanes = data.lanes || [];
    if (!lanes.length) { holder.textContent = "No timed events."; return; }
    var lo = Infinity, hi = -Infinity;
    lanes.forEach(function (l) {
      l.lo = Infinity; l.hi = -Infinity;
      l.spans.forEach(function (s) {
        l.lo = Math.min(l.lo, s[0]); l.hi = Math.max(l.hi, s[1]);
      });
      lo = Math.min(lo, l.lo); hi = Math.max(hi, l.hi);
    });
    if (!(hi > lo)) hi = lo + 1;
    // idle gaps: merge every span, keep the holes no lane covers, collapse the long ones
    var iv = [];
    lanes.forEach(function (l) { l.spans.forEach(function (s) { iv.push([s[0], s[1]]); }); });
    iv.sort(function (a, b) { return a[0] - b[0]; });
    var merged = [];
    iv.forEach(function (p) {
      var last = merged[merged.length - 1];
      if (last && p[0] <= last[1]) last[1] = Math.max(last[1], p[1]);
      else merged.push([p[0], p[1]]);
    });
    var minGap = Math.max(30 * 60000, (hi - lo) * 0.05), gaps = [], idle = 0;
    for (var g = 1; g < merged.length; g++) {
      if (merged[g][0] - merged[g - 1][1] >= minGap) {
        gaps.push([merged[g - 1][1], merged[g][0]]);
        idle += merged[g][0] - merged[g - 1][1];
      }
    }
    var GAPW = gaps.length ? Math.max((hi - lo - idle) * 0.03, 1000) : 0;
    function comp(t) {  // real ms -> the collapsed axis
      var shift = 0;
      for (var i = 0; i < gaps.length; i++) {
        var a = gaps[i][0], b = gaps[i][1];
        if (t >= b) { shift += (b - a) - GAPW; continue; }
        if (t > a) return a - shift + (t - a) / (b - a) * GAPW;
        break;
      }
      return t - shift;
    }
    function real(c) {  // the collapsed axis -> real ms
      var shift = 0;
      for (var i = 0; i < gaps.length; i++) {
        var a = gaps[i][0], b = gaps[i][1], ca = a - shift;
        if (c <= ca) break;
        if (c < ca + GAPW) return a + (c - ca) / GAPW * (b - a);
        shift += (b - a) - GAPW;
      }
      return c + shift;
    }
    var clo = comp(lo), chi = comp(hi);
    var LABEL = 250, ROW = 20, TOP = 24, W = Math.max(holder.clientWidth || 1100, 700);
    var plot = W - LABEL - 10, H = TOP + lanes.length * ROW + 8;
    var view = [clo, chi];
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("width", W);
    svg.setAttribute("height", H);
    svg.setAttribute("class", "waterfall");
    svg.setAttribute("font-family", "Verdana,sans-serif");
    svg.setAttribute("font-size", "11");
    holder.appendChild(svg);
    var info = document.getElementById("waterfall-info");
    var defs = document.createElementNS(NS, "defs");
    defs.innerHTML = '<pattern id="wf-hatch" width="6" height="6" patternUnits="userSpaceOnUse" ' +
      'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f1f1ee"/>' +
      '<line x1="0" y1="0" x2="0" y2="6" stroke="#c9c9c4" stroke-width="2"/></pattern>';
    svg.appendChild(defs);
    var layer = document.createElementNS(NS, "g");
    svg.appendChild(layer);
    function x(c) { return LABEL + (c - view[0]) / (view[1] - view[0]) * plot; }
    function xr(t) { return x(comp(t)); }
    function el(name, attrs, text) {
      var e = document.createElementNS(NS, name);
      for (var k in attrs) e.setAttribute(k, attrs[k]);
      if (text !== undefined) e.textContent = text;
      return e;
    }
    function draw() {
      while (layer.firstChild) layer.removeChild(layer.firstChild);
      var span = view[1] - view[0];
      for (var k = 0; k <= 6; k++) {  // time axis
        var c = view[0] + span * k / 6, t = real(c);
        layer.appendChild(el("line", {x1: x(c), x2: x(c), y1: TOP - 4, y2: H, stroke: "#e3e3df"}));
        var when = k ? "+" + fmt(t - real(view[0])) :
          new Date((data.origin_ms || 0) + t).toISOString().slice(0, 19).replace("T", " ") + " UTC";
        layer.appendChild(el("text", {x: x(c), y: 12, "text-anchor": k ? (k === 6 ? "end" : "middle") : "start",
          fill: "#666"}, when));
      }
      gaps.forEach(function (gp) {  // a collapsed idle stretch: a grey band with its length
        var a = comp(gp[0]), b = comp(gp[1]);
        if (b < view[0] || a > view[1]) return;
        var x0 = Math.max(x(a), LABEL), x1 = Math.min(x(b), W - 10);
        var band = el("rect", {x: x0, y: TOP - 4, width: Math.max(x1 - x0, 2), height: H - TOP + 4,
          fill: "#ecebe6", "class": "gap"});
        band.appendChild(el("title", {}, "idle " + fmt(gp[1] - gp[0]) + " (collapsed): no session had work"));
        layer.appendChild(band);
        layer.appendChild(el("text", {x: (x0 + x1) / 2, y: TOP + 8, "text-anchor": "middle", fill: "#888",
          "font-size": "9"}, "⋯ " + fmt(gp[1] - gp[0]) + " ⋯"));
      });
      var drawn = 0;
      lanes.forEach(function (lane, i) {
        var y = TOP + i * ROW;
        var label = el("text", {x: 4, y: y + 14, fill: "#1f4fb3", "class": "lane", "data-lane": i,
          style: "cursor:pointer"}, lane.name.length > 38 ? lane.name.slice(0, 37) + "…" : lane.name);
        label.appendChild(el("title", {}, lane.name + ": click to show this lane's whole run"));
        label.addEventListener("click", function () { showLane(i); });
        layer.appendChild(label);
        layer.appendChild(el("line", {x1: LABEL, x2: W - 10, y1: y + ROW - 1, y2: y + ROW - 1, stroke: "#f0f0ec"}));
        lane.spans.forEach(function (s) {
          if (comp(s[1]) < view[0] || comp(s[0]) > view[1]) return;
          var x0 = Math.max(xr(s[0]), LABEL), x1 = Math.min(xr(s[1]), W - 10);
          var w = Math.max(x1 - x0, 1), kind = s[2];
          var fill = kind === "wait" ? "url(#wf-hatch)" :
            "hsl(" + hue(s[4] || s[3]) + "," + (kind === "llm" ? "62%,58%" : "48%,74%") + ")";
          var r = el("rect", {x: x0, y: y + (kind === "tool" ? 5 : 2), width: w,
            height: kind === "tool" ? ROW - 10 : ROW - 4, fill: fill, "class": "span " + kind,
            "data-kind": kind});
          r.appendChild(el("title", {}, s[3] + (s[4] ? " [" + s[4] + "]" : "") + " · " + fmt(s[1] - s[0]) +
            " at +" + fmt(s[0] - lo)));
          layer.appendChild(r);
          drawn++;
        });
      });
      svg.setAttribute("data-view", view[0].toFixed(1) + "," + view[1].toFixed(1));
      svg.setAttribute("data-drawn", drawn);
      svg.setAttribute("data-gaps", gaps.length);
      if (info) info.textContent = "showing " + fmt(real(view[1]) - real(view[0])) + " from +" +
        fmt(real(view[0]) - lo) + " · " + drawn + " spans" +
        (gaps.length ? " · " + gaps.length + " idle gap(s) of " + fmt(idle) + " collapsed" : "");
    }
    function zoomAt(px, factor) {
      var t = view[0] + (Math.min(Math.max(px - LABEL, 0), plot) / plot) * (view[1] - view[0]);
      var a = t - (t - view[0]) * factor, b = t + (view[1] - t) * factor;
      if (b - a < 1) return;
      view = [Math.max(a, clo - (chi - clo)), Math.min(b, chi + (chi - clo))];
      draw();
    }
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var box = svg.getBoundingClientRect();
      zoomAt(ev.clientX - box.left, ev.deltaY < 0 ? 0.8 : 1.25);
    }, {passive: false});
    var drag = null;
    svg.addEventListener("mousedown", function (ev) { drag = {x: ev.clientX, view: view.slice()}; });
    window.addEventListener("mouseup", function () { drag = null; });
    window.addEventListener("mousemove", function (ev) {
      if (!drag) return;
      var dt = (ev.clientX - drag.x) / plot * (drag.view[1] - drag.view[0]);
      view = [drag.view[0] - dt, drag.view[1] - dt];
      draw();
    });
    function reset() { view = [clo, chi]; draw(); }
    function showLane(i) {
      var l = lanes[i], a = comp(l.lo), b = comp(l.hi), pad = Math.max((b - a) * 0.02, 500);
      view = [a - pad, b + pad];
      draw();
    }
    svg.addEventListener("dblclick", reset);
    var btn = document.getElementById("waterfall-reset");
    if (btn) btn.addEventListener("click", reset);
    var zin = document.getElementById("waterfall-zoom");
    if (zin) zin.addEventListener("click", function () { zoomAt(LABEL + plot / 2, 0.5); });
    svg.agentpprofWaterfall = {zoomAt: zoomAt, reset: reset, showLane: showLane, gaps: gaps};
    draw();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
