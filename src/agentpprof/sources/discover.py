"""Discover stage: which session files to profile.

Newest ``scan_files`` JSONL files under the Claude and Codex roots, kept when the session's
working directory is the project root or below it, capped at ``max_sessions`` main sessions.
Explicit ``--session-file`` paths skip the scan, the filter and the cap.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from agentpprof import defaults
from agentpprof.errors import NoSessionsError
from agentpprof.privacy import display_path
from agentpprof.sources import classify
from agentpprof.sources.parse import agent_of_line, detect_agent
from agentpprof.sources.parse.lines import head_lines, is_compressed, session_stem
from agentpprof.sources.records import Agent
from agentpprof.sources.timerange import TimeRange


@dataclass(slots=True)
class DiscoverOptions:
    project_root: Path
    session_files: list[Path] = field(default_factory=list)
    claude_root: Path | None = None
    codex_root: Path | None = None
    scan_files: int = defaults.SCAN_FILES
    max_sessions: int = defaults.MAX_SESSIONS
    time_range: TimeRange = field(default_factory=TimeRange)


@dataclass(frozen=True, slots=True)
class SessionRef:
    path: Path
    display: str
    agent: Agent | None
    explicit: bool = False


@dataclass(slots=True)
class Discovery:
    refs: list[SessionRef]
    claude_root: Path
    codex_root: Path
    scanned: int = 0


class _CwdProbe(msgspec.Struct, gc=False):
    cwd: str | None = None
    sessionId: str | None = None
    payload: _PayloadProbe | None = None


class _PayloadProbe(msgspec.Struct, gc=False):
    cwd: str | None = None


_CWD = msgspec.json.Decoder(_CwdProbe)


def probe(
    path: Path, max_lines: int = 200, agent_lines: int = 40
) -> tuple[Agent | None, str | None, str | None]:
    """(agent, first cwd, first sessionId) from one read of a file's head (plain or
    zstd-compressed).

    The agent is judged from the first ``agent_lines`` records (as :func:`detect_agent`), the
    cwd and session id from the first ``max_lines``.
    """
    if path.suffix == ".json":
        return detect_agent(path), None, None
    agent: Agent | None = None
    cwd: str | None = None
    sid: str | None = None
    for i, raw in enumerate(head_lines(path, max_lines)):
        if agent is None and i < agent_lines:
            agent = agent_of_line(raw)
        if not (cwd and sid) and (b'"cwd"' in raw or b'"sessionId"' in raw):
            try:
                rec = _CWD.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
                continue
            cwd = cwd or rec.cwd or (rec.payload.cwd if rec.payload else None)
            sid = sid or rec.sessionId
        # Codex rollouts carry no sessionId field (only Claude sub-agents need one)
        if cwd and (sid or agent is Agent.CODEX) and (agent or i + 1 >= agent_lines):
            break
    return agent, cwd, sid


def _walk(root: Path, suffixes: tuple[str, ...]) -> list[tuple[float, Path]]:
    found: list[tuple[float, Path]] = []
    if not root.is_dir():
        return found
    for dirpath, _dirs, files in os.walk(root, followlinks=False):
        for name in files:
            if name.endswith(suffixes):
                p = Path(dirpath, name)
                try:
                    st = p.stat()
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):  # not a FIFO or a link to a device
                    found.append((st.st_mtime, p))
    return found


CODEX_SUFFIXES = (".jsonl", ".json", ".jsonl.zst")


def codex_roots(sessions_root: Path) -> list[Path]:
    """Codex's sessions folder and, beside it, ``archived_sessions`` (archived threads)."""
    roots = [sessions_root]
    archived = sessions_root.parent / "archived_sessions"
    if sessions_root.name == "sessions" and archived.is_dir():
        roots.append(archived)
    return roots


def codex_candidates(sessions_root: Path) -> list[tuple[float, Path]]:
    """Every Codex session file, plain or zstd-compressed (``rollout-*.jsonl.zst``, Codex
    0.137+), under ``sessions`` and ``archived_sessions``; a rollout found more than once (a
    plain and a compressed copy while a compressed thread is resumed, or an archived copy)
    counts once, as its newest copy."""
    found = [item for root in codex_roots(sessions_root) for item in _walk(root, CODEX_SUFFIXES)]
    return once_per_rollout(found)


def once_per_rollout(found: list[tuple[float, Path]]) -> list[tuple[float, Path]]:
    newest: dict[str, tuple[float, Path]] = {}
    others: list[tuple[float, Path]] = []
    for mtime, path in found:
        if not path.name.startswith("rollout-"):
            others.append((mtime, path))
            continue
        key = session_stem(path)
        seen = newest.get(key)
        # newest copy; on equal mtimes the plain one (the copy Codex writes to)
        if seen is None or (mtime, not is_compressed(path)) > (seen[0], not is_compressed(seen[1])):
            newest[key] = (mtime, path)
    return others + list(newest.values())


def _is_subagent_file(path: Path) -> bool:
    return path.name.startswith("agent-") or "subagents" in path.parts


def _session_dir_of(path: Path) -> Path | None:
    """``<sid>/subagents/agent-x.jsonl`` and (Claude Code 2.1.154+ workflows)
    ``<sid>/subagents/workflows/<wf>/agent-x.jsonl`` -> ``<sid>``."""
    for parent in path.parents:
        if parent.name == "subagents":
            return parent.parent
    return None


