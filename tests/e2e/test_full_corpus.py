"""The whole shared corpus through `agentpprof report` with the real model (LLM calls inherit
their prompt's tag to keep CI time bounded: sessions and prompts are tagged by the model)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from agentpprof.profile.fold import parse_folded
from agentpprof.sources.parse import parse_session
from agentpprof.tagging.llama import free_port
from tests.conftest import corpus_files, needs_corpus
from tests.e2e.conftest import AGENTPPROF, cli, report_args
from tests.e2e.test_report_llama import SYSTEM_RE, TOKEN_RE

pytestmark = [pytest.mark.llama, needs_corpus]


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory, llama_url: str) -> Path:
    out = tmp_path_factory.mktemp("full")
    extra = ["--json", "--llama-url", llama_url, "--tag-llm-calls", "false"]
    res = cli(*report_args(out, corpus_files(), *extra, "--project-name", "corpus"), timeout=1800)
    assert res.returncode == 0, res.stderr
    return out


def test_whole_corpus_contract(full: Path) -> None:
    rep = json.loads((full / "agentpprof.json").read_text())
    assert rep["summary"]["totals"]["sessions"] == len(corpus_files())
    for line in (full / "semantic-system.folded.txt").read_text().splitlines():
        assert SYSTEM_RE.match(line), line
    for line in (full / "semantic-token.folded.txt").read_text().splitlines():
        assert TOKEN_RE.match(line), line
    tokens = parse_folded((full / "semantic-token.folded.txt").read_text())
    by_tag: Counter[str] = Counter()
    for stack, w in tokens.items():
        by_tag[stack[2]] += w
    expected: Counter[str] = Counter()
    events = 0
    for f in corpus_files():
        s = parse_session(f)
        row = next(
            r for r in rep["sessions"] if r["session_id"] == s.session_id and r["file"] == f.name
        )
        assert row["tokens"]["total"] == s.tokens.total  # equals `agentpprof sessions`
        expected["session:" + row["session_tag"]] += s.tokens.total
        events += sum(max(1, len(t.path_groups) or len(t.domains)) for t in s.tool_calls)
    assert +by_tag == +expected
    system = parse_folded((full / "semantic-system.folded.txt").read_text())
    assert sum(system.values()) == events


def test_whole_corpus_leaks_no_text(full: Path) -> None:
    needles: set[str] = set()
    for f in corpus_files():
        s = parse_session(f)
        needles.update(p.text[:32] for p in s.prompts if len(p.text) >= 16)
        needles.update(t.command[:32] for t in s.tool_calls if len(t.command) >= 20)
        needles.update(c.text[:32] for c in s.llm_calls if len(c.text) >= 20)
        if s.title and len(s.title) >= 16:
            needles.add(s.title[:32])
    assert len(needles) > 100
    for out in full.iterdir():
        if out.suffix in (".json", ".txt", ".svg", ".html"):
            text = out.read_text()
            leaked = [n for n in needles if n in text]
            assert not leaked, (out.name, leaked[:2])


def test_serve_runs_until_interrupted(llama_binary: Path, test_model: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            *AGENTPPROF,
            "serve",
            "--port",
            str(port),
            "--model",
            str(test_model),
            "--llama-server",
            str(llama_binary),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    ok = False
    while time.monotonic() < deadline and not ok:
        try:
            ok = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            time.sleep(0.3)
    assert ok, proc.stderr.read() if proc.poll() is not None else "not ready"
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    assert proc.returncode == 0
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
