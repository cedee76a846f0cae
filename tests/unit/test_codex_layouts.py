"""The older Codex rollout layouts, written from the source-level description."""

from __future__ import annotations

import json
from pathlib import Path

from agentpprof.sources.parse import detect_agent, parse_session
from agentpprof.sources.records import Agent

CALL = {
    "type": "function_call",
    "name": "shell",
    "call_id": "c1",
    "arguments": json.dumps({"command": ["bash", "-lc", "cargo test"]}),
}
OUT = {
    "type": "function_call_output",
    "call_id": "c1",
    "output": json.dumps({"output": "ok", "metadata": {"exit_code": 0}}),
}
USER = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "Fix the failing tests"}],
}
INJECTED = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "<environment_context>x"}],
}
ASSISTANT = {
    "type": "message",
    "role": "assistant",
    "content": [{"type": "output_text", "text": "Running the tests"}],
}


def test_layout_b_bare_items(tmp_path: Path) -> None:
    lines = [
        {"id": "sess-b", "timestamp": "2025-06-01T10:00:00Z", "instructions": None},
        INJECTED,
        USER,
        ASSISTANT,
        CALL,
        OUT,
        {"record_type": "state"},
    ]
    f = tmp_path / "rollout-2025-06-01T10-00-00-sess-b.jsonl"
    f.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert detect_agent(f) is Agent.CODEX
    s = parse_session(f)
    assert s.session_id == "sess-b" and s.warnings == []
    assert [p.text for p in s.prompts] == ["Fix the failing tests"]
    assert [(t.name, t.process_chain, t.effect, t.status) for t in s.tool_calls] == [
        ("shell", ["bash", "cargo"], "test", "ok")
    ]
    assert s.tool_calls[0].prompt_index == 0


def test_layout_a_single_document(tmp_path: Path) -> None:
    doc = {
        "session": {"id": "sess-a", "timestamp": "2025-04-20T09:00:00Z", "instructions": ""},
        "items": [USER, ASSISTANT, CALL, OUT],
    }
    f = tmp_path / "rollout-2025-04-20-sess-a.json"
    f.write_text(json.dumps(doc))
    assert detect_agent(f) is Agent.CODEX
    s = parse_session(f)
    assert s.session_id == "sess-a"
    assert len(s.prompts) == 1 and len(s.tool_calls) == 1
    assert s.tool_calls[0].status == "ok"


def test_token_usage_record_is_not_double_counted(tmp_path: Path) -> None:
    usage = {
        "input_tokens": 10,
        "cached_input_tokens": 4,
        "output_tokens": 3,
        "reasoning_output_tokens": 1,
        "total_tokens": 13,
    }
    tc = {
        "timestamp": "t",
        "type": "event_msg",
        "payload": {
            "type": "token_count",
            "info": {"total_token_usage": usage, "last_token_usage": usage},
        },
    }
    rec = {"timestamp": "t", "type": "token_usage_record", "payload": {"usage": usage}}
    meta = {"timestamp": "t", "type": "session_meta", "payload": {"id": "x", "cwd": "/p"}}
    both = tmp_path / "both.jsonl"
    both.write_text("".join(json.dumps(x) + "\n" for x in (meta, tc, rec)))
    only_rec = tmp_path / "rec.jsonl"
    only_rec.write_text("".join(json.dumps(x) + "\n" for x in (meta, rec)))
    for f in (both, only_rec):
        s = parse_session(f)
        assert len(s.llm_calls) == 1, f.name
        assert s.tokens.as_dict() == {
            "input": 6,
            "cache_read": 4,
            "cache_write": 0,
            "output": 2,
            "reasoning": 1,
        }


def test_record_types_tell_the_agent_apart() -> None:
    """Claude's record types (even without a sessionId) point to Claude; the bare items of a
    legacy Codex file (no payload) never do."""
    from agentpprof.sources.parse import agent_of_line
    from agentpprof.sources.parse.claude import KNOWN_TYPES

    for kind in KNOWN_TYPES:
        assert agent_of_line(json.dumps({"type": kind}).encode()) is Agent.CLAUDE, kind
    for item in (INJECTED, USER, ASSISTANT, CALL, OUT, {"type": "reasoning", "summary": []}):
        assert agent_of_line(json.dumps(item).encode()) is None, item
    assert agent_of_line(json.dumps({"record_type": "state"}).encode()) is None
