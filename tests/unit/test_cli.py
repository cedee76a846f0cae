"""CLI flows and exit codes; every command and option appears in the README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from agentpprof.cli import app

REPO = Path(__file__).resolve().parents[2]


def test_help_for_every_command() -> None:
    runner = CliRunner()
    for cmd in ("report", "sessions", "bench", "setup", "serve", "render"):
        result = runner.invoke(app, [cmd, "--help"])
        assert result.exit_code == 0, cmd
        assert "Usage" in result.output


def test_python_m_and_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "agentpprof", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("agentpprof ")


def test_no_sessions_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--project-root",
            str(tmp_path),
            "--claude-root",
            str(tmp_path / "c"),
            "--codex-root",
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code == 1
    assert "no Claude Code or Codex sessions found" in result.output


def test_tag_llm_calls_takes_a_value(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", "--tag-llm-calls", "maybe", "--project-root", str(tmp_path)]
    )
    assert result.exit_code == 2


def test_unreachable_server_exit_3(tmp_path: Path) -> None:
    f = tmp_path / "s.jsonl"
    f.write_text('{"type":"user","sessionId":"s","message":{"content":"fix the bug"}}\n')
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--session-file",
            str(f),
            "--out",
            str(tmp_path / "out"),
            "--llama-url",
            "http://127.0.0.1:9",
        ],
    )
    assert result.exit_code == 3
    assert "http://127.0.0.1:9" in result.output and "agentpprof serve" in result.output
    assert "Traceback" not in result.output


def _all_options() -> dict[str, list[str]]:
    group = typer.main.get_command(app)
    out: dict[str, list[str]] = {}
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        opts = [o for p in cmd.params for o in p.opts if o.startswith("--")]
        out[name] = opts
    return out


def test_readme_documents_every_command_and_option() -> None:
    readme = (REPO / "README.md").read_text()
    missing = []
    for cmd, opts in _all_options().items():
        if not re.search(rf"agentpprof {cmd}\b", readme):
            missing.append(cmd)
        for opt in opts:
            if opt not in readme:
                missing.append(f"{cmd} {opt}")
    assert not missing, f"README.md does not mention: {missing}"


def test_bench_eval_corpus_must_exist(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_text("x")
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "--model",
            str(model),
            "--llama-server",
            str(model),
            "--eval-corpus",
            str(tmp_path / "nope"),
        ],
    )
    assert result.exit_code == 1
    assert "eval corpus folder not found" in result.output


def test_no_tag_llm_calls_flag_equals_false(tmp_path: Path) -> None:
    from agentpprof.cli import app as cli_app

    for args in (["--tag-llm-calls", "false"], ["--no-tag-llm-calls"]):
        result = CliRunner().invoke(
            cli_app,
            [
                "report",
                "--project-root",
                str(tmp_path),
                "--claude-root",
                str(tmp_path / "c"),
                "--codex-root",
                str(tmp_path / "x"),
                *args,
            ],
        )
        assert result.exit_code == 1 and "no Claude Code or Codex sessions" in result.output


def test_tag_llm_calls_is_a_bool_option_that_takes_a_value() -> None:
    import typer.main

    report = typer.main.get_command(app).commands["report"]  # type: ignore[attr-defined]
    param = next(p for p in report.params if "--tag-llm-calls" in p.opts)
    assert not param.is_flag and param.default is True
    ctx = report.make_context("report", ["--tag-llm-calls", "OFF"])
    assert ctx.params["tag_llm_calls"] is False
    result = CliRunner().invoke(app, ["report", "--tag-llm-calls", "maybe"])
    assert result.exit_code == 2 and "expected true or false" in result.output
