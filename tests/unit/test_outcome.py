"""outcome.py: each outcome fact on a small crafted session (docs/outcomes.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentpprof.profile.outcome import CHURN_EDITS, edits_per_file, session_outcomes
from agentpprof.sources.parse import parse_session

USAGE = {"input_tokens": 1000, "output_tokens": 100}


class Claude:
    """A Claude Code transcript built line by line, one second apart."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.n = 0

    def _row(self, kind: str, **extra: Any) -> dict[str, Any]:
        self.n += 1
        row = {
            "type": kind,
            "sessionId": "s-1",
            "cwd": "/work/app",
            "gitBranch": "fix/rounding",
            "timestamp": f"2026-11-20T10:00:{self.n:02d}.000Z",
            **extra,
        }
        self.rows.append(row)
        return row

    def prompt(self, text: str) -> None:
        self._row("user", message={"role": "user", "content": text})

    def _assistant(self, block: dict[str, Any]) -> None:
        message = {
            "id": f"m{self.n}",
            "model": "claude-sonnet-4-20250514",
            "role": "assistant",
            "content": [block],
            "usage": USAGE,
        }
        self._row("assistant", requestId=f"r{self.n}", message=message)

    def tool(self, tid: str, name: str, inp: dict[str, Any], error: bool = False) -> None:
        self._assistant({"type": "tool_use", "id": tid, "name": name, "input": inp})
        self._row(
            "user",
            message={
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": tid,
                        "is_error": error,
                        "content": "boom" if error else "ok",
                    }
                ],
            },
        )

    def reply(self) -> None:
        self._assistant({"type": "text", "text": "done"})

    def write(self, path: Path) -> Path:
        path.write_text("".join(json.dumps(r) + "\n" for r in self.rows))
        return path


def _edit(path: str) -> dict[str, Any]:
    return {"file_path": path, "old_string": "a", "new_string": "b"}


def test_failed_call_retry_and_recovery(tmp_path: Path) -> None:
    c = Claude()
    c.prompt("fix the failing rounding test please")
    c.tool("t1", "Bash", {"command": "pytest tests/test_round.py"}, error=True)
    c.tool("t2", "Bash", {"command": "pytest tests/test_round.py"}, error=True)  # a retry
    c.tool("t3", "Edit", _edit("/work/app/round.py"))  # the next success
    c.tool("t4", "Bash", {"command": "pytest tests/test_round.py"})  # a retry, after recovery
    c.reply()
    s = parse_session(c.write(tmp_path / "s.jsonl"))
    so = session_outcomes(s)
    o = so.prompts[0]
    assert (o.failed_calls, o.retries, o.outcome, o.one_shot) == (2, 2, "retried", False)
    # recovery: the LLM calls after the first failure up to the next success (the retry's and
    # the edit's), 1,100 tokens each, and the time from the failure's result to the success's
    assert o.recovery_tokens == 2 * 1100
    assert o.recovery_usd > 0
    assert o.recovery_ms == 4000  # results at :03 (failure) ... :07 (success)
    kinds = {k for (_pi, k) in so.friction}
    assert kinds == {"retry"}
    assert s.branch == "fix/rounding"


def test_a_clean_prompt_is_one_shot_and_rework_by_the_next_prompt_is_not(tmp_path: Path) -> None:
    c = Claude()
    c.prompt("add a rounding helper to the invoice module")
    c.tool("t1", "Edit", _edit("/work/app/round.py"))
    c.reply()
    c.prompt("write the changelog entry for the new helper")
    c.tool("t2", "Write", {"file_path": "/work/app/CHANGES.md", "content": "x"})
    c.reply()
    c.prompt("the helper is wrong, change round.py again")
    c.tool("t3", "Edit", _edit("/work/app/round.py"))
    c.reply()
    so = session_outcomes(parse_session(c.write(tmp_path / "s.jsonl")))
    assert [so.prompts[i].outcome for i in range(3)] == ["oneshot", "oneshot", "oneshot"]
    c2 = Claude()
    c2.prompt("add a rounding helper to the invoice module")
    c2.tool("t1", "Edit", _edit("/work/app/round.py"))
    c2.prompt("the helper is wrong, change round.py again")
    c2.tool("t2", "Edit", _edit("/work/app/round.py"))
    so2 = session_outcomes(parse_session(c2.write(tmp_path / "s2.jsonl")))
    assert (so2.prompts[0].outcome, so2.prompts[0].one_shot) == ("reworked", False)
    assert so2.prompts[1].outcome == "oneshot"


