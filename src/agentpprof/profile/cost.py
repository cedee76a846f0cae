"""Cost in US dollars, offline, from the price table shipped in the package (data/prices.json).

The table is measured from ccusage 20.0.24's own offline pricing by scripts/derive_prices.py
(its date and rules are in the file and in docs/accounting.md). A model not in the table has
an unknown cost: counted and shown, never guessed from a similar name.

Rules, as ccusage applies them: each LLM call is priced on its own. Claude: each token kind
(input, output, cache read, 5-minute and 1-hour cache writes) at its price, and for models with
a long-context tier the kind's tokens beyond the threshold at the tier's price. OpenAI: cached
input at the cached price, the rest of the input at the input price, reasoning as output; when
a call's input (cached included) exceeds the model's long-context threshold, the whole call at
the tier's prices. Cache writes without a price of their own (OpenAI) are priced as input.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from agentpprof.sources.records import TOKEN_KINDS, LlmCall

MICRO = 1_000_000  # cost folded stacks are weighted in micro-dollars


@dataclass(frozen=True, slots=True)
class Prices:
    input: float
    output: float
    cache_read: float
    cache_write_5m: float
    cache_write_1h: float
    tier_scope: str = ""  # "", "kind" or "call"
    threshold: int = 0
    tier: tuple[float, float, float, float, float] | None = None  # same order as the fields


@dataclass(frozen=True, slots=True)
class PriceTable:
    source: str
    derived_at: str
    models: dict[str, Prices]

    def get(self, model: str) -> Prices | None:
        return self.models.get(model) or self.models.get(model.rsplit("/", 1)[-1])


def _prices(raw: dict[str, Any]) -> Prices:
    inp = float(raw["input"])
    vals = (
        inp,
        float(raw["output"]),
        float(raw["cache_read"]),
        float(raw.get("cache_write_5m", inp)),
        float(raw.get("cache_write_1h", inp)),
    )
    tier = raw.get("tier")
    if not isinstance(tier, dict):
        return Prices(*vals)
    tiered = tuple(
        float(tier.get(k, v))
        for k, v in zip(
            ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h"), vals, strict=True
        )
    )
    return Prices(
        *vals,
        tier_scope=str(tier.get("scope", "kind")),
        threshold=int(tier.get("threshold", 0)),
        tier=tiered,  # type: ignore[arg-type]
    )


@functools.cache
def price_table() -> PriceTable:
    text = resources.files("agentpprof").joinpath("data/prices.json").read_text("utf-8")
    doc = json.loads(text)
    return PriceTable(
        source=str(doc.get("source", "")),
        derived_at=str(doc.get("derived_at", "")),
        models={m: _prices(p) for m, p in doc["models"].items()},
    )


def kind_costs(
    call: LlmCall, table: PriceTable | None = None
) -> tuple[float, float, float, float, float] | None:
    """US dollars per token kind (TOKEN_KINDS order: input, cache_read, cache_write, output,
    reasoning) of one LLM call; None when its model has no price and it used tokens."""
    t = call.tokens
    if t.total == 0:
        return (0.0, 0.0, 0.0, 0.0, 0.0)
    prices = (table or price_table()).get(call.model)
    if prices is None:
        return None
    h1 = min(call.cache_write_1h, t.cache_write)
    base = (
        prices.input,
        prices.cache_read,
        prices.cache_write_5m,
        prices.cache_write_1h,
        prices.output,
    )
    # reasoning is priced as output; output and reasoning share one tier count
    counts = (t.input, t.cache_read, t.cache_write - h1, h1, t.output + t.reasoning)
    tier = prices.tier
    if tier is None or (
        prices.tier_scope == "call" and t.input + t.cache_read + t.cache_write <= prices.threshold
    ):
        c = [n * p for n, p in zip(counts, base, strict=True)]
    else:
        over = (tier[0], tier[2], tier[3], tier[4], tier[1])  # same order as base
        if prices.tier_scope == "call":
            c = [n * q for n, q in zip(counts, over, strict=True)]
        else:
            cap = prices.threshold
            c = [
                min(n, cap) * p + max(n - cap, 0) * q
                for n, p, q in zip(counts, base, over, strict=True)
            ]
    out_total = t.output + t.reasoning
    reasoning = c[4] * t.reasoning / out_total if out_total else 0.0
    return (c[0], c[1], c[2] + c[3], c[4] - reasoning, reasoning)


def call_cost(call: LlmCall, table: PriceTable | None = None) -> float | None:
    """US dollars for one LLM call; None when its model has no price (and it used tokens)."""
    parts = kind_costs(call, table)
    return None if parts is None else sum(parts)


def session_cost(calls: list[LlmCall]) -> tuple[float | None, dict[str, int]]:
    """(US dollars, or None when any call that used tokens has no price; unpriced calls per
    model)."""
    total = 0.0
    unknown: dict[str, int] = {}
    for call in calls:
        cost = call_cost(call)
        if cost is None:
            unknown[call.model or "unknown"] = unknown.get(call.model or "unknown", 0) + 1
        else:
            total += cost
    return (None if unknown else total), unknown


def linear_prices(model: str) -> tuple[float, float, float, float, float] | None:
    """Per-token prices in TOKEN_KINDS order (cache writes at the 5-minute price, reasoning at
    the output price), before any tier or 1-hour surcharge; None for an unpriced model."""
    prices = price_table().get(model)
    if prices is None:
        return None
    return (prices.input, prices.cache_read, prices.cache_write_5m, prices.output, prices.output)


def surcharge(call: LlmCall) -> tuple[float, float, float, float, float] | None:
    """What :func:`kind_costs` adds to the linear prices for this call (1-hour cache writes,
    long-context tiers), per kind; None when nothing (the common case, decided cheaply)."""
    prices = price_table().get(call.model)
    if prices is None:
        return None
    t = call.tokens
    if prices.tier is None:
        if not call.cache_write_1h:
            return None
    elif prices.tier_scope == "call":
        if t.input + t.cache_read + t.cache_write <= prices.threshold and not call.cache_write_1h:
            return None
    elif (
        max(t.input, t.cache_read, t.cache_write, t.output + t.reasoning) <= prices.threshold
        and not call.cache_write_1h
    ):
        return None
    exact = kind_costs(call)
    lin = linear_prices(call.model)
    assert exact is not None and lin is not None
    counts = (t.input, t.cache_read, t.cache_write, t.output, t.reasoning)
    return tuple(e - n * p for e, n, p in zip(exact, counts, lin, strict=True))  # type: ignore[return-value]


def cost_weights(
    token: Mapping[tuple[str, ...], int], extra: Mapping[tuple[str, ...], float]
) -> dict[tuple[str, ...], int]:
    """Micro-dollars per token-shape stack: each stack's tokens at its model's linear price,
    plus the per-call surcharges gathered in ``extra``; stacks of unpriced models left out."""
    out: dict[tuple[str, ...], float] = dict(extra)
    kinds = {"kind:" + k: i for i, k in enumerate(TOKEN_KINDS)}
    memo: dict[str, tuple[float, float, float, float, float] | None] = {}
    for stack, tokens in token.items():
        kind, model = stack[-1], stack[-2].removeprefix("model:")
        if model not in memo:
            memo[model] = linear_prices(model)
        lin = memo[model]
        if lin is None or kind not in kinds:
            out.pop(stack, None)
            continue
        out[stack] = out.get(stack, 0.0) + tokens * lin[kinds[kind]]
    return {k: w for k, usd in out.items() if (w := round(usd * MICRO)) > 0}
