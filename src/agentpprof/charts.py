"""Standalone SVG charts: horizontal bars and a per-day timeline. Pure string building with
every label escaped."""

from __future__ import annotations

from html import escape

from agentpprof.flamegraph import frame_color

BAR_FILL = "#3b7dd8"


def _shell(width: int, height: int, title: str, body: list[str]) -> str:
    return "\n".join(
        [
            f'<svg version="1.1" xmlns="http://www.w3.org/2000/svg" class="agentpprof-chart" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'font-family="Verdana,sans-serif" font-size="11">',
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
            f'<text x="12" y="22" font-size="14" font-weight="bold">{escape(title)}</text>',
            *body,
            "</svg>",
        ]
    )


def bar_chart(
    rows: list[tuple[str, int]],
    *,
    title: str,
    unit: str,
    width: int = 760,
    top: int = 14,
    color_by_label: bool = False,
) -> str:
    rows = rows[:top]
    label_w, bar_w, row_h = 230, width - 230 - 110, 20
    height = 40 + max(len(rows), 1) * row_h + 12
    peak = max((v for _, v in rows), default=0) or 1
    body: list[str] = []
    if not rows:
        body.append('<text x="12" y="50" fill="#777">no data</text>')
    for i, (label, value) in enumerate(rows):
        y = 36 + i * row_h
        w = max(bar_w * value / peak, 1.0)
        shown = label if len(label) <= 34 else label[:32] + ".."
        fill = frame_color(label) if color_by_label else BAR_FILL
        body.append(
            f"<g><title>{escape(label)}: {value:,} {escape(unit)}</title>"
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(shown)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{fill}" rx="2"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 14}" fill="#333">{value:,}</text></g>'
        )
    return _shell(width, height, title, body)


def timeline_chart(days: list[tuple[str, int, int]], *, title: str, width: int = 760) -> str:
    """Sessions per day (bars) and tokens per day (line)."""
    height = 230
    left, right, top, bottom = 50, 60, 40, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    body: list[str] = []
    if not days:
        body.append('<text x="12" y="60" fill="#777">no data</text>')
        return _shell(width, height, title, body)
    n = len(days)
    step = plot_w / n
    smax = max(d[1] for d in days) or 1
    tmax = max(d[2] for d in days) or 1
    points: list[str] = []
    for i, (date, sessions, tokens) in enumerate(days):
        x = left + i * step
        h = plot_h * sessions / smax
        body.append(
            f"<g><title>{escape(date)}: {sessions} sessions, {tokens:,} tokens</title>"
            f'<rect x="{x + step * 0.15:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{max(step * 0.7, 1):.1f}" height="{h:.1f}" fill="{BAR_FILL}"/>'
            f"</g>"
        )
        cx = x + step / 2
        cy = top + plot_h - plot_h * tokens / tmax
        points.append(f"{cx:.1f},{cy:.1f}")
        if n <= 16 or i % max(n // 12, 1) == 0:
            body.append(
                f'<text x="{cx:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'font-size="9">{escape(date[5:] if len(date) == 10 else date)}</text>'
            )
    body.append(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="#e07b39" stroke-width="2"/>'
    )
    body.append(f'<text x="{left - 6}" y="{top + 8}" text-anchor="end" font-size="9">{smax}</text>')
    body.append(
        f'<text x="{width - right + 6}" y="{top + 8}" font-size="9" fill="#e07b39">{tmax:,}</text>'
    )
    body.append(
        f'<text x="{left}" y="{height - 10}" font-size="10">bars: sessions per day'
        f'  <tspan fill="#e07b39">line: tokens per day</tspan></text>'
    )
    return _shell(width, height, title, body)
