"""Outcome facts on the shared corpus equal counts this test makes itself from the raw lines
(json module only): failed tool calls and edits per file of every Claude Code session."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from agentpprof.profile.outcome import edits_per_file, session_outcomes
from agentpprof.sources.parse import parse_session
from tests.conftest import (
    RECENT,
    SHARED,
    needs_corpus,
    needs_eval_corpus,
    needs_recent,
    report_of,
)

EDIT_TOOLS = {"Edit", "Write", "MultiEdit", "NotebookEdit"}
EXIT = re.compile(r"^\s*(?:Error: )?Exit code (\d+)")


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("text", ""))
    return ""


def _independent(path: Path) -> tuple[int, Counter[str]]:
    """(failed tool calls, edits per file) counted straight from the JSONL."""
    uses: dict[str, dict[str, Any]] = {}
    failed: set[str] = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        msg = rec.get("message") if isinstance(rec, dict) else None
        content = msg.get("content") if isinstance(msg, dict) else None
        if not isinstance(content, list):
            continue
        for block in content:
            if not isinstance(block, dict):
                continue
            if rec.get("type") == "assistant" and block.get("type") == "tool_use":
                uses.setdefault(str(block.get("id")), block)
            elif rec.get("type") == "user" and block.get("type") == "tool_result":
                m = EXIT.match(_result_text(block.get("content")))
                if block.get("is_error") is True or (m and m.group(1) != "0"):
                    failed.add(str(block.get("tool_use_id")))
    edits: Counter[str] = Counter()
    for block in uses.values():
        inp = block.get("input") or {}
        path_ = inp.get("file_path") or inp.get("notebook_path")
        if block.get("name") in EDIT_TOOLS and isinstance(path_, str) and path_:
            edits[path_] += 1
    return len(failed & set(uses)), edits


@needs_corpus
def test_failed_calls_and_edits_per_file_equal_an_independent_count() -> None:
    files = sorted((SHARED / "corpus" / "claude").rglob("*.jsonl"))
    assert files
    total_failed = total_edits = 0
    for path in files:
        s = parse_session(path)
        so = session_outcomes(s)
        ours = sum(o.failed_calls for o in so.prompts.values())
        ours += so.before.failed_calls if so.before else 0
        want_failed, want_edits = _independent(path)
        assert ours == want_failed, path.name
        got = edits_per_file([t for t in s.tool_calls if t.name in EDIT_TOOLS])
        assert got == want_edits, path.name
        total_failed += ours
        total_edits += sum(got.values())
    assert total_failed > 20 and total_edits > 50  # the corpus has both, in numbers


@needs_recent
def test_the_recent_failed_turn_is_shown_failed() -> None:
    """corpus-recent's 0.154.0 rollout: the turn fails (unauthorized), no usage; its one
    prompt is `failed` with turn_failed, and the other two rollouts' prompts are not."""
    files = sorted((RECENT / "codex").glob("*.jsonl"))
    assert len(files) == 3
    for path in files:
        s = parse_session(path)
        assert s.warnings == []
        so = session_outcomes(s)
        failed = [o for o in so.prompts.values() if o.turn_failed]
        if "quickque" in path.name:
            assert [o.outcome for o in failed] == ["failed"] and len(so.prompts) == 1
        else:
            assert failed == []


@needs_eval_corpus
def test_every_profile_stage_runs_on_the_eval_corpus() -> None:
    """corpus-eval (19 real sessions, ~500 prompts) through outcomes, --where, timeline, fold and
    the report (the tag stage aside: empty tags). It once crashed the timeline: responses of
    the same millisecond were sorted by comparing records."""
    from agentpprof.profile.fold import fold_sessions
    from agentpprof.profile.outcome import all_outcomes
    from agentpprof.profile.timeline import build_timeline
    from agentpprof.profile.where import apply_where, parse_where
    from agentpprof.tagging.tags import Tags

    files = sorted((SHARED / "corpus-eval").glob("*/*.jsonl"))
    sessions = [parse_session(f) for f in files]
    outcomes = all_outcomes(sessions)
    kept = apply_where(parse_where(["outcome~."]), sessions, Tags(), outcomes, "p")
    timeline = build_timeline(kept.sessions, kept.tags, "p", outcomes=kept.outcomes)
    prof = fold_sessions(
        kept.sessions, kept.tags, "p", outcomes=kept.outcomes, time=timeline.profile
    )
    rep = report_of(kept.sessions, kept.tags, kept.outcomes, profiles=prof, timeline=timeline)
    assert rep.summary.totals.prompts > 400 and sum(prof.time.values()) > 0
    assert sum(o.prompts for o in rep.summary.outcomes) == rep.summary.totals.prompts
