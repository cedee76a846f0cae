"""AgentSight correlation: a session and a snapshot of the same run (written here), the real
sample snapshot, and bad snapshots."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentpprof.cli import app
from agentpprof.errors import AgentpprofError
from agentpprof.profile.agentsight import DEFAULT_SKEW_MS, correlate, load_snapshot
from agentpprof.profile.fold import fold_sessions
from agentpprof.sources.parse import parse_session
from agentpprof.tagging.tags import Tags
from tests.conftest import REFERENCE, needs_reference, texts

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SAMPLE = REFERENCE / "agentsight" / "sample-snapshot.json"
CALLS = [  # (command, request +ms, result +ms, failed)
    ("cd api && pytest -q", 1000, 4000, True),
    ("curl -s https://api.github.com/repos/acme/app", 5000, 6000, False),
    ("make lint", 7000, 7500, False),  # nothing in the snapshot: unmatched
    ("ls src", 8000, 8200, False),
]


def _iso(ms: int) -> str:
    return (T0 + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _session(folder: Path) -> Path:
    sid, cwd = "7d0c5a10-0000-4000-8000-00000000a001", "/home/dev/app"
    rows: list[dict[str, Any]] = []

    def row(kind: str, ms: int, message: dict[str, Any]) -> None:
        rows.append(
            {
                "type": kind,
                "uuid": f"u{len(rows)}",
                "parentUuid": None,
                "isSidechain": False,
                "sessionId": sid,
                "cwd": cwd,
                "version": "2.1.7",
                "timestamp": _iso(ms),
                "message": message,
                **({"requestId": f"req{len(rows)}"} if kind == "assistant" else {}),
            }
        )

    row("user", 0, {"role": "user", "content": "Run the tests and check the API"})
    for i, (cmd, t0, t1, failed) in enumerate(CALLS):
        row(
            "assistant",
            t0,
            {
                "id": f"msg{i}",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5-20250929",
                "content": [
                    {
                        "type": "tool_use",
                        "id": f"toolu_{i}",
                        "name": "Bash",
                        "input": {"command": cmd},
                    }
                ],
                "usage": {"input_tokens": 5, "output_tokens": 20},
            },
        )
        row(
            "user",
            t1,
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": f"toolu_{i}",
                        "is_error": failed,
                        "content": "1 failed\nExit code 1" if failed else "ok",
                    }
                ],
            },
        )
    path = folder / f"{sid}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _snapshot(folder: Path, offset_ms: int = 700, name: str = "snap.json") -> Path:
    base = int(T0.timestamp() * 1000) + offset_ms
    nodes: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []

    def proc(
        pid: int, ppid: int, start: int, end: int, comm: str, code: int | None, command: str
    ) -> None:
        nodes.append(
            {
                "id": f"process-{pid}",
                "pid": pid,
                "ppid": ppid,
                "root_pid": None,
                "start_timestamp_ms": base + start,
                "end_timestamp_ms": base + end,
                "comm": comm,
                "command": f"/usr/bin/{comm}",
                "argv": [],
                "cwd": None,
                "exit_code": code,
                "status": "success" if code == 0 else "failed",
                "view_source": "view",
                "confidence": 0.75,
                "future_field": 1,
            }
        )
        audits.append(
            {
                "id": f"a{pid}",
                "timestamp_ms": base + start,
                "audit_type": "process",
                "pid": pid,
                "comm": comm,
                "subject": comm,
                "action": "exec",
                "target": f"/usr/bin/{comm}",
                "status": "observed",
                "summary": "",
                "details": {"event": "EXEC", "full_command": command, "pid": pid},
            }
        )

    proc(100, 1, -500, 10000, "claude", 0, "node /usr/local/bin/claude")
    proc(231, 100, 200, 230, "git", 0, "git status --porcelain")  # the agent's own: untracked
    wrap = "/bin/bash -c -l source ~/.claude/shell-snapshots/s.sh && eval '{}'"
    proc(201, 100, 1050, 3900, "bash", 1, wrap.format(CALLS[0][0]))
    proc(202, 201, 1060, 3890, "pytest", 1, "python3 /usr/bin/pytest -q")
    proc(203, 202, 1200, 3000, "python3", 0, "python3 -c worker")
    proc(211, 100, 5060, 5900, "bash", 0, wrap.format(CALLS[1][0]))
    proc(212, 211, 5070, 5890, "curl", 0, CALLS[1][0])
    proc(221, 100, 8040, 8150, "bash", 0, wrap.format(CALLS[3][0]))
    proc(222, 221, 8045, 8140, "ls", 0, "ls src")
    doc = {
        "schema_version": 1,
        "generated_at": "2026-11-20T09:01:00Z",
        "summary": {
            "source": "sqlite",
            "view_events": 0,
            "llm_calls": 0,
            "token_usage_rows": 0,
            "audit_events": len(audits),
            "sessions": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "total_tokens": 0,
            "start_timestamp_ms": base - 500,
            "end_timestamp_ms": base + 10000,
            "audit_limit": 10000,
        },
        "token_summary": [],
        "process_nodes": nodes,
        "audit_events": audits,
        "network_targets": [
            {
                "pid": 212,
                "comm": "curl",
                "host": "api.github.com",
                "path": "/repos/acme/app",
                "count": 1,
                "error_count": 0,
                "first_timestamp_ms": base + 5100,
                "last_timestamp_ms": base + 5800,
            }
        ],
        "resource_samples": [],
        "sessions": [],
        "tool_calls": [],
    }
    path = folder / name
    path.write_text(json.dumps(doc))
    return path


def _run(tmp: Path, offset_ms: int) -> tuple[Any, Any]:
    s = parse_session(_session(tmp))
    corr = correlate([s], [load_snapshot(_snapshot(tmp, offset_ms))])
    return corr, fold_sessions([s], Tags(), "app", corr)


def test_every_call_matched_with_nesting_status_and_domains(tmp_path: Path) -> None:
    corr, prof = _run(tmp_path, 700)
    assert (corr.considered, corr.matched, corr.unmatched, corr.ambiguous) == (4, 3, 1, 0)
    obs = corr.observed
    assert obs[(0, 0)].chain == ["bash", "pytest", "python3"] and obs[(0, 0)].status == "fail"
    assert obs[(0, 1)].chain == ["bash", "curl"] and obs[(0, 1)].hosts == ["api.github.com"]
    assert (0, 2) not in obs  # make lint: nothing ran it, the offline chain stays
    assert obs[(0, 3)].chain == ["bash", "ls"] and obs[(0, 3)].status == "ok"
    stacks = "\n".join(texts(prof.system))
    assert "call:tool/shell;process:bash;process:pytest;process:python3;" in stacks
    assert "process:curl;effect:network;domain:api.github.com;status:ok" in stacks
    assert "call:tool/shell;process:make;" in stacks  # unmatched: chain from its command
    assert [u.chain for u in corr.untracked] == [["git"]]
    assert "call:tool/untracked;process:git;effect:process;status:ok" in stacks
    assert corr.per_session == {0: (3, 4)}


@pytest.mark.parametrize("offset", [DEFAULT_SKEW_MS, -DEFAULT_SKEW_MS + 100])
def test_still_matched_at_the_documented_skew(tmp_path: Path, offset: int) -> None:
    corr, _ = _run(tmp_path, offset)
    assert corr.matched == 3 and corr.observed[(0, 0)].chain[:2] == ["bash", "pytest"]


def test_beyond_the_skew_calls_fall_back_and_the_report_says_so(tmp_path: Path) -> None:
    corr, prof = _run(tmp_path, 4 * DEFAULT_SKEW_MS)
    assert corr.matched < 3 and corr.unmatched + corr.outside >= 2
    assert "call:tool/shell;process:pytest;" in "\n".join(texts(prof.system))  # the offline chain


def test_bad_snapshots_are_clear_errors_and_nothing_is_written(tmp_path: Path) -> None:
    session = _session(tmp_path)
    good = _snapshot(tmp_path)
    cases = {
        "truncated.json": good.read_text()[:200],
        "junk.json": "\x00\x01 not json",
        "v2.json": json.dumps({"schema_version": 2, "process_nodes": []}),
    }
    runner = CliRunner()
    for name, text in cases.items():
        bad = tmp_path / name
        bad.write_text(text)
        with pytest.raises(AgentpprofError) as info:
            load_snapshot(bad)
        assert name in info.value.message
        out = tmp_path / f"out-{name}"
        res = runner.invoke(
            app,
            [
                "report",
                "--session-file",
                str(session),
                "--out",
                str(out),
                "--agentsight-snapshot",
                str(bad),
            ],
        )
        assert res.exit_code == 1 and name in res.output
        assert not out.exists()


@needs_reference
def test_the_real_sample_loads_and_agrees_with_its_summary() -> None:
    snap = load_snapshot(SAMPLE)
    assert snap.audit_events == snap.summary_audit_events == 207
    assert snap.sessions == snap.summary_sessions == 2
    assert len(snap.procs) == 69 and snap.network_targets == 5
    agent = next(p for p in snap.procs if p.comm == "claude")
    assert len(agent.children) > 20  # the agent's command subtrees (git, sh -> which, rg, …)


def test_the_skew_option_reaches_the_untracked_processes(tmp_path: Path) -> None:
    """--agentsight-skew widens the window for unexplained subtrees as for calls (it used the
    2 s default there whatever the option said)."""
    s = parse_session(_session(tmp_path))
    snap = load_snapshot(_snapshot(tmp_path, 6 * DEFAULT_SKEW_MS))
    narrow = correlate([s], [snap])
    wide = correlate([s], [snap], skew_ms=8 * DEFAULT_SKEW_MS)
    assert wide.matched == 3
    assert [u.chain for u in wide.untracked] == [["git"]]
    assert [u.chain for u in narrow.untracked] != [u.chain for u in wide.untracked]
