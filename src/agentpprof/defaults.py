"""Defaults used in more than one place, defined once (constants only: the CLI imports this at
start-up)."""

from __future__ import annotations

from pathlib import Path

SCAN_FILES = 160  # newest session files looked at
MAX_SESSIONS = 36  # main sessions of the project kept
LLAMA_URL = "http://127.0.0.1:8080"
REPORT_OUT = Path(".agentsight/agentpprof/latest")
BENCH_OUT = Path(".agentsight/agentpprof/benchmarks.json")
DIFF_OUT = Path(".agentsight/agentpprof/diff")
