"""The time view: spans per session, wall time split so it adds up, the Chrome trace."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from agentpprof.profile.timeline import build_timeline, trace_json, waterfall_data
from agentpprof.sources.parse import parse_session
from tests.conftest import fixed_tags, texts
from tests.synth import PROMPTS, claude_session, codex_session


def _sessions(tmp: Path) -> list:  # type: ignore[type-arg]
    files = [*claude_session(tmp, 10), codex_session(tmp, 6)]
    out = [parse_session(f) for f in files]
    return out


def test_wall_time_adds_up_and_the_profile_holds_tools_and_llm_calls(tmp_path: Path) -> None:
    sessions = _sessions(tmp_path)
    tl = build_timeline(sessions, fixed_tags(sessions, "testing", "debugging", "reading"), "demo")
    assert len(tl.lanes) == len(sessions)
    for lane in tl.lanes:
        parts = lane.tool_ms + lane.llm_ms + lane.wait_ms + lane.idle_ms
        assert abs(parts - (lane.end - lane.start)) < 1e-6
        s = sessions[lane.session]  # the lane is the session's own start..end
        assert s.start and s.end
        wall = (
            datetime.fromisoformat(s.end.replace("Z", "+00:00"))
            - datetime.fromisoformat(s.start.replace("Z", "+00:00"))
        ).total_seconds()
        assert abs(parts - wall * 1000) < 1e-3
        assert lane.llm_ms > 0
    assert any(lane.tool_ms > 0 for lane in tl.lanes)
    # the synthetic Claude session waits for its user between prompts
    assert any(lane.wait_ms > 0 for lane in tl.lanes)
    total = sum(lane.tool_ms + lane.llm_ms for lane in tl.lanes)
    assert abs(sum(tl.profile.values()) - total) <= len(tl.profile)  # rounding per stack
    profile = texts(tl.profile)
    assert all(k.startswith("project:demo;agent:") for k in profile)
    assert any(";call:llm/reading;model:" in k for k in profile)
    assert any(";call:tool/" in k and ";status:" in k for k in profile)
    # sub-agent lanes follow their parent
    names = [lane.name for lane in tl.lanes]
    sub = next(i for i, n in enumerate(names) if "sub-agent" in n)
    assert sub > 0 and names[sub - 1].startswith("claude") and "sub-agent" not in names[sub - 1]


def test_trace_is_chrome_format_without_free_text(tmp_path: Path) -> None:
    sessions = _sessions(tmp_path)
    tl = build_timeline(sessions, fixed_tags(sessions, "testing", "debugging", "reading"), "demo")
    text = trace_json(tl, "demo")
    doc = json.loads(text)
    events = doc["traceEvents"]
    xs = [e for e in events if e["ph"] == "X"]
    assert xs and all(
        e["dur"] >= 1 and e["ts"] >= 0 and e["cat"] in ("llm", "tool", "wait") for e in xs
    )
    threads = [e for e in events if e["ph"] == "M" and e["name"] == "thread_name"]
    assert len(threads) == len(tl.lanes)
    for prompt in PROMPTS:  # no prompt text anywhere
        assert len(prompt) < 10 or prompt[:30] not in text
    data = waterfall_data(text)
    assert len(data["lanes"]) == len(tl.lanes)  # type: ignore[arg-type]
    assert sum(len(lane["spans"]) for lane in data["lanes"]) == len(xs)  # type: ignore[index,union-attr]


def test_llm_calls_of_the_same_instant_do_not_crash_the_timeline() -> None:
    """Two responses logged at the same millisecond (real Codex rollouts have them): sorted by
    time alone, never by comparing the records (was a TypeError)."""
    from agentpprof.profile.timeline import build_timeline
    from agentpprof.sources.records import Agent, LlmCall, Prompt, Session, Tokens
    from agentpprof.tagging.tags import Tags

    ts = "2026-01-10T14:27:40.000Z"
    s = Session(agent=Agent.CODEX, file="x.jsonl", session_id="x", start=ts, end=ts)
    s.prompts = [Prompt(0, 1, "2026-01-10T14:27:30.000Z", "fix it")]
    s.llm_calls = [LlmCall(i, 2 + i, ts, "gpt-5", 0, Tokens(input=10)) for i in range(3)]
    tl = build_timeline([s], Tags(), "p")
    assert len([sp for lane in tl.lanes for sp in lane.spans if sp.kind == "llm"]) == 3
