"""Tagging with one llama-server vs a pool of two (issue #16), the same fragments, cold.

Starts the servers itself (the default model, `agentpprof setup`'s binary): one server with
the default thread count, then two servers with ``--threads-per-server`` each (on 2 cores: one
thread each, so the machine is shared the same way), and runs a cold `agentpprof report`
(in-process, a fresh output folder each time) over the given session files against each.
Prints tags/s per configuration and per endpoint.

``--client-ceiling N``: instead, how many tags/s agentpprof's own side (fragments, prompt,
pool, scoring, cache) can issue when N endpoints answer at once — the same fragments through
the real tagger, each endpoint an in-process stand-in that returns a fixed top-token table
with no delay. Labelled as what it is: the client's ceiling for the GPU-pool model in
docs/benchmarks.md, not a tagging result. Usage:
  python benchmarks/pool_throughput.py [--threads-per-server 1] FILE.jsonl ...
  python benchmarks/pool_throughput.py --client-ceiling 8 FILE.jsonl ...
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path

from agentpprof.pipeline import ReportOptions, run_report
from agentpprof.sources.discover import DiscoverOptions
from agentpprof.tagging.llama import LlamaServer
from agentpprof.tagging.provision import ensure_default_model, find_llama_server


def run(urls: list[str], files: list[Path]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as out:
        opts = ReportOptions(
            discover=DiscoverOptions(project_root=Path(out), session_files=files),
            out=Path(out),
            llama_urls=urls,
        )
        rep = run_report(opts).llm_tagger
    return {
        "servers": len(urls),
        "tags": rep.llm_successes,
        "seconds": rep.seconds,
        "tags_per_second": rep.tags_per_second,
        "endpoints": [
            {"requests": e.requests, "rps": e.requests_per_second} for e in rep.endpoints
        ],
    }


class Instant:
    """A stand-in endpoint for the client-ceiling measurement only (see the docstring)."""

    def __init__(self, i: int) -> None:
        self.base_url = f"instant://{i}"

    async def pieces(self, text: str) -> list[str]:
        return [text]

    async def next_token_logprobs(self, prompt: str, n: int, slot: int = -1) -> dict[str, float]:
        return {" testing": -0.5, " debugging": -1.0, " docs": -2.0}


def client_ceiling(n: int, files: list[Path]) -> dict[str, object]:
    import asyncio
    import time

    from agentpprof.sources.parse import parse_sessions
    from agentpprof.tagging.cache import TagCache
    from agentpprof.tagging.pool import Endpoint, Pool
    from agentpprof.tagging.tag import LlamaBackend, collect_fragments, tag_fragments

    sessions = parse_sessions([(f, str(f), None) for f in files], "/")
    frags = collect_fragments(sessions, True)
    with tempfile.TemporaryDirectory() as tmp:
        cache = TagCache(Path(tmp) / "tags.json", persist=False)

        async def go() -> float:
            pool = Pool([Endpoint(Instant(i), 1, "m") for i in range(n)])
            backend = LlamaBackend(pool, "m", pool.capacity)
            t = time.perf_counter()
            await tag_fragments(frags, backend, cache)
            return time.perf_counter() - t

        seconds = asyncio.run(go())
    tags = cache.stats.llm_successes
    return {
        "endpoints": n,
        "tags": tags,
        "seconds": round(seconds, 3),
        "client_ceiling_tags_per_second": round(tags / seconds, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads-per-server", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    ap.add_argument("--client-ceiling", type=int, default=0, metavar="N")
    ap.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args()
    if args.client_ceiling:
        print(json.dumps(client_ceiling(args.client_ceiling, args.files), indent=1))
        return 0
    binary = find_llama_server()
    assert binary is not None, "run agentpprof setup first"
    model = ensure_default_model()
    results = []
    with LlamaServer(binary, model) as one:
        results.append(run([one.url], args.files))
    per = ["-t", str(args.threads_per_server)]
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(LlamaServer(binary, model, extra_args=per)) for _ in range(2)
        ]
        results.append(run([s.url for s in servers], args.files))
    base = results[0]["tags_per_second"]
    assert isinstance(base, float)
    for r in results:
        rate = r["tags_per_second"]
        assert isinstance(rate, float)
        r["speedup"] = round(rate / base, 2) if base else None
    print(
        json.dumps(
            {
                "cpus": os.cpu_count(),
                "threads_per_server_in_pool": args.threads_per_server,
                "runs": results,
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
