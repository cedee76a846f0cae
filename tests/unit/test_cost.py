"""Cost in dollars from the shipped price table: the rules ccusage 20.0.24 applies (measured by
scripts/derive_prices.py); unknown models stay unknown."""

from __future__ import annotations

import pytest

from agentpprof.profile.cost import call_cost, kind_costs, price_table, session_cost
from agentpprof.sources.records import LlmCall, Tokens


def _call(model: str, h1: int = 0, **tokens: int) -> LlmCall:
    return LlmCall(0, 1, None, model, None, Tokens(**tokens), cache_write_1h=h1)


def test_table_is_dated_and_sourced() -> None:
    table = price_table()
    assert "ccusage" in table.source and table.derived_at[:4] == "2026"
    assert table.get("claude-opus-4-6") is not None and table.get("gpt-5") is not None


def test_claude_five_minute_and_one_hour_writes() -> None:
    # opus 4.6: 5m write $6.25/M, 1h write $10/M (2x input)
    c = _call("claude-opus-4-6", h1=1_000, cache_write=3_000)
    assert call_cost(c) == pytest.approx(2_000 * 6.25e-6 + 1_000 * 10e-6)


def test_claude_long_context_tier_is_per_token_kind() -> None:
    # sonnet 4.5: each kind's first 200k tokens at base, the rest at the tier
    big = _call("claude-sonnet-4-5-20250929", input=300_000)
    assert call_cost(big) == pytest.approx(200_000 * 3e-6 + 100_000 * 6e-6)
    mixed = _call(
        "claude-sonnet-4-5-20250929",
        input=100_000,
        cache_read=150_000,
        cache_write=60_000,
        output=1_000,
    )
    assert call_cost(mixed) == pytest.approx(0.585)  # 310k in total, no kind over 200k


def test_openai_long_context_tier_is_per_call() -> None:
    # gpt-5.5: over 272k of input (cached included) the whole call is at the tier's rates
    small = _call("gpt-5.5", input=200_000, cache_read=72_000, output=1_000)
    assert call_cost(small) == pytest.approx(200_000 * 5e-6 + 72_000 * 0.5e-6 + 1_000 * 30e-6)
    big = _call("gpt-5.5", input=200_000, cache_read=72_001, output=1_000)
    assert call_cost(big) == pytest.approx(200_000 * 10e-6 + 72_001 * 1e-6 + 1_000 * 45e-6)


def test_reasoning_is_output_and_kinds_add_up() -> None:
    c = _call("gpt-5", input=1_000, cache_read=4_000, output=300, reasoning=100)
    parts = kind_costs(c)
    assert parts is not None
    assert parts[3] == pytest.approx(300 * 10e-6) and parts[4] == pytest.approx(100 * 10e-6)
    assert sum(parts) == pytest.approx(call_cost(c) or 0)


def test_unknown_model_is_unknown_not_guessed() -> None:
    assert call_cost(_call("claude-sonnet-9", input=10)) is None
    assert call_cost(_call("claude-sonnet-9")) == 0.0  # no tokens: nothing to price
    usd, unknown = session_cost([_call("gpt-5", input=10), _call("mystery", output=5)])
    assert usd is None and unknown == {"mystery": 1}


def test_cost_profile_equals_the_sum_of_call_costs() -> None:
    """The fold prices each stack linearly and adds per-call surcharges (1-hour writes,
    tiers): the folded micro-dollars equal the calls' own costs."""
    from agentpprof.profile.fold import fold_sessions
    from agentpprof.sources.records import Agent, Session
    from tests.conftest import fixed_tags

    calls = [
        _call("claude-opus-4-6", h1=1_000, cache_write=3_000, input=10, output=50),
        _call("claude-sonnet-4-5-20250929", input=300_000, output=250_000),
        _call("gpt-5.5", input=200_000, cache_read=72_001, output=1_000, reasoning=500),
        _call("gpt-5", input=1_234, cache_read=5_678, output=91, reasoning=10),
        _call("mystery-model", input=99),
    ]
    for i, c in enumerate(calls):
        c.index = i
    s = Session(agent=Agent.CLAUDE, file="f.jsonl", session_id="s", llm_calls=calls)
    prof = fold_sessions([s], fixed_tags([s], "x", call="testing"), "p")
    expected = sum(c for call in calls if (c := call_cost(call)) is not None)
    assert sum(prof.cost.values()) / 1e6 == pytest.approx(expected, abs=len(prof.cost) * 1e-6)
    assert not any("mystery" in k for k in prof.cost)
