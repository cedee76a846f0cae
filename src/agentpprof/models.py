"""The JSON contract of ``agentpprof.json`` and ``benchmarks.json``.

Pydantic models are the single source: ``docs/agentpprof.schema.json`` is generated from them.
(``sessions --json`` rows are msgspec structs in ``inventory.py``, to keep that path light.)
No prompt, command or model text appears unless ``--include-previews`` was given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agentpprof.errors import AgentpprofError


class Contract(BaseModel):
    """The base of every JSON contract model (agentpprof.json, diff.json, benchmarks.json):
    unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


class TokenCounts(Contract):
    input: int = 0
    cache_read: int = 0
    cache_write: int = 0
    output: int = 0
    reasoning: int = 0
    total: int = 0


CONFIDENCE = (
    "the model's confidence in the tag: the chosen kind's share of the calibrated probability "
    "of the kinds it considered (0-1; null for an open-vocabulary word, an inherited tag or a "
    "report written before confidences)"
)


class Project(Contract):
    name: str
    root: str = Field(description="project root with the home directory shown as ~")


class Inputs(Contract):
    claude_root: str
    codex_root: str
    session_files: list[str]
    scan_files: int
    max_sessions: int
    files_scanned: int
    files_profiled: int
    tag_llm_calls: bool
    include_previews: bool
    where: list[str] = Field(
        default_factory=list, description="the --where filters the report was folded under"
    )

    @classmethod
    def none(cls, files_profiled: int = 0) -> Inputs:
        """No discovery behind the report (built from sessions in hand: tests, benchmarks)."""
        return cls(
            claude_root="",
            codex_root="",
            session_files=[],
            scan_files=0,
            max_sessions=0,
            files_scanned=0,
            files_profiled=files_profiled,
            tag_llm_calls=True,
            include_previews=False,
        )


class EndpointStats(Contract):
    base_url: str
    model: str
    capacity: int = Field(description="requests in flight at most (server slots or --concurrency)")
    requests: int = Field(description="requests answered")
    failures: int = Field(description="requests that failed here and were sent to another endpoint")
    requests_per_second: float
    alive: bool = Field(
        description="false: it stopped answering during the run and was taken out of the pool"
    )
    error: str = ""


class TaggerStats(Contract):
    provider: str
    base_url: str
    model: str
    prompt_version: str
    requests: int
    cache_hits: int
    llm_calls: int
    llm_successes: int
    failures: int
    seconds: float
    tags_per_second: float
    endpoints: list[EndpointStats] = Field(
        default_factory=list,
        description="one row per tagging endpoint (none when every tag was cached)",
    )

    @classmethod
    def none(cls) -> TaggerStats:
        """No tagger behind the report (tags given in hand: tests, benchmarks)."""
        return cls(
            provider="",
            base_url="",
            model="",
            prompt_version="",
            requests=0,
            cache_hits=0,
            llm_calls=0,
            llm_successes=0,
            failures=0,
            seconds=0.0,
            tags_per_second=0.0,
        )


class RunSummary(Contract):
    """What ``agentpprof report --json`` prints: where the files are and the headline numbers."""

    status: Literal["ok"] = "ok"
    out: str
    dashboard: str
    agentpprof_json: str
    tags_json: str
    sessions: int
    prompts: int
    llm_calls: int
    tool_calls: int
    tokens: int
    system_unique_stacks: int
    llm_tag_calls: int
    cache_hits: int
    tagging_seconds: float
    cost_usd: float
    cost_complete: bool
    agent_time_ms: int
    wait_ms: int


