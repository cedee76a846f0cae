"""Every file a report folder holds, named once: the pipeline writes them, render draws them,
the dashboard links them and ``agentpprof.json`` lists them (``artifacts``) from here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Flame:
    svg: str
    folded: str
    title: str
    unit: str


# the folded profiles (fold.Profiles field or projection name -> file)
FOLDED: dict[str, str] = {
    "system": "semantic-system.folded.txt",
    "token": "semantic-token.folded.txt",
    "nonsemantic": "nonsemantic-system.folded.txt",
    "cost": "semantic-cost.folded.txt",
    "time": "semantic-time.folded.txt",
    "friction": "semantic-friction.folded.txt",
    "friction_time": "semantic-friction-time.folded.txt",
    **{
        name: f"{name}.folded.txt"
        for name in (
            "session-system",
            "prompt-system",
            "session-token",
            "prompt-token",
            "llm-token",
        )
    },
}
PPROF = {
    "semantic-system.pb.gz": "semantic-system.folded.txt",
    "semantic-token.pb.gz": "semantic-token.folded.txt",
}
SPEEDSCOPE = {
    "semantic-system.speedscope.json": "semantic-system.folded.txt",
    "semantic-token.speedscope.json": "semantic-token.folded.txt",
}

MAIN_FLAMES: tuple[Flame, ...] = (
    Flame("system-flamegraph.svg", FOLDED["system"], "System effects by meaning", "events"),
    Flame("token-flamegraph.svg", FOLDED["token"], "Tokens by meaning", "tokens"),
    Flame(
        "cost-flamegraph.svg", FOLDED["cost"], "Cost by meaning (US dollars x 10^-6)", "micro-USD"
    ),
    Flame(
        "time-flamegraph.svg",
        FOLDED["time"],
        "Wall time by meaning (tools and LLM calls; waiting for the user left out)",
        "ms",
    ),
    Flame(
        "friction-flamegraph.svg",
        FOLDED["friction"],
        "Friction: what recovering from failures cost (US dollars x 10^-6)",
        "micro-USD",
    ),
    Flame(
        "friction-time-flamegraph.svg",
        FOLDED["friction_time"],
        "Friction: wall time lost to failures, retries, churn and interruptions",
        "ms",
    ),
)
PROJECTION_FLAMES: tuple[Flame, ...] = (
    Flame("session-system.svg", FOLDED["session-system"], "Session x system projection", "events"),
    Flame("prompt-system.svg", FOLDED["prompt-system"], "Prompt x system projection", "events"),
    Flame("session-token.svg", FOLDED["session-token"], "Session x token projection", "tokens"),
    Flame("prompt-token.svg", FOLDED["prompt-token"], "Prompt x token projection", "tokens"),
    Flame("llm-token.svg", FOLDED["llm-token"], "LLM call x token projection", "tokens"),
    Flame(
        "nonsemantic-system.svg",
        FOLDED["nonsemantic"],
        "Baseline (no session/prompt frames)",
        "events",
    ),
)
FLAMES = MAIN_FLAMES + PROJECTION_FLAMES
PROMPT_TAGS_SVG = "prompt-tags.svg"
SESSION_TAGS_SVG = "session-tags.svg"
LLM_TAGS_SVG = "llm-tags.svg"
COST_TAGS_SVG = "cost-tags.svg"
OUTCOME_TAGS_SVG = "outcome-tags.svg"
COMMANDS_SVG = "command-bars.svg"
TIMELINE_SVG = "timeline.svg"
CHARTS = (
    PROMPT_TAGS_SVG,
    SESSION_TAGS_SVG,
    LLM_TAGS_SVG,
    COST_TAGS_SVG,
    OUTCOME_TAGS_SVG,
    COMMANDS_SVG,
    TIMELINE_SVG,
)
# what `agentpprof diff` writes beside its differential profiles
DIFF_DASHBOARD = "diff.html"
DIFF_JSON = "diff.json"
REPORT_JSON = "agentpprof.json"
TAG_CACHE = "tags.json"
TRACE = "timeline.trace.json"
DASHBOARD = "index.html"


def _key(name: str) -> str:
    stem = name.split(".", 1)[0].replace("-", "_")
    kind = {
        "folded.txt": "folded",
        "pb.gz": "pprof",
        "speedscope.json": "speedscope",
        "svg": "svg",
    }.get(name.split(".", 1)[1], "")
    return f"{stem}_{kind}" if kind else stem


# artifact name -> file, as agentpprof.json's `artifacts` lists them
FILES: dict[str, str] = {
    "agentpprof_json": REPORT_JSON,
    "tag_cache": TAG_CACHE,
    "timeline_trace": TRACE,
    "dashboard": DASHBOARD,
    **{_key(f): f for f in FOLDED.values()},
    **{_key(f): f for f in PPROF},
    **{_key(f): f for f in SPEEDSCOPE},
    **{_key(fl.svg): fl.svg for fl in FLAMES},
    **{_key(c): c for c in CHARTS},
}
