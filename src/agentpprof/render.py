"""Render stage: agentpprof.json + folded stacks -> flame graph SVGs, chart SVGs, index.html.

Needs nothing but an output folder, so ``agentpprof render`` can rebuild it without sessions or
the LLM.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from agentpprof.charts import bar_chart, timeline_chart
from agentpprof.errors import AgentpprofError
from agentpprof.flamegraph import render_flamegraph
from agentpprof.fold import parse_folded
from agentpprof.fsutil import write_atomic
from agentpprof.models import Report
from agentpprof.templates import get_env
from agentpprof.timeline import waterfall_data

FLAMEGRAPHS: dict[str, tuple[str, str, str]] = {
    # svg file: (folded file, title, unit)
    "system-flamegraph.svg": ("semantic-system.folded.txt", "System effects by meaning", "events"),
    "token-flamegraph.svg": ("semantic-token.folded.txt", "Tokens by meaning", "tokens"),
    "cost-flamegraph.svg": ("semantic-cost.folded.txt", "Cost by meaning (US dollars x 10^-6)",
                            "micro-USD"),
    "time-flamegraph.svg": ("semantic-time.folded.txt", "Wall time by meaning (tools and LLM "
                            "calls; waiting for the user left out)", "ms"),
    "session-system.svg": ("session-system.folded.txt", "Session x system projection", "events"),
    "prompt-system.svg": ("prompt-system.folded.txt", "Prompt x system projection", "events"),
    "session-token.svg": ("session-token.folded.txt", "Session x token projection", "tokens"),
    "prompt-token.svg": ("prompt-token.folded.txt", "Prompt x token projection", "tokens"),
    "llm-token.svg": ("llm-token.folded.txt", "LLM call x token projection", "tokens"),
    "nonsemantic-system.svg": ("nonsemantic-system.folded.txt",
                               "Baseline (no session/prompt frames)", "events"),
}
CHARTS = ("prompt-tags.svg", "session-tags.svg", "llm-tags.svg", "cost-tags.svg",
          "command-bars.svg", "timeline.svg")
ARTIFACTS: dict[str, str] = {
    "dashboard": "index.html",
    **{name.removesuffix(".svg").replace("-", "_") + "_svg": name for name in FLAMEGRAPHS},
    **{name.removesuffix(".svg").replace("-", "_") + "_svg": name for name in CHARTS},
}


def render_charts(report: Report) -> dict[str, str]:
    s = report.summary
    return {
        "prompt-tags.svg": bar_chart([(t.tag, t.count) for t in s.top_prompt_tags],
                                     title="Prompt tags", unit="prompts"),
        "session-tags.svg": bar_chart([(t.tag, t.count) for t in s.top_session_tags],
                                      title="Session tags", unit="sessions"),
        "llm-tags.svg": bar_chart(sorted(((t.tag, t.tokens) for t in s.top_llm_tags),
                                         key=lambda kv: (-kv[1], kv[0])),
                                  title="LLM-call tags by tokens", unit="tokens"),
        "cost-tags.svg": bar_chart([(t.tag, round(t.usd * 100)) for t in s.cost.by_prompt_tag],
                                   title="Cost by prompt tag (US cents)", unit="cents"),
        "command-bars.svg": bar_chart(
            [(f"{c.agent}:{c.command}:{c.effect}:{c.status}", c.count) for c in s.commands],
            title="Commands and effects (agent:command:effect:status)", unit="events",
            color_by_label=False),
        "timeline.svg": timeline_chart([(d.date, d.sessions, d.tokens) for d in s.timeline],
                                       title="Timeline: sessions and tokens per day"),
    }


def render_flamegraphs(folded: dict[str, Counter[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for svg_name, (folded_name, title, unit) in FLAMEGRAPHS.items():
        counter = folded.get(folded_name, Counter())
        out[svg_name] = render_flamegraph(counter, title=title, unit=unit,
                                          element_id=svg_name.removesuffix(".svg"))
    return out


def render_dashboard(report: Report, svgs: dict[str, str], trace: str | None = None) -> str:
    env = get_env()
    template = env.get_template("dashboard.html.j2")
    data = json.loads(report.model_dump_json())
    waterfall = waterfall_data(trace) if trace else {"origin_ms": 0, "lanes": []}
    # embedded in a <script type="application/json">: "</" must not end the script element
    payload = json.dumps(waterfall, separators=(",", ":")).replace("</", "<\\/")
    return template.render(report=data, svgs=svgs, flamegraphs=FLAMEGRAPHS,
                           waterfall_json=payload)


def render_all(out: Path, report: Report, folded: dict[str, Counter[str]],
               trace: str | None = None) -> None:
    svgs = render_flamegraphs(folded)
    svgs.update(render_charts(report))
    for name, text in svgs.items():
        write_atomic(out / name, text)
    write_atomic(out / "index.html", render_dashboard(report, svgs, trace))


def rerender(out: Path) -> Path:
    """``agentpprof render``: rebuild every SVG and index.html from an existing folder."""
    path = out / "agentpprof.json"
    try:
        report = Report.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AgentpprofError(f"{path} does not exist",
                              hint="run `agentpprof report` first, or pass its --out folder") \
            from None
    except ValueError as exc:
        raise AgentpprofError(f"{path} is not a valid agentpprof report: {exc}"[:400]) from None
    folded: dict[str, Counter[str]] = {}
    for folded_name, _title, _unit in FLAMEGRAPHS.values():
        fpath = out / folded_name
        folded[folded_name] = parse_folded(fpath.read_text()) if fpath.is_file() else Counter()
    tpath = out / "timeline.trace.json"
    render_all(out, report, folded, tpath.read_text(encoding="utf-8") if tpath.is_file() else None)
    return out / "index.html"
