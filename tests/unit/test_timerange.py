"""--since / --until: values, the mtime pre-filter, and sessions clipped to the range."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentpprof.cli import app
from agentpprof.sources.discover import scan
from agentpprof.sources.parse import parse_session
from agentpprof.sources.timerange import TimeRange, clip_session, parse_when
from tests.synth import claude_session, codex_session

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_values() -> None:
    assert parse_when("2026-11-20") == datetime(2026, 11, 20, tzinfo=UTC)
    assert parse_when("2026-11-20", end=True).isoformat().startswith("2026-11-20T23:59:59.999")
    assert parse_when("7d", now=NOW) == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert parse_when("12h", now=NOW) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert parse_when("90m", now=NOW) == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    assert parse_when("2026-11-20T10:00:00+02:00") == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert parse_when("2026-11-20T10:00") == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    for bad in ("yesterday", "7 days", "2026-13-01", ""):
        with pytest.raises(ValueError):
            parse_when(bad)


def test_a_session_crossing_the_boundary_is_clipped(tmp_path: Path) -> None:
    main = claude_session(tmp_path, 10)[0]
    whole = parse_session(main)
    since = "2026-11-20T09:00:40.000Z"
    original = parse_session(main)
    s = clip_session(original, TimeRange(since=parse_when(since)))
    assert s is not None
    assert original == whole  # a new session: the parsed one is not changed
    assert 0 < len(s.llm_calls) < len(whole.llm_calls)
    assert all(c.timestamp and c.timestamp >= since for c in s.llm_calls)
    assert all(t.timestamp and t.timestamp >= since for t in s.tool_calls)
    assert s.start is not None and s.start >= since
    assert s.end is not None and whole.end is not None
    assert max(c.timestamp or "" for c in s.llm_calls) <= s.end <= whole.end
    # indexes stay consistent: every call points at a kept prompt
    assert [p.index for p in s.prompts] == list(range(len(s.prompts)))
    assert all(c.prompt_index is None or c.prompt_index < len(s.prompts) for c in s.llm_calls)
    # a range after everything leaves nothing; one around everything leaves all
    assert clip_session(parse_session(main), TimeRange(since=parse_when("2027-01-01"))) is None
    everything = clip_session(parse_session(main), TimeRange(until=parse_when("2030-01-01")))
    assert everything is not None and len(everything.llm_calls) == len(whole.llm_calls)


def test_cli_since_until_and_mtime_prefilter(tmp_path: Path) -> None:
    claude, codex = tmp_path / "claude", tmp_path / "codex"
    (claude / "proj").mkdir(parents=True)
    codex.mkdir()
    files = [
        *claude_session(claude / "proj", 6, cwd=str(tmp_path)),
        codex_session(codex, 4, cwd=str(tmp_path)),
    ]
    old = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    junk = claude / "proj" / "old-junk.jsonl"
    junk.write_bytes(b"\x00\xff not json\n")  # opened, it would be a warning
    for f in [*files, junk]:
        os.utime(f, (old, old))
    new = datetime(2026, 11, 21, tzinfo=UTC).timestamp()
    for f in files:
        os.utime(f, (new, new))
    # older files are not even opened: the scan leaves them out before any read
    every = scan(project_root=tmp_path, claude_root=claude, codex_root=codex)
    recent = scan(
        project_root=tmp_path,
        claude_root=claude,
        codex_root=codex,
        since=parse_when("2026-11-01").timestamp(),
    )
    assert junk in every.scanned and junk not in recent.scanned
    assert set(recent.scanned) == set(files)
    runner = CliRunner()
    base = [
        "sessions",
        "--json",
        "--project-root",
        str(tmp_path),
        "--claude-root",
        str(claude),
        "--codex-root",
        str(codex),
    ]
    res = runner.invoke(app, [*base, "--since", "2026-11-01"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 3  # main, sub-agent, codex
    res = runner.invoke(app, [*base, "--since", "2026-11-20T09:00:20", "--until", "2026-11-20"])
    clipped = json.loads(res.stdout)
    full = {r["file"]: r for r in rows}
    assert clipped and all(r["llm_calls"] <= full[r["file"]]["llm_calls"] for r in clipped)
    assert any(r["llm_calls"] < full[r["file"]]["llm_calls"] for r in clipped)
    assert all(r["start"] >= "2026-11-20T09:00:20" for r in clipped)
    res = runner.invoke(app, [*base, "--since", "2026-11-21", "--until", "2026-11-20"])
    assert res.exit_code == 2 and "after --until" in res.output
    res = runner.invoke(app, ["report", "--since", "soon"])
    assert res.exit_code == 2 and "--since" in res.output
