"""models.py: the JSON contracts, and read_report (render and diff read reports through it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentpprof.errors import AgentpprofError
from agentpprof.models import Report, RunSummary, read_report
from agentpprof.sources.parse import parse_session
from tests.conftest import fixed_tags, report_of
from tests.synth import sessions


def _doc(tmp_path: Path) -> dict[str, object]:
    parsed = [parse_session(f) for f in sessions(tmp_path / "s")]
    rep = report_of(parsed, fixed_tags(parsed, "testing", "debugging", "docs"))
    doc: dict[str, object] = json.loads(rep.model_dump_json())
    return doc


def test_a_report_of_an_earlier_shape_still_loads(tmp_path: Path) -> None:
    """Fields added since schema 1 first shipped (outcomes, branch, --where) have defaults."""
    doc = _doc(tmp_path)
    summary = doc["summary"]
    assert isinstance(summary, dict) and summary["outcomes"]
    del summary["outcomes"]
    inputs = doc["inputs"]
    assert isinstance(inputs, dict)
    del inputs["where"]
    for row in doc["sessions"]:  # type: ignore[attr-defined]
        del row["branch"]
        for p in row["prompts"]:
            del p["outcome"]
    path = tmp_path / "agentpprof.json"
    path.write_text(json.dumps(doc))
    rep = read_report(path)
    assert isinstance(rep, Report) and rep.summary.outcomes == []
    assert rep.inputs.where == [] and all(r.branch is None for r in rep.sessions)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "does not exist"),
        ("{not json", "not valid JSON"),
        ('{"schema_version": 2}', "schema version 1"),
        ('{"schema_version": 1, "summary": "many"}', "not a valid agentpprof report"),
        ('{"a":' * 100000 + "1" + "}" * 100000, "nested too deep"),
        ("[1, 2]", "schema version 1"),
    ],
)
def test_a_broken_report_is_one_clear_error(tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "agentpprof.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(AgentpprofError, match=message):
        read_report(path)


def test_run_summary_keys_are_the_documented_ones() -> None:
    keys = set(RunSummary.model_fields)
    assert {"status", "out", "dashboard", "agentpprof_json", "tags_json", "sessions"} <= keys
    assert {"cost_usd", "cost_complete", "agent_time_ms", "wait_ms"} <= keys
