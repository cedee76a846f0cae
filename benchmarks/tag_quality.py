"""Tag-quality benchmark: hit rate of the default prompt on tests/data/tag-eval.jsonl.

Usage: python benchmarks/tag_quality.py [--url http://127.0.0.1:8080] [--eval FILE]
Runs the product's own tagger code path (prompt, grammar, validation, retry) against a real
llama.cpp server; prints the hit rate, tags/s and every miss.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from agentpprof.tagging.eval import evaluate
from agentpprof.tagging.llama import LlamaClient


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    default_eval = Path(__file__).parent.parent / "tests/data/tag-eval.jsonl"
    ap.add_argument("--eval", default=str(default_eval))
    ap.add_argument("--concurrency", type=int, default=0)
    ap.add_argument("--vocabulary", choices=["kinds", "open"], default="kinds")
    args = ap.parse_args()
    async with LlamaClient(args.url, timeout=120) as client:
        info = await client.info()
        started = time.monotonic()
        res = await evaluate(
            client,
            info.model_id,
            Path(args.eval),
            args.concurrency or info.total_slots,
            args.vocabulary,
        )
        secs = time.monotonic() - started
    for miss in res.misses:
        print(f"MISS {miss['category']:9} {miss['tag']!r:16} {miss['text'][:70]}")
    print(
        json.dumps(
            {
                "model": info.model_id,
                "items": res.items,
                "hits": res.hits,
                "hit_rate": round(res.hit_rate, 3),
                "invalid": res.invalid,
                "seconds": round(secs, 2),
                "tags_per_second": round(res.items / secs, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
