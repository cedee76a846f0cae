"""Defaults used in more than one place, defined once (constants only: the CLI imports this at
start-up)."""

from __future__ import annotations

from pathlib import Path

SCAN_FILES = 160  # newest session files looked at
MAX_SESSIONS = 36  # main sessions of the project kept
LLAMA_PORT = 8080  # agentpprof serve
LLAMA_URL = f"http://127.0.0.1:{LLAMA_PORT}"
REQUEST_TIMEOUT = 60.0  # seconds per tagging request, and for a loading server
REPORT_OUT = Path(".agentsight/agentpprof/latest")
BENCH_OUT = Path(".agentsight/agentpprof/benchmarks.json")
DIFF_OUT = Path(".agentsight/agentpprof/diff")
