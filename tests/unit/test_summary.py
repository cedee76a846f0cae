"""summary.py: agentpprof.json from tagged sessions (counts, outcomes by tag, no raw text)."""

from __future__ import annotations

import json
from pathlib import Path

from agentpprof.profile.outcome import PromptOutcome
from agentpprof.profile.summary import outcomes_by_tag, short_hash, token_counts
from agentpprof.sources.parse import parse_session
from agentpprof.sources.records import Tokens
from tests.conftest import fixed_tags, report_of
from tests.synth import PROMPTS, sessions


def test_token_counts_carry_the_total() -> None:
    t = token_counts(Tokens(input=1, cache_read=2, cache_write=3, output=4, reasoning=5))
    assert (t.input, t.reasoning, t.total) == (1, 5, 15)


def test_outcomes_by_tag_rates() -> None:
    clean = PromptOutcome(one_shot=True, outcome="oneshot")
    failed = PromptOutcome(failed_calls=2, retries=1, recovery_usd=0.5, recovery_ms=900)
    rows = outcomes_by_tag({"testing": [clean, failed, clean], "docs": [clean]})
    first = rows[0]
    assert (first.tag, first.prompts, first.retries, first.failed_calls) == ("testing", 3, 1, 2)
    assert (first.one_shot_rate, first.failure_rate) == (round(2 / 3, 4), round(1 / 3, 4))
    assert (first.recovery_usd, first.recovery_ms) == (0.5, 900)
    assert rows[1].tag == "docs" and rows[1].one_shot_rate == 1.0


def test_report_counts_add_up_and_hold_no_prompt_text(tmp_path: Path) -> None:
    parsed = [parse_session(f) for f in sessions(tmp_path / "s")]
    tags = fixed_tags(parsed, "testing", "debugging", "docs")
    rep = report_of(parsed, tags, hash_key="00" * 16)
    totals = rep.summary.totals
    assert totals.prompts == sum(len(r.prompts) for r in rep.sessions)
    assert totals.tokens.total == sum(r.tokens.total for r in rep.sessions)
    assert sum(d.sessions for d in rep.summary.timeline) == totals.sessions
    assert sum(o.prompts for o in rep.summary.outcomes) == totals.prompts
    text = rep.model_dump_json()
    assert not any(p in text for p in PROMPTS[:3])  # hashes, not text
    first = rep.sessions[0].prompts[0]
    assert first.hash == short_hash(parsed[0].prompts[0].text, key="00" * 16)
    assert json.loads(text)["sessions"][0]["prompts"][0]["preview"] is None
