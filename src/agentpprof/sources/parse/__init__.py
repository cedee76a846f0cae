"""Parse stage: one session file -> one Session, dispatched on the agent found in its content."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import NamedTuple, TypeVar

import msgspec

from agentpprof.parallel import file_size, pmap
from agentpprof.sources.parse.claude import KNOWN_TYPES as CLAUDE_TYPES
from agentpprof.sources.parse.claude import parse_claude
from agentpprof.sources.parse.codex import parse_codex
from agentpprof.sources.parse.lines import EMPTY_RAW, head_lines, is_regular
from agentpprof.sources.records import Agent, ParseWarning, Session

__all__ = ["agent_of_line", "detect_agent", "map_sessions", "parse_session", "parse_sessions"]

T = TypeVar("T")


class _Probe(msgspec.Struct, gc=False):
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
    if path.suffix == ".json":
        if not is_regular(path):
            return None
        try:
            with path.open("rb") as handle:
                head = handle.read(4096)
        except OSError:
            return None
        return Agent.CODEX if b'"session"' in head and b'"items"' in head else None
    for raw in head_lines(path, max_lines):
        found = agent_of_line(raw)
        if found is not None:
            return found
    return None


def agent_of_line(raw: bytes) -> Agent | None:
    """The agent a single JSONL record points to, if it is telling."""
    line = raw.strip()
    if not line.startswith(b"{"):
        return None
    try:
        rec = _PROBE.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    if rec.payload and rec.type:
        return Agent.CODEX
    if rec.sessionId is not None or (rec.type in CLAUDE_TYPES):
        return Agent.CLAUDE
    if rec.id is not None and rec.timestamp is not None and rec.type is None:
        return Agent.CODEX  # layout B session meta
    return None


def parse_session(
    path: Path,
    display: str | None = None,
    project_root: str | None = None,
    agent: Agent | None = None,
    keep_text: bool = True,
) -> Session:
    """Parse one file. Never raises on bad content: problems become warnings on the Session.

    The cyclic garbage collector is paused meanwhile: parsing allocates hundreds of thousands
    of short-lived acyclic objects (freed by reference counting) and the collector's passes
    over them cost ~10 % of the parse (measured).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_one(path, display or str(path), project_root, agent, keep_text)
    finally:
        if was_enabled:
            gc.enable()


def _parse_one(
    path: Path, shown: str, project_root: str | None, agent: Agent | None, keep_text: bool
) -> Session:
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
        return parse_codex(path, shown, project_root, keep_text)
    return parse_claude(path, shown, project_root, keep_text)


class _Job(NamedTuple):
    path: Path
    display: str
    root: str | None
    agent: Agent | None
    keep_text: bool


def _run_job(job: _Job, fn: Callable[[Session], T]) -> T:
    return fn(parse_session(job.path, job.display, job.root, job.agent, job.keep_text))


def _identity(session: Session) -> Session:
    return session


def parse_sessions(
    refs: Sequence[tuple[Path, str, Agent | None]],
    project_root: str | None,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    keep_text: bool = True,
) -> list[Session]:
    """Parse many files, in parallel processes when there is enough work to pay for them."""
    return map_sessions(
        refs, project_root, _identity, workers=workers, progress=progress, keep_text=keep_text
    )


def map_sessions(
    refs: Sequence[tuple[Path, str, Agent | None]],
    project_root: str | None,
    fn: Callable[[Session], T],
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    keep_text: bool = True,
) -> list[T]:
    """``fn(parse_session(ref))`` for every ref, in input order. ``fn`` runs in the worker, so
    a small result (an inventory row) is all that crosses the process boundary."""
    jobs = [_Job(path, display, project_root, agent, keep_text) for path, display, agent in refs]
    return pmap(
        partial(_run_job, fn=fn),
        jobs,
        [file_size(job.path) for job in jobs],
        workers=workers,
        progress=progress,
    )
