"""Derive agentpprof's price table from ccusage 20.0.24's own offline pricing, by measurement.

For every model below it writes tiny session files (one LLM call each, with 100k, 1M and 3M
tokens of a single kind), runs ``ccusage claude|codex session --json --offline`` on them, and
solves each kind's price per token, the price above a tier threshold and the threshold itself
(ccusage prices each token kind of each call on its own: the first T tokens at the base rate,
the rest at the "above" rate). A model ccusage does not price, or prices by falling back to
another model's rates, is left out: agentpprof reports its cost as unknown, never guessed.
Writes src/agentpprof/data/prices.json. Usage:
  python scripts/derive_prices.py [--ccusage PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src/agentpprof/data/prices.json"
CLAUDE_MODELS = [
    "claude-opus-4-6",
    "claude-opus-4-5-20251101",
    "claude-opus-4-1-20250805",
    "claude-opus-4-20250514",
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-20250514",
    "claude-haiku-4-5-20251001",
    "claude-3-7-sonnet-20250219",
    "claude-3-5-sonnet-20241022",
    "claude-3-5-haiku-20241022",
    "claude-3-opus-20240229",
    "claude-3-haiku-20240307",
]
CODEX_MODELS = [
    "gpt-5",
    "gpt-5-codex",
    "gpt-5-mini",
    "gpt-5-nano",
    "gpt-5.1",
    "gpt-5.1-codex",
    "gpt-5.1-codex-max",
    "gpt-5.1-codex-mini",
    "gpt-5-1-codex-2025-11-13",
    "gpt-5.2",
    "gpt-5.2-codex",
    "gpt-5.3-codex",
    "gpt-5.4",
    "gpt-5.5",
]
SIZES = (100_000, 1_000_000, 3_000_000)
CLAUDE_KINDS = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h")


def _claude_usage(kind: str, n: int) -> dict[str, object]:
    u: dict[str, object] = {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
    }
    if kind == "input":
        u["input_tokens"] = n
    elif kind == "output":
        u["output_tokens"] = n
    elif kind == "cache_read":
        u["cache_read_input_tokens"] = n
    else:
        u["cache_creation_input_tokens"] = n
        five = n if kind == "cache_write_5m" else 0
        u["cache_creation"] = {
            "ephemeral_5m_input_tokens": five,
            "ephemeral_1h_input_tokens": n - five,
        }
    return u


def _claude_line(sid: str, model: str, usage: dict[str, object]) -> str:
    rec = {
        "parentUuid": None,
        "isSidechain": False,
        "userType": "external",
        "cwd": "/p",
        "sessionId": sid,
        "version": "2.0.0",
        "gitBranch": "",
        "type": "assistant",
        "uuid": f"u-{sid}",
        "timestamp": "2026-11-01T10:00:00.000Z",
        "requestId": f"r-{sid}",
        "message": {
            "id": f"m-{sid}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": "x"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": usage,
        },
    }
    return json.dumps(rec, separators=(",", ":")) + "\n"  # ccusage only reads compact lines


def _run(ccusage: str, agent: str, home: Path) -> dict[str, dict[str, object]]:
    env = dict(os.environ)
    env["CLAUDE_CONFIG_DIR" if agent == "claude" else "CODEX_HOME"] = str(home)
    res = subprocess.run(
        [ccusage, agent, "session", "--json", "--offline"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(res.stdout)
    out: dict[str, dict[str, object]] = {}
    for s in doc["sessions"]:
        key = str(s.get("sessionFile") or s["sessionId"]).rsplit("/", 1)[-1]
        out[key] = s
    return out


def _solve_kind(costs: dict[int, float]) -> tuple[float, float, int] | None:
    """(base price, price above the tier, tier threshold) of one token kind priced on its own
    (Claude: the first T tokens of the kind at base, the rest above)."""
    c1, c2, c3 = (costs.get(n) for n in SIZES)
    if c1 is None or c2 is None or c3 is None:
        return None
    base = c1 / SIZES[0]
    above = (c3 - c2) / (SIZES[2] - SIZES[1])
    if abs(above - base) <= 1e-15:
        return base, base, 0
    return base, above, round((c2 - SIZES[1] * above) / (base - above))


class Codex:
    """ccusage codex, one model: every probe a session file, all run in one ccusage call."""

    def __init__(self, ccusage: str, model: str) -> None:
        self.ccusage, self.model = ccusage, model

    def costs(self, probes: list[tuple[int, int, int]]) -> list[float | None]:
        """(uncached input, cached input, output) per call -> its cost (None: fallback)."""
        with tempfile.TemporaryDirectory() as tmp:
            x = Path(tmp) / "codex/sessions"
            x.mkdir(parents=True)
            for i, (inp, cached, out) in enumerate(probes):
                usage = {
                    "input_tokens": inp + cached,
                    "cached_input_tokens": cached,
                    "output_tokens": out,
                    "reasoning_output_tokens": 0,
                    "total_tokens": inp + cached + out,
                }
                rows = [
                    {
                        "timestamp": "2026-11-01T10:00:00.000Z",
                        "type": "session_meta",
                        "payload": {
                            "id": f"p{i}",
                            "timestamp": "2026-11-01T10:00:00.000Z",
                            "cwd": "/p",
                            "originator": "codex_cli_rs",
                            "cli_version": "0.66.0",
                            "source": "cli",
                            "model_provider": "openai",
                        },
                    },
                    {
                        "timestamp": "2026-11-01T10:00:01.000Z",
                        "type": "turn_context",
                        "payload": {"cwd": "/p", "model": self.model},
                    },
                    {
                        "timestamp": "2026-11-01T10:00:02.000Z",
                        "type": "event_msg",
                        "payload": {
                            "type": "token_count",
                            "info": {
                                "total_token_usage": usage,
                                "last_token_usage": usage,
                                "model_context_window": 400000,
                            },
                        },
                    },
                ]
                (x / f"rollout-2026-11-01T10-00-00-p{i}.jsonl").write_text(
                    "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows)
                )
            got = _run(self.ccusage, "codex", Path(tmp) / "codex")
        out: list[float | None] = []
        for i in range(len(probes)):
            row = got.get(f"rollout-2026-11-01T10-00-00-p{i}")
            fallback = row is None or any(
                m.get("isFallback")  # type: ignore[union-attr]
                for m in row["models"].values()
            )  # type: ignore[union-attr]
            out.append(None if fallback else float(row["costUSD"]))  # type: ignore[index,arg-type]
        return out


def codex_prices(ccusage: str, model: str) -> dict[str, object] | None:
    """Base prices from 100k-token calls; a long-context tier (OpenAI: when a call's input,
    cached included, exceeds T, the whole call at other rates) found by bisection."""
    cx = Codex(ccusage, model)
    n = 100_000
    got = cx.costs([(n, 0, 0), (0, n, 0), (0, 0, n), (1_000_000, 0, 0)])
    if any(c is None for c in got):
        return None
    inp, cached, out, big = (float(c) for c in got)  # type: ignore[arg-type]
    if inp <= 0 or out <= 0:
        return None  # listed without prices
    prices: dict[str, object] = {"input": inp / n, "cache_read": cached / n, "output": out / n}
    if abs(big / 1_000_000 - prices["input"]) < 1e-15:  # type: ignore[operator]
        return prices
    lo, hi = n, 1_000_000  # the call's input at lo is priced at base, at hi above it
    while hi - lo > 1:
        mid = (lo + hi) // 2
        (c,) = cx.costs([(mid, 0, 0)])
        if c is not None and abs(c / mid - prices["input"]) < 1e-15:  # type: ignore[operator]
            lo = mid
        else:
            hi = mid
    over = lo + 1
    tin, tcached, tout = cx.costs([(over, 0, 0), (0, over, 0), (over, 0, n)])
    assert tin is not None and tcached is not None and tout is not None
    prices["tier"] = {
        "scope": "call",
        "threshold": lo,
        "input": tin / over,
        "cache_read": tcached / over,
        "output": (tout - tin) / n,
    }
    return prices


def claude_prices(rows: dict[str, dict[str, object]], mi: int) -> dict[str, object] | None:
    prices: dict[str, object] = {}
    tier: dict[str, object] = {}
    for kind in CLAUDE_KINDS:
        costs = {
            n: float(rows[f"c{mi}-{kind}-{n}"]["totalCost"])  # type: ignore[arg-type]
            for n in SIZES
            if f"c{mi}-{kind}-{n}" in rows
        }
        solved = _solve_kind(costs)
        if solved is None or solved[0] <= 0:
            return None
        base, above, threshold = solved
        prices[kind] = base
        if threshold:
            tier[kind] = above
            tier["threshold"] = threshold
    if tier:
        prices["tier"] = {"scope": "kind", **tier}
    return prices


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--ccusage", default=str(Path.home() / ".cache/agentpprof/npm/node_modules/.bin/ccusage")
    )
    args = ap.parse_args()
    version = subprocess.run(
        [args.ccusage, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    models: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cdir = root / "claude/projects/p"
        cdir.mkdir(parents=True)
        for mi, model in enumerate(CLAUDE_MODELS):
            for kind in CLAUDE_KINDS:
                for n in SIZES:
                    sid = f"c{mi}-{kind}-{n}"
                    (cdir / f"{sid}.jsonl").write_text(
                        _claude_line(sid, model, _claude_usage(kind, n))
                    )
        claude = _run(args.ccusage, "claude", root / "claude")
    for mi, model in enumerate(CLAUDE_MODELS):
        got = claude_prices(claude, mi)
        if got is not None:
            models[model] = got
    for model in CODEX_MODELS:
        got = codex_prices(args.ccusage, model)
        if got is not None:
            models[model] = got
    doc = {
        "source": f"ccusage {version} --offline (its embedded pricing snapshot), measured "
        "by scripts/derive_prices.py",
        "derived_at": datetime.now(UTC).strftime("%Y-%m-%d"),
        "units": "US dollars per token",
        "rules": "tier scope 'kind' (Claude): each token kind of each LLM call on its own, "
        "its first `threshold` tokens at the base price and the rest at the tier's; "
        "scope 'call' (OpenAI long context): when a call's input (cached included) "
        "exceeds `threshold`, all its tokens at the tier's prices; cache_write_5m / "
        "cache_write_1h: Claude's 5-minute and 1-hour cache writes; OpenAI cached "
        "input is cache_read, its other input is input",
        "models": models,
    }
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"{len(models)} models priced -> {OUT}", file=sys.stderr)
    missing = [m for m in CLAUDE_MODELS + CODEX_MODELS if m not in models]
    print(f"not priced by ccusage (cost unknown): {missing}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
