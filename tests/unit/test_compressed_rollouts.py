"""Compressed and archived Codex rollouts (issue #22): ``rollout-*.jsonl.zst`` (Codex 0.137+
compresses rollouts idle for 7 days with plain zstd) under ``sessions/`` and
``archived_sessions/`` are found, streamed and counted once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
import zstandard

from agentpprof.sources.discover import DiscoverOptions, discover_sessions, scan
from agentpprof.sources.parse import detect_agent, parse_session
from agentpprof.sources.parse.lines import session_stem
from agentpprof.sources.records import Agent
from tests.conftest import CORPUS, needs_corpus
from tests.synth import claude_session, codex_session


def _zst(src: Path, dst: Path, level: int = 3, frames: int = 1) -> Path:
    """``dst`` = zstd of ``src`` (as Codex writes it), in ``frames`` frames."""
    data = src.read_bytes()
    cctx = zstandard.ZstdCompressor(level=level)
    step = max(1, len(data) // frames + 1)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(b"".join(cctx.compress(data[i : i + step]) for i in range(0, len(data), step)))
    return dst


def _facts(path: Path) -> object:
    s = parse_session(path, "shown")
    return msgspec.to_builtins(s)


@pytest.mark.parametrize("frames", [1, 3])
def test_compressed_rollout_parses_like_the_plain_one(tmp_path: Path, frames: int) -> None:
    (tmp_path / "plain").mkdir()
    plain = codex_session(tmp_path / "plain")
    packed = _zst(plain, tmp_path / "packed" / (plain.name + ".zst"), frames=frames)
    assert detect_agent(packed) is Agent.CODEX
    assert _facts(packed) == _facts(plain)
    assert session_stem(packed) == session_stem(plain) == plain.name.removesuffix(".jsonl")


def test_corrupt_and_truncated_zst_are_warnings(tmp_path: Path) -> None:
    plain = codex_session(tmp_path, n_prompts=40)
    whole = _zst(plain, tmp_path / "w.jsonl.zst", frames=4).read_bytes()
    cut = tmp_path / "rollout-cut.jsonl.zst"
    cut.write_bytes(whole[: len(whole) * 5 // 8])  # inside the third of four frames
    s = parse_session(cut, "cut")
    assert s.prompts  # what came before the cut is kept
    assert any("truncated zstd" in w.message for w in s.warnings)
    junk = tmp_path / "rollout-junk.jsonl.zst"
    junk.write_bytes(b"this is not zstd data\n" * 20)
    j = parse_session(junk, "junk")
    assert any("not valid zstd" in w.message for w in j.warnings)
    assert not j.prompts


def _codex_home(tmp_path: Path) -> tuple[Path, Path]:
    home = tmp_path / ".codex"
    sessions = home / "sessions" / "2026" / "11" / "21"
    sessions.mkdir(parents=True)
    return home, sessions


def test_discovery_reads_zst_and_archived_and_counts_each_rollout_once(tmp_path: Path) -> None:
    home, day = _codex_home(tmp_path)
    cwd = "/home/dev/invoicer"
    a = codex_session(day, session_id="019a7c3e-0000-7b44-9f0e-00000000000a", cwd=cwd)
    b = codex_session(day, session_id="019a7c3e-0000-7b44-9f0e-00000000000b", cwd=cwd)
    # a: only compressed (the plain copy deleted, as Codex does)
    packed_a = _zst(a, a.with_name(a.name + ".zst"))
    a.unlink()
    # b: a compressed copy and a newer plain one (a compressed thread being resumed)
    packed_b = _zst(b, b.with_name(b.name + ".zst"))
    os.utime(packed_b, (1_000, 1_000))
    # c: archived (flat folder)
    archived = home / "archived_sessions"
    archived.mkdir()
    c = codex_session(archived, session_id="019a7c3e-0000-7b44-9f0e-00000000000c", cwd=cwd)
    found = discover_sessions(
        DiscoverOptions(
            project_root=Path(cwd),
            claude_root=tmp_path / "none",
            codex_root=home / "sessions",
        )
    )
    assert sorted(r.path for r in found.refs) == sorted([packed_a, b, c])
    assert all(r.agent is Agent.CODEX for r in found.refs)
    # the compressed copy is newer: it is the one read
    os.utime(packed_b, None)
    os.utime(b, (1_000, 1_000))
    sc = scan(project_root=Path(cwd), claude_root=tmp_path / "none", codex_root=home / "sessions")
    assert packed_b in sc.scanned and b not in sc.scanned


def test_history_half_compressed_gives_the_same_sessions(tmp_path: Path) -> None:
    """The same history, plain and with its Codex half compressed: equal `sessions --json`."""
    plain_home = tmp_path / "plain"
    packed_home = tmp_path / "packed"
    cwd = "/home/dev/invoicer"
    for home in (plain_home, packed_home):
        (home / "claude" / "-home-dev-invoicer").mkdir(parents=True)
        (home / "codex" / "sessions" / "2026" / "11" / "21").mkdir(parents=True)
        claude_session(home / "claude" / "-home-dev-invoicer", cwd=cwd)
        codex_session(home / "codex" / "sessions" / "2026" / "11" / "21", cwd=cwd)
    for f in (packed_home / "codex").rglob("*.jsonl"):
        _zst(f, f.with_name(f.name + ".zst"))
        f.unlink()

    def rows(home: Path) -> list[dict[str, object]]:
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "agentpprof",
                "sessions",
                "--json",
                "--project-root",
                cwd,
                "--claude-root",
                str(home / "claude"),
                "--codex-root",
                str(home / "codex" / "sessions"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        out: list[dict[str, object]] = json.loads(res.stdout)
        for r in out:
            r.pop("file", None)
            r.pop("path", None)
        return sorted(out, key=lambda r: str(r.get("session_id")))

    plain_rows = rows(plain_home)
    assert len(plain_rows) >= 2
    assert rows(packed_home) == plain_rows


@needs_corpus
def test_real_codex_corpus_compressed_parses_the_same(tmp_path: Path) -> None:
    files = [p for p in sorted(CORPUS.rglob("*.jsonl")) if detect_agent(p) is Agent.CODEX]
    assert files
    for f in files:
        packed = _zst(f, tmp_path / (f.name + ".zst"), level=3)
        assert _facts(packed) == _facts(f), f.name


def test_claude_subagent_type_from_meta_json(tmp_path: Path) -> None:
    """Claude Code writes agent-<id>.meta.json beside a sub-agent's transcript (#22 item 3)."""
    main, sub = claude_session(tmp_path)
    assert parse_session(sub, "s").subagent_type is None  # no meta file: unknown
    meta = sub.with_name(sub.name.removesuffix(".jsonl") + ".meta.json")
    meta.write_text(json.dumps({"agentType": "Explore", "description": "private words"}))
    s = parse_session(sub, "s")
    assert s.is_subagent and s.subagent_type == "Explore"
    assert parse_session(main, "m").subagent_type is None  # only sub-agents read it
    for bad in ('{"agentType": "<script>x</script>"}', "not json", '["a"]', '{"agentType": 3}'):
        meta.write_text(bad)
        assert parse_session(sub, "s").subagent_type is None


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_pipes_and_devices_are_refused_at_once(tmp_path: Path, kind: str) -> None:
    """A FIFO or a link to /dev/zero, given or found under a root, is refused in under a
    second (it would block forever or never end; issue #23)."""
    import time

    root = tmp_path / ".codex" / "sessions"
    root.mkdir(parents=True)
    for name in ("rollout-x.jsonl", "rollout-y.json", "rollout-z.jsonl.zst"):
        target = root / name
        if kind == "fifo":
            os.mkfifo(target)
        else:
            target.symlink_to("/dev/zero")
    started = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-m", "agentpprof", "sessions", "--json"]
        + [a for p in sorted(root.iterdir()) for a in ("--session-file", str(p))],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "Traceback" not in res.stderr
    rows = json.loads(res.stdout)
    assert len(rows) == (3 if kind == "fifo" else 1)  # three links to one device: read once
    assert all("not a regular file" in " ".join(r["warnings"]) for r in rows)
    found = discover_sessions(
        DiscoverOptions(project_root=tmp_path, claude_root=tmp_path / "none", codex_root=root)
    )
    assert found.refs == []
    assert time.monotonic() - started < 5  # interpreter starts included


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 20])
def test_streamed_lines_drop_overlong_ones_without_holding_them(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """#23: a line past the limit is measured and dropped as it streams; every other line
    comes out whole, whatever the block boundaries."""
    import io
    import random

    from agentpprof.sources.parse import lines as L

    monkeypatch.setattr(L, "MAX_LINE_BYTES", 20)
    monkeypatch.setattr(L, "CHUNK", chunk)
    rnd = random.Random(chunk)
    parts = [b"x" * rnd.choice([0, 1, 5, 19, 20, 21, 50]) for _ in range(200)]
    data = b"\n".join(parts) + rnd.choice([b"", b"\n"])
    got = [
        ("long", line.length) if isinstance(line, L.Overlong) else ("ok", bytes(line))
        for line in L.raw_lines(io.BytesIO(data), compressed=False)
    ]
    want = []
    for line in data.splitlines(keepends=True):
        want.append(("long", len(line)) if len(line) > 20 else ("ok", line))
    assert got == want


def test_a_huge_line_is_skipped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentpprof.sources.parse import lines as L

    monkeypatch.setattr(L, "MAX_LINE_BYTES", 1000)
    monkeypatch.setattr(L, "WHOLE_FILE_BYTES", 0)  # the streaming path
    f = tmp_path / "rollout-big.jsonl"
    plain = codex_session(tmp_path, n_prompts=3)
    rows = plain.read_bytes().splitlines(keepends=True)
    f.write_bytes(rows[0] + b"x" * 5000 + b"\n" + b"".join(rows[1:]))
    s = parse_session(f)
    ref = parse_session(plain)
    assert any("over the 1,000-byte limit" in w.message and w.line == 2 for w in s.warnings)
    assert len(s.prompts) == len(ref.prompts) and s.tokens == ref.tokens


def test_compressed_history_gives_the_same_folded_stacks(tmp_path: Path) -> None:
    """#22 goal: the same history with its Codex rollout compressed gives byte-identical
    folded profiles (the tagger scripted: this checks the parse and fold, not the model)."""
    from agentpprof.pipeline import ReportOptions, run_report
    from agentpprof.sources.discover import DiscoverOptions
    from tests.scripted import ScriptedBackend

    cwd = "/home/dev/invoicer"
    (tmp_path / "src").mkdir()
    claude = claude_session(tmp_path / "src", cwd=cwd)
    codex = codex_session(tmp_path / "src", cwd=cwd)
    packed = _zst(codex, tmp_path / "packed" / (codex.name + ".zst"))
    outs = {}
    for name, files in (("plain", [*claude, codex]), ("packed", [*claude, packed])):
        out = tmp_path / name
        opts = ReportOptions(
            discover=DiscoverOptions(project_root=Path(cwd), session_files=files),
            out=out,
            project_name="demo",
        )
        run_report(opts, backend=ScriptedBackend(default="testing"))
        outs[name] = out
    folded = sorted(p.name for p in outs["plain"].glob("*.folded.txt"))
    assert len(folded) >= 5
    for name in folded:
        assert (outs["packed"] / name).read_bytes() == (outs["plain"] / name).read_bytes(), name
