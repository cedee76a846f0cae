"""Discovery on a real directory layout built from corpus files in a temporary HOME."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from agentpprof.sources.discover import DiscoverOptions, discover_sessions
from agentpprof.sources.records import Agent
from tests.conftest import CORPUS, needs_corpus

pytestmark = needs_corpus


def _put(
    src: Path,
    dst: Path,
    cwd_from: str | None = None,
    cwd_to: str | None = None,
    mtime: float | None = None,
) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    data = src.read_text()
    if cwd_from and cwd_to:
        data = data.replace(json.dumps(cwd_from)[1:-1], json.dumps(cwd_to)[1:-1])
    dst.write_text(data)
    if mtime is not None:
        os.utime(dst, (mtime, mtime))
    return dst


def _corpus(part: str) -> Path:
    return next(p for p in CORPUS.rglob("*.jsonl") if part in p.name)


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path, Path]:
    claude = tmp_path / "home" / ".claude" / "projects"
    codex = tmp_path / "home" / ".codex" / "sessions"
    project = tmp_path / "work" / "spotter"
    project.mkdir(parents=True)
    # a 2.1 session with its sub-agent file, re-rooted into our project
    main = _corpus("ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl")
    sub = _corpus("agent-aac57f5")
    enc = claude / "-work-spotter"
    _put(
        main,
        enc / "ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl",
        "/home/USER/projects/spotter-worktrees/spotter-4te",
        str(project),
        mtime=1000,
    )
    _put(
        sub,
        enc / "ae4a77f8-aedd-4bc1-888f-c94edc91af04" / "subagents" / "agent-aac57f5.jsonl",
        "/home/USER/projects/spotter-worktrees/spotter-4te",
        str(project),
        mtime=900,
    )
    # a session of another project
    _put(_corpus("fed8ce56"), claude / "-Users-chip-dev-ai-music" / "fed8ce56.jsonl", mtime=2000)
    # a Codex rollout in a subfolder of the project
    x01 = _corpus("019b04ae")
    _put(
        x01,
        codex / "2025" / "12" / "10" / x01.name.split("__")[-1],
        "/Users/zawakin/agent-sample",
        str(project / "sub"),
        mtime=1500,
    )
    return claude, codex, project


def test_project_filter_and_subagents(tree: tuple[Path, Path, Path]) -> None:
    claude, codex, project = tree
    found = discover_sessions(
        DiscoverOptions(project_root=project, claude_root=claude, codex_root=codex)
    )
    names = sorted(r.path.name.split("-")[0] for r in found.refs)
    assert names == ["ae4a77f8", "agent", "rollout"]
    agents = {r.path.name: r.agent for r in found.refs}
    assert agents["agent-aac57f5.jsonl"] is Agent.CLAUDE
    assert found.scanned == 4


def test_caps(tree: tuple[Path, Path, Path]) -> None:
    claude, codex, project = tree
    one = discover_sessions(
        DiscoverOptions(project_root=project, claude_root=claude, codex_root=codex, max_sessions=1)
    )
    # the newest main session is the Codex one (mtime 1500); no sub-agent comes along
    assert [r.agent for r in one.refs] == [Agent.CODEX]
    none = discover_sessions(
        DiscoverOptions(project_root=project, claude_root=claude, codex_root=codex, scan_files=1)
    )
    assert none.refs == []  # the only scanned file (mtime 2000) is another project's


def test_env_roots_and_explicit_files(
    tree: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    claude, codex, project = tree
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude.parent))
    monkeypatch.setenv("CODEX_HOME", str(codex.parent))
    found = discover_sessions(DiscoverOptions(project_root=project))
    assert len(found.refs) == 3
    odd = tmp_path / "odd" / "place.jsonl"  # path says nothing about the agent
    shutil.copy(_corpus("019b7f94"), odd.parent.mkdir(parents=True) or odd)
    explicit = discover_sessions(
        DiscoverOptions(project_root=project, session_files=[odd], max_sessions=0)
    )
    assert [r.path for r in explicit.refs] == [odd]


@pytest.mark.parametrize("scan_files", [3, 4, 10])
def test_one_pass_inventory_equals_discover_then_parse(
    tree: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch, scan_files: int
) -> None:
    """With no cap that can bite, `sessions` probes and parses in one parallel pass; the rows
    must be those of discovering first and parsing the kept files after (scan_files=3 leaves
    the sub-agent file unscanned: it joins from beside its parent, in a second pass)."""
    from agentpprof import inventory as inv
    from agentpprof import parallel

    claude, codex, project = tree
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)  # use the worker pool
    opts = DiscoverOptions(
        project_root=project,
        claude_root=claude,
        codex_root=codex,
        scan_files=scan_files,
        max_sessions=36,
    )
    one_pass = inv.inventory(opts)
    two_phase = inv.rows_of(discover_sessions(opts).refs, str(project.resolve()))
    assert one_pass == two_phase
    assert sorted(r.agent for r in one_pass) == ["claude", "claude", "codex"]
