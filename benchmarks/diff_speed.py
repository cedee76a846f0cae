"""`agentpprof diff` of two reports with 100,000 system stacks each (issue #13: under 5 s).

Writes two report folders: a system profile of N distinct stacks in the contract's shape (the
new one shares 80 % of the base's stacks with other weights and has 20 % of its own; 200 path
groups, so the stacks are distinct combinations of shared frames), a token profile of N/5
stacks, and every projection the report derives from them (fold's own functions); then times
``run_diff`` (read, pair, two-column files, pprof, SVGs, diff.json, diff.html).
Usage: python benchmarks/diff_speed.py [--stacks 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from agentpprof.output.diff import run_diff
from agentpprof.profile.fold import (
    SYSTEM_PROJECTIONS,
    TOKEN_PROJECTIONS,
    folded_text,
    parse_stack,
    project_frames,
)

TAGS = [
    "testing",
    "debugging",
    "docs",
    "refactor",
    "git",
    "deploy",
    "research",
    "frontend",
    "feature",
    "config",
    "review",
    "security",
]
PROCS = ["pytest", "cargo", "git", "npm", "rg", "sed", "python", "make", "docker", "go"]
EFFECTS = ["test", "read", "write", "repo", "network", "build", "search", "process"]


def system_stack(rng: random.Random) -> str:
    return (
        f"project:demo;agent:{rng.choice(['claude', 'codex'])};"
        f"session:{rng.choice(TAGS)};prompt:{rng.choice(TAGS)};call:tool/shell;"
        f"process:{rng.choice(PROCS)};process:{rng.choice(PROCS)};"
        f"effect:{rng.choice(EFFECTS)};path:src/mod{rng.randrange(200)}/;"
        f"status:{rng.choice(['ok', 'fail'])}"
    )


def token_stack(rng: random.Random, i: int) -> str:
    return (
        f"project:demo;agent:claude;session:{rng.choice(TAGS)};prompt:{rng.choice(TAGS)};"
        f"call:llm/{rng.choice(TAGS)};model:m{i % 40};"
        f"kind:{rng.choice(['input', 'output', 'cache_read', 'cache_write'])}"
    )


def write_report(folder: Path, system_text: Counter[str], token_text: Counter[str]) -> None:
    folder.mkdir(parents=True)
    system = Counter({parse_stack(k): v for k, v in system_text.items()})
    token = Counter({parse_stack(k): v for k, v in token_text.items()})
    files = {
        "semantic-system.folded.txt": system,
        "semantic-token.folded.txt": token,
        "nonsemantic-system.folded.txt": project_frames(system, ("session", "prompt"), keep=False),
    }
    for name, keep in SYSTEM_PROJECTIONS.items():
        files[f"{name}.folded.txt"] = project_frames(system, keep)
    for name, keep in TOKEN_PROJECTIONS.items():
        files[f"{name}.folded.txt"] = project_frames(token, keep)
    for name, counter in files.items():
        (folder / name).write_text(folded_text(counter))
    (folder / "agentpprof.json").write_text(
        json.dumps(
            {
                "schema_version": 1,
                "generated_at": "2026-12-01T00:00:00Z",
                "summary": {"totals": {"sessions": 1}},
                "llm_tagger": {"model": "m.gguf", "prompt_version": "v"},
            }
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stacks", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(7)
    n = args.stacks
    base_sys: Counter[str] = Counter()
    while len(base_sys) < n:
        base_sys[system_stack(rng)] = rng.randint(1, 500)
    keys = list(base_sys)
    new_sys = Counter({k: rng.randint(1, 500) for k in keys[: int(n * 0.8)]})
    while len(new_sys) < n:
        stack = system_stack(rng)
        if stack not in base_sys:
            new_sys[stack] = rng.randint(1, 500)
    base_tok = Counter({token_stack(rng, i): rng.randint(1, 10**6) for i in range(n // 5)})
    new_tok = Counter({token_stack(rng, i): rng.randint(1, 10**6) for i in range(n // 5)})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_report(root / "base", base_sys, base_tok)
        write_report(root / "new", new_sys, new_tok)
        times = []
        for run in range(args.runs):
            t = time.perf_counter()
            result = run_diff(root / "base", root / "new", root / f"diff{run}")
            times.append(time.perf_counter() - t)
        stacks = {p.folded: (p.stacks_base, p.stacks_new) for p in result.profiles}
    print(
        json.dumps(
            {
                "system_stacks": stacks["semantic-system.folded.txt"],
                "profiles": len(stacks),
                "seconds": [round(x, 2) for x in times],
                "median_s": round(statistics.median(times), 2),
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
