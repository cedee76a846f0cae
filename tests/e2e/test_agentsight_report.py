"""`report --agentsight-snapshot` end to end: the real server tags, the snapshot supplies the
processes; nothing from the snapshot but process names and hosts reaches the outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import cli, report_args
from tests.unit.test_agentsight import _session, _snapshot

pytestmark = pytest.mark.llama


def test_report_with_a_snapshot(tmp_path: Path, llama_url: str) -> None:
    session, snap = _session(tmp_path), _snapshot(tmp_path)
    out = tmp_path / "out"
    res = cli(
        *report_args(out, [session], "--llama-url", llama_url, "--agentsight-snapshot", str(snap))
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads((out / "agentpprof.json").read_text())
    corr = doc["correlation"]
    assert (corr["shell_calls"], corr["matched"], corr["unmatched"], corr["untracked"]) == (
        4,
        3,
        1,
        1,
    )
    assert corr["snapshots"][0]["file"] == "snap.json"
    assert corr["per_session"][0]["rate"] == 0.75
    system = (out / "semantic-system.folded.txt").read_text()
    assert ";process:bash;process:pytest;process:python3;" in system
    assert "domain:api.github.com" in system and "call:tool/untracked;process:git" in system
    html = (out / "index.html").read_text()
    assert 'id="correlation"' in html
    for f in out.iterdir():  # no command line, path or request path from the snapshot
        if f.is_file() and f.suffix in (".json", ".txt", ".html", ".svg"):
            text = f.read_text(errors="replace")
            assert "shell-snapshots" not in text and "/repos/acme" not in text, f.name
