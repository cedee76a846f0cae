"""inventory.py: `agentpprof sessions` rows, on the tests' own synthetic sessions."""

from __future__ import annotations

import json
from pathlib import Path

from agentpprof.inventory import encode_json, inventory
from agentpprof.options import discover_options
from agentpprof.sources.parse import parse_session
from tests.synth import sessions

KINDS = ("input", "cache_read", "cache_write", "output", "reasoning")


def test_one_row_per_file_with_the_parsers_counts(tmp_path: Path) -> None:
    files = sessions(tmp_path / "s")
    opts = discover_options(tmp_path, files, None, None, 160, 36)
    rows = inventory(opts)
    assert len(rows) == len(files)
    for row in rows:
        s = parse_session(Path(row.file))
        assert (row.prompts, row.llm_calls, row.tool_calls) == (
            len(s.prompts),
            len(s.llm_calls),
            len(s.tool_calls),
        )
        assert row.tokens.total == s.tokens.total == sum(getattr(row.tokens, k) for k in KINDS)
    doc = json.loads(encode_json(rows))
    assert [r["session_id"] for r in doc] == [r.session_id for r in rows]
    assert all(r["cost_usd"] is None or r["cost_usd"] >= 0 for r in doc)
