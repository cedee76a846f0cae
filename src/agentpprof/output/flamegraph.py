"""Flame graph SVG renderer (own code): merged prefixes, widths proportional to weight.

Frames narrower than ``min_width`` pixels are not drawn but still count in their parent. Colours
are stable per frame family (``project``, ``agent``, ``session`` …) and per name. The embedded
script (templates/flame.js) adds click-to-zoom, reset and regex search with the matched
percentage, and works both in a standalone ``.svg`` file and inlined in the dashboard.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from agentpprof.output.templates import asset_text, get_env
from agentpprof.profile.fold import Stack

FAMILY_HUES: dict[str, tuple[int, int]] = {
    # family: (base hue, hue spread)
    "project": (220, 10),
    "agent": (265, 20),
    "session": (30, 25),
    "prompt": (45, 20),
    "call": (5, 20),
    "process": (120, 30),
    "effect": (185, 20),
    "path": (330, 25),
    "domain": (300, 20),
    "status": (95, 10),
    "model": (200, 25),
    "kind": (160, 25),
}
STATUS_COLORS = {"status:ok": "#7bc47f", "status:fail": "#e4605e", "status:observed": "#c9c9c9"}


def frame_color(frame: str) -> str:
    if frame in STATUS_COLORS:
        return STATUS_COLORS[frame]
    family = frame.split(":", 1)[0]
    hue, spread = FAMILY_HUES.get(family, (0, 360))
    digest = hashlib.sha256(frame.encode()).digest()
    h = (hue + digest[0] % (2 * spread + 1) - spread) % 360
    s = 55 + digest[1] % 25
    light = 58 + digest[2] % 14
    return f"hsl({h},{s}%,{light}%)"


@dataclass(slots=True)
class Node:
    name: str
    value: int = 0
    base: int = 0  # differential trees: the base weight (``value`` is the new one)
    children: dict[str, Node] = field(default_factory=dict)


def build_tree(counter: Counter[Stack]) -> Node:
    root = Node("all")
    for stack, weight in counter.items():
        if weight <= 0:
            continue
        root.value += weight
        node = root
        for frame in stack:
            child = node.children.get(frame)
            if child is None:
                child = Node(frame)
                node.children[frame] = child
            child.value += weight
            node = child
    return root


def build_diff_tree(pairs: dict[Stack, tuple[int, int]], min_frac: float = 0.0) -> Node:
    """One tree for both differential flame graphs: ``value`` = new and ``base`` = base weight
    of each frame over its whole subtree (a frame's delta, as flamegraph.pl's).

    The stacks are sorted once, so every frame's stacks form one contiguous run whose weights
    two prefix sums give; a frame narrower than ``min_frac`` of the total in both graphs (too
    narrow to draw in either) keeps its weight but is not expanded, so 100,000 distinct stacks
    cost what their visible part costs."""
    # sorted as "\0"-joined text: as fast to compare as strings are, and a frame's stacks stay
    # contiguous ("\0" sorts below every character a frame holds)
    rows = sorted(("\0".join(stack), base, new) for stack, (base, new) in pairs.items())
    keys = [r[0] for r in rows]
    cum_new = [0, *itertools.accumulate(r[2] for r in rows)]
    cum_base = [0, *itertools.accumulate(r[1] for r in rows)]
    root = Node("all", cum_new[-1], cum_base[-1])
    thr_new, thr_base = min_frac * root.value * 0.999, min_frac * root.base * 0.999
    todo: list[tuple[Node, str, int, int]] = [(root, "", 0, len(keys))]
    while todo:
        node, prefix, i, hi = todo.pop()
        start = len(prefix)
        while i < hi:
            key = keys[i]
            if len(key) < start:  # the stack that ends at this frame
                i += 1
                continue
            cut = key.find("\0", start)
            frame = key[start:] if cut < 0 else key[start:cut]
            j = bisect.bisect_left(keys, prefix + frame + "\x01", i, hi)
            child = node.children[frame] = Node(
                frame, cum_new[j] - cum_new[i], cum_base[j] - cum_base[i]
            )
            if min_frac <= 0 or 0 < child.value >= thr_new or 0 < child.base >= thr_base:
                todo.append((child, prefix + frame + "\0", i, j))
            i = j
    return root


def diff_color(delta: int, max_abs: int) -> str:
    """Red where the frame grew, blue where it shrank, near-white where it did not change."""
    if delta == 0 or max_abs <= 0:
        return "rgb(236,236,232)"
    fade = 210 - int(190 * min(abs(delta) / max_abs, 1.0))
    return f"rgb(255,{fade},{fade})" if delta > 0 else f"rgb({fade},{fade},255)"


@dataclass(slots=True)
class Rect:
    name: str
    value: int
    x: float  # fraction of total
    w: float  # fraction of total
    depth: int
    delta: int = 0


def layout(
    root: Node, width_px: float, min_width_px: float, by_base: bool = False
) -> tuple[list[Rect], int]:
    """Rects for frames at least ``min_width_px`` wide; children sorted by name (like
    flamegraph.pl) so the picture is stable. ``by_base``: widths from a differential tree's base
    weights. Returns (rects, max depth)."""
    rects: list[Rect] = []
    total = (root.base if by_base else root.value) or 1
    min_frac = min_width_px / width_px
    max_depth = 0
    stack: list[tuple[Node, float, int]] = [(root, 0.0, 0)]
    while stack:
        node, x, depth = stack.pop()
        value = node.base if by_base else node.value
        w = value / total
        if w < min_frac:
            continue
        rects.append(Rect(node.name, value, x, w, depth, node.value - node.base))
        max_depth = max(max_depth, depth)
        cx = x
        for name in sorted(node.children):
            child = node.children[name]
            stack.append((child, cx, depth + 1))
            cx += (child.base if by_base else child.value) / total
    return rects, max_depth


# every flame graph's size: SVG width and the narrowest frame drawn, in pixels (report and diff)
SVG_WIDTH = 1200
MIN_WIDTH_PX = 0.5
MARGIN_PX = 20  # left + right


def render_flamegraph(counter: Counter[Stack], *, title: str, unit: str, **opts: Any) -> str:
    """The SVG of a folded profile (``opts``: render_tree's size and id options)."""
    return render_tree(build_tree(counter), title=title, unit=unit, **opts)


def render_tree(
    root: Node,
    *,
    title: str,
    unit: str,
    width: int = SVG_WIDTH,
    frame_height: int = 18,
    min_width: float = MIN_WIDTH_PX,
    inverted: bool = False,
    element_id: str = "flame",
    diff: str = "",
    subtitle: str = "",
) -> str:
    """The SVG of a built tree. ``diff`` ("new" or "base": which weights of a
    :func:`build_diff_tree` tree give the widths): frames coloured by their delta (red grew,
    blue shrank) and the delta in each frame's tooltip."""
    rects, max_depth = layout(root, width - MARGIN_PX, min_width, by_base=diff == "base")
    max_abs = max((abs(r.delta) for r in rects if r.depth > 0), default=0)
    total = root.base if diff == "base" else root.value
    top_pad, bottom_pad = 56, 26
    height = top_pad + (max_depth + 1) * frame_height + bottom_pad
    inner = width - 20
    frames: list[dict[str, object]] = []
    for r in rects:
        row = r.depth if inverted else max_depth - r.depth
        y = top_pad + row * frame_height
        x = 10 + r.x * inner
        w = r.w * inner
        if diff:
            fill = "#e8e8e8" if r.depth == 0 else diff_color(r.delta, max_abs)
            base = r.value - r.delta if diff == "new" else r.value
            rel = f", {100.0 * r.delta / base:+.1f}%" if base > 0 else ", new"
            extra = f", {r.delta:+,} vs base{rel if r.delta else ''}"
        else:
            fill = "#e8e8e8" if r.depth == 0 else frame_color(r.name)
            extra = ""
        frames.append(
            {
                "dx": f"{r.x:.6f}",
                "dw": f"{r.w:.6f}",
                "depth": r.depth,
                "value": r.value,
                "name": r.name,
                "value_text": f"{r.value:,}",
                "pct": f"{100.0 * r.value / total if total else 0.0:.2f}",
                "extra": extra,
                "x": f"{x:.2f}",
                "y": y,
                "w": f"{max(w - 0.5, 0.1):.2f}",
                "fill": fill,
                "tx": f"{x + 3:.2f}",
                "ty": y + frame_height - 5,
                "label": _fit(r.name, w),
            }
        )
    return (
        get_env()
        .get_template("flame.svg.j2")
        .render(
            style=Markup(_style()),  # the very strings for_page removes again
            script=Markup(_script()),
            element_id=element_id,
            width=width,
            height=height,
            total=total,
            total_text=f"{total:,}",
            unit=unit,
            inverted=1 if inverted else 0,
            fh=frame_height,
            top=top_pad,
            rows=max_depth + 1,
            title_x=f"{width / 2:.0f}",
            title=title,
            subtitle=subtitle,
            frames=frames,
        )
        .rstrip("\n")
    )


def _style() -> str:
    return f"<style>{asset_text('flame.css')}</style>"


def _script() -> str:
    return f"<script><![CDATA[\n{asset_text('flame.js')}\n]]></script>"


def for_page(svg: str) -> str:
    """A standalone flame graph SVG for inlining in a page that includes flame.css and flame.js
    once (instead of once per graph)."""
    return svg.replace(_style(), "", 1).replace(_script(), "", 1)


def _fit(name: str, width_px: float, char_px: float = 6.6) -> str:
    fits = int((width_px - 6) / char_px)
    if fits < 3:
        return ""
    return name if len(name) <= fits else name[: fits - 2] + ".."
