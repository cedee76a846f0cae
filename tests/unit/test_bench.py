"""bench.py: the quality/latency chart's geometry."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from agentpprof.bench import PlotFrame, quality_latency_svg
from agentpprof.models import BenchLatency, BenchModel, BenchResult


def _model(label: str, mean_ms: float, quality: float | None, ok: bool = True) -> BenchModel:
    return BenchModel(
        label=label,
        path=f"/m/{label}.gguf",
        ok=ok,
        latency=BenchLatency(mean_ms=mean_ms, p50_ms=mean_ms, p95_ms=mean_ms),
        quality=quality,
    )


def test_dots_sit_at_latency_and_quality() -> None:
    result = BenchResult(
        generated_at="2026-12-05T00:00:00Z",
        agentpprof_version="0",
        llama_server="llama-server",
        server_args=[],
        runs=1,
        eval_file=None,
        models=[_model("fast", 100.0, 0.5), _model("slow", 200.0, None), _model("x", 9, 1, False)],
    )
    svg = ET.fromstring(quality_latency_svg(result))
    ns = {"s": "http://www.w3.org/2000/svg"}
    dots = {
        g.find("s:text", ns).text: g.find("s:circle", ns).attrib  # type: ignore[union-attr]
        for g in svg.findall("s:g", ns)
    }
    assert set(dots) == {"fast", "slow"}  # a failed model has no dot
    frame = PlotFrame()
    # the x axis ends at 1.2x the slowest mean; a missing quality sits on 0
    assert dots["slow"] == {
        "cx": f"{frame.x(1 / 1.2):.1f}",
        "cy": f"{frame.y(0):.1f}",
        "r": "6",
        "fill": "#3b7dd8",
    }
    assert float(dots["fast"]["cx"]) < float(dots["slow"]["cx"])
    assert dots["fast"]["cy"] == f"{frame.height - frame.bottom - 270 * 0.5:.1f}"
    assert svg.get("width") == "640" and "0-240" in ET.tostring(svg, encoding="unicode")
