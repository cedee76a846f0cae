"""Per file, our dollars equal ccusage 20.0.24 `--offline` within 0.5 % wherever ccusage prices
the model (a fallback price is not a price); files ccusage leaves unpriced are unknown here too
or cost nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from agentpprof.profile.cost import session_cost
from agentpprof.sources.parse import parse_session
from tests.conftest import RECENT, corpus_files, needs_corpus, needs_recent
from tests.e2e.conftest import npm_file


def _ccusage(agent: str, files: list[Path], tmp: Path) -> dict[str, dict[str, object]]:
    binary = npm_file(".bin/ccusage")
    home = tmp / agent
    folder = home / ("projects/p" if agent == "claude" else "sessions")
    folder.mkdir(parents=True)
    for f in files:
        shutil.copy(f, folder / f.name)
    env = dict(
        os.environ, **{"CLAUDE_CONFIG_DIR" if agent == "claude" else "CODEX_HOME": str(home)}
    )
    res = subprocess.run(
        [str(binary), agent, "session", "--json", "--offline"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    return {
        str(s.get("sessionFile") or s["sessionId"]).rsplit("/", 1)[-1]: s
        for s in json.loads(res.stdout)["sessions"]
    }


@needs_corpus
def test_cost_equals_ccusage_offline(tmp_path: Path) -> None:
    files = corpus_files()
    oracle = {
        **_ccusage("claude", [f for f in files if f.parent.name == "claude"], tmp_path),
        **_ccusage("codex", [f for f in files if f.parent.name == "codex"], tmp_path),
    }
    compared = 0
    for f in files:
        s = parse_session(f)
        ours, unknown = session_cost(s.llm_calls)
        row = oracle.get(f.stem)
        theirs = None if row is None else float(row.get("totalCost", row.get("costUSD")))  # type: ignore[arg-type]
        fallback = row is not None and any(
            m.get("isFallback")
            for m in (row.get("models") or {}).values()  # type: ignore[union-attr]
        )
        if theirs is None or fallback or theirs == 0:
            assert ours is None or ours == pytest.approx(0.0), (f.name, ours, unknown)
            continue
        assert ours is not None, (f.name, unknown)
        assert abs(ours - theirs) <= 0.005 * theirs, (f.name, ours, theirs)
        compared += 1
    assert compared >= 20  # every priced file of the corpus


@needs_recent
def test_paginated_era_rollouts_match_ccusage(tmp_path: Path) -> None:
    """The three real Codex rollouts of the 0.147+ era (and the vendor build that reports
    1.17.7 with the legacy layout): no warning, one prompt each, and per file the token totals
    ccusage 20.0.24 reports (it lists no row for the failed turn, which has no usage)."""
    files = sorted((RECENT / "codex").glob("*.jsonl"))
    assert len(files) == 3
    oracle = _ccusage("codex", files, tmp_path)
    for f in files:
        s = parse_session(f)
        assert s.warnings == [] and len(s.prompts) == 1, f.name
        t = s.tokens
        row = oracle.get(f.stem)
        if row is None:
            assert t.total == 0 and not s.llm_calls  # the failed turn: no usage anywhere
            continue
        assert (t.input, t.cache_read, t.output, t.total) == (
            row["inputTokens"],
            row["cacheReadTokens"],
            row["outputTokens"],
            row["totalTokens"],
        ), f.name
