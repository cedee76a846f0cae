"""where.py (``--where``) and the sample labels it agrees with (fold.Labeller, export)."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agentpprof.output.export import pprof_bytes
from agentpprof.profile.fold import fold_sessions, stack_text
from agentpprof.profile.outcome import all_outcomes
from agentpprof.profile.where import WhereError, apply_where, parse_where, stack_matches
from agentpprof.sources.parse import parse_session
from tests.conftest import fixed_tags
from tests.synth import sessions

WORDS = ("debugging", "testing", "docs", "git")


def _corpus(tmp_path: Path) -> tuple[list[Any], Any]:
    parsed = [parse_session(f) for f in sessions(tmp_path)]
    parsed[0].branch = "fix/rounding"
    tags = fixed_tags(
        parsed,
        lambda i: WORDS[i % 4],
        lambda i, j: WORDS[(i + j) % 4],
        lambda i, j: WORDS[(2 * i + j) % 4],
    )
    return parsed, tags


@pytest.mark.parametrize("bad", ["agent", "colour=red", "tag~(", "=x", "~x", "outcome"])
def test_bad_filters_are_usage_errors(bad: str) -> None:
    with pytest.raises(WhereError):
        parse_where([bad])


def test_frame_keys_only_for_diff() -> None:
    assert parse_where(["tag~^debug"], ("agent", "tag", "model", "project"))
    with pytest.raises(WhereError, match="unknown key 'branch'"):
        parse_where(["branch=main"], ("agent", "tag", "model", "project"))


def _profile_totals(tmp_path: Path, where: list[str]) -> tuple[int, int, int]:
    parsed, tags = _corpus(tmp_path)
    outcomes = all_outcomes(parsed)
    kept = apply_where(parse_where(where), parsed, tags, outcomes, "invoicer")
    prof = fold_sessions(kept.sessions, kept.tags, "invoicer", outcomes=kept.outcomes)
    return sum(prof.system.values()), sum(prof.token.values()), len(kept.sessions)


def test_where_keeps_only_matching_work(tmp_path: Path) -> None:
    sys_all, tok_all, n_all = _profile_totals(tmp_path, [])
    sys_claude, tok_claude, _ = _profile_totals(tmp_path, ["agent=claude"])
    sys_codex, tok_codex, _ = _profile_totals(tmp_path, ["agent=codex"])
    assert (sys_claude + sys_codex, tok_claude + tok_codex) == (sys_all, tok_all)
    assert 0 < sys_codex < sys_all
    # the same split by regex on the branch (only session 0 has one)
    _sys_b, tok_b, n_b = _profile_totals(tmp_path, ["branch~^fix/"])
    assert n_b == 1 and 0 < tok_b < tok_all
    # nothing matches: an empty report, not an error
    assert _profile_totals(tmp_path, ["model=no-such-model"]) == (0, 0, 0)
    assert n_all >= 3


def test_where_totals_equal_the_labelled_samples(tmp_path: Path) -> None:
    """What -tagfocus does on the pprof labels equals --where on the same key."""
    parsed, tags = _corpus(tmp_path)
    outcomes = all_outcomes(parsed)
    prof = fold_sessions(parsed, tags, "invoicer", outcomes=outcomes)
    by_outcome: Counter[str] = Counter()
    by_branch: Counter[str] = Counter()
    for (_stack, lab), w in prof.token_labelled.items():
        labels = dict(prof.labels[lab])
        by_outcome[str(labels.get("outcome"))] += w
        by_branch[str(labels.get("branch"))] += w
    assert sum(by_outcome.values()) == sum(prof.token.values())
    for value, weight in by_outcome.items():
        kept = apply_where(parse_where([f"outcome={value}"]), parsed, tags, outcomes, "invoicer")
        sub = fold_sessions(kept.sessions, kept.tags, "invoicer", outcomes=kept.outcomes)
        assert sum(sub.token.values()) == weight, value
    kept = apply_where(parse_where(["branch=fix/rounding"]), parsed, tags, outcomes, "invoicer")
    sub = fold_sessions(kept.sessions, kept.tags, "invoicer", outcomes=kept.outcomes)
    assert sum(sub.token.values()) == by_branch["fix/rounding"] > 0


def test_pprof_carries_the_labels(tmp_path: Path) -> None:
    parsed, tags = _corpus(tmp_path)
    prof = fold_sessions(parsed, tags, "invoicer", outcomes=all_outcomes(parsed))
    data = gzip.decompress(
        pprof_bytes(prof.token, "tokens", labelled=(prof.token_labelled, prof.labels))
    )
    for text in (b"branch", b"fix/rounding", b"outcome", b"subagent"):
        assert text in data
    plain = gzip.decompress(pprof_bytes(prof.token, "tokens"))
    assert b"fix/rounding" not in plain


def test_stack_matches_frames() -> None:
    stack = tuple(
        "project:p;agent:codex;session:docs;prompt:git;call:llm/testing;model:gpt-5;kind:input".split(
            ";"
        )
    )
    assert stack_matches(parse_where(["tag=testing"]), stack)
    assert stack_matches(parse_where(["tag=git", "agent=codex"]), stack)
    assert not stack_matches(parse_where(["tag=deploy"]), stack)
    assert stack_matches(parse_where(["model~^gpt"]), stack)
    system = (*stack[:4], "call:tool/shell", "effect:test", "status:ok")
    assert not stack_matches(parse_where(["model~gpt"]), system)
    assert stack_text(system).startswith("project:p")
