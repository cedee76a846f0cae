"""Every default and every environment variable agentpprof reads, defined once (cheap: the CLI
imports this at start-up)."""

from __future__ import annotations

import os
from pathlib import Path

# environment variables (README: "Environment")
ENV_LLAMA_URL = "AGENTPPROF_LLAMA_URL"  # comma-separated tagging endpoints
ENV_LLAMA_SERVER = "AGENTPPROF_LLAMA_SERVER"  # the llama-server binary
ENV_CACHE_DIR = "AGENTPPROF_CACHE_DIR"  # the build and model cache
ENV_EVAL_CORPUS = "AGENTPPROF_EVAL_CORPUS"  # bench: the labelled session files
ENV_CLAUDE_CONFIG_DIR = "CLAUDE_CONFIG_DIR"  # Claude Code's own
ENV_CODEX_HOME = "CODEX_HOME"  # Codex's own
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
ENV_HOME = "HOME"


def env(name: str) -> str | None:
    """An environment variable agentpprof reads (one of the ENV_* names), None when unset or
    empty."""
    return os.environ.get(name) or None


def env_path(name: str) -> Path | None:
    value = env(name)
    return Path(value).expanduser() if value else None


def home() -> str:
    """The home folder as outputs hide it (``~``): $HOME, else the account's."""
    return env(ENV_HOME) or str(Path.home())


def claude_root() -> Path:
    """Claude Code's projects folder: $CLAUDE_CONFIG_DIR/projects or ~/.claude/projects."""
    return (env_path(ENV_CLAUDE_CONFIG_DIR) or Path.home() / ".claude") / "projects"


def codex_root() -> Path:
    """Codex's sessions folder: $CODEX_HOME/sessions or ~/.codex/sessions."""
    return (env_path(ENV_CODEX_HOME) or Path.home() / ".codex") / "sessions"


def cache_dir() -> Path:
    """$AGENTPPROF_CACHE_DIR, else $XDG_CACHE_HOME/agentpprof, else ~/.cache/agentpprof."""
    explicit = env_path(ENV_CACHE_DIR)
    if explicit:
        return explicit
    return (env_path(ENV_XDG_CACHE_HOME) or Path.home() / ".cache") / "agentpprof"


SCAN_FILES = 160  # newest session files looked at
MAX_SESSIONS = 36  # main sessions of the project kept
LLAMA_PORT = 8080  # agentpprof serve
LLAMA_URL = f"http://127.0.0.1:{LLAMA_PORT}"
REQUEST_TIMEOUT = 60.0  # seconds per tagging request, and for a loading server
LOAD_TIMEOUT = 240.0  # seconds a managed llama-server may take to load its model
REPORT_OUT = Path(".agentsight/agentpprof/latest")
BENCH_OUT = Path(".agentsight/agentpprof/benchmarks.json")
DIFF_OUT = Path(".agentsight/agentpprof/diff")
