"""Property-based tests (issue #23): any byte string or JSON value gives a result or a clear
error — never a traceback, a hang or a negative total. Bounded example counts keep the test
command fast; the seed is derandomised so a failure reproduces."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentpprof.errors import AgentpprofError
from agentpprof.profile.fold import parse_folded
from agentpprof.sources.parse import parse_session
from agentpprof.sources.timerange import parse_when

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)

# records shaped like the real ones, with any value in any field
CLAUDE_KEYS = ("type", "sessionId", "cwd", "timestamp", "message", "requestId", "isSidechain")
CODEX_KEYS = ("timestamp", "type", "payload")
TYPES = st.sampled_from(
    [
        "user",
        "assistant",
        "summary",
        "system",
        "session_meta",
        "event_msg",
        "response_item",
        "turn_context",
        "token_count",
        "message",
        "function_call",
        "[/]",
    ]
)


def _record(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"type": TYPES},
        optional={k: JSON for k in keys if k != "type"}
        | {
            "message": st.fixed_dictionaries(
                {},
                optional={"role": JSON, "content": JSON, "usage": JSON, "id": JSON, "model": JSON},
            )
        }
        | {
            "payload": st.fixed_dictionaries(
                {"type": TYPES},
                optional={
                    "info": JSON,
                    "content": JSON,
                    "role": JSON,
                    "message": JSON,
                    "cwd": JSON,
                },
            )
        },
    )


def _parse(name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / name
        f.write_bytes(data)
        s = parse_session(f)
        t = s.tokens
        assert min(t.input, t.cache_read, t.cache_write, t.output, t.reasoning) >= 0
        assert t.total >= 0
        assert all(c.tokens.total >= 0 for c in s.llm_calls)


@SETTINGS
@given(st.lists(st.binary(max_size=200), max_size=6))
def test_any_bytes_parse(lines: list[bytes]) -> None:
    data = b"\n".join(lines)
    _parse("s.jsonl", data)
    _parse("rollout-x.jsonl", data)


@SETTINGS
@given(st.lists(_record(CLAUDE_KEYS), max_size=6))
def test_any_claude_shaped_records_parse(records: list[dict[str, Any]]) -> None:
    _parse("s.jsonl", "\n".join(json.dumps(r) for r in records).encode())


@SETTINGS
@given(st.lists(_record(CODEX_KEYS), max_size=6))
def test_any_codex_shaped_records_parse(records: list[dict[str, Any]]) -> None:
    _parse("rollout-x.jsonl", "\n".join(json.dumps(r) for r in records).encode())


@SETTINGS
@given(st.text(max_size=300))
def test_any_folded_text_reads(text: str) -> None:
    warnings: list[str] = []
    out = parse_folded(text, warnings)
    assert all(0 <= w < 2**63 for w in out.values())


@SETTINGS
@given(st.text(max_size=40), st.booleans())
def test_any_time_value_is_a_time_or_a_value_error(text: str, end: bool) -> None:
    try:
        when = parse_when(text, end=end)
    except ValueError:
        return
    assert isinstance(when, datetime) and when.tzinfo is not None


@SETTINGS
@given(JSON)
def test_any_report_json_renders_or_is_a_clear_error(doc: Any) -> None:
    from agentpprof.output.render import rerender

    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "agentpprof.json").write_text(json.dumps(doc))
        try:
            rerender(Path(d))
        except AgentpprofError:
            pass


@SETTINGS
@given(JSON)
def test_any_report_json_is_a_diff_side_or_a_clear_error(doc: Any) -> None:
    from agentpprof.output.diff import load_side

    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "agentpprof.json").write_text(json.dumps(doc))
        (Path(d) / "semantic-system.folded.txt").write_text("a;b 1\n")
        try:
            load_side(Path(d), "base")
        except AgentpprofError:
            pass