class OutcomeFacts(Contract):
    """What a prompt's work achieved, counted from the log (docs/outcomes.md)."""

    outcome: str = Field(description="oneshot, failed, retried, reworked or none")
    one_shot: bool = Field(
        description="no failed call, interruption, failed turn or API error, and the next "
        "prompt of the session did not edit the same files"
    )
    failed_calls: int = Field(description="tool calls that failed (non-zero exit, is_error, ...)")
    retries: int = Field(description="the same program or tool on the same target after a failure")
    churn_files: int = Field(description="files edited 3 times or more in this prompt's work")
    max_edits_per_file: int
    interrupted: int
    api_errors: int
    compactions: int
    turn_failed: bool
    recovery_tokens: int = Field(
        description="tokens of the LLM calls between a failure and the next success"
    )
    recovery_usd: float
    recovery_ms: int


class OutcomeByTag(Contract):
    tag: str
    prompts: int
    one_shot_rate: float
    failure_rate: float = Field(
        description="share of prompts with a failed call, interruption, failed turn or API error"
    )
    retries: int
    failed_calls: int
    churn_files: int
    recovery_usd: float
    recovery_ms: int


class PromptRow(Contract):
    index: int
    line: int
    timestamp: str | None
    hash: str
    tag: str
    llm_calls: int
    tool_calls: int
    tokens: int
    preview: str | None = None
    tag_confidence: float | None = Field(default=None, description=CONFIDENCE)
    outcome: OutcomeFacts | None = Field(default=None, description="null in older reports")


class LlmCallColumns(Contract):
    """The session's LLM calls, column by column (compact: reports hold tens of thousands)."""

    index: list[int]
    line: list[int]
    timestamp: list[str | None]
    prompt_index: list[int | None]
    tag: list[str]
    model: list[str]
    tokens: list[list[int]] = Field(
        description="per call: [input, cache_read, cache_write, output, reasoning]"
    )
    tools: list[list[str]]
    preview: list[str] | None = None
    tag_confidence: list[float | None] = Field(
        default_factory=list, description="per call: " + CONFIDENCE
    )


class SessionTime(Contract):
    wall_ms: int = Field(description="the session's end - start (its own clock)")
    tool_ms: int = Field(description="tools running (parallel tools share the time)")
    llm_ms: int = Field(description="from the event before each LLM response to the response")
    wait_ms: int = Field(
        description="waiting for the user: the last event before a prompt "
        "to the prompt (kept out of the time profile)"
    )
    idle_ms: int = Field(
        description="none of the above (e.g. a response until its tool "
        "starts); the four add up to wall_ms"
    )


class SessionRow(Contract):
    key: str = Field(description="stable short id of this session in the report")
    agent: str
    session_id: str
    file: str = Field(description="file name only")
    cwd_hash: str | None
    is_subagent: bool
    parent_session_id: str | None
    subagent_type: str | None = Field(
        default=None,
        description="a sub-agent's type (Claude Code's agent-<id>.meta.json agentType)",
    )
    branch: str | None = Field(default=None, description="the git branch the session ran on")
    models: list[str]
    start: str | None
    end: str | None
    session_tag: str
    session_tag_confidence: float | None = Field(default=None, description=CONFIDENCE)
    prompt_count: int
    llm_call_count: int
    tool_call_count: int
    tokens: TokenCounts
    cost_usd: float | None = Field(
        default=None,
        description="US dollars from the shipped price table; null "
        "when a model of the session has no price (or the report predates prices)",
    )
    time: SessionTime | None = Field(
        default=None,
        description="the session's wall time split; null when it has no timed event",
    )
    effects: dict[str, int]
    statuses: dict[str, int]
    prompts: list[PromptRow]
    llm_calls: LlmCallColumns
    title: str | None = None


class StackWeight(Contract):
    stack: str
    weight: int


class StackSummary(Contract):
    file: str
    total_weight: int
    unique_stacks: int
    compression_ratio: float
    max_stack_weight: int
    top: list[StackWeight]


class TagCount(Contract):
    tag: str
    count: int
    tokens: int = 0


class CommandCount(Contract):
    agent: str
    tool: str
    command: str
    effect: str
    status: str
    count: int


class DayCount(Contract):
    date: str
    sessions: int
    prompts: int
    llm_calls: int
    tool_calls: int
    tokens: int


class Variant(Contract):
    semantic: str
    weight: int


