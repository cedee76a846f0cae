"""A pool of two real llama-servers: both get work, one killed mid-run loses nothing, a server
with another model is refused, and `--api openai` tags through llama-server's /v1 routes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentpprof.errors import LlamaServerError
from agentpprof.pipeline import NullHooks, ReportOptions, run_report
from agentpprof.sources.discover import DiscoverOptions
from agentpprof.tagging.llama import LlamaServer
from agentpprof.tagging.tag import collect_fragments
from agentpprof.tagging.words import invalid_reason
from tests.e2e.conftest import cli, report_args
from tests.synth import cached

pytestmark = pytest.mark.llama


@pytest.fixture(scope="module")
def second_server(llama_binary: Path, test_model: Path) -> Iterator[LlamaServer]:
    server = LlamaServer(llama_binary, test_model, extra_args=["-t", "1"])
    with server:
        yield server


class KillAfter(NullHooks):
    """Kills a server (SIGKILL, no goodbye) once ``n`` tags have arrived."""

    def __init__(self, server: LlamaServer, n: int) -> None:
        self.server, self.n, self.seen, self.killed_at = server, n, 0, -1

    def advance(self, n: int = 1, extra: str = "") -> None:
        self.seen += n
        if self.seen >= self.n and self.killed_at < 0 and self.server.proc is not None:
            self.server.proc.kill()
            self.killed_at = self.seen


def _distinct_fragments(files: tuple[Path, ...], root: Path) -> int:
    from agentpprof.sources.parse import parse_sessions

    sessions = parse_sessions([(f, str(f), None) for f in files], str(root))
    return len({(f.kind, f.text) for f in collect_fragments(sessions, True)})


def test_two_servers_share_the_work_and_a_killed_one_loses_nothing(
    tmp_path: Path, llama_url: str, second_server: LlamaServer
) -> None:
    files = cached(1)
    out = tmp_path / "out"
    opts = ReportOptions(
        discover=DiscoverOptions(project_root=tmp_path, session_files=list(files)),
        out=out,
        llama_urls=[llama_url, second_server.url],
    )
    hooks = KillAfter(second_server, 12)
    report = run_report(opts, hooks)
    assert hooks.killed_at >= 12  # the second server died mid-run...
    eps = {e.base_url: e for e in report.llm_tagger.endpoints}
    assert set(eps) == {llama_url, second_server.url}
    assert eps[llama_url].requests > 0 and eps[llama_url].alive
    dead = eps[second_server.url]
    assert dead.requests > 0 and not dead.alive and dead.failures >= 1  # ...after real work
    # ...and the run still tagged every fragment once: nothing paid for was lost
    assert report.llm_tagger.failures == 0
    tags = json.loads((out / "tags.json").read_text())["tags"]
    assert len(tags) == _distinct_fragments(files, tmp_path)
    assert all(invalid_reason(t["tag"]) is None for t in tags.values())
    prompts = [p for s in report.sessions for p in s.prompts]
    assert prompts and all(p.tag and invalid_reason(p.tag) is None for p in prompts)


def test_a_server_with_another_model_is_refused(
    tmp_path: Path, llama_url: str, llama_binary: Path, test_model: Path
) -> None:
    other = tmp_path / "other-model.gguf"
    other.symlink_to(test_model)  # same weights, another model identity (the cache key)
    with LlamaServer(llama_binary, other, extra_args=["-t", "1"]) as server:
        opts = ReportOptions(
            discover=DiscoverOptions(project_root=tmp_path, session_files=list(cached(1))),
            out=tmp_path / "out",
            llama_urls=[llama_url, server.url],
        )
        with pytest.raises(LlamaServerError) as info:
            run_report(opts)
    assert "serve different models" in info.value.message
    assert "other-model.gguf" in info.value.message
    assert not (tmp_path / "out" / "agentpprof.json").exists()


def test_openai_api_tags_through_the_v1_routes(tmp_path: Path, llama_url: str) -> None:
    files = cached(1)

    def report(api: str) -> dict[str, str]:
        out = tmp_path / api
        res = cli(
            *report_args(out, files, "--llama-url", llama_url, "--api", api, "--no-tag-llm-calls")
        )
        assert res.returncode == 0, res.stderr
        doc = json.loads((out / "agentpprof.json").read_text())
        assert doc["llm_tagger"]["endpoints"][0]["requests"] > 0
        return {
            f"{s['file']}:{p['index']}": p["tag"] for s in doc["sessions"] for p in s["prompts"]
        }

    via_openai, via_llama = report("openai"), report("llama")
    assert via_openai.keys() == via_llama.keys()
    assert all(invalid_reason(t) is None for t in via_openai.values())
    same = sum(via_openai[k] == via_llama[k] for k in via_llama)
    # the same model and prompt through another route: the same choices, but for the few
    # close ones a different batch can flip (see --reproducible)
    assert same >= 0.85 * len(via_llama), (via_openai, via_llama)
