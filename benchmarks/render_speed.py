"""Render 100,000 unique stacks (all flame graphs + charts + dashboard) and time it.

Usage: python benchmarks/render_speed.py [--stacks 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from agentpprof.models import Inputs, Project, TaggerStats
from agentpprof.output.render import render_all
from agentpprof.pipeline import folded_files
from agentpprof.profile.fold import (
    SYSTEM_PROJECTIONS,
    TOKEN_PROJECTIONS,
    Profiles,
    Stack,
    project_frames,
)
from agentpprof.profile.summary import build_report
from agentpprof.tagging.tags import Tags

WORDS = [
    "testing",
    "debugging",
    "docs",
    "refactor",
    "git",
    "ci",
    "deploy",
    "research",
    "frontend",
    "performance",
    "security",
    "database",
    "config",
    "planning",
]


def synthetic(n: int, seed: int = 7) -> Profiles:
    rng = random.Random(seed)
    system: Counter[Stack] = Counter()
    token: Counter[Stack] = Counter()
    while len(system) < n:
        stack = (
            "project:bench",
            f"agent:{rng.choice(['claude', 'codex'])}",
            f"session:{rng.choice(WORDS)}",
            f"prompt:{rng.choice(WORDS)}",
            f"call:tool/{rng.choice(['shell', 'edit', 'read', 'network'])}",
            f"process:{rng.choice(['cargo', 'git', 'pytest', 'npm', 'rg', 'python'])}",
            f"effect:{rng.choice(['read', 'write', 'test', 'repo', 'process'])}",
            f"path:src/m{rng.randrange(4000)}",
            f"status:{rng.choice(['ok', 'fail'])}",
        )
        system[stack] += rng.randrange(1, 50)
    while len(token) < n // 4:
        stack = (
            "project:bench",
            f"agent:{rng.choice(['claude', 'codex'])}",
            f"session:{rng.choice(WORDS)}",
            f"prompt:{rng.choice(WORDS)}_{rng.randrange(300)}",
            f"call:llm/{rng.choice(WORDS)}",
            f"model:m{rng.randrange(3)}",
            f"kind:{rng.choice(['input', 'output', 'cache_read', 'cache_write'])}",
        )
        token[stack] += rng.randrange(1, 100000)
    prof = Profiles(system=system, token=token)
    for name, keep in SYSTEM_PROJECTIONS.items():
        prof.projections[name] = project_frames(system, keep)
    for name, keep in TOKEN_PROJECTIONS.items():
        prof.projections[name] = project_frames(token, keep)
    prof.nonsemantic = project_frames(system, ("session", "prompt"), keep=False)
    return prof


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stacks", type=int, default=100_000)
    args = ap.parse_args()
    prof = synthetic(args.stacks)
    rep = build_report(
        sessions=[],
        tags=Tags(),
        profiles=prof,
        project=Project(name="bench", root="~/bench"),
        inputs=Inputs.none(),
        tagger=TaggerStats.none(),
        artifacts={},
        warnings=[],
        include_previews=False,
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t = time.perf_counter()
        render_all(out, rep, folded_files(prof))
        secs = time.perf_counter() - t
        sizes = {p.name: p.stat().st_size for p in out.iterdir()}
    print(
        json.dumps(
            {
                "unique_system_stacks": len(prof.system),
                "unique_token_stacks": len(prof.token),
                "render_seconds": round(secs, 2),
                "index_html_bytes": sizes["index.html"],
                "largest_svg_bytes": max(v for k, v in sizes.items() if k.endswith(".svg")),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
