"""`agentpprof report` end to end against the real llama-server and default model.

The inputs are synthetic sessions the tests write (tests/synth.py), so these tests need
nothing outside the repository; tests/e2e/test_full_corpus.py adds the shared corpus."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from agentpprof.profile.fold import parse_folded
from agentpprof.sources.parse import parse_session
from agentpprof.tagging.words import WORD_RE
from tests.e2e.conftest import AGENTPPROF, TEST_MODEL_ARGS, cli, count_servers, report_args
from tests.synth import cached

pytestmark = pytest.mark.llama

SYSTEM_RE = re.compile(
    r"^project:[^;\s]+;agent:(claude|codex);session:[a-z]+;prompt:[a-z]+;call:tool/[a-z]+"
    r"(;process:[^;\s]+)*;effect:[a-z]+(;(path|domain):[^;\s]+)?;status:(ok|fail|observed) \d+$"
)
TOKEN_RE = re.compile(
    r"^project:[^;\s]+;agent:(claude|codex);session:[a-z]+;prompt:[a-z]+;call:llm/[a-z]+;"
    r"model:[^;\s]+;kind:(input|cache_read|cache_write|output|reasoning) \d+$"
)


def _files() -> list[Path]:
    return list(cached(1))


def _report(
    out: Path, url: str, files: list[Path], *extra: str
) -> subprocess.CompletedProcess[str]:
    return cli(*report_args(out, files, "--json", "--llama-url", url, *extra))


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory, llama_url: str) -> Path:
    out = tmp_path_factory.mktemp("report")
    res = _report(out, llama_url, _files())
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["llm_tag_calls"] > 0
    return out


def test_every_tag_is_valid(report_dir: Path) -> None:
    rep = json.loads((report_dir / "agentpprof.json").read_text())
    tags = [s["session_tag"] for s in rep["sessions"]]
    tags += [p["tag"] for s in rep["sessions"] for p in s["prompts"]]
    tags += [t for s in rep["sessions"] for t in s["llm_calls"]["tag"]]
    assert tags and all(WORD_RE.match(t) for t in tags), tags
    assert rep["llm_tagger"]["failures"] == 0


def test_second_run_makes_no_llm_calls(report_dir: Path, llama_url: str) -> None:
    started = time.monotonic()
    res = _report(report_dir, llama_url, _files())
    elapsed = time.monotonic() - started
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["llm_tag_calls"] == 0 and summary["cache_hits"] > 0
    assert elapsed < 10  # wall time of a whole CLI process, incl. start-up and rendering


def test_folded_shapes_and_weights(report_dir: Path) -> None:
    rep = json.loads((report_dir / "agentpprof.json").read_text())
    system = (report_dir / "semantic-system.folded.txt").read_text().splitlines()
    token = (report_dir / "semantic-token.folded.txt").read_text().splitlines()
    assert system and token
    assert all(SYSTEM_RE.match(line) for line in system), [
        x for x in system if not SYSTEM_RE.match(x)
    ][:3]
    assert all(TOKEN_RE.match(line) for line in token), [x for x in token if not TOKEN_RE.match(x)][
        :3
    ]
    tok = parse_folded((report_dir / "semantic-token.folded.txt").read_text())
    by_session: Counter[str] = Counter()
    for stack, w in tok.items():
        by_session[stack[2]] += w
    assert sum(tok.values()) == rep["summary"]["totals"]["tokens"]["total"]
    # per file: token rows equal `agentpprof sessions` and system weight = events x targets
    for f in _files():
        s = parse_session(f)
        row = next(r for r in rep["sessions"] if r["session_id"] == s.session_id)
        assert row["tokens"]["total"] == s.tokens.total
    events = sum(
        max(1, len(t.path_groups) or len(t.domains))
        for f in _files()
        for t in parse_session(f).tool_calls
    )
    assert (
        sum(parse_folded((report_dir / "semantic-system.folded.txt").read_text()).values())
        == events
    )


def test_no_raw_text_in_outputs(report_dir: Path) -> None:
    needles: set[str] = set()
    for f in _files():
        s = parse_session(f)
        for p in s.prompts:
            if len(p.text) >= 12:
                needles.add(p.text[:40])
        for t in s.tool_calls:
            if len(t.command) >= 16:
                needles.add(t.command[:40])
        for c in s.llm_calls:
            if len(c.text) >= 16:
                needles.add(c.text[:40])
        if s.title and len(s.title) >= 12:
            needles.add(s.title[:40])
        if s.cwd and len(s.cwd) > 8:
            needles.add(s.cwd)
    assert len(needles) > 10
    for out in report_dir.iterdir():
        if out.suffix not in (".json", ".txt", ".svg", ".html"):
            continue
        text = out.read_text()
        leaked = [n for n in needles if n in text]
        assert not leaked, (out.name, leaked[:3])


def test_pprof_and_speedscope_written(report_dir: Path) -> None:
    assert (report_dir / "semantic-system.pb.gz").read_bytes()[:2] == b"\x1f\x8b"
    doc = json.loads((report_dir / "semantic-token.speedscope.json").read_text())
    assert doc["profiles"][0]["type"] == "sampled"


def test_start_server_leaves_no_process(tmp_path: Path, default_model: Path) -> None:
    """The real default model (no --model), managed by the run."""
    files = [p for p in cached(1) if "rollout" in p.name]
    before = count_servers()
    args = report_args(tmp_path, files[:1], "--json", "--start-server", "--tag-llm-calls", "false")
    res = cli(*args)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["llm_tag_calls"] > 0
    assert count_servers() == before
    tagger = json.loads((tmp_path / "agentpprof.json").read_text())["llm_tagger"]
    assert tagger["model"].startswith(default_model.name)
    assert tagger["prompt_version"].startswith("chat-")  # an instruct model: its chat template
    # a fully cached rerun does not even start the server
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["llm_tag_calls"] == 0
    rep = json.loads((tmp_path / "agentpprof.json").read_text())
    assert rep["llm_tagger"]["base_url"].startswith("(not started")


def _wait_for_first_tag(out: Path, timeout: float = 120) -> Path:
    """Until a running report has written at least one tag to tags.json."""
    tags_file = out / "tags.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tags_file.exists() and json.loads(tags_file.read_text())["tags"]:
            break
        time.sleep(0.2)
    return tags_file


def test_server_killed_mid_run_keeps_tags(
    tmp_path: Path, llama_binary: Path, test_model: Path
) -> None:
    from agentpprof.tagging.llama import LlamaServer

    server = LlamaServer(llama_binary, test_model)
    with server:
        big = list(cached(10))
        args = report_args(tmp_path, big, "--llama-url", server.url, "--timeout", "5")
        proc = subprocess.Popen(
            [*AGENTPPROF, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        tags_file = _wait_for_first_tag(tmp_path)
        server.stop()  # kill the server under the running report
        _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert "Traceback" not in err and "llama.cpp server" in err
    kept = json.loads(tags_file.read_text())["tags"]
    assert len(kept) >= 1


def test_sessions_json_matches_report(report_dir: Path) -> None:
    args = ["sessions", "--json"]
    for f in _files():
        args += ["--session-file", str(f)]
    res = cli(*args)
    assert res.returncode == 0
    rows = json.loads(res.stdout)
    rep = json.loads((report_dir / "agentpprof.json").read_text())
    totals = {r["session_id"]: r["tokens"]["total"] for r in rep["sessions"]}
    assert {r["session_id"]: r["tokens"]["total"] for r in rows} == totals


def test_ctrl_c_stops_the_managed_server_and_keeps_tags(tmp_path: Path) -> None:
    import signal

    before = count_servers()
    files = cached(10)
    args = report_args(tmp_path, files, "--start-server", *TEST_MODEL_ARGS)
    proc = subprocess.Popen(
        [*AGENTPPROF, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    tags_file = _wait_for_first_tag(tmp_path)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert json.loads(tags_file.read_text())["tags"]
    assert count_servers() == before


def test_reproducible_cold_runs_give_identical_tags(tmp_path: Path, llama_url: str) -> None:
    runs = []
    for name in ("a", "b"):
        res = _report(tmp_path / name, llama_url, _files(), "--reproducible")
        assert res.returncode == 0, res.stderr
        rep = json.loads((tmp_path / name / "agentpprof.json").read_text())
        # each folder keys its cache with its own secret: compare the tags the reports give
        runs.append(
            [
                (
                    s["session_id"],
                    s["session_tag"],
                    [p["tag"] for p in s["prompts"]],
                    s["llm_calls"]["tag"],
                )
                for s in rep["sessions"]
            ]
        )
    assert runs[0] and runs[0] == runs[1]
