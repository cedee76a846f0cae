"""`run_report` end to end offline, with the scripted backend (the e2e tests use the real one)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from agentpprof.artifacts import FILES
from agentpprof.pipeline import ReportOptions, run_report
from agentpprof.sources.discover import DiscoverOptions
from tests.scripted import ScriptedBackend
from tests.synth import sessions


def test_run_report_artifacts_keyed_hashes_and_cache_only_rerun(tmp_path: Path) -> None:
    files = sessions(tmp_path / "in")
    out = tmp_path / "out"
    opts = ReportOptions(
        discover=DiscoverOptions(project_root=tmp_path, session_files=files), out=out
    )
    backend = ScriptedBackend(default="testing")
    report = run_report(opts, backend=backend)
    assert backend.calls and report.llm_tagger.failures == 0
    for name in FILES.values():
        assert (out / name).is_file(), name
    doc = json.loads((out / "agentpprof.json").read_text())
    prompts = [p for s in doc["sessions"] for p in s["prompts"]]
    assert prompts and all(p["tag"] == "testing" for p in prompts)
    # prompt hashes are keyed with the cache's secret: a guess such as "1" does not find them
    plain = hashlib.sha256(b"1").hexdigest()[:16]
    assert plain not in doc["prompt_tags"]
    secret = json.loads((out / "tags.json").read_text())["hash_key"]
    assert len(secret) == 32
    import jsonschema  # tags.json is the documented, generated shape

    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "tags.schema.json").read_text()
    )
    jsonschema.validate(json.loads((out / "tags.json").read_text()), schema)
    # a rerun takes every tag from the cache: the backend is not asked again
    again = ScriptedBackend(default="docs")
    rerun = run_report(opts, backend=again)
    assert again.calls == [] and rerun.llm_tagger.llm_calls == 0
    assert json.loads((out / "agentpprof.json").read_text())["prompt_tags"] == doc["prompt_tags"]


def test_tagging_eta_text() -> None:
    from agentpprof.pipeline import eta_text

    assert eta_text(0, 0.0) == "0s"
    assert eta_text(10, 0.0) == "…"  # no answer yet: no rate to go by
    assert eta_text(10, 2.0) == "5s"
    assert eta_text(130, 2.0) == "1m05s"


def test_an_unreadable_session_file_is_a_warning_not_a_session(tmp_path: Path) -> None:
    """#23: a missing --session-file beside existing ones is a warning only: no empty session
    is tagged or drawn; only unreadable files is an error."""
    import pytest

    from agentpprof.errors import NoSessionsError

    files = sessions(tmp_path / "s")
    backend = ScriptedBackend(default="testing")
    opts = ReportOptions(
        discover=DiscoverOptions(
            project_root=tmp_path, session_files=[*files, tmp_path / "gone.jsonl"]
        ),
        out=tmp_path / "out",
    )
    rep = run_report(opts, backend=backend)
    assert len(rep.sessions) == len(files)
    assert any("gone.jsonl" in w and "cannot read" in w for w in rep.warnings)
    opts.discover.session_files = [tmp_path / "gone.jsonl", tmp_path / "s"]  # a folder
    with pytest.raises(NoSessionsError):
        run_report(opts, backend=backend)
