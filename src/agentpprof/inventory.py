"""``agentpprof sessions``: discover + parse (no text kept) -> one row per file.

Kept light on purpose (msgspec only, no pydantic, no HTTP, no templates): this is the path
users time against ccusage. ``InventoryRow`` is the contract of ``sessions --json``;
``docs/sessions.schema.json`` is generated from it (``python -m agentpprof.schema docs``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import msgspec

from agentpprof.parallel import file_size, pmap
from agentpprof.privacy import display_path
from agentpprof.profile.cost import session_cost
from agentpprof.sources.discover import (
    DiscoverOptions,
    Probe,
    SessionRef,
    discover_sessions,
    may_keep,
    probe,
    scan,
    select,
)
from agentpprof.sources.parse import map_sessions, parse_session
from agentpprof.sources.records import Session, Tokens
from agentpprof.sources.timerange import ALL_TIME, TimeRange, clip_session


class InventoryTokens(Tokens, forbid_unknown_fields=True):
    """Disjoint token kinds and their sum."""

    total: int = 0  # records.Tokens' sum, written out (``Tokens.with_total``)


class InventoryRow(msgspec.Struct, forbid_unknown_fields=True):
    """One row of ``agentpprof sessions --json`` (one per file)."""

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
    cost_usd: float | None  # null when a model of the file has no price
    warnings: list[str]
    subagent_type: str | None = None  # Claude's agent-<id>.meta.json agentType


def inventory_row(s: Session) -> InventoryRow:
    t = s.tokens
    return InventoryRow(
        file=s.file,
        agent=s.agent.value,
        session_id=s.session_id,
        parent_session_id=s.parent_session_id,
        is_subagent=s.is_subagent,
        subagent_type=s.subagent_type,
        cwd=display_path(s.cwd) if s.cwd else None,
        models=list(s.models),
        start=s.start,
        end=s.end,
        prompts=len(s.prompts),
        llm_calls=len(s.llm_calls),
        tool_calls=len(s.tool_calls),
        tokens=InventoryTokens(**t.with_total()),
        cost_usd=None if (usd := session_cost(s.llm_calls)[0]) is None else round(usd, 6),
        warnings=[str(w) for w in s.warnings],
    )


def inventory(opts: DiscoverOptions) -> list[InventoryRow]:
    """One row per file, computed in the worker that parsed it (with ``--since``/``--until``:
    of the part of it inside the range; files with nothing inside have no row)."""
    rng = opts.time_range
    if opts.session_files or opts.scan_files > opts.max_sessions:
        # explicit files, or a cap that may bite: choose the files first, then parse them
        found = discover_sessions(opts)
        return [r for r in rows_of(found.refs, str(opts.project_root.resolve()), rng) if r]
    # every scanned file of the project is kept: probe and parse in one parallel pass, so
    # discovery's reads are spread over the cores instead of running before them
    sc = scan(
        project_root=opts.project_root,
        claude_root=opts.claude_root,
        codex_root=opts.codex_root,
        scan_files=opts.scan_files,
        since=rng.since_epoch,
    )
    done = pmap(
        partial(_probe_and_row, root=sc.root, rng=rng),
        sc.scanned,
        [file_size(p) for p in sc.scanned],
    )
    probes = dict(zip(sc.scanned, (d[0] for d in done), strict=True))
    rows: dict[Path, InventoryRow | None] = {
        p: d[2] for p, d in zip(sc.scanned, done, strict=True) if d[1]
    }
    refs = select(sc, probes.__getitem__, opts.max_sessions).refs
    beside = [r for r in refs if r.path not in rows]  # sub-agents kept from beside a parent
    rows.update(zip((r.path for r in beside), rows_of(beside, sc.root, rng), strict=True))
    return [row for r in refs if (row := rows.get(r.path)) is not None]


def _row_in(s: Session, rng: TimeRange) -> InventoryRow | None:
    clipped = clip_session(s, rng) if rng else s
    return inventory_row(clipped) if clipped is not None else None


def rows_of(
    refs: list[SessionRef], root: str, rng: TimeRange = ALL_TIME
) -> list[InventoryRow | None]:
    return map_sessions(
        [(r.path, r.display, r.agent) for r in refs],
        root,
        partial(_row_in, rng=rng),
        keep_text=False,
    )


def _probe_and_row(
    path: Path, root: str, rng: TimeRange
) -> tuple[Probe, bool, InventoryRow | None]:
    """(what the probe found, whether the file may be kept, its row: None when nothing of it
    is in the time range)."""
    found = probe(path)
    if not may_keep(path, found, root):
        return found, False, None
    return (
        found,
        True,
        _row_in(parse_session(path, display_path(path), root, found[0], keep_text=False), rng),
    )


def encode_json(rows: list[InventoryRow]) -> bytes:
    return msgspec.json.encode(rows)
