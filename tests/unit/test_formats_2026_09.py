"""The Aug-Sep 2026 log changes (../shared/reference/formats-2026-09.md), on fixtures written here
from the documented shapes; totals checked against hand counts."""

from __future__ import annotations

import json
import os
from pathlib import Path

from agentpprof.sources.discover import DiscoverOptions, discover_sessions
from agentpprof.sources.parse import parse_session

SID = "7a1c0de5-0000-4000-8000-00000000abcd"


def _claude_line(usage: dict[str, object], mid: str = "msg_1", n: int = 1) -> str:
    return (
        json.dumps(
            {
                "type": "assistant",
                "uuid": f"a{n}",
                "sessionId": SID,
                "cwd": "/home/dev/app",
                "timestamp": f"2026-09-10T10:00:0{n}.000Z",
                "requestId": f"req_{mid}",
                "message": {
                    "id": mid,
                    "role": "assistant",
                    "model": "claude-opus-4-5-20251101",
                    "content": [{"type": "text", "text": "ok"}],
                    "usage": usage,
                },
            }
        )
        + "\n"
    )


def test_claude_nested_cache_creation_is_the_fallback(tmp_path: Path) -> None:
    f = tmp_path / f"{SID}.jsonl"
    f.write_text(
        # before 2.1.152: the top-level figure is 0, the writes are only in the nested split
        _claude_line(
            {
                "input_tokens": 10,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 1000,
                "output_tokens": 20,
                "cache_creation": {
                    "ephemeral_5m_input_tokens": 300,
                    "ephemeral_1h_input_tokens": 200,
                },
            },
            "msg_1",
            1,
        )
        # when the top-level figure is set, it is the one counted (no double count)
        + _claude_line(
            {
                "input_tokens": 1,
                "cache_creation_input_tokens": 40,
                "cache_read_input_tokens": 0,
                "output_tokens": 2,
                "cache_creation": {"ephemeral_5m_input_tokens": 40, "ephemeral_1h_input_tokens": 0},
            },
            "msg_2",
            2,
        )
        # a record type nobody has seen: ignored, counted once
        + json.dumps({"type": "atis-latch", "sessionId": SID})
        + "\n"
        + json.dumps({"type": "atis-latch", "sessionId": SID})
        + "\n"
    )
    s = parse_session(f)
    t = s.tokens
    assert (t.input, t.cache_write, t.cache_read, t.output) == (11, 540, 1000, 22)
    assert t.total == 1573  # hand count: 10+500+1000+20 + 1+40+0+2
    assert len(s.warnings) == 1 and "(2 lines)" in s.warnings[0].message


def test_codex_cache_write_input_tokens(tmp_path: Path) -> None:
    f = tmp_path / "rollout-2026-09-12T10-00-00-0199aaaa-0000-7000-8000-000000000001.jsonl"
    usage = {
        "input_tokens": 1000,
        "cached_input_tokens": 400,
        "cache_write_input_tokens": 100,
        "output_tokens": 50,
        "reasoning_output_tokens": 10,
        "total_tokens": 1050,
    }
    rows = [
        {
            "timestamp": "2026-09-12T10:00:00Z",
            "type": "session_meta",
            "payload": {"id": "0199aaaa-0000-7000-8000-000000000001", "cwd": "/home/dev/app"},
        },
        {
            "timestamp": "2026-09-12T10:00:01Z",
            "type": "event_msg",
            "payload": {"type": "user_message", "message": "run the tests"},
        },
        {
            "timestamp": "2026-09-12T10:00:02Z",
            "type": "event_msg",
            "payload": {
                "type": "token_count",
                "info": {"total_token_usage": usage, "last_token_usage": usage},
            },
        },
    ]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    t = parse_session(f).tokens
    # cached and written input are parts of input_tokens; reasoning is part of output_tokens
    assert (t.input, t.cache_read, t.cache_write, t.output, t.reasoning) == (500, 400, 100, 40, 10)
    assert t.total == 1050


def test_workflow_subagents_are_discovered_with_their_session(tmp_path: Path) -> None:
    project = tmp_path / "work" / "app"
    project.mkdir(parents=True)
    root = tmp_path / "claude" / "projects" / "-work-app"
    main = root / f"{SID}.jsonl"
    nested = root / SID / "subagents" / "workflows" / "wf-review" / "agent-0001.jsonl"
    plain = root / SID / "subagents" / "agent-0002.jsonl"
    for path in (main, nested, plain):
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.loads(_claude_line({"input_tokens": 1, "output_tokens": 1}))
        line["cwd"] = str(project)
        if path is not main:
            line["isSidechain"] = True
        path.write_text(json.dumps(line) + "\n")
    os.utime(main, (2e9, 2e9))  # the main session is the newest file: the only one scanned
    found = discover_sessions(
        DiscoverOptions(
            project_root=project,
            claude_root=tmp_path / "claude" / "projects",
            codex_root=tmp_path / "codex",
            scan_files=1,
            max_sessions=1,
        )
    )
    assert {r.path for r in found.refs} == {main, nested, plain}


