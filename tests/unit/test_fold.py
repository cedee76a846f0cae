"""Golden folded stacks from a small hand-written session; projections; mixing by hand."""

from __future__ import annotations

import json
from pathlib import Path

from agentpprof.profile.fold import fold_sessions, folded_text, mixing, project_frames
from agentpprof.sources.parse import parse_session
from tests.conftest import fixed_tags, stacks

CWD = "/work/agentsight"


def _token_count(ts: str) -> dict[str, object]:
    usage = {
        "input_tokens": 11,
        "cached_input_tokens": 4,
        "output_tokens": 7,
        "reasoning_output_tokens": 2,
        "total_tokens": 18,
    }
    return {
        "timestamp": ts,
        "type": "event_msg",
        "payload": {
            "type": "token_count",
            "info": {"total_token_usage": usage, "last_token_usage": usage},
        },
    }


def _codex_session(tmp_path: Path) -> Path:
    lines = [
        {
            "timestamp": "2026-06-18T10:00:00Z",
            "type": "session_meta",
            "payload": {"id": "sess-1", "cwd": CWD, "timestamp": "2026-06-18T10:00:00Z"},
        },
        {
            "timestamp": "2026-06-18T10:00:01Z",
            "type": "turn_context",
            "payload": {"cwd": CWD, "model": "gpt-5"},
        },
        {
            "timestamp": "2026-06-18T10:00:02Z",
            "type": "event_msg",
            "payload": {"type": "user_message", "message": "Fix the failing Rust tests"},
        },
        {
            "timestamp": "2026-06-18T10:00:03Z",
            "type": "response_item",
            "payload": {
                "type": "function_call",
                "name": "shell",
                "call_id": "c1",
                "arguments": json.dumps(
                    {"command": ["bash", "-lc", "cargo test --manifest-path collector/Cargo.toml"]}
                ),
            },
        },
        {
            "timestamp": "2026-06-18T10:00:04Z",
            "type": "response_item",
            "payload": {
                "type": "function_call_output",
                "call_id": "c1",
                "output": json.dumps({"output": "ok", "metadata": {"exit_code": 0}}),
            },
        },
        {
            "timestamp": "2026-06-18T10:00:05Z",
            "type": "response_item",
            "payload": {
                "type": "function_call",
                "name": "exec_command",
                "call_id": "c2",
                "arguments": json.dumps({"cmd": "cd collector && cargo test"}),
            },
        },
        {
            "timestamp": "2026-06-18T10:00:06Z",
            "type": "response_item",
            "payload": {
                "type": "function_call_output",
                "call_id": "c2",
                "output": "Process exited with code 101\nOutput:\nfailed",
            },
        },
        _token_count("2026-06-18T10:00:07Z"),
        _token_count("2026-06-18T10:00:08Z"),  # Codex re-emits the same cumulative total
    ]
    path = tmp_path / "rollout-golden.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_golden_stacks(tmp_path: Path) -> None:
    s = parse_session(_codex_session(tmp_path), project_root=CWD)
    assert len(s.llm_calls) == 1  # the re-emitted token_count is skipped
    prof = fold_sessions([s], fixed_tags([s], "rustfix", "debug", "summarize"), "agentsight")
    assert folded_text(prof.system) == (
        "project:agentsight;agent:codex;session:rustfix;prompt:debug;call:tool/shell;"
        "process:bash;process:cargo;effect:test;path:collector/Cargo.toml;status:ok 1\n"
        "project:agentsight;agent:codex;session:rustfix;prompt:debug;call:tool/shell;"
        "process:cargo;effect:test;status:fail 1\n"
    )
    assert folded_text(prof.token) == (
        "project:agentsight;agent:codex;session:rustfix;prompt:debug;call:llm/summarize;"
        "model:gpt-5;kind:input 7\n"
        "project:agentsight;agent:codex;session:rustfix;prompt:debug;call:llm/summarize;"
        "model:gpt-5;kind:output 5\n"
        "project:agentsight;agent:codex;session:rustfix;prompt:debug;call:llm/summarize;"
        "model:gpt-5;kind:cache_read 4\n"
        "project:agentsight;agent:codex;session:rustfix;prompt:debug;call:llm/summarize;"
        "model:gpt-5;kind:reasoning 2\n"
    )
    assert sum(prof.token.values()) == s.tokens.total == 18
    assert folded_text(prof.projections["llm-token"]).splitlines()[0] == (
        "project:agentsight;agent:codex;call:llm/summarize;model:gpt-5;kind:input 7"
    )
    assert all("prompt:" not in k for k in prof.projections["session-system"])
    assert all("session:" not in k for k in prof.projections["prompt-system"])
    assert folded_text(prof.nonsemantic).splitlines()[1] == (
        "project:agentsight;agent:codex;call:tool/shell;process:cargo;effect:test;status:fail 1"
    )


def test_projection_helpers() -> None:
    c = stacks(
        {
            "project:p;agent:a;session:x;prompt:y;call:tool/read;effect:read;status:ok": 3,
            "project:p;agent:a;session:z;prompt:y;call:tool/read;effect:read;status:ok": 2,
        }
    )
    assert project_frames(c, ("project", "prompt")) == stacks({"project:p;prompt:y": 5})
    assert project_frames(c, ("session",), keep=False) == stacks(
        {"project:p;agent:a;prompt:y;call:tool/read;effect:read;status:ok": 5}
    )


def test_mixing_by_hand() -> None:
    c = stacks(
        {
            "project:p;agent:a;session:s1;prompt:debug;call:tool/shell;effect:test;status:ok": 6,
            "project:p;agent:a;session:s2;prompt:docs;call:tool/shell;effect:test;status:ok": 3,
            "project:p;agent:a;session:s1;prompt:debug;call:tool/read;effect:read;status:ok": 1,
        }
    )
    m = mixing(c)
    # one baseline (shell/test) gets 2 semantic variants (9 events); read/read has one (1 event)
    assert (m.mixed_buckets, m.mixed_weight, m.total_weight, m.baseline_buckets) == (1, 9, 10, 2)
    assert m.mixed_weight_pct == 90.0
    ex = m.examples[0]
    assert ex.baseline_stack == "project:p;agent:a;call:tool/shell;effect:test;status:ok"
    assert ex.top_semantic_variants == [
        ("session:s1/prompt:debug", 6),
        ("session:s2/prompt:docs", 3),
    ]
