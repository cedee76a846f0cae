"""``agentpprof sessions``: discover + parse (no text kept) -> one row per file.

Kept light on purpose (msgspec only, no pydantic, no HTTP, no templates): this is the path
users time against ccusage. The rows have exactly the fields of ``models.SessionInventory``,
which documents them (``docs/sessions.schema.json``); a test keeps the two equal.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from agentpprof.discover import DiscoverOptions, discover_from, display_path
from agentpprof.parse import map_sessions
from agentpprof.records import Session


class InventoryTokens(msgspec.Struct):
    input: int = 0
    cache_read: int = 0
    cache_write: int = 0
    output: int = 0
    reasoning: int = 0
    total: int = 0


class InventoryRow(msgspec.Struct):
    file: str
    agent: str
    session_id: str
    parent_session_id: str | None
    is_subagent: bool
    cwd: str | None
    models: list[str]
    start: str | None
    end: str | None
    prompts: int
    llm_calls: int
    tool_calls: int
    tokens: InventoryTokens
    warnings: list[str]


def inventory_row(s: Session) -> InventoryRow:
    t = s.tokens
    return InventoryRow(
        file=s.file, agent=s.agent.value, session_id=s.session_id,
        parent_session_id=s.parent_session_id, is_subagent=s.is_subagent,
        cwd=display_path(Path(s.cwd)) if s.cwd else None, models=list(s.models),
        start=s.start, end=s.end, prompts=len(s.prompts), llm_calls=len(s.llm_calls),
        tool_calls=len(s.tool_calls),
        tokens=InventoryTokens(input=t.input, cache_read=t.cache_read,
                               cache_write=t.cache_write, output=t.output,
                               reasoning=t.reasoning, total=t.total),
        warnings=[str(w) for w in s.warnings],
    )


def inventory(opts: DiscoverOptions) -> list[InventoryRow]:
    """One row per file, computed in the worker that parsed it."""
    found = discover_from(opts)
    root = str(opts.project_root.resolve())
    return map_sessions([(r.path, r.display, r.agent) for r in found.refs], root,
                        inventory_row, keep_text=False)


def encode_json(rows: list[InventoryRow]) -> bytes:
    return msgspec.json.encode(rows)