def _codex_fork(path: Path, meta_extra: dict[str, object]) -> Path:
    def ev(ts: str, payload: dict[str, object]) -> dict[str, object]:
        return {"timestamp": ts, "type": "event_msg", "payload": payload}

    def count(ts: str, total: int, last: int) -> dict[str, object]:
        return ev(
            ts,
            {
                "type": "token_count",
                "info": {
                    "total_token_usage": {
                        "input_tokens": total,
                        "output_tokens": 0,
                        "total_tokens": total,
                    },
                    "last_token_usage": {
                        "input_tokens": last,
                        "output_tokens": 0,
                        "total_tokens": last,
                    },
                },
            },
        )

    rows = [
        {
            "timestamp": "2026-09-20T12:00:00Z",
            "type": "session_meta",
            "payload": {
                "id": "0199bbbb-0000-7000-8000-000000000002",
                "cwd": "/home/dev/app",
                "timestamp": "2026-09-20T12:00:00Z",
                **meta_extra,
            },
        },
        # the parent's history, re-emitted with the parent's times (counted in its own file)
        ev("2026-09-20T11:00:00Z", {"type": "task_started"}),
        ev("2026-09-20T11:00:01Z", {"type": "user_message", "message": "parent's prompt"}),
        count("2026-09-20T11:00:02Z", 5000, 5000),
        # the fork's own work
        ev("2026-09-20T12:00:01Z", {"type": "task_started"}),
        ev("2026-09-20T12:00:02Z", {"type": "user_message", "message": "fork's own prompt"}),
        count("2026-09-20T12:00:03Z", 5300, 300),
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_codex_forks_and_spawned_subagents_skip_the_replayed_history(tmp_path: Path) -> None:
    fork = parse_session(
        _codex_fork(tmp_path / "rollout-fork.jsonl", {"forked_from_id": "0199aaaa-parent"})
    )
    spawned = parse_session(
        _codex_fork(
            tmp_path / "rollout-sub.jsonl",
            {
                "source": {
                    "subagent": {
                        "thread_spawn": {"parent_thread_id": "0199aaaa-parent", "depth": 1}
                    }
                }
            },
        )
    )
    for s in (fork, spawned):
        assert [p.text for p in s.prompts] == ["fork's own prompt"]
        assert s.tokens.total == 300  # hand count: only the fork's own call
        assert s.parent_session_id == "0199aaaa-parent"
        assert s.start == "2026-09-20T12:00:00Z"
    assert spawned.is_subagent


def test_token_usage_records_pair_with_token_counts(tmp_path: Path) -> None:
    def usage(n: int) -> dict[str, int]:
        return {
            "input_tokens": n,
            "cached_input_tokens": 0,
            "output_tokens": 1,
            "reasoning_output_tokens": 0,
            "total_tokens": n + 1,
        }

    total = 0
    rows: list[dict[str, object]] = [
        {
            "timestamp": "2026-09-21T09:00:00Z",
            "type": "session_meta",
            "payload": {"id": "y", "cwd": "/p"},
        }
    ]
    for i, (n, counted) in enumerate(((100, True), (200, True), (300, False))):
        ts = f"2026-09-21T09:00:1{i}Z"
        rows.append(
            {
                "timestamp": ts,
                "type": "event_msg",
                "payload": {"type": "user_message", "message": f"prompt {i}"},
            }
        )
        if counted:
            total += n + 1
            rows.append(
                {
                    "timestamp": ts,
                    "type": "event_msg",
                    "payload": {
                        "type": "token_count",
                        "info": {"total_token_usage": usage(total), "last_token_usage": usage(n)},
                    },
                }
            )
        rows.append(
            {
                "timestamp": ts,
                "type": "token_usage_record",
                "payload": {"thread_id": "y", "turn_id": f"t{i}", "usage": usage(n)},
            }
        )
    f = tmp_path / "rollout-pair.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    s = parse_session(f)
    # two records duplicate a token_count; the third request has only its record
    assert [c.tokens.input for c in s.llm_calls] == [100, 200, 300]
    assert [c.prompt_index for c in s.llm_calls] == [0, 1, 2]
    assert s.tokens.total == 603  # hand count: 101 + 201 + 301
