"""Tagging throughput: `agentpprof report` (cold) vs a minimal direct client, same server.

The direct client sends the product's own request for every distinct fragment of the given
session files (the fixed prefix + fragment, one generated token with the top log-probabilities)
with plain httpx at each --concurrency level (default 1, 2, 4; no scoring, no retry, no cache)
and reports its best tags/s; then a cold `agentpprof report` runs against the same server and
its tagging tags/s is compared. Usage:
  python benchmarks/tag_throughput.py --url http://127.0.0.1:8080 FILE.jsonl ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from agentpprof.sources.parse import parse_session
from agentpprof.tagging.prompt import render
from agentpprof.tagging.tag import N_PROBS, collect_fragments


async def direct(url: str, prompts: list[str], concurrency: int) -> float:
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:

        async def one(p: str) -> None:
            async with sem:
                r = await client.post(
                    "/completion",
                    json={
                        "prompt": p,
                        "n_predict": 1,
                        "n_probs": N_PROBS,
                        "temperature": 0,
                        "top_k": 1,
                        "cache_prompt": True,
                    },
                )
                r.raise_for_status()

        t = time.perf_counter()
        await asyncio.gather(*(one(p) for p in prompts))
        return len(prompts) / (time.perf_counter() - t)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument(
        "--concurrency",
        default="1,2,4",
        help="direct-client concurrency levels to try, comma-separated",
    )
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    sessions = [parse_session(Path(f)) for f in args.files]
    frags = collect_fragments(sessions, tag_llm_calls=True)
    prompts = list(dict.fromkeys(render(f.kind, f.text) for f in frags))
    levels = [int(c) for c in args.concurrency.split(",")]
    rates = {c: round(asyncio.run(direct(args.url, prompts, c)), 2) for c in levels}
    with tempfile.TemporaryDirectory() as out:
        cmd = [
            sys.executable,
            "-m",
            "agentpprof",
            "report",
            "--json",
            "-q",
            "--out",
            out,
            "--llama-url",
            args.url,
        ]
        for f in args.files:
            cmd += ["--session-file", f]
        t = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t
        rep = json.loads((Path(out) / "agentpprof.json").read_text())["llm_tagger"]
    ours = rep["llm_successes"] / rep["seconds"]
    best = max(rates.values())
    print(
        json.dumps(
            {
                "fragments": len(frags),
                "unique_prompts": len(prompts),
                "direct_tags_per_s": rates,
                "report_tags_per_s": round(ours, 2),
                "report_llm_calls": rep["llm_calls"],
                "report_wall_s": round(wall, 2),
                "ratio_vs_best_direct": round(ours / best, 2),
                "summary": json.loads(res.stdout),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
