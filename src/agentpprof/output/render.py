"""Render stage: agentpprof.json + folded stacks -> flame graph SVGs, chart SVGs, index.html.

Needs nothing but an output folder, so ``agentpprof render`` can rebuild it without sessions or
the LLM.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from agentpprof.artifacts import (
    CHARTS,
    COMMANDS_SVG,
    COST_TAGS_SVG,
    DASHBOARD,
    FLAMES,
    LLM_TAGS_SVG,
    MAIN_FLAMES,
    OUTCOME_TAGS_SVG,
    PROJECTION_FLAMES,
    PROMPT_TAGS_SVG,
    REPORT_JSON,
    SESSION_TAGS_SVG,
    TIMELINE_SVG,
    TRACE,
)
from agentpprof.errors import AgentpprofError, OutputError
from agentpprof.fsutil import write_atomic
from agentpprof.models import Report, read_report
from agentpprof.output.charts import bar_chart, timeline_chart
from agentpprof.output.flamegraph import for_page, render_flamegraph
from agentpprof.output.templates import get_env
from agentpprof.profile.fold import Stack, parse_folded
from agentpprof.profile.timeline import waterfall_data


def render_charts(report: Report) -> dict[str, str]:
    s = report.summary
    return {
        PROMPT_TAGS_SVG: bar_chart(
            [(t.tag, t.count) for t in s.top_prompt_tags], title="Prompt tags", unit="prompts"
        ),
        SESSION_TAGS_SVG: bar_chart(
            [(t.tag, t.count) for t in s.top_session_tags], title="Session tags", unit="sessions"
        ),
        LLM_TAGS_SVG: bar_chart(
            sorted(((t.tag, t.tokens) for t in s.top_llm_tags), key=lambda kv: (-kv[1], kv[0])),
            title="LLM-call tags by tokens",
            unit="tokens",
        ),
        COST_TAGS_SVG: bar_chart(
            [(t.tag, round(t.usd * 100)) for t in s.cost.by_prompt_tag],
            title="Cost by prompt tag (US cents)",
            unit="cents",
        ),
        OUTCOME_TAGS_SVG: bar_chart(
            [(o.tag, round(o.one_shot_rate * 100)) for o in s.outcomes],
            title="One-shot rate by kind of work (% of prompts)",
            unit="%",
            scale=100,
        ),
        COMMANDS_SVG: bar_chart(
            [(f"{c.agent}:{c.command}:{c.effect}:{c.status}", c.count) for c in s.commands],
            title="Commands and effects (agent:command:effect:status)",
            unit="events",
            color_by_label=False,
        ),
        TIMELINE_SVG: timeline_chart(
            [(d.date, d.sessions, d.tokens) for d in s.timeline],
            title="Timeline: sessions and tokens per day",
        ),
    }


def render_flamegraphs(folded: dict[str, Counter[Stack]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for fl in FLAMES:
        out[fl.svg] = render_flamegraph(
            folded.get(fl.folded, Counter()),
            title=fl.title,
            unit=fl.unit,
            element_id=fl.svg.removesuffix(".svg"),
        )
    return out


def render_dashboard(report: Report, svgs: dict[str, str], trace: str | None = None) -> str:
    # what every dashboard shows, in order: the artifact tables
    listing = {"main_flames": MAIN_FLAMES, "projection_flames": PROJECTION_FLAMES, "charts": CHARTS}
    template = get_env().get_template("dashboard.html.j2", globals=listing)
    data = json.loads(report.model_dump_json())
    # a link is only ever a file of the report folder (a crafted agentpprof.json could carry
    # javascript: or ../ paths)
    data["artifacts"] = {k: v for k, v in data.get("artifacts", {}).items() if local_file(v)}
    waterfall = waterfall_data(trace) if trace else {"origin_ms": 0, "lanes": []}
    payload = script_json(waterfall)
    inline = {k: for_page(v) for k, v in svgs.items()}
    return template.render(report=data, svgs=inline, waterfall_json=payload)


def render_all(
    out: Path, report: Report, folded: dict[str, Counter[Stack]], trace: str | None = None
) -> None:
    svgs = render_flamegraphs(folded)
    svgs.update(render_charts(report))
    files = [*svgs.items(), (DASHBOARD, render_dashboard(report, svgs, trace))]
    for name, text in files:
        try:
            write_atomic(out / name, text)
        except OSError as exc:  # e.g. a folder where an SVG goes
            raise OutputError(
                f"cannot write {out / name}: {exc.strerror or exc}",
                hint="remove what is in the way, or render into another folder",
            ) from None


def rerender(out: Path) -> Path:
    """``agentpprof render``: rebuild every SVG and index.html from an existing folder."""
    report = read_report(out / REPORT_JSON)
    folded: dict[str, Counter[Stack]] = {}
    for fl in FLAMES:
        fpath = out / fl.folded
        text = fpath.read_bytes().decode("utf-8", "replace") if fpath.is_file() else ""
        folded[fl.folded] = parse_folded(text)  # a line that is not a stack is skipped
    tpath = out / TRACE
    trace = tpath.read_bytes() if tpath.is_file() else None
    if trace is not None and not trace_is_readable(trace):
        raise AgentpprofError(
            f"{tpath} is not the Chrome trace agentpprof writes",
            hint="delete it to render without the waterfall, or run `agentpprof report` again",
        )
    render_all(out, report, folded, trace.decode("utf-8") if trace is not None else None)
    return out / DASHBOARD


def trace_is_readable(data: bytes) -> bool:
    """A trace the waterfall can be read back from (UTF-8 JSON, an object whose events are
    objects, complete events with numeric ts/dur)."""
    try:
        waterfall_data(data.decode("utf-8"))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return False
    return True


def script_json(value: object) -> str:
    """JSON to embed in a ``<script type="application/json">``: every ``<`` escaped (so no
    ``</script>`` or ``<!--`` from a command line can change how the HTML parser reads the
    element), and U+2028/U+2029 too; ``JSON.parse`` reads the same value back."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


_LOCAL_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")


def local_file(value: object) -> bool:
    """A plain file name inside the report folder: no scheme, no folder, no ``..``."""
    return isinstance(value, str) and bool(_LOCAL_FILE.fullmatch(value)) and ".." not in value
