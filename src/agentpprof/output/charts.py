"""Standalone SVG charts: horizontal bars and a per-day timeline. Geometry here, markup in
templates/chart.svg.j2 (autoescaped)."""

from __future__ import annotations

from agentpprof.output.flamegraph import frame_color
from agentpprof.output.templates import get_env

BAR_FILL = "#3b7dd8"


def _render(**ctx: object) -> str:
    return get_env().get_template("chart.svg.j2").render(**ctx).rstrip("\n")


def bar_chart(
    rows: list[tuple[str, int]],
    *,
    title: str,
    unit: str,
    width: int = 760,
    top: int = 14,
    color_by_label: bool = False,
    scale: int | None = None,
) -> str:
    """``scale``: the value of a full-width bar (default: the largest value; 100 for rates)."""
    rows = rows[:top]
    label_w, bar_w, row_h = 230, width - 230 - 110, 20
    height = 40 + max(len(rows), 1) * row_h + 12
    peak = scale or max((v for _, v in rows), default=0) or 1
    items = []
    for i, (label, value) in enumerate(rows):
        y = 36 + i * row_h
        w = max(bar_w * value / peak, 1.0)
        items.append(
            {
                "label": label,
                "value_text": f"{value:,}",
                "lx": label_w - 6,
                "ty": y + 14,
                "shown": label if len(label) <= 34 else label[:32] + "..",
                "bx": label_w,
                "by": y + 3,
                "w": f"{w:.1f}",
                "h": row_h - 6,
                "fill": frame_color(label) if color_by_label else BAR_FILL,
                "vx": f"{label_w + w + 6:.1f}",
            }
        )
    return _render(kind="bars", width=width, height=height, title=title, unit=unit, items=items)


def timeline_chart(days: list[tuple[str, int, int]], *, title: str, width: int = 760) -> str:
    """Sessions per day (bars) and tokens per day (line)."""
    height = 230
    left, right, top, bottom = 50, 60, 40, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(days)
    step = plot_w / n if n else 0.0
    smax = max((d[1] for d in days), default=0) or 1
    tmax = max((d[2] for d in days), default=0) or 1
    items = []
    points: list[str] = []
    for i, (date, sessions, tokens) in enumerate(days):
        x = left + i * step
        h = plot_h * sessions / smax
        cx = x + step / 2
        points.append(f"{cx:.1f},{top + plot_h - plot_h * tokens / tmax:.1f}")
        shown = n <= 16 or i % max(n // 12, 1) == 0
        items.append(
            {
                "date": date,
                "sessions": sessions,
                "tokens_text": f"{tokens:,}",
                "x": f"{x + step * 0.15:.1f}",
                "y": f"{top + plot_h - h:.1f}",
                "w": f"{max(step * 0.7, 1):.1f}",
                "h": f"{h:.1f}",
                "cx": f"{cx:.1f}",
                "tick": (date[5:] if len(date) == 10 else date) if shown else "",
            }
        )
    return _render(
        kind="days",
        width=width,
        height=height,
        title=title,
        items=items,
        fill=BAR_FILL,
        tick_y=top + plot_h + 16,
        points=" ".join(points),
        left=left,
        right=right,
        top=top,
        smax=smax,
        tmax_text=f"{tmax:,}",
    )