def test_edit_churn(tmp_path: Path) -> None:
    c = Claude()
    c.prompt("make the settings page responsive on phones")
    for i in range(CHURN_EDITS + 1):
        c.tool(f"t{i}", "Edit", _edit("/work/app/settings.css"))
    c.tool("tx", "Edit", _edit("/work/app/other.css"))
    s = parse_session(c.write(tmp_path / "s.jsonl"))
    so = session_outcomes(s)
    o = so.prompts[0]
    assert (o.churn_files, o.max_edits_per_file, o.outcome) == (1, CHURN_EDITS + 1, "reworked")
    assert edits_per_file(s.tool_calls) == {
        "/work/app/settings.css": CHURN_EDITS + 1,
        "/work/app/other.css": 1,
    }
    # the edits from the third on are churn: two of them, each with its LLM call's cost
    usd, _ms = so.friction[(0, "churn")]
    assert usd > 0


def test_interruption_api_error_and_compaction(tmp_path: Path) -> None:
    c = Claude()
    c.prompt("refactor the export module into smaller functions")
    c.tool("t1", "Read", {"file_path": "/work/app/export.py"})
    c._row("user", message={"role": "user", "content": "[Request interrupted by user]"})
    c._row("system", subtype="compact_boundary", content="Conversation compacted")
    c._row(
        "assistant",
        isApiErrorMessage=True,
        message={
            "id": "e1",
            "model": "<synthetic>",
            "role": "assistant",
            "content": [{"type": "text", "text": "API Error: 529"}],
        },
    )
    s = parse_session(c.write(tmp_path / "s.jsonl"))
    assert [e.kind for e in s.events] == ["interrupted", "compaction", "api_error"]
    assert len(s.prompts) == 1  # the interruption marker is not a prompt
    o = session_outcomes(s).prompts[0]
    assert (o.interrupted, o.compactions, o.api_errors, o.outcome) == (1, 1, 1, "failed")
    assert not o.one_shot


def _codex(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    head = [
        {
            "timestamp": "2026-09-13T08:23:30.000Z",
            "type": "session_meta",
            "payload": {
                "id": "01a0-c",
                "cwd": "/work/app",
                "git": {"branch": "main", "commit_hash": "abc"},
                "source": {
                    "subagent": {
                        "thread_spawn": {"parent_thread_id": "p-1", "agent_role": "explorer"}
                    }
                },
            },
        },
        {
            "timestamp": "2026-09-13T08:23:31.000Z",
            "type": "event_msg",
            "payload": {"type": "task_started", "turn_id": "t"},
        },
    ]
    path = tmp_path / "rollout-2026-09-13T08-23-30-01a0-c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in head + rows))
    return path


def test_codex_failed_turn_aborted_turn_role_and_branch(tmp_path: Path) -> None:
    rows = [
        {
            "timestamp": "2026-09-13T08:23:32.000Z",
            "type": "event_msg",
            "payload": {"type": "user_message", "message": "update the marketing homepage"},
        },
        {
            "timestamp": "2026-09-13T08:23:33.000Z",
            "type": "event_msg",
            "payload": {
                "type": "task_complete",
                "last_agent_message": None,
                "error": {"message": "token revoked", "codex_error_info": "unauthorized"},
            },
        },
        {
            "timestamp": "2026-09-13T08:23:34.000Z",
            "type": "event_msg",
            "payload": {"type": "user_message", "message": "try again after I log in"},
        },
        {
            "timestamp": "2026-09-13T08:23:35.000Z",
            "type": "event_msg",
            "payload": {"type": "turn_aborted", "reason": "interrupted"},
        },
    ]
    s = parse_session(_codex(tmp_path, rows))
    assert (s.branch, s.is_subagent, s.subagent_type) == ("main", True, "explorer")
    so = session_outcomes(s)
    assert so.prompts[0].turn_failed and so.prompts[0].outcome == "failed"
    assert so.prompts[1].interrupted == 1 and so.prompts[1].outcome == "failed"


@pytest.mark.parametrize(
    ("source", "role"),
    [({"subagent": "review"}, "review"), ({"subagent": {"compact": {}}}, "compact"), ("cli", None)],
)
def test_codex_subagent_role_forms(tmp_path: Path, source: Any, role: str | None) -> None:
    meta = {
        "timestamp": "2026-09-13T08:23:30.000Z",
        "type": "session_meta",
        "payload": {"id": "x", "cwd": "/w", "source": source},
    }
    path = tmp_path / "rollout-x.jsonl"
    path.write_text(json.dumps(meta) + "\n")
    assert parse_session(path).subagent_type == role
