"""The exports open in the tools users know: `go tool pprof` and speedscope's schema."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from agentpprof.models import Inputs, Project, TaggerStats
from agentpprof.output.diff import parse_two_column, run_diff
from agentpprof.output.export import pprof_bytes, speedscope_json
from agentpprof.profile.fold import fold_sessions, folded_text, parse_stack
from agentpprof.profile.summary import build_report
from agentpprof.tagging.tags import Tags
from tests.conftest import stacks
from tests.e2e.conftest import npm_file

COUNTER = stacks(
    {
        "project:p;agent:claude;session:testing;prompt:debugging;call:tool/shell;process:cargo;"
        "effect:test;status:ok": 7,
        "project:p;agent:claude;session:testing;prompt:docs;call:tool/edit;effect:write;"
        "path:README.md;status:ok": 3,
        "project:p;agent:codex;session:deploy;prompt:git;call:tool/shell;process:git;effect:repo;"
        "status:fail": 2,
    }
)


def test_go_tool_pprof_reads_the_profile(tmp_path: Path, go_binary: str) -> None:
    path = tmp_path / "p.pb.gz"
    path.write_bytes(pprof_bytes(COUNTER, "events"))
    env = dict(
        os.environ,
        GOFLAGS="-mod=mod",
        GOTOOLCHAIN="local",
        HOME=os.environ.get("HOME", str(tmp_path)),
    )
    res = subprocess.run(
        [go_binary, "tool", "pprof", "-top", "-nodecount=100", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    m = re.search(r"of (\d+) total", res.stdout)
    assert m and int(m.group(1)) == sum(COUNTER.values()), res.stdout
    assert "status:ok" in res.stdout and "effect:test" in res.stdout


def test_speedscope_schema() -> None:
    import jsonschema

    schema = json.loads(npm_file("speedscope/dist/release/file-format-schema.json").read_text())
    doc = json.loads(speedscope_json(COUNTER, "events"))
    jsonschema.validate(doc, schema)
    doc["profiles"][0]["type"] = "nonsense"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)


def _report_folder(path: Path, counter: Counter[str]) -> Path:
    """The files of a report that `agentpprof diff` and `go tool pprof` read: a valid
    agentpprof.json (of no sessions; diff validates it like render) and the system profile."""
    path.mkdir()
    report = build_report(
        sessions=[],
        tags=Tags(),
        profiles=fold_sessions([], Tags(), "p"),
        project=Project(name="p", root="~/p"),
        inputs=Inputs.none(0),
        tagger=TaggerStats.none(),
        artifacts={},
        warnings=[],
        include_previews=False,
    )
    (path / "agentpprof.json").write_text(report.model_dump_json())
    (path / "semantic-system.folded.txt").write_text(folded_text(counter))
    (path / "semantic-system.pb.gz").write_bytes(pprof_bytes(counter, "events"))
    return path


def _pprof_top(go_binary: str, *args: str) -> dict[str, tuple[int, int]]:
    """name -> (flat, cum) from `go tool pprof -top`, every node kept."""
    env = dict(os.environ, GOFLAGS="-mod=mod", GOTOOLCHAIN="local")
    res = subprocess.run(
        [
            go_binary,
            "tool",
            "pprof",
            "-top",
            "-nodecount=100000",
            "-nodefraction=0",
            "-edgefraction=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    rows = {}
    for line in res.stdout.splitlines():
        m = re.match(r"\s*(-?\d+)\s+\S+%\s+\S+%\s+(-?\d+)\s+\S+%\s+(.+)$", line)
        if m:
            rows[m.group(3)] = (int(m.group(1)), int(m.group(2)))
    return {k: v for k, v in rows.items() if v != (0, 0)}


def test_go_tool_pprof_diff_base_equals_our_two_column_file(tmp_path: Path, go_binary: str) -> None:
    new = Counter(COUNTER)
    new[
        parse_stack(
            "project:p;agent:claude;session:testing;prompt:debugging;call:tool/shell;"
            "process:cargo;effect:test;status:ok"
        )
    ] += 2_500_000
    new[
        parse_stack(
            "project:p;agent:codex;session:deploy;prompt:git;call:tool/shell;process:git;"
            "effect:repo;status:fail"
        )
    ] = 0
    new[
        parse_stack(
            "project:p;agent:codex;session:deploy;prompt:release;call:tool/shell;process:gh;"
            "effect:network;domain:api.github.com;status:ok"
        )
    ] = 4
    base_dir = _report_folder(tmp_path / "base", COUNTER)
    new_dir = _report_folder(tmp_path / "new", +new)
    result = run_diff(base_dir, new_dir, tmp_path / "diff")
    prof = result.profiles[0]
    pairs = parse_two_column((tmp_path / "diff" / prof.files["two_column"]).read_text())
    want: dict[str, list[int]] = {}
    for frames, (b, n) in pairs.items():
        want.setdefault(frames[-1], [0, 0])[0] += n - b
        for frame in set(frames):
            want.setdefault(frame, [0, 0])[1] += n - b
    expected = {k: (v[0], v[1]) for k, v in want.items() if v != [0, 0]}
    assert expected["status:fail"] == (-2, -2)
    # pprof's own differential view of the two reports' profiles...
    assert (
        _pprof_top(
            go_binary,
            "-diff_base",
            str(base_dir / "semantic-system.pb.gz"),
            str(new_dir / "semantic-system.pb.gz"),
        )
        == expected
    )
    # ...and our merged diff profile read on its own give the same numbers
    assert _pprof_top(go_binary, str(tmp_path / "diff" / prof.files["pprof"])) == expected
