"""The shared corpus: every file parses; token totals equal ccusage 20.0.24; pinned counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentpprof.sources.parse import detect_agent, parse_session
from agentpprof.sources.records import Agent
from tests.conftest import CORPUS, corpus_files, needs_corpus

pytestmark = needs_corpus


def _find(part: str) -> Path:
    hits = [p for p in corpus_files() if part in p.name]
    assert len(hits) == 1, part
    return hits[0]


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name[-40:])
def test_every_corpus_file_parses_without_warnings(path: Path) -> None:
    s = parse_session(path)
    assert s.warnings == []
    assert s.agent is (Agent.CODEX if path.parent.name == "codex" else Agent.CLAUDE)
    assert detect_agent(path) is s.agent
    assert s.tokens.total == sum(c.tokens.total for c in s.llm_calls)


def test_token_totals_equal_ccusage(oracle: dict[str, dict[str, dict[str, int]]]) -> None:
    checked = 0
    for agent in ("claude", "codex"):
        for name, exp in oracle[agent].items():
            s = parse_session(CORPUS / agent / name)
            t = s.tokens
            assert t.input == exp["inputTokens"], name
            assert t.cache_read == exp["cacheReadTokens"], name
            assert t.cache_write == exp["cacheCreationTokens"], name
            assert t.output + t.reasoning == exp["outputTokens"], name
            if agent == "codex":
                assert t.reasoning == exp["reasoningOutputTokens"], name
            assert t.total == exp["totalTokens"], name
            checked += 1
    assert checked == 26


@pytest.mark.parametrize(
    ("part", "prompts", "llm_calls", "tool_calls"),
    [
        ("d3ad4cdc", 5, 62, 59),  # C01, oldest format, streamed split lines
        ("fed8ce56", 2, 4, 7),  # C03, rejected tools, interrupt marker
        ("ba79134d", 6, 24, 30),  # C02, /init command record is the first prompt
        ("fe5e1c67", 2, 170, 167),  # C05, inline sidechains (Task x5)
        ("ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl", 2, 217, 242),  # C11, compaction
        ("session-624a4a58", 14, 55, 48),  # C19, Bedrock ids, 3 interrupts excluded
        ("agent-aac57f5", 0, 3, 12),  # C12, 2.1 sub-agent file
        ("019e1625", 2, 66, 105),  # X04, unified exec + write_stdin polls
        ("019b04ae", 2, 7, 5),  # X01, shell_command + apply_patch
        ("019b7f94", 1, 3, 3),  # X03, legacy shell argv
        ("public-agentpprof-fixture", 2, 1, 3),  # A02, flat token_count usage
        ("ff71dbed", 0, 0, 0),  # C04, summary-only file
    ],
)
def test_pinned_counts(part: str, prompts: int, llm_calls: int, tool_calls: int) -> None:
    s = parse_session(_find(part))
    assert (len(s.prompts), len(s.llm_calls), len(s.tool_calls)) == (prompts, llm_calls, tool_calls)


def test_claude_dedup_by_request_id_without_message_id() -> None:
    s = parse_session(_find("ci-claude"))
    assert len(s.llm_calls) == 1
    assert s.tokens.as_dict() == {
        "input": 3,
        "cache_read": 7,
        "cache_write": 5,
        "output": 11,
        "reasoning": 0,
    }


def test_subagent_links() -> None:
    sub = parse_session(_find("agent-aac57f5"))
    assert sub.is_subagent
    assert sub.parent_session_id == "ae4a77f8-aedd-4bc1-888f-c94edc91af04"
    parent = parse_session(_find("ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl"))
    assert parent.agent_links.get("aac57f5") is not None
    warm = parse_session(_find("agent-0c4c3cf8"))
    assert warm.is_subagent and warm.parent_session_id


def test_codex_review_subagent_and_status() -> None:
    sub = parse_session(_find("rollout-subagent-019b88e5"))
    assert sub.is_subagent
    x01 = parse_session(_find("019b04ae"))
    statuses = [t.status for t in x01.tool_calls]
    assert "fail" in statuses and "ok" in statuses
    x04 = parse_session(_find("019e1625"))
    assert {t.name for t in x04.tool_calls} >= {"exec_command", "write_stdin", "apply_patch"}
    assert all(t.status in ("ok", "fail", "observed") for t in x04.tool_calls)


def test_effects_are_right_for_claude_tools() -> None:
    s = parse_session(_find("ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl"))
    by_name = {t.name: t.effect for t in s.tool_calls}
    assert by_name["Read"] == "read"
    assert by_name["Edit"] == "write"
    assert by_name["WebFetch"] == "network"


def test_no_user_names_in_outside_paths() -> None:
    for path in corpus_files():
        s = parse_session(path, project_root="/nonexistent/project")
        for t in s.tool_calls:
            for g in t.path_groups:
                assert not g.startswith(("Users", "home", "/")), (path.name, g)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name[-40:])
def test_inventory_mode_counts_the_same(path: Path) -> None:
    """`agentpprof sessions` parses without text or classification: same counts and tokens."""
    full = parse_session(path)
    quick = parse_session(path, keep_text=False)
    assert (len(quick.prompts), len(quick.llm_calls), len(quick.tool_calls)) == (
        len(full.prompts),
        len(full.llm_calls),
        len(full.tool_calls),
    )
    assert quick.tokens.as_dict() == full.tokens.as_dict()
    assert (quick.session_id, quick.start, quick.end, quick.models) == (
        full.session_id,
        full.start,
        full.end,
        full.models,
    )


def test_parallel_parse_returns_the_same_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full sessions (text included) come back from forked workers equal to a serial parse."""
    from agentpprof import parallel
    from agentpprof.sources.parse import parse_sessions

    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    refs = [(p, p.name, None) for p in corpus_files()[:8]]
    forked = parse_sessions(refs, "/", workers=3)
    serial = parse_sessions(refs, "/", workers=1)
    assert forked == serial
    assert sum(len(s.llm_calls) + len(s.prompts) for s in forked) > 50
