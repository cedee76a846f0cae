"""Parse stage: one session file -> one Session, dispatched on the agent found in its content."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import msgspec

from agentpprof.parse.claude import parse_claude
from agentpprof.parse.codex import parse_codex
from agentpprof.parse.lines import EMPTY_RAW
from agentpprof.records import Agent, ParseWarning, Session

__all__ = ["detect_agent", "parse_session", "parse_sessions"]

_CLAUDE_TYPES = frozenset({"user", "assistant", "summary", "system", "progress", "attachment",
                           "file-history-snapshot", "queue-operation", "ai-title", "last-prompt",
                           "permission-mode"})


class _Probe(msgspec.Struct):
    type: str | None = None
    payload: msgspec.Raw = EMPTY_RAW
    sessionId: str | None = None
    id: str | None = None
    timestamp: str | None = None
    session: msgspec.Raw = EMPTY_RAW
    items: msgspec.Raw = EMPTY_RAW


_PROBE = msgspec.json.Decoder(_Probe)


def detect_agent(path: Path, max_lines: int = 40) -> Agent | None:
    """The agent that wrote a file, judged from its first records (the path is only a hint)."""
    try:
        with path.open("rb") as handle:
            if path.suffix == ".json":
                head = handle.read(4096)
                return Agent.CODEX if b'"session"' in head and b'"items"' in head else None
            for i, raw in enumerate(handle):
                if i >= max_lines:
                    break
                line = raw.strip()
                if not line.startswith(b"{"):
                    continue
                try:
                    rec = _PROBE.decode(line)
                except (msgspec.DecodeError, msgspec.ValidationError):
                    continue
                if rec.payload and rec.type:
                    return Agent.CODEX
                if rec.sessionId is not None or (rec.type in _CLAUDE_TYPES):
                    return Agent.CLAUDE
                if rec.id is not None and rec.timestamp is not None and rec.type is None:
                    return Agent.CODEX  # layout B session meta
    except OSError:
        return None
    return None


def parse_session(path: Path, display: str | None = None, project_root: str | None = None,
                  agent: Agent | None = None) -> Session:
    """Parse one file. Never raises on bad content: problems become warnings on the Session."""
    shown = display or str(path)
    if path.is_dir():
        s = Session(agent=agent or Agent.CLAUDE, file=shown, session_id=path.name)
        s.warnings.append(ParseWarning(shown, 0, "is a directory, not a session file; skipped"))
        return s
    found = agent or detect_agent(path)
    if found is None:
        hint = Agent.CODEX if "codex" in str(path).lower() else Agent.CLAUDE
        s = (parse_codex if hint is Agent.CODEX else parse_claude)(path, shown, project_root)
        if not (s.prompts or s.llm_calls or s.tool_calls) and not s.warnings:
            s.warnings.append(ParseWarning(shown, 0, "no Claude Code or Codex records found"))
        return s
    if found is Agent.CODEX:
        return parse_codex(path, shown, project_root)
    return parse_claude(path, shown, project_root)


def _parse_ref(args: tuple[Path, str, str | None, Agent | None]) -> Session:
    path, display, root, agent = args
    return parse_session(path, display, root, agent)


def parse_sessions(
    refs: Sequence[tuple[Path, str, Agent | None]],
    project_root: str | None,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Session]:
    """Parse many files, in parallel processes when there is enough work to pay for them."""
    jobs = [(path, display, project_root, agent) for path, display, agent in refs]
    size = 0
    for path, *_ in jobs:
        with contextlib.suppress(OSError):
            size += path.stat().st_size
    n = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if n <= 1 or len(jobs) < 2 or size < 24 * 1024 * 1024:
        out = []
        for job in jobs:
            out.append(_parse_ref(job))
            if progress:
                progress(1)
        return out
    # biggest first so the pool stays balanced; results are returned in input order
    order = sorted(range(len(jobs)), key=lambda i: -_size(jobs[i][0]))
    results: list[Session | None] = [None] * len(jobs)
    ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
        futures = {pool.submit(_parse_ref, jobs[i]): i for i in order}
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            if progress:
                progress(1)
    return [r for r in results if r is not None]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
