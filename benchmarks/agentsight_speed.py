"""What correlating a ~100 MB AgentSight snapshot adds to a report (issue #14: under 2 s).

Writes a session of N shell calls (one a second) and a schema-1 snapshot of the same run
scaled to the target size: for every call a bash -> program -> child subtree with EXEC audit
events carrying ~300-byte command lines, plus the agent's own untracked git calls, resource
samples and network targets (the bulk of a real snapshot). Then times, in-process and best of
N runs: reading the snapshot (``load_snapshot``), matching (``correlate``) and the fold with
the correlation, against the fold alone. Usage:
  python benchmarks/agentsight_speed.py [--mb 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agentpprof.profile.agentsight import correlate, load_snapshot
from agentpprof.profile.fold import fold_sessions
from agentpprof.sources.parse import parse_session
from agentpprof.tagging.tags import Tags

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PROGRAMS = ["pytest", "cargo", "git", "npm", "rg", "make", "go", "python3"]


def iso(ms: int) -> str:
    return (T0 + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def write(folder: Path, calls: int, target_mb: int) -> tuple[Path, Path]:
    sid = "7d0c5a10-0000-4000-8000-00000000b001"
    rows: list[str] = []
    base = int(T0.timestamp() * 1000)
    nodes: list[dict[str, Any]] = [
        {
            "id": "p1",
            "pid": 1000,
            "ppid": 1,
            "start_timestamp_ms": base - 1000,
            "end_timestamp_ms": base + calls * 1000 + 5000,
            "comm": "claude",
            "command": "node",
            "argv": [],
            "exit_code": 0,
        }
    ]
    audits: list[dict[str, Any]] = []
    pid = 2000
    pad = "x" * 260
    for i in range(calls):
        prog = PROGRAMS[i % len(PROGRAMS)]
        cmd = f"{prog} --step {i} {pad[: 40 + i % 50]}"
        t = i * 1000 + 100
        rows.append(
            json.dumps(
                {
                    "type": "assistant",
                    "uuid": f"a{i}",
                    "sessionId": sid,
                    "cwd": "/w",
                    "timestamp": iso(t),
                    "requestId": f"r{i}",
                    "message": {
                        "id": f"m{i}",
                        "role": "assistant",
                        "model": "claude-sonnet-4-5-20250929",
                        "content": [
                            {
                                "type": "tool_use",
                                "id": f"t{i}",
                                "name": "Bash",
                                "input": {"command": cmd},
                            }
                        ],
                        "usage": {"input_tokens": 1, "output_tokens": 1},
                    },
                }
            )
        )
        rows.append(
            json.dumps(
                {
                    "type": "user",
                    "uuid": f"u{i}",
                    "sessionId": sid,
                    "cwd": "/w",
                    "timestamp": iso(t + 600),
                    "message": {
                        "role": "user",
                        "content": [
                            {"type": "tool_result", "tool_use_id": f"t{i}", "content": "ok"}
                        ],
                    },
                }
            )
        )
        for depth, (comm, full) in enumerate(
            (
                ("bash", f"/bin/bash -c -l eval '{cmd}' {pad}"),
                (prog, cmd + pad),
                ("python3", "child " + pad),
            )
        ):
            pid += 1
            nodes.append(
                {
                    "id": f"p{pid}",
                    "pid": pid,
                    "ppid": 1000 if depth == 0 else pid - 1,
                    "start_timestamp_ms": base + t + 20 + depth,
                    "end_timestamp_ms": base + t + 500,
                    "comm": comm,
                    "command": comm,
                    "argv": [full],
                    "exit_code": 0,
                }
            )
            audits.append(
                {
                    "id": f"e{pid}",
                    "timestamp_ms": base + t + 20 + depth,
                    "audit_type": "process",
                    "pid": pid,
                    "comm": comm,
                    "action": "exec",
                    "target": comm,
                    "status": "observed",
                    "summary": full[:80],
                    "details": {"event": "EXEC", "full_command": full, "pid": pid},
                }
            )
    session = folder / f"{sid}.jsonl"
    session.write_text("\n".join(rows) + "\n")
    doc: dict[str, Any] = {
        "schema_version": 1,
        "generated_at": "2026-11-20T10:00:00Z",
        "summary": {"audit_events": len(audits), "sessions": 0},
        "process_nodes": nodes,
        "audit_events": audits,
        "network_targets": [],
        "resource_samples": [],
        "sessions": [],
        "tool_calls": [],
    }
    size = len(json.dumps(doc))
    k = 0
    filler: list[dict[str, Any]] = []
    while size < target_mb * 1024 * 1024:  # the rest: resource samples and file audits
        k += 1
        item = {
            "id": f"f{k}",
            "timestamp_ms": base + k,
            "audit_type": "file",
            "pid": 1000,
            "comm": "claude",
            "action": "open",
            "target": "/w/src/" + pad,
            "status": "observed",
            "summary": pad,
            "details": {"path": "/w/" + pad},
        }
        filler.append(item)
        size += len(json.dumps(item)) + 1
    doc["audit_events"] = audits + filler
    doc["summary"]["audit_events"] = len(doc["audit_events"])
    snap = folder / "snapshot.json"
    snap.write_text(json.dumps(doc))
    return session, snap


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        session, snap = write(Path(tmp), args.calls, args.mb)
        s = parse_session(session)
        load_t, match_t, fold_t, plain_t = [], [], [], []
        corr = None
        for _ in range(args.runs):
            t = time.perf_counter()
            loaded = load_snapshot(snap)
            load_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            corr = correlate([s], [loaded])
            match_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            fold_sessions([s], Tags(), "bench", corr)
            fold_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            fold_sessions([s], Tags(), "bench")
            plain_t.append(time.perf_counter() - t)
        assert corr is not None
        added = min(load_t) + min(match_t) + min(fold_t) - min(plain_t)
        print(
            json.dumps(
                {
                    "snapshot_mb": round(snap.stat().st_size / 2**20, 1),
                    "shell_calls": corr.considered,
                    "matched": corr.matched,
                    "load_s": round(min(load_t), 3),
                    "correlate_s": round(min(match_t), 3),
                    "fold_with_s": round(min(fold_t), 3),
                    "fold_without_s": round(min(plain_t), 3),
                    "added_to_report_s": round(added, 3),
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
