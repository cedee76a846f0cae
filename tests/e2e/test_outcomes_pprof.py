"""`go tool pprof -tagfocus/-tagignore/-tags` on our profiles give the same totals as
`agentpprof report --where` on the same key (real llama-server, the test model)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from agentpprof.profile.fold import parse_folded
from tests.conftest import SHARED, needs_corpus
from tests.e2e.conftest import cli, report_args
from tests.synth import cached

pytestmark = pytest.mark.llama


def _pprof(go: str, *args: str) -> str:
    env = dict(os.environ, GOFLAGS="-mod=mod", GOTOOLCHAIN="local")
    res = subprocess.run(
        [go, "tool", "pprof", *args], capture_output=True, text=True, timeout=120, env=env
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


def _focused_total(go: str, pb: Path, *filters: str) -> int:
    out = _pprof(go, "-top", "-nodefraction=0", "-nodecount=100000", *filters, str(pb))
    m = re.search(r"Showing nodes accounting for (\d+),", out)
    return int(m.group(1)) if m else 0


def _tag_values(go: str, pb: Path, key: str) -> dict[str, int]:
    out = _pprof(go, "-tags", str(pb))
    values: dict[str, int] = {}
    block = re.search(rf"^ {key}: Total [\d.]+\n((?:\s+[\d.]+ \(.*\n)+)", out, re.M)
    assert block, out
    for m in re.finditer(r"^\s+([\d.]+) \(\s*[\d.]+%\): (.+)$", block.group(1), re.M):
        values[m.group(2).strip()] = int(float(m.group(1)))
    return values


def _folded_total(folder: Path, name: str) -> int:
    text = (folder / name).read_text() if (folder / name).exists() else ""
    return sum(parse_folded(text, [], name).values())


def _where_report(base: Path, out: Path, files: list[Path], url: str, *where: str) -> Path:
    out.mkdir()
    shutil.copy(base / "tags.json", out / "tags.json")  # the same tags, from the cache
    extra = [a for w in where for a in ("--where", w)]
    res = cli(*report_args(out, files, "--llama-url", url, "--tag-llm-calls", "false", *extra))
    assert res.returncode == 0, res.stderr
    return out


def _check(go_binary: str, tmp_path: Path, files: list[Path], url: str, key: str) -> int:
    base = tmp_path / "all"
    res = cli(*report_args(base, files, "--llama-url", url, "--tag-llm-calls", "false"))
    assert res.returncode == 0, res.stderr
    checked = 0
    for pb, folded in (
        ("semantic-token.pb.gz", "semantic-token.folded.txt"),
        ("semantic-system.pb.gz", "semantic-system.folded.txt"),
    ):
        values = _tag_values(go_binary, base / pb, key)
        assert sum(values.values()) <= _folded_total(base, folded)
        for value, weight in values.items():
            sub = tmp_path / f"{key}-{re.sub(r'[^a-z0-9]+', '-', value)}-{pb[9:13]}"
            _where_report(base, sub, files, url, f"{key}={value}")
            exact = f"{key}=^{re.escape(value)}$"
            assert _focused_total(go_binary, base / pb, f"-tagfocus={exact}") == weight
            assert _folded_total(sub, folded) == weight, (key, value, pb)
            rest = _focused_total(go_binary, base / pb, f"-tagignore={exact}")
            assert rest + weight == _folded_total(base, folded)
            checked += 1
    return checked


def test_outcome_tagfocus_equals_where(tmp_path: Path, go_binary: str, llama_url: str) -> None:
    assert _check(go_binary, tmp_path, list(cached(1)), llama_url, "outcome") >= 2


@needs_corpus
def test_branch_tagfocus_equals_where(tmp_path: Path, go_binary: str, llama_url: str) -> None:
    files = sorted((SHARED / "corpus" / "codex").glob("*.jsonl"))[:3]
    assert _check(go_binary, tmp_path, files, llama_url, "branch") >= 2
