"""`agentpprof bench` against the real default model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import count_servers

pytestmark = pytest.mark.llama



def test_bench_default_model_and_bad_models(tmp_path: Path, llama_binary: Path,
                                            default_model: Path) -> None:
    bad = tmp_path / "not-a-model.gguf"
    bad.write_text("this is not a GGUF file\n")
    out = tmp_path / "bench.json"
    before = count_servers()
    res = subprocess.run(
        [sys.executable, "-m", "agentpprof", "bench", "--model", f"default={default_model}",
         "--model", str(tmp_path / "missing.gguf"), "--model", f"junk={bad}",
         "--runs", "2", "--llama-server", str(llama_binary), "--out", str(out),
         "--load-timeout", "60"],
        capture_output=True, text=True, timeout=900)
    assert res.returncode == 3, res.stderr  # some models failed
    assert "Traceback" not in res.stderr
    data = json.loads(out.read_text())
    by = {m["label"]: m for m in data["models"]}
    good = by["default"]
    assert good["ok"] and good["successes"] > 0
    assert good["latency"]["mean_ms"] > 0 and good["latency"]["p95_ms"] >= good["latency"][
        "p50_ms"]
    assert 0.0 <= good["quality"] <= 1.0 and good["quality_items"] >= 60
    assert good["load_seconds"] is not None and good["tags_per_second"] > 0
    assert not by["missing"]["ok"] and "not found" in by["missing"]["error"]
    assert not by["junk"]["ok"] and by["junk"]["error"]
    assert out.with_suffix(".svg").read_text().startswith("<svg")
    assert count_servers() == before
