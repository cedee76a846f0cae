"""`--where` against the unfiltered fold on the shared corpus (issue #24: < 10 % more).

Parses every session of ../shared/corpus once, gives it fixed tags (timing only: the tag stage
is not measured), then times, best of N interleaved runs: outcomes + fold (what every report
does) against outcomes + --where + fold, for a filter that keeps everything (the worst case:
every call is tested and kept) and for a narrow one. Usage:
  python benchmarks/where_speed.py [--runs 7] [--copies 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from agentpprof.profile.fold import fold_sessions
from agentpprof.profile.outcome import all_outcomes
from agentpprof.profile.where import apply_where, parse_where
from agentpprof.sources.parse import parse_sessions
from agentpprof.tagging.tags import Tags

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("AGENTPPROF_SHARED", REPO.parent / "shared")) / "corpus"
WORDS = ["testing", "debugging", "docs", "refactor", "git", "deploy", "research", "frontend"]


def best(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--copies", type=int, default=10, help="the corpus this many times")
    args = ap.parse_args()
    files = sorted(CORPUS.glob("*/*.jsonl"))
    if not files:
        print(f"no corpus under {CORPUS}", file=sys.stderr)
        return 1
    refs = [(f, f"{f.name}#{i}", None) for i in range(args.copies) for f in files]
    sessions = parse_sessions(refs, "/", workers=1)
    tags = Tags()
    for i, s in enumerate(sessions):
        tags.set(("session", i, -1), WORDS[i % len(WORDS)], "bench")
        for j, p in enumerate(s.prompts):
            tags.set(("prompt", i, p.index), WORDS[(i + j) % len(WORDS)], "bench")
        for j, c in enumerate(s.llm_calls):
            tags.set(("llm", i, c.index), WORDS[(i * 3 + j) % len(WORDS)], "bench")

    def plain() -> object:
        return fold_sessions(sessions, tags, "bench", outcomes=all_outcomes(sessions))

    def filtered(where: list[str]) -> Callable[[], object]:
        filters = parse_where(where)

        def run() -> object:
            outcomes = all_outcomes(sessions)
            kept = apply_where(filters, sessions, tags, outcomes, "bench")
            return fold_sessions(kept.sessions, kept.tags, "bench", outcomes=kept.outcomes)

        return run

    plain()  # warm-up
    base = best(plain, args.runs)
    every = best(filtered(["tag~.", "agent~."]), args.runs)
    narrow = best(filtered(["tag=testing"]), args.runs)
    calls = sum(len(s.llm_calls) + len(s.tool_calls) for s in sessions)
    print(f"sessions {len(sessions)}, LLM + tool calls {calls}, best of {args.runs}")
    print(f"outcomes + fold:                          {base * 1000:8.1f} ms")
    print(
        f"outcomes + --where tag~. agent~. + fold:  {every * 1000:8.1f} ms "
        f"({(every / base - 1) * 100:+.1f} %)"
    )
    print(
        f"outcomes + --where tag=testing + fold:    {narrow * 1000:8.1f} ms "
        f"({(narrow / base - 1) * 100:+.1f} %)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
