"""Folding + writing every artifact for ~1,000 sessions vs parsing them.

Replicates the shared corpus to >= 1,000 sessions in memory (parsed once per copy), gives
every session scripted tags, then times fold + write (folded, pprof, speedscope, JSON) against
the parse time. Usage: python benchmarks/fold_speed.py [--sessions 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from agentpprof.fsutil import write_atomic
from agentpprof.models import Inputs, Project, TaggerStats
from agentpprof.pipeline import write_profiles
from agentpprof.profile.fold import fold_sessions
from agentpprof.profile.summary import build_report
from agentpprof.sources.parse import parse_sessions
from agentpprof.tagging.tags import Tags

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("AGENTPPROF_SHARED", REPO.parent / "shared")) / "corpus"
WORDS = ["testing", "debugging", "docs", "refactor", "git", "deploy", "research", "frontend"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=1000)
    args = ap.parse_args()
    files = sorted(CORPUS.glob("*/*.jsonl"))
    refs = [
        (f, f"{f.name}#{i}", None) for i in range(args.sessions // len(files) + 1) for f in files
    ][: args.sessions]
    t = time.perf_counter()
    sessions = parse_sessions(refs, "/", workers=1)
    parse_s = time.perf_counter() - t
    tags = Tags()  # fixed words standing in for the tag stage's output (timing only)
    for i, s in enumerate(sessions):
        tags.set(("session", i, -1), WORDS[i % len(WORDS)], "bench")
        s.session_id = f"{s.session_id}-{i}"
        for j, p in enumerate(s.prompts):
            tags.set(("prompt", i, p.index), WORDS[(i + j) % len(WORDS)], "bench")
        for j, c in enumerate(s.llm_calls):
            tags.set(("llm", i, c.index), WORDS[(i * 3 + j) % len(WORDS)], "bench")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t = time.perf_counter()
        prof = fold_sessions(sessions, tags, "bench")
        fold_s = time.perf_counter() - t
        t = time.perf_counter()
        write_profiles(out, prof)
        write_s = time.perf_counter() - t
        t = time.perf_counter()
        rep = build_report(
            sessions=sessions,
            tags=tags,
            profiles=prof,
            project=Project(name="bench", root="~"),
            inputs=Inputs.none(len(sessions)),
            tagger=TaggerStats.none(),
            artifacts={},
            warnings=[],
            include_previews=False,
        )
        write_atomic(out / "agentpprof.json", rep.model_dump_json(indent=1))
        report_s = time.perf_counter() - t
    profiles_s = fold_s + write_s
    print(
        json.dumps(
            {
                "sessions": len(sessions),
                "parse_seconds_1_core": round(parse_s, 3),
                "fold_seconds": round(fold_s, 3),
                "write_folded_pprof_speedscope_seconds": round(write_s, 3),
                "fold_and_profile_artifacts_share_of_parse": round(profiles_s / parse_s, 3),
                "report_json_seconds": round(report_s, 3),
                "everything_share_of_parse": round((profiles_s + report_s) / parse_s, 3),
                "system_stacks": len(prof.system),
                "token_stacks": len(prof.token),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
