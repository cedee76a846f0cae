"""Small synthetic Claude Code and Codex sessions written by the tests themselves.

The e2e tests run on these (so they need nothing outside the repository); the shared corpus,
when present, is an extra layer (tests/e2e/test_full_corpus.py). The shapes follow
../shared/reference/session-formats.md: a Claude main session with a Task that launches a
sub-agent (its own ``agent-*.jsonl`` file), a tool error, a compaction summary and a local
command that are not prompts, streamed usage snapshots of one response; a Codex rollout in
the envelope layout with shell calls, exit codes, an ``apply_patch`` and ``token_count`` events.
"""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PROMPTS = (
    "The invoice total is off by one cent when a discount applies, find the bug",
    "Add regression tests for the rounding helper and run pytest",
    "Update the README with the new export flags",
    "yes please",
    "Traceback (most recent call last): File app.py line 3 ZeroDivisionError: division by zero",
    "Commit the changes and push the branch",
    "Make the settings page responsive on phones",
    "1",
    "The CSV export takes 9 seconds, make it faster",
    "Rename the helpers and split utils.py into modules",
)
REPLIES = (
    "Let me look at how the totals are computed.",
    "I'll add the tests next to the existing ones.",
    "Done: the fix is in and the tests pass.",
)


def _reply(i: int, j: int) -> str:
    base = REPLIES[(i + j) % len(REPLIES)]
    return base if i < len(PROMPTS) else f"{base} (step {i}.{j})"


def _ts(i: int) -> str:
    return f"2026-11-20T09:{(i // 60) % 60:02d}:{i % 60:02d}.000Z"


class _Claude:
    def __init__(
        self, session_id: str, cwd: str, sidechain: bool = False, agent_id: str | None = None
    ) -> None:
        self.sid, self.cwd, self.side, self.agent_id = session_id, cwd, sidechain, agent_id
        self.rows: list[dict[str, Any]] = []
        self.n = 0

    def _base(self, kind: str) -> dict[str, Any]:
        self.n += 1
        row: dict[str, Any] = {
            "type": kind,
            "uuid": f"{self.sid[:4]}-{self.n}",
            "parentUuid": None,
            "isSidechain": self.side,
            "sessionId": self.sid,
            "cwd": self.cwd,
            "version": "2.1.7",
            "timestamp": _ts(self.n),
        }
        if self.agent_id:
            row["agentId"] = self.agent_id
        return row

    def user(self, content: Any, **extra: Any) -> None:
        row = self._base("user")
        row["message"] = {"role": "user", "content": content}
        row.update(extra)
        self.rows.append(row)

    def assistant(
        self, blocks: list[dict[str, Any]], usage: dict[str, int], snapshots: int = 1
    ) -> None:
        mid, req = f"msg_{self.sid[:4]}{self.n}", f"req_{self.sid[:4]}{self.n}"
        for k in range(snapshots):  # streamed snapshots of one response: counted once
            row = self._base("assistant")
            out = usage["output_tokens"] if k == snapshots - 1 else 1
            row["requestId"] = req
            row["message"] = {
                "id": mid,
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5-20250929",
                "content": blocks,
                "stop_reason": None,
                "usage": {**usage, "output_tokens": out},
            }
            self.rows.append(row)

    def tool(
        self, name: str, inp: dict[str, Any], result: str, error: bool = False, text: str = ""
    ) -> None:
        tid = f"toolu_{self.sid[:4]}{self.n}"
        blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        blocks.append({"type": "tool_use", "id": tid, "name": name, "input": inp})
        self.assistant(
            blocks,
            {
                "input_tokens": 5,
                "cache_creation_input_tokens": 300,
                "cache_read_input_tokens": 9000,
                "output_tokens": 60,
            },
            2,
        )
        self.user(
            [{"type": "tool_result", "tool_use_id": tid, "content": result, "is_error": error}]
        )


