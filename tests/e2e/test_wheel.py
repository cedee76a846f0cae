"""Wheel smoke test: build, install into a fresh virtualenv, report on the examples with the
managed server, and check the dashboard exists (proves the templates ship)."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = [pytest.mark.llama, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def test_wheel_installs_and_reports(tmp_path: Path, llama_binary: Path, test_model: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    wheel = next(dist.glob("agentpprof-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    examples = sorted((REPO / "docs" / "examples").rglob("*.jsonl"))
    out = tmp_path / "out"
    args = [
        str(env_dir / "bin" / "agentpprof"),
        "report",
        "-q",
        "--start-server",
        "--llama-server",
        str(llama_binary),
        "--model",
        str(test_model),
        "--out",
        str(out),
        "--tag-llm-calls",
        "false",
    ]
    for f in examples:
        args += ["--session-file", str(f)]
    res = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    html = (out / "index.html").read_text()
    assert "agentpprof-flame" in html and "Semantic flame graphs" in html
    # the real labelled split ships in the wheel (bench --eval-corpus scores it when installed)
    check = subprocess.run(
        [
            str(py),
            "-c",
            "from agentpprof.tagging.evalset import load_labels, "
            "split_sha256; print(len(load_labels('test')), split_sha256('test'))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    n, sha = check.stdout.split()
    assert int(n) == 372 and len(sha) == 64