class MixedBucketModel(Contract):
    baseline_stack: str
    weight: int
    semantic_variant_count: int
    top_semantic_variants: list[Variant]


class MixingModel(Contract):
    kind: Literal["nonsemantic", "flat"]
    total_weight: int
    baseline_buckets: int
    mixed_buckets: int
    mixed_weight: int
    mixed_weight_pct: float
    examples: list[MixedBucketModel]


class TagCost(Contract):
    tag: str
    usd: float


class CostSummary(Contract):
    """Defaults: a report written before prices existed (read by `render` and `diff`)."""

    total_usd: float = Field(default=0.0, description="US dollars of every priced LLM call")
    complete: bool = Field(default=False, description="false when some LLM calls have no price")
    priced_calls: int = 0
    unpriced_calls: int = 0
    unknown_models: dict[str, int] = Field(
        default_factory=dict, description="model -> LLM calls without a price"
    )
    by_session_tag: list[TagCost] = Field(default_factory=list)
    by_prompt_tag: list[TagCost] = Field(default_factory=list)
    by_llm_tag: list[TagCost] = Field(default_factory=list)
    by_model: list[TagCost] = Field(default_factory=list)
    price_table: str = Field(default="", description="source and date of the price table")


class TimeSummary(Contract):
    """Defaults: a report written before the time view (read by `render` and `diff`)."""

    wall_ms: int = 0
    tool_ms: int = 0
    llm_ms: int = 0
    wait_ms: int = 0
    idle_ms: int = 0
    lanes: int = Field(default=0, description="sessions and sub-agent files with timed events")
    profile_ms: int = Field(
        default=0,
        description="total weight of semantic-time.folded.txt (tool + LLM time, rounded per stack)",
    )


class Totals(Contract):
    sessions: int
    subagent_sessions: int
    prompts: int
    llm_calls: int
    tool_calls: int
    tokens: TokenCounts


class TagConfidence(Contract):
    kind: str = Field(description="session, prompt or llm")
    tags: int = Field(description="tags of this kind with a confidence")
    p25: float
    median: float
    p75: float


class Summary(Contract):
    totals: Totals
    system: StackSummary
    token: StackSummary
    nonsemantic_system: StackSummary
    projections: dict[str, StackSummary]
    top_session_tags: list[TagCount]
    top_prompt_tags: list[TagCount]
    top_llm_tags: list[TagCount]
    commands: list[CommandCount]
    effects: dict[str, int]
    timeline: list[DayCount]
    mixing: list[MixingModel]
    cost: CostSummary = Field(default_factory=CostSummary)
    time: TimeSummary = Field(default_factory=TimeSummary)
    outcomes: list[OutcomeByTag] = Field(
        default_factory=list, description="outcome facts by prompt tag (docs/outcomes.md)"
    )
    tag_confidence: list[TagConfidence] = Field(
        default_factory=list,
        description="quartiles of the tags' confidences per fragment kind (see "
        "docs/benchmarks.md for how often a tag is right at each confidence)",
    )


class SnapshotRow(Contract):
    file: str = Field(description="file name only")
    generated_at: str
    schema_version: int
    processes: int
    command_subtrees: int = Field(description="subtrees started by the agent's processes")


class SessionMatch(Contract):
    key: str
    shell_calls: int
    matched: int
    rate: float


class CorrelationModel(Contract):
    snapshots: list[SnapshotRow]
    skew_ms: int = Field(
        description="clock difference allowed between the snapshot and the logs, either way"
    )
    shell_calls: int = Field(description="shell tool calls inside a snapshot's time range")
    matched: int
    ambiguous: int = Field(
        description="matched calls with two equally good candidates (the earliest used)"
    )
    unmatched: int = Field(
        description="calls with no candidate: they keep the chain read from their command"
    )
    outside: int = Field(description="shell calls outside every snapshot's time range (+ skew)")
    untracked: int = Field(
        description="process subtrees no tool call explains, under call:tool/untracked"
    )
    untracked_programs: dict[str, int]
    per_session: list[SessionMatch]