Probe = tuple[Agent | None, str | None, str | None]  # (agent, first cwd, first sessionId)


@dataclass(slots=True)
class Scan:
    """The newest candidate files, before any is opened."""

    candidates: list[tuple[float, Path]]  # every session file under both roots, newest first
    scanned: list[Path]  # the newest scan_files of them
    root: str  # the resolved project root
    claude_root: Path
    codex_root: Path


def scan(
    *,
    project_root: Path,
    claude_root: Path | None = None,
    codex_root: Path | None = None,
    scan_files: int = defaults.SCAN_FILES,
    since: float | None = None,
) -> Scan:
    """Every session file under both roots, newest first; with ``since`` (epoch seconds) only
    the files written since then (an older file cannot hold newer events)."""
    croot = claude_root or defaults.claude_root()
    xroot = codex_root or defaults.codex_root()
    candidates = _walk(croot, (".jsonl",)) + codex_candidates(xroot)
    if since is not None:
        # a compressed rollout's mtime is when Codex compressed it, after its last write: it is
        # never pruned wrongly, only kept when it might have been pruned (timerange clips it)
        candidates = [(m, p) for m, p in candidates if m >= since]
    candidates.sort(key=lambda item: (-item[0], str(item[1])))
    return Scan(
        candidates,
        [p for _m, p in candidates[: max(scan_files, 0)]],
        str(project_root.resolve()),
        croot,
        xroot,
    )


def may_keep(path: Path, found: Probe, root: str) -> bool:
    """Whether :func:`select` can keep this file: a main session of the project (before any
    cap) or a Claude sub-agent file (kept if its parent is)."""
    agent, cwd, _sid = found
    if agent is None:
        return False
    if agent is Agent.CLAUDE and _is_subagent_file(path):
        return True
    return cwd is not None and (cwd == root or classify.is_within(cwd, root))


def select(sc: Scan, probe_of: Callable[[Path], Probe], max_sessions: int) -> Discovery:
    """Keep the project's newest main sessions (up to ``max_sessions``) and their sub-agents."""
    root = sc.root
    kept: list[SessionRef] = []
    kept_ids: set[str] = set()
    subagents: list[tuple[Path, str | None, str | None]] = []
    mains = 0
    for path in sc.scanned:
        if mains >= max_sessions and not _is_subagent_file(path):
            continue  # capped: only sub-agent files can still join a kept session
        found = probe_of(path)
        agent, cwd, sid = found
        if not may_keep(path, found, root):
            continue
        if agent is Agent.CLAUDE and _is_subagent_file(path):
            subagents.append((path, cwd, sid))
            continue
        assert agent is not None
        mains += 1
        kept.append(SessionRef(path, display_path(path), agent))
        if sid:
            kept_ids.add(sid)
        kept_ids.add(session_stem(path))
    # sub-agent files of kept sessions: those scanned, plus the ones stored beside them
    seen = {ref.path for ref in kept}
    for path, _cwd, sid in subagents:
        owner = _session_dir_of(path)
        if (sid in kept_ids or (owner is not None and owner.name in kept_ids)) and path not in seen:
            kept.append(SessionRef(path, display_path(path), Agent.CLAUDE))
            seen.add(path)
    beside: dict[Path, list[Path]] = {}
    for _mtime, path in sc.candidates:
        owner = _session_dir_of(path)
        if owner is not None and path.name.startswith("agent-"):
            beside.setdefault(owner, []).append(path)
    for ref in list(kept) if beside else []:
        if ref.agent is not Agent.CLAUDE or _is_subagent_file(ref.path):
            continue
        for path in sorted(beside.get(ref.path.parent / ref.path.stem, [])):
            if path not in seen:
                kept.append(SessionRef(path, display_path(path), Agent.CLAUDE))
                seen.add(path)
    return Discovery(
        refs=kept, claude_root=sc.claude_root, codex_root=sc.codex_root, scanned=len(sc.scanned)
    )


def discover_sessions(opts: DiscoverOptions) -> Discovery:
    """The session files to read: the ``--session-file``s given, else the newest files of the
    scan roots that belong to the project (``scan`` then ``select``)."""
    if opts.session_files:
        # the same file named twice (or through a link) is read once
        unique: dict[str, Path] = {}
        for p in map(Path, opts.session_files):
            unique.setdefault(os.path.realpath(p), p)
        if not any(p.exists() for p in unique.values()):
            names = ", ".join(display_path(p) for p in unique.values())
            raise NoSessionsError(
                f"no such session file: {names}",
                hint="check the --session-file paths (`agentpprof sessions` lists what a scan "
                "finds)",
            )
        refs = [SessionRef(p, display_path(p), None, explicit=True) for p in unique.values()]
        return Discovery(
            refs=refs,
            claude_root=opts.claude_root or defaults.claude_root(),
            codex_root=opts.codex_root or defaults.codex_root(),
            scanned=len(refs),
        )
    sc = scan(
        project_root=opts.project_root,
        claude_root=opts.claude_root,
        codex_root=opts.codex_root,
        scan_files=opts.scan_files,
        since=opts.time_range.since_epoch,
    )
    return select(sc, probe, opts.max_sessions)
