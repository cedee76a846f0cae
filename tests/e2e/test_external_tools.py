"""The exports open in the tools users know: `go tool pprof` and speedscope's schema."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from agentpprof.export import pprof_bytes, speedscope_json
from tests.e2e.conftest import npm_file

COUNTER = Counter({
    "project:p;agent:claude;session:testing;prompt:debugging;call:tool/shell;process:cargo;"
    "effect:test;status:ok": 7,
    "project:p;agent:claude;session:testing;prompt:docs;call:tool/edit;effect:write;"
    "path:README.md;status:ok": 3,
    "project:p;agent:codex;session:deploy;prompt:git;call:tool/shell;process:git;effect:repo;"
    "status:fail": 2,
})


def test_go_tool_pprof_reads_the_profile(tmp_path: Path, go_binary: str) -> None:
    path = tmp_path / "p.pb.gz"
    path.write_bytes(pprof_bytes(COUNTER, "events"))
    env = dict(os.environ, GOFLAGS="-mod=mod", GOTOOLCHAIN="local",
               HOME=os.environ.get("HOME", str(tmp_path)))
    res = subprocess.run([go_binary, "tool", "pprof", "-top", "-nodecount=100", str(path)],
                         capture_output=True, text=True, timeout=120, env=env)
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
