"""Typed in-memory records passed between pipeline stages.

Raw text (prompts, commands, model text) lives only in these records, in memory, because the tag
stage needs it; tags are not here (the tag stage returns them: ``tags.Tags``). Output writers
never serialise the ``text`` fields unless ``--include-previews``.

They are msgspec Structs, not dataclasses: the parser creates tens of thousands per second and a
Struct is built ~4x faster (measured), and defining them needs no generated code at import.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from msgspec import Struct, field

TOKEN_KINDS: tuple[str, ...] = ("input", "cache_read", "cache_write", "output", "reasoning")

Status = Literal["ok", "fail", "observed"]


class Agent(StrEnum):
    CLAUDE = "claude"
    CODEX = "codex"


# One rule for bad numbers (docs/accounting.md): a token count that is negative, not a whole
# number, a string, a boolean or above MAX_TOKENS counts as 0 and is a counted warning at its
# file:line; the line's other facts are kept. So every output sums the same kept numbers.
MAX_TOKENS = 10**12


def token_count(value: Any) -> tuple[int, str | None]:
    """A usage figure as a count, and what was wrong with it (None when nothing was)."""
    if value is None:
        return 0, None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            return 0, "negative token count"
        if value > MAX_TOKENS:
            return 0, "absurd token count (over 10^12)"
        return value, None
    return 0, f"token count that is not a whole number ({type(value).__name__})"


def utc_ts(ts: str) -> str | None:
    """A log time as the comparable UTC text the logs mostly use (``…T10:00:00.000Z``), so
    that times with other offsets or precisions compare by instant; None when it is not a date
    (or falls outside years 1-9999 in UTC). The usual form is returned as it is."""
    if len(ts) == 24 and ts[19] == "." and ts[23] == "Z" and ts[10] == "T":
        return ts
    try:
        when = datetime.fromisoformat(ts.replace("Z", "+00:00").replace("z", "+00:00"))
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    except (ValueError, OverflowError):
        return None


class Tokens(Struct):
    """Disjoint token kinds; their sum is the total."""

    input: int = 0
    cache_read: int = 0
    cache_write: int = 0
    output: int = 0
    reasoning: int = 0

    @property
    def total(self) -> int:
        return self.input + self.cache_read + self.cache_write + self.output + self.reasoning

    def add(self, other: Tokens) -> None:
        self.input += other.input
        self.cache_read += other.cache_read
        self.cache_write += other.cache_write
        self.output += other.output
        self.reasoning += other.reasoning

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in TOKEN_KINDS}

    def with_total(self) -> dict[str, int]:
        """The kinds and their sum, as both JSON contracts write them (agentpprof.json's
        ``TokenCounts``, ``sessions --json``'s ``InventoryTokens``: one shape, written by pydantic
        for the report's schema and by msgspec where ``sessions`` must not load pydantic)."""
        return {**self.as_dict(), "total": self.total}


class ParseWarning(Struct):
    file: str
    line: int  # 1-based; 0 = whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class Prompt(Struct):
    index: int
    line: int
    timestamp: str | None
    text: str  # in memory only


class LlmCall(Struct):
    index: int
    line: int
    timestamp: str | None
    model: str
    prompt_index: int | None
    tokens: Tokens
    text: str = ""  # visible text (memory only)
    tool_names: list[str] = field(default_factory=list)
    # "Bash: git status", "Edit: src/app" — what the call's tools did (memory only, for tagging)
    tool_hints: list[str] = field(default_factory=list)
    # the part of tokens.cache_write that Claude wrote to its 1-hour cache (priced apart)
    cache_write_1h: int = 0


class ToolFacts(Struct):
    """What one tool call did, read from its name and arguments (``classify.classify_tool``)."""

    category: str
    command: str  # memory only
    process_chain: list[str]
    effect: str
    path_groups: list[str]
    domains: list[str]
    # the files it wrote or read, as the log names them (memory only: outcome.py's edit churn
    # and retries compare them; never written to an output)
    targets: list[str]


class ToolCall(ToolFacts):
    """A tool call: what it did (its ``ToolFacts``) and where it stands in its session."""

    index: int
    line: int
    timestamp: str | None
    name: str
    prompt_index: int | None
    call_id: str = ""
    status: Status = "observed"
    end: str | None = None  # when its result arrived (None: no result seen)

    @classmethod
    def of(
        cls,
        facts: ToolFacts | str,
        index: int,
        line: int,
        timestamp: str | None,
        name: str,
        prompt_index: int | None,
        call_id: str,
    ) -> ToolCall:
        """The parse stages' record of a call with these facts (no result seen yet). A bare
        category instead of facts: a call only counted, not classified (``agentpprof
        sessions``' fast path, one struct built)."""
        if isinstance(facts, str):
            return cls(
                facts, "", [], "process", [], [], [],
                index, line, timestamp, name, prompt_index, call_id,
            )  # fmt: skip
        f = facts
        return cls(
            f.category, f.command, f.process_chain, f.effect, f.path_groups, f.domains, f.targets,
            index, line, timestamp, name, prompt_index, call_id,
        )  # fmt: skip


# what happened to a turn, read from the log (outcome.py turns these into per-prompt facts)
EventKind = Literal["interrupted", "api_error", "compaction", "turn_failed"]
EVENT_KINDS: tuple[str, ...] = ("interrupted", "api_error", "compaction", "turn_failed")


class Event(Struct):
    kind: EventKind
    line: int
    timestamp: str | None
    prompt_index: int | None


class Session(Struct):
    agent: Agent
    file: str
    session_id: str
    cwd: str | None = None
    models: list[str] = field(default_factory=list)
    start: str | None = None
    end: str | None = None
    title: str = ""  # memory only
    parent_session_id: str | None = None
    is_subagent: bool = False
    agent_id: str | None = None
    # Claude Code's agent-<id>.meta.json beside a sub-agent's transcript: its agentType
    subagent_type: str | None = None
    # the git branch the session ran on (Claude ``gitBranch``, Codex ``session_meta.git.branch``)
    branch: str | None = None
    events: list[Event] = field(default_factory=list)
    prompts: list[Prompt] = field(default_factory=list)
    llm_calls: list[LlmCall] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    # sub-agent id -> index of the prompt whose Task/Agent call launched it
    agent_links: dict[str, int | None] = field(default_factory=dict)
    lines: int = 0
    bytes: int = 0

    @property
    def tokens(self) -> Tokens:
        total = Tokens()
        for call in self.llm_calls:
            total.add(call.tokens)
        return total

    def note_model(self, model: str) -> None:
        if model and model not in self.models:
            self.models.append(model)

    def note_time(self, ts: str | None) -> None:
        t = utc_ts(ts) if ts else None
        if t is None:  # absent, not a date, or out of range: no time to go by
            return
        # compared by instant (another offset or precision), kept as the log wrote it
        if self.start is None or t < (utc_ts(self.start) or ""):
            self.start = ts
        if self.end is None or t > (utc_ts(self.end) or ""):
            self.end = ts
