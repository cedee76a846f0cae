"""`agentpprof sessions --json` over a history whose Codex half is compressed, against the same
history plain (issue #22: goal ≤ 1.3× the plain run, equal rows).

Builds the replicated tree of `sessions_speed.py` (default ~100 MB), copies it, compresses every
Codex rollout of the copy as Codex 0.137+ does (`rollout-*.jsonl.zst`, plain zstd, level 3, the
plain file removed), then times both (one warm-up each, N interleaved runs, best wall clock) and
checks that the rows are equal but for the file name. Usage:
  python benchmarks/compressed_speed.py [--mb 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sessions_speed import build_tree


def run(root: Path) -> tuple[float, list[dict[str, object]]]:
    cmd = [
        sys.executable,
        "-m",
        "agentpprof",
        "sessions",
        "--json",
        "--scan-files",
        "100000",
        "--max-sessions",
        "100000",
        "--claude-root",
        str(root / ".claude" / "projects"),
        "--codex-root",
        str(root / ".codex" / "sessions"),
        "--project-root",
        "/",
    ]
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    secs = time.perf_counter() - t
    rows = json.loads(out)
    for r in rows:
        r.pop("file", None)
    return secs, sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="agentpprof-zst-"))
    plain = base / "plain"
    files, size = build_tree(plain, args.mb)
    packed = base / "packed"
    shutil.copytree(plain, packed)
    cctx = zstandard.ZstdCompressor(level=3)
    n_zst = 0
    zst_bytes = 0
    for f in sorted((packed / ".codex").rglob("rollout-*.jsonl")):
        data = cctx.compress(f.read_bytes())
        f.with_name(f.name + ".zst").write_bytes(data)
        f.unlink()
        n_zst += 1
        zst_bytes += len(data)
    run(plain)
    run(packed)
    best = {"plain": float("inf"), "packed": float("inf")}
    rows: dict[str, list[dict[str, object]]] = {}
    for _ in range(args.runs):
        for name, root in (("plain", plain), ("packed", packed)):
            secs, rows[name] = run(root)
            best[name] = min(best[name], secs)
    result = {
        "files": files,
        "mb": round(size / 1e6, 1),
        "codex_files_compressed": n_zst,
        "codex_zst_mb": round(zst_bytes / 1e6, 1),
        "plain_s": round(best["plain"], 3),
        "compressed_s": round(best["packed"], 3),
        "ratio": round(best["packed"] / best["plain"], 3),
        "rows_equal": rows["plain"] == rows["packed"],
        "rows": len(rows["plain"]),
    }
    print(json.dumps(result, indent=1))
    shutil.rmtree(base, ignore_errors=True)
    return 0 if result["rows_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