def claude_session(
    folder: Path,
    n_prompts: int = 10,
    session_id: str = "5b1e3c2a-0000-4e8a-9c61-2f0a8d9e4b71",
    cwd: str = "/home/dev/invoicer",
) -> list[Path]:
    """A main session file and its sub-agent file; returns both paths."""
    main = _Claude(session_id, cwd)
    main.rows.append(
        {"type": "summary", "summary": "Fix rounding in invoice totals", "leafUuid": "x"}
    )
    agent_id = "a1b2c3d4"
    for i in range(n_prompts):
        main.user(PROMPTS[i % len(PROMPTS)] + ("" if i < len(PROMPTS) else f" (part {i})"))
        main.assistant(
            [{"type": "text", "text": _reply(i, 0)}],
            {
                "input_tokens": 4,
                "cache_creation_input_tokens": 5200,
                "cache_read_input_tokens": 11800,
                "output_tokens": 96,
            },
            3,
        )
        main.tool("Grep", {"pattern": "def total", "path": f"{cwd}/src"}, "src/totals.py")
        main.tool("Read", {"file_path": f"{cwd}/src/totals.py"}, "def total(): ...")
        if i % 3 == 0:
            main.tool(
                "Bash",
                {"command": f"cd {cwd} && python -m pytest -q tests"},
                "1 failed\nExit code 1",
                error=True,
                text="Running the tests.",
            )
        if i % 3 == 1:
            main.tool(
                "Edit",
                {"file_path": f"{cwd}/src/totals.py", "old_string": "a", "new_string": "b"},
                "ok",
            )
        if i % 5 == 2:
            main.tool("Bash", {"command": "git add -A && git commit -m fix"}, "1 file changed")
        if i % 5 == 3:
            main.tool(
                "WebFetch",
                {"url": "https://docs.python.org/3/library/decimal.html", "prompt": "rounding"},
                "ROUND_HALF_UP ...",
            )
        if i == 0:
            main.tool(
                "Task",
                {
                    "description": "find callers",
                    "prompt": "Find every caller",
                    "subagent_type": "general-purpose",
                },
                f"agentId: {agent_id}\nFound 3 callers",
            )
    # not prompts: a compaction summary and a local command
    main.user(
        "This session is being continued from a previous conversation that ran out of "
        "context. The conversation is summarized below: …",
        isCompactSummary=True,
    )
    main.user("<command-name>/clear</command-name>\n<command-message>clear</command-message>")
    sub = _Claude(session_id, cwd, sidechain=True, agent_id=agent_id)
    sub.user("Find every caller of total() and list the files")
    sub.tool("Grep", {"pattern": "total\\(", "path": f"{cwd}/src"}, "src/a.py\nsrc/b.py")
    sub.assistant(
        [{"type": "text", "text": "Three callers: a.py, b.py, c.py"}],
        {
            "input_tokens": 3,
            "cache_creation_input_tokens": 100,
            "cache_read_input_tokens": 2000,
            "output_tokens": 40,
        },
    )
    paths = [folder / f"{session_id}.jsonl", folder / f"agent-{agent_id}.jsonl"]
    for path, rows in zip(paths, (main.rows, sub.rows), strict=True):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return paths


def _codex_rows(n_prompts: int, cwd: str, sid: str) -> Iterator[dict[str, Any]]:
    def env(i: int, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"timestamp": _ts(i), "type": kind, "payload": payload}

    yield env(
        0,
        "session_meta",
        {
            "id": sid,
            "timestamp": _ts(0),
            "cwd": cwd,
            "originator": "codex_cli_rs",
            "cli_version": "0.125.0",
        },
    )
    yield env(0, "turn_context", {"cwd": cwd, "model": "gpt-5.1-codex"})
    total = 0
    t = 1
    for i in range(n_prompts):
        text = PROMPTS[(i + 4) % len(PROMPTS)] + ("" if i < len(PROMPTS) else f" (step {i})")
        yield env(t, "event_msg", {"type": "user_message", "message": text, "images": []})
        for j, (cmd, code) in enumerate(
            (("python -m pytest -q", i % 2), ("rg -n total src", 0), ("git status", 0))
        ):
            t += 1
            yield env(
                t,
                "response_item",
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": _reply(i, j)}],
                },
            )
            yield env(
                t,
                "response_item",
                {
                    "type": "function_call",
                    "name": "exec_command",
                    "arguments": json.dumps({"cmd": cmd, "workdir": cwd}),
                    "call_id": f"call_{i}_{j}",
                },
            )
            yield env(
                t,
                "response_item",
                {
                    "type": "function_call_output",
                    "call_id": f"call_{i}_{j}",
                    "output": f"Process exited with code {code}\nOutput:\nok",
                },
            )
            total += 1000
            usage = {
                "input_tokens": 900,
                "cached_input_tokens": 512,
                "output_tokens": 80,
                "reasoning_output_tokens": 20,
                "total_tokens": 1000,
            }
            yield env(
                t,
                "event_msg",
                {
                    "type": "token_count",
                    "info": {
                        "total_token_usage": {
                            **usage,
                            "input_tokens": total - 100,
                            "total_tokens": total,
                        },
                        "last_token_usage": usage,
                    },
                },
            )
        t += 1
        yield env(
            t,
            "response_item",
            {
                "type": "custom_tool_call",
                "name": "apply_patch",
                "call_id": f"patch_{i}",
                "input": "*** Begin Patch\n*** Update File: src/totals.py\n"
                "@@\n-a\n+b\n*** End Patch\n",
            },
        )
        yield env(
            t,
            "response_item",
            {"type": "custom_tool_call_output", "call_id": f"patch_{i}", "output": "Success."},
        )


def codex_session(
    folder: Path,
    n_prompts: int = 6,
    session_id: str = "019a7c3e-0000-7b44-9f0e-1c2d3e4f5a6b",
    cwd: str = "/home/dev/invoicer",
) -> Path:
    path = folder / f"rollout-2026-11-21T14-00-00-{session_id}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _codex_rows(n_prompts, cwd, session_id)))
    return path


def sessions(folder: Path, scale: int = 1) -> list[Path]:
    """Both agents' sessions (``scale`` multiplies the prompts: more fragments to tag)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [*claude_session(folder, 10 * scale), codex_session(folder, 6 * scale)]


@functools.cache
def cached(scale: int = 1) -> tuple[Path, ...]:
    """``sessions(scale)`` written once per test process into a temporary folder."""
    return tuple(sessions(Path(tempfile.mkdtemp(prefix=f"agentpprof-synth-{scale}-")), scale))
