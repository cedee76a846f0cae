"""A seeded mutation fuzzer against the built commands (issue #23).

Takes real-shaped session files (the repository's synthetic sessions by default, or every
``*.jsonl`` under ``--base DIR``), mutates them — a field of a JSON line set to a hostile value
(negative, fractional, string, 10^30 or boolean numbers; dates past 9999; Rich markup; control
characters; 5,000-deep nesting; huge strings), or the bytes themselves (truncated, flipped,
BOM, binary junk, a line with no newline, a line dropped or doubled) — and runs the commands a
user runs on them: ``agentpprof sessions --json -v`` always, and with ``--llama-url`` also
``report`` (then ``render`` and ``diff`` on its folder). A case fails when a command prints a
traceback, exits with a code outside the exit-code table, hangs past the timeout, or reports a
negative total or a total that is not the sum of its kinds.

  python scripts/fuzz.py --seed 1 --cases 200 [--base DIR] [--llama-url URL] [--json]

The same seed gives the same cases. Exit 0 when no case failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OK_CODES = {0, 1, 2, 4}  # README's exit-code table (3: the tagger, only with a server)
KINDS = ("input", "cache_read", "cache_write", "output", "reasoning")

HOSTILE: list[Any] = [
    -1,
    -23_480_279,
    0.5,
    1e30,
    10**30,
    2**64,
    "1200",
    "many",
    True,
    None,
    [],
    {},
    "[/]",
    "[/]abc[/]",
    "<!--<script>",
    "\u0001\u2028\ud7ff",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+14:00",
    "not a date",
    "x" * 100_000,
]


def _deep(n: int) -> Any:
    value: Any = 0
    for _ in range(n):
        value = [value]
    return value


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:8]):
            out += _paths(v, (*prefix, i))
    return out


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


def mutate_line(rng: random.Random, line: bytes) -> list[bytes]:
    """One line -> the lines that replace it."""
    op = rng.randrange(10)
    if op <= 4:  # a field set to a hostile value
        try:
            obj = json.loads(line)
        except ValueError:
            return [line]
        paths = _paths(obj)
        if not paths:
            return [line]
        value = _deep(5000) if rng.random() < 0.05 else rng.choice(HOSTILE)
        _set(obj, rng.choice(paths), value)
        try:
            return [json.dumps(obj).encode()]
        except (ValueError, RecursionError):
            return [line]
    if op == 5:  # truncated
        return [line[: rng.randrange(max(len(line), 1))]]
    if op == 6:  # flipped bytes
        b = bytearray(line)
        for _ in range(rng.randrange(1, 8)):
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
        return [bytes(b)]
    if op == 7:  # binary junk beside it
        return [line, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))]
    if op == 8:  # dropped or doubled
        return [] if rng.random() < 0.5 else [line, line]
    return [b"\xef\xbb\xbf" + line]  # a byte order mark


def mutate_file(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    for _ in range(rng.randrange(1, 6)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        lines[i : i + 1] = mutate_line(rng, lines[i])
    out = b"\n".join(lines)
    if rng.random() < 0.1:
        out = out.rstrip(b"\n")  # no final newline
    return out


def _run(args: list[str], timeout: float) -> tuple[int | None, str, str, float]:
    t = time.monotonic()
    try:
        res = subprocess.run(
            [sys.executable, "-m", "agentpprof", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(os.environ, COLUMNS="200"),
        )
    except subprocess.TimeoutExpired:
        return None, "", "", time.monotonic() - t
    return res.returncode, res.stdout, res.stderr, time.monotonic() - t


def _problems(code: int | None, err: str, name: str) -> list[str]:
    out = []
    if code is None:
        out.append(f"{name}: hung past the timeout")
    elif code not in OK_CODES:
        out.append(f"{name}: exit {code}")
    if "Traceback (most recent call last)" in err:
        out.append(f"{name}: traceback: {err.strip().splitlines()[-1][:200]}")
    return out


def _check_rows(stdout: str) -> list[str]:
    try:
        rows = json.loads(stdout)
    except ValueError:
        return ["sessions --json: not JSON"]
    out = []
    for row in rows:
        tok = row["tokens"]
        if any(tok[k] < 0 for k in (*KINDS, "total")) or (row.get("cost_usd") or 0) < 0:
            out.append(f"sessions: negative total in {row['file']}")
        if sum(tok[k] for k in KINDS) != tok["total"]:
            out.append(f"sessions: total is not the sum of the kinds in {row['file']}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--base", type=Path, help="folder of real session files to mutate")
    ap.add_argument("--llama-url", help="also run report/render/diff against this server")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.base:
            bases = sorted(args.base.rglob("*.jsonl"))
        else:
            from tests.synth import sessions

            bases = sessions(root / "synth")
        failures: list[dict[str, Any]] = []
        worst = 0.0
        prev_report: Path | None = None
        for case in range(args.cases):
            folder = root / f"case{case}"
            folder.mkdir()
            picked = rng.sample(bases, min(len(bases), rng.randrange(1, 4)))
            files = []
            for j, base in enumerate(picked):
                f = folder / f"{j}-{base.name}"
                f.write_bytes(mutate_file(rng, base.read_bytes()))
                files.append(f)
            given = [a for f in files for a in ("--session-file", str(f))]
            code, out, err, secs = _run(["sessions", "--json", "-v", *given], args.timeout)
            worst = max(worst, secs)
            problems = _problems(code, err, "sessions")
            if code == 0:
                problems += _check_rows(out)
            if args.llama_url:
                rep = folder / "report"
                code, out, err, secs = _run(
                    [
                        "report",
                        "-q",
                        "-v",
                        "--llama-url",
                        args.llama_url,
                        "--tag-llm-calls",
                        "false",
                        "--out",
                        str(rep),
                        *given,
                    ],
                    args.timeout * 5,
                )
                worst = max(worst, secs)
                problems += _problems(code, err, "report")
                if code == 0:
                    code, _o, err, _s = _run(["render", str(rep)], args.timeout)
                    problems += _problems(code, err, "render")
                    if prev_report is not None:
                        code, _o, err, _s = _run(
                            ["diff", str(prev_report), str(rep), "--out", str(folder / "diff")],
                            args.timeout,
                        )
                        problems += _problems(code, err, "diff")
                    prev_report = rep
            if problems:
                failures.append(
                    {"case": case, "files": [f.name for f in files], "problems": problems}
                )
                keep = REPO / ".fuzz-failures" / f"seed{args.seed}-case{case}"
                keep.mkdir(parents=True, exist_ok=True)
                for f in files:
                    (keep / f.name).write_bytes(f.read_bytes())
        summary = {
            "seed": args.seed,
            "cases": args.cases,
            "commands": "sessions, report, render, diff" if args.llama_url else "sessions",
            "failed_cases": len(failures),
            "slowest_command_s": round(worst, 2),
            "failures": failures[:20],
        }
    print(
        json.dumps(summary, indent=1)
        if args.json
        else (
            f"seed {args.seed}: {args.cases} cases ({summary['commands']}), "
            f"{len(failures)} failed, slowest command {worst:.2f} s"
        )
    )
    for f in failures[:20]:
        print(f"  case {f['case']}: {'; '.join(f['problems'])}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
