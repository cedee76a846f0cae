"""`agentpprof sessions --json --since` on a ~200 MB history: time follows the range, not the
history (issue #12).

Builds the replicated tree of benchmarks/sessions_speed.py (copies of ../shared/corpus with
fresh ids), spreads the files over the last 100 days (the way a real history ages: each file's
event dates moved to its day, its mtime set to that day's end), then times
`agentpprof sessions --json` (every file of every project: --scan-files and --max-sessions
far above the file count, project root /) with no --since, --since 30d, 7d and 1d; best of N
runs each. Usage:
  python benchmarks/since_speed.py [--mb 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sessions_speed import build_tree


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "home"
        n, size = build_tree(root, args.mb)
        files = sorted(p for p in root.rglob("*.jsonl"))
        now = time.time()
        stamp = re.compile(rb'("timestamp":\s*")\d{4}-\d{2}-\d{2}T')
        for i, f in enumerate(files):  # evenly over 100 days, newest last
            t = now - 100 * 86400 * (1 - (i + 0.5) / len(files))
            day = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d").encode()
            f.write_bytes(stamp.sub(lambda m, d=day: m.group(1) + d + b"T", f.read_bytes()))
            end = datetime.fromtimestamp(t, UTC).replace(hour=23, minute=59).timestamp()
            os.utime(f, (min(end, now), min(end, now)))
        base = [
            sys.executable,
            "-m",
            "agentpprof",
            "sessions",
            "--json",
            "--project-root",
            "/",
            "--claude-root",
            str(root / ".claude/projects"),
            "--codex-root",
            str(root / ".codex/sessions"),
            "--scan-files",
            "1000000",
            "--max-sessions",
            "1000000",
        ]
        results = []
        for since in (None, "30d", "7d", "1d"):
            cmd = base + (["--since", since] if since else [])
            best = float("inf")
            rows = 0
            for _ in range(args.runs):
                t = time.perf_counter()
                res = subprocess.run(cmd, capture_output=True, check=True)
                best = min(best, time.perf_counter() - t)
                rows = len(json.loads(res.stdout))
            results.append(
                {"since": since or "(all)", "files_listed": rows, "best_s": round(best, 3)}
            )
    print(json.dumps({"files": n, "mb": round(size / 2**20, 1), "runs": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