class Report(Contract):
    schema_version: Literal[1] = 1
    generated_at: str
    agentpprof_version: str
    project: Project
    inputs: Inputs
    llm_tagger: TaggerStats
    sessions: list[SessionRow]
    summary: Summary
    prompt_tags: dict[str, str] = Field(description="prompt hash -> tag")
    artifacts: dict[str, str] = Field(description="artifact name -> path relative to the report")
    warnings: list[str]
    correlation: CorrelationModel | None = Field(
        default=None, description="AgentSight runtime-trace correlation, when snapshots were given"
    )


class BenchLatency(Contract):
    mean_ms: float
    p50_ms: float
    p95_ms: float


class BenchFragment(Contract):
    fragment_id: str
    fragment_hash: str
    runs: int
    ok_runs: int
    tags: list[str]
    modal_tag: str | None
    stable: bool
    preview: str | None = None


class QualityCell(Contract):
    n: int
    hits: int
    rate: float
    ci95: list[float]


class BenchModel(Contract):
    label: str
    path: str
    ok: bool
    error: str | None = None
    load_seconds: float | None = None
    requests: int = 0
    successes: int = 0
    invalid_outputs: int = 0
    invalid_examples: list[str] = []
    latency: BenchLatency | None = None
    tags_per_second: float | None = None
    prompt_tokens_per_second: float | None = None
    generation_tokens_per_second: float | None = None
    stable_fragments: int = 0
    fragments: list[BenchFragment] = []
    quality: float | None = Field(
        default=None,
        description="hit rate on a labelled file the user passed (--eval-file); not a measure "
        "of the model unless that file was never tuned on",
    )
    quality_items: int = 0
    prompt_style: str | None = Field(
        default=None, description="how the tagger phrased requests: completion or chat"
    )
    server_peak_rss_mb: float | None = Field(
        default=None, description="the llama-server process's peak resident memory"
    )
    quality_real_by_language: dict[str, QualityCell] = Field(
        default={},
        description="the real test split per fragment kind and language (kind/lang), for "
        "languages with at least 20 items",
    )
    quality_real_tags_per_second: float | None = None
    quality_real: dict[str, QualityCell] = Field(
        default={},
        description="acceptable share on the real labelled split, per fragment "
        "kind (prompt, session, llm), with its 95 % Wilson interval; empty without "
        "--eval-corpus",
    )


class BenchResult(Contract):
    schema_version: Literal[1] = 1
    generated_at: str
    agentpprof_version: str
    llama_server: str
    server_args: list[str]
    runs: int
    eval_file: str | None
    eval_split: str | None = Field(
        default=None, description="real labelled split scored (``test``), with its sha256"
    )
    eval_split_sha256: str | None = None
    models: list[BenchModel]


def read_report(path: Path) -> Report:
    """An ``agentpprof.json``, checked, as ``render`` and ``diff`` both read it. A report of an
    earlier schema-1 shape loads (fields added since have defaults); a missing, unreadable, non-
    JSON, too deeply nested, other-version or wrongly shaped file is one clear error (exit 1)."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise AgentpprofError(
            f"{path} does not exist: not an agentpprof report folder",
            hint="run `agentpprof report` first, or pass its --out folder",
        ) from None
    except OSError as exc:
        raise AgentpprofError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(data)
    except RecursionError:
        raise AgentpprofError(f"{path} is nested too deep to be an agentpprof report") from None
    except ValueError as exc:
        raise AgentpprofError(f"{path} is not valid JSON: {exc}"[:300]) from None
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if version != 1:
        raise AgentpprofError(
            f"{path} is not an agentpprof report of schema version 1 (schema_version: {version!r})"
        )
    try:
        return Report.model_validate(doc)
    except ValueError as exc:
        raise AgentpprofError(f"{path} is not a valid agentpprof report: {exc}"[:400]) from None
