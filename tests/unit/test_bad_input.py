"""Bad input never raises: counted warnings with file:line, exit 0 (4 under --strict)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentpprof.cli import app
from agentpprof.sources.parse import parse_session

GOOD_CLAUDE = {
    "type": "user",
    "sessionId": "s1",
    "cwd": "/p",
    "timestamp": "2026-01-01T00:00:00Z",
    "message": {"role": "user", "content": "fix the tests"},
}
GOOD_ASSISTANT = {
    "type": "assistant",
    "sessionId": "s1",
    "requestId": "r1",
    "timestamp": "2026-01-01T00:00:01Z",
    "message": {
        "id": "m1",
        "model": "claude-x",
        "content": [{"type": "text", "text": "ok"}],
        "usage": {"input_tokens": 1, "output_tokens": 2},
    },
}


def _write(path: Path, lines: list[bytes], end: bytes = b"\n") -> Path:
    path.write_bytes(b"\n".join(lines) + end)
    return path


def _dump(obj: object) -> bytes:
    return json.dumps(obj).encode()


def test_malformed_lines_are_counted(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "s.jsonl",
        [
            _dump(GOOD_CLAUDE),
            b"{not json",
            b"\x00\x01\x02binary\xff\xfe",
            b"[1, 2, 3]",
            _dump({"type": "brand-new-record", "sessionId": "s1"}),
            _dump({"type": "assistant", "message": {"id": 5, "usage": "lots"}}),
            _dump(GOOD_ASSISTANT),
            b'{"type": "user", "message": {"content": "trunc',
        ],
        end=b"",
    )
    s = parse_session(f)
    assert len(s.prompts) == 1 and len(s.llm_calls) == 1
    texts = [str(w) for w in s.warnings]
    assert any(":2: malformed JSON" in t for t in texts)
    assert any(":3: binary data" in t for t in texts)
    assert any(":4: " in t and "object" in t for t in texts)
    assert any(":5: unknown record type" in t for t in texts)
    assert any(":6: unexpected field types" in t for t in texts)
    assert any(":8: truncated JSON" in t for t in texts)


def test_giant_line_and_lone_surrogate(tmp_path: Path) -> None:
    big = dict(GOOD_CLAUDE)
    big["message"] = {"role": "user", "content": "x" * (2 * 1024 * 1024)}
    sur = dict(GOOD_CLAUDE)
    raw_sur = _dump(sur).replace(b"fix the tests", b"fix \\ud800 tests")
    f = _write(tmp_path / "big.jsonl", [_dump(big), raw_sur])
    s = parse_session(f)
    assert len(s.prompts) == 2
    assert s.warnings == []


def test_empty_unreadable_and_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert parse_session(empty).warnings[0].message.startswith("no Claude Code or Codex")
    d = tmp_path / "dir.jsonl"
    d.mkdir()
    assert "directory" in parse_session(d).warnings[0].message
    locked = tmp_path / "locked.jsonl"
    locked.write_text(json.dumps(GOOD_CLAUDE) + "\n")
    locked.chmod(0)
    if os.geteuid() != 0:  # root reads anything
        assert "cannot read" in str(parse_session(locked).warnings)
    missing = tmp_path / "missing.jsonl"
    assert parse_session(missing).warnings


@pytest.mark.parametrize("strict", [False, True])
def test_cli_exit_codes(tmp_path: Path, strict: bool) -> None:
    f = _write(tmp_path / "s.jsonl", [_dump(GOOD_CLAUDE), b"garbage"])
    d = tmp_path / "adir"
    d.mkdir()
    args = ["sessions", "--json", "--session-file", str(f), "--session-file", str(d)]
    result = CliRunner().invoke(app, [*args, "--strict"] if strict else args)
    assert result.exit_code == (4 if strict else 0), result.output
    assert "Traceback" not in result.output
    rows = json.loads(result.stdout.splitlines()[0]) if not strict else None
    if rows is not None:
        assert rows[0]["prompts"] == 1
        assert any(":2: malformed JSON" in w for w in rows[0]["warnings"])


def test_verbose_shows_file_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "s.jsonl", [_dump(GOOD_CLAUDE), b"garbage"])
    result = CliRunner().invoke(app, ["sessions", "-v", "--session-file", str(f)])
    assert result.exit_code == 0
    assert "s.jsonl:2: malformed JSON" in result.output


def test_crlf_and_blank_lines_are_not_problems(tmp_path: Path) -> None:
    f = tmp_path / "crlf.jsonl"
    user = {
        "type": "user",
        "sessionId": "s",
        "timestamp": "2026-01-01T00:00:00Z",
        "message": {"role": "user", "content": "fix the parser"},
    }
    f.write_bytes(
        json.dumps(user).encode()
        + b"\r\n   \n\t\r\n\n  "
        + json.dumps(user | {"message": {"role": "user", "content": "again"}}).encode()
        + b"  \r\n"
    )
    s = parse_session(f)
    assert s.warnings == [] and [p.text for p in s.prompts] == ["fix the parser", "again"]
    assert [p.line for p in s.prompts] == [1, 5]


# --- issue #23 (part): hostile input that used to crash or miscount -------------------------

DEEP = "[" * 10000 + "]" * 10000


@pytest.mark.parametrize(
    "line",
    [
        '{"type":"user","sessionId":"s1","message":{"role":"user","content":' + DEEP + "}}",
        '{"timestamp":"2026-01-01T00:00:00Z","type":"response_item","payload":'
        '{"type":"message","role":"user","content":' + DEEP + "}}",
        '{"timestamp":"2026-01-01T00:00:00Z","type":"event_msg","payload":'
        '{"type":"token_count","info":' + "{" + '"a":' * 5000 + "1" + "}" * 5000 + "}}",
    ],
)
def test_json_nested_too_deep_is_a_warning(tmp_path: Path, line: str) -> None:
    f = tmp_path / "rollout-deep.jsonl"
    f.write_text(json.dumps(GOOD_CLAUDE) + "\n" + line + "\n")
    s = parse_session(f)  # no RecursionError
    assert s.warnings and all(w.line >= 1 for w in s.warnings)


def test_a_byte_order_mark_keeps_the_first_record(tmp_path: Path) -> None:
    f = tmp_path / "bom.jsonl"
    f.write_bytes(b"\xef\xbb\xbf" + (json.dumps(GOOD_CLAUDE) + "\n").encode())
    s = parse_session(f)
    assert [p.text for p in s.prompts] == ["fix the tests"] and not s.warnings


def test_the_same_file_twice_is_read_once_and_missing_files_are_an_error(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_text(json.dumps(GOOD_CLAUDE) + "\n")
    link = tmp_path / "b.jsonl"
    link.symlink_to(f)
    runner = CliRunner()
    res = runner.invoke(
        app, ["sessions", "--json", "--session-file", str(f), "--session-file", str(link)]
    )
    assert res.exit_code == 0 and len(json.loads(res.stdout)) == 1
    missing = runner.invoke(app, ["sessions", "--session-file", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 1 and "no such session file" in missing.output


@pytest.mark.parametrize(
    "args",
    [
        ["--until", "9999-12-31"],
        ["--since", "99999999999d"],
        ["--since", "2000000w"],
        ["--since", "0001-01-01T00:00:00+14:00"],
    ],
)
def test_dates_at_the_edge_are_usage_errors_or_work(tmp_path: Path, args: list[str]) -> None:
    f = tmp_path / "a.jsonl"
    late = dict(GOOD_CLAUDE, timestamp="9999-12-31T23:59:59-05:00")
    f.write_text(json.dumps(GOOD_CLAUDE) + "\n" + json.dumps(late) + "\n")
    res = CliRunner().invoke(app, ["sessions", "--json", "--session-file", str(f), *args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert res.exit_code in (0, 2)
    if args[0] == "--until":  # the end of year 9999 is a valid "until forever"
        # (the record whose time is past year 9999 in UTC has no usable time: not counted)
        assert res.exit_code == 0 and json.loads(res.stdout)[0]["prompts"] == 1
    else:
        assert res.exit_code == 2 and "out of the range" in res.output


def test_markup_in_files_is_printed_as_text(tmp_path: Path) -> None:
    """A record type, a session id or a path like ``[/]`` is text, never Rich markup."""
    import subprocess
    import sys

    f = tmp_path / "mk.jsonl"
    rows = [
        {"type": "[/]", "sessionId": "[/]abc[/]", "cwd": "/p"},
        dict(GOOD_CLAUDE, sessionId="[/]abc[/]"),
    ]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = subprocess.run(
        [
            *(sys.executable, "-m", "agentpprof", "sessions", "-v"),
            *("--session-file", str(f), "--session-file", str(tmp_path / "[/]missing.jsonl")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert "unknown record type '[/]'" in res.stderr and "[/]missing.jsonl" in res.stderr


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (-23480279, "negative token count"),
        (10**30, "absurd token count"),
        ("500", "not a whole number (str)"),
        (12.5, "not a whole number (float)"),
        (True, "not a whole number (bool)"),
    ],
)
def test_bad_claude_token_counts_count_as_zero(tmp_path: Path, bad: object, problem: str) -> None:
    """One rule for bad numbers (docs/accounting.md): 0, a counted warning, the rest kept."""
    msg = dict(GOOD_ASSISTANT["message"])  # type: ignore[arg-type]
    msg["usage"] = {"input_tokens": bad, "output_tokens": 7, "cache_read_input_tokens": 3}
    f = tmp_path / "s.jsonl"
    f.write_text(
        json.dumps(GOOD_CLAUDE) + "\n" + json.dumps(dict(GOOD_ASSISTANT, message=msg)) + "\n"
    )
    s = parse_session(f)
    assert len(s.llm_calls) == 1  # the line's other facts are kept
    t = s.tokens
    assert (t.input, t.output, t.cache_read, t.total) == (0, 7, 3, 10)
    assert any(problem in w.message and w.line == 2 for w in s.warnings)


@pytest.mark.parametrize("bad", [-500, "500", 1.5])
def test_bad_codex_token_counts_count_as_zero(tmp_path: Path, bad: object) -> None:
    usage = {"input_tokens": 1000, "cached_input_tokens": bad, "output_tokens": 20}
    rows = [
        {
            "timestamp": "2026-01-01T00:00:00Z",
            "type": "session_meta",
            "payload": {"id": "x", "cwd": "/p", "timestamp": "2026-01-01T00:00:00Z"},
        },
        {
            "timestamp": "2026-01-01T00:00:01Z",
            "type": "event_msg",
            "payload": {"type": "user_message", "message": "fix it"},
        },
        {
            "timestamp": "2026-01-01T00:00:02Z",
            "type": "event_msg",
            "payload": {
                "type": "token_count",
                "info": {"total_token_usage": usage, "last_token_usage": usage},
            },
        },
    ]
    f = tmp_path / "rollout-2026-01-01T00-00-00-x.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    s = parse_session(f)
    assert len(s.llm_calls) == 1
    t = s.tokens
    assert (t.input, t.cache_read, t.output) == (1000, 0, 20) and t.total >= 0
    assert any("counted as 0" in w.message and w.line == 3 for w in s.warnings)


def test_times_compare_by_instant_and_non_dates_are_untimed(tmp_path: Path) -> None:
    """#23: 12:00+05:00 is before 10:47Z; a "not a date" time does not make --until drop the
    call."""
    from agentpprof.sources.timerange import TimeRange, clip_session, parse_when

    early = dict(GOOD_ASSISTANT, timestamp="2026-01-01T12:00:00+05:00")  # 07:00 UTC
    late = dict(GOOD_CLAUDE, timestamp="2026-01-01T10:47:00.000Z")
    f = tmp_path / "t.jsonl"
    f.write_text(json.dumps(late) + "\n" + json.dumps(early) + "\n")
    s = parse_session(f)
    assert (s.start, s.end) == ("2026-01-01T12:00:00+05:00", "2026-01-01T10:47:00.000Z")
    odd = dict(GOOD_ASSISTANT, timestamp="not a date")
    g = tmp_path / "u.jsonl"
    g.write_text(json.dumps(late) + "\n" + json.dumps(odd) + "\n")
    parsed = parse_session(g)
    assert any("not a date" in w.message and w.line == 2 for w in parsed.warnings)
    kept = clip_session(parsed, TimeRange(None, parse_when("2030-01-01", end=True)))
    assert kept is not None and len(kept.llm_calls) == 1 and len(kept.prompts) == 1
