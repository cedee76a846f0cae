"""`agentpprof bench` against the real default model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentpprof.tagging.evalset import load_labels, split_sha256
from tests.conftest import EVAL_CORPUS, needs_eval_corpus
from tests.e2e.conftest import cli, count_servers

pytestmark = pytest.mark.llama


def test_bench_default_model_and_bad_models(
    tmp_path: Path, llama_binary: Path, test_model: Path
) -> None:
    bad = tmp_path / "not-a-model.gguf"
    bad.write_text("this is not a GGUF file\n")
    out = tmp_path / "bench.json"
    before = count_servers()
    res = cli(
        "bench",
        "--model",
        f"gemma={test_model}",
        "--model",
        str(tmp_path / "missing.gguf"),
        "--model",
        f"junk={bad}",
        "--runs",
        "2",
        "--llama-server",
        str(llama_binary),
        "--out",
        str(out),
        "--load-timeout",
        "60",
        timeout=900,
    )
    assert res.returncode == 3, res.stderr  # some models failed
    assert "Traceback" not in res.stderr
    data = json.loads(out.read_text())
    by = {m["label"]: m for m in data["models"]}
    good = by["gemma"]
    assert good["ok"] and good["successes"] > 0
    assert good["latency"]["mean_ms"] > 0 and good["latency"]["p95_ms"] >= good["latency"]["p50_ms"]
    # no labelled set given: no quality figure, and the output says how to get one
    assert good["quality"] is None and good["quality_real"] == {}
    assert "no quality was measured" in res.stderr
    assert "not measured" in out.with_suffix(".md").read_text()
    assert good["server_peak_rss_mb"] > 50 and good["prompt_style"] == "completion"
    assert good["load_seconds"] is not None and good["tags_per_second"] > 0
    assert not by["missing"]["ok"] and "not found" in by["missing"]["error"]
    assert not by["junk"]["ok"] and by["junk"]["error"]
    assert out.with_suffix(".svg").read_text().startswith("<svg")
    assert count_servers() == before


@needs_eval_corpus
def test_bench_scores_the_real_test_split(
    tmp_path: Path, llama_binary: Path, test_model: Path
) -> None:
    out = tmp_path / "bench.json"
    res = cli(
        "bench",
        "--model",
        f"gemma={test_model}",
        "--runs",
        "1",
        "--fragment",
        "Fix the failing unit tests",
        "--llama-server",
        str(llama_binary),
        "--out",
        str(out),
        "--eval-corpus",
        str(EVAL_CORPUS),
        timeout=900,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    assert data["eval_split"] == "test" and data["eval_split_sha256"] == split_sha256("test")
    real = data["models"][0]["quality_real"]
    labels = load_labels("test")
    for kind in ("prompt", "session", "llm"):
        assert real[kind]["n"] == sum(1 for lab in labels if lab.kind == kind)
        assert 0.0 <= real[kind]["ci95"][0] <= real[kind]["rate"] <= real[kind]["ci95"][1] <= 1
    langs = data["models"][0]["quality_real_by_language"]
    assert langs["prompt/en"]["n"] == sum(
        1 for lab in labels if lab.kind == "prompt" and lab.lang == "en"
    )
    assert all(c["n"] >= 20 for c in langs.values())
    assert data["models"][0]["quality_real_tags_per_second"] > 0
    table = out.with_suffix(".md").read_text()
    assert split_sha256("test") in table and "| gemma | completion |" in table
    # one tagging call per latency sample: the fragment was asked once per run
    assert data["models"][0]["requests"] == 1 and data["models"][0]["latency"]["mean_ms"] > 0
