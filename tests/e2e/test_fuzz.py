"""The seeded mutation fuzzer (scripts/fuzz.py) against the built `sessions` command, on the
repository's own synthetic sessions: no traceback, no hang, no negative or inconsistent total.
Larger runs (shared corpus, report/render/diff against a server) are in docs/faults.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_seeded_mutations_give_no_traceback() -> None:
    res = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "fuzz.py"), "--seed", "5", "--cases", "25"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "25 cases" in res.stdout and "0 failed" in res.stdout
