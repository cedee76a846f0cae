"""Summaries: Session records + folded profiles -> the pydantic JSON contract (redacted)."""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter
from datetime import UTC, datetime

from agentpprof import __version__
from agentpprof.models import (
    CommandCount,
    CorrelationModel,
    CostSummary,
    DayCount,
    Inputs,
    LlmCallColumns,
    MixedBucketModel,
    MixingModel,
    OutcomeByTag,
    OutcomeFacts,
    Project,
    PromptRow,
    Report,
    SessionMatch,
    SessionRow,
    SessionTime,
    SnapshotRow,
    StackSummary,
    StackWeight,
    Summary,
    TagConfidence,
    TagCost,
    TagCount,
    TaggerStats,
    TimeSummary,
    TokenCounts,
    Totals,
    Variant,
)
from agentpprof.privacy import keyed_hash
from agentpprof.profile.agentsight import Correlation
from agentpprof.profile.cost import call_cost, price_table
from agentpprof.profile.fold import Mixing, Profiles, Stack, mixing, sorted_items, stack_text
from agentpprof.profile.outcome import PromptOutcome, SessionOutcomes
from agentpprof.profile.timeline import Lane, Timeline
from agentpprof.sources.records import TOKEN_KINDS, Session, Tokens
from agentpprof.tagging.tags import Tags


def short_hash(text: str, n: int = 16, key: str = "") -> str:
    """SHA-256 of ``text`` as ``n`` hex digits; HMAC under ``key`` (the tag cache's secret)
    for anything a person wrote, so a short prompt cannot be found by hashing guesses."""
    if key:
        return keyed_hash(key, text, n)
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()[:n]


def token_counts(t: Tokens) -> TokenCounts:
    return TokenCounts.model_construct(None, **t.with_total())


def stack_summary(file: str, counter: Counter[Stack], top: int = 12) -> StackSummary:
    total = sum(counter.values())
    unique = sum(1 for v in counter.values() if v > 0)
    items = sorted_items(counter)
    return StackSummary(
        file=file,
        total_weight=total,
        unique_stacks=unique,
        compression_ratio=round(total / unique, 3) if unique else 0.0,
        max_stack_weight=items[0][1] if items else 0,
        top=[StackWeight(stack=stack_text(k), weight=v) for k, v in items[:top]],
    )


def _mixing_model(kind: str, m: Mixing) -> MixingModel:
    return MixingModel(
        kind="flat" if kind == "flat" else "nonsemantic",
        total_weight=m.total_weight,
        baseline_buckets=m.baseline_buckets,
        mixed_buckets=m.mixed_buckets,
        mixed_weight=m.mixed_weight,
        mixed_weight_pct=m.mixed_weight_pct,
        examples=[
            MixedBucketModel(
                baseline_stack=b.baseline_stack,
                weight=b.weight,
                semantic_variant_count=b.semantic_variant_count,
                top_semantic_variants=[
                    Variant(semantic=s, weight=w) for s, w in b.top_semantic_variants
                ],
            )
            for b in m.examples
        ],
    )


def _tag_counts(counter: Counter[str], tokens: Counter[str] | None = None) -> list[TagCount]:
    return [
        TagCount(tag=t, count=c, tokens=(tokens or Counter())[t])
        for t, c in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _session_key(s: Session) -> str:
    return s.agent.value[:2] + "-" + short_hash(f"{s.agent.value}:{s.session_id}:{s.file}", 10)


def build_report(
    *,
    sessions: list[Session],
    tags: Tags,
    profiles: Profiles,
    project: Project,
    inputs: Inputs,
    tagger: TaggerStats,
    artifacts: dict[str, str],
    warnings: list[str],
    include_previews: bool,
    hash_key: str = "",
    timeline: Timeline | None = None,
    correlation: Correlation | None = None,
    outcomes: list[SessionOutcomes] | None = None,
) -> Report:
    """agentpprof.json from the tagged sessions and their profiles (docs/agentpprof.schema.json)."""
    acc = _Sessions(sessions, tags, include_previews, hash_key, timeline, outcomes)
    rows = [acc.row(index, s) for index, s in enumerate(sessions)]
    summary = Summary(
        totals=Totals(
            sessions=len(sessions),
            subagent_sessions=sum(1 for s in sessions if s.is_subagent),
            prompts=sum(len(s.prompts) for s in sessions),
            llm_calls=sum(len(s.llm_calls) for s in sessions),
            tool_calls=sum(len(s.tool_calls) for s in sessions),
            tokens=token_counts(acc.total),
        ),
        system=stack_summary(artifacts.get("semantic_system_folded", ""), profiles.system),
        token=stack_summary(artifacts.get("semantic_token_folded", ""), profiles.token),
        nonsemantic_system=stack_summary(
            artifacts.get("nonsemantic_system_folded", ""), profiles.nonsemantic
        ),
        projections={
            name: stack_summary(artifacts.get(name.replace("-", "_") + "_folded", ""), c, top=8)
            for name, c in profiles.projections.items()
        },
        top_session_tags=_tag_counts(acc.session_tags),
        top_prompt_tags=_tag_counts(acc.prompt_tag_counts),
        top_llm_tags=_tag_counts(acc.llm_tags, acc.llm_tag_tokens),
        commands=[
            CommandCount(agent=a, tool=t, command=c, effect=e, status=st, count=n)
            for (a, t, c, e, st), n in sorted(acc.commands.items(), key=lambda kv: (-kv[1], kv[0]))[
                :60
            ]
        ],
        effects=dict(sorted(acc.effects.items(), key=lambda kv: (-kv[1], kv[0]))),
        timeline=[acc.days[k] for k in sorted(acc.days)],
        mixing=[_mixing_model("nonsemantic", mixing(profiles.system)), _flat(profiles)],
        cost=acc.costs.summary(),
        time=_time_summary(timeline),
        outcomes=outcomes_by_tag(acc.by_tag),
        tag_confidence=_tag_confidence(tags),
    )
    return Report(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        agentpprof_version=__version__,
        project=project,
        inputs=inputs,
        llm_tagger=tagger,
        sessions=rows,
        summary=summary,
        prompt_tags=dict(sorted(acc.prompt_tags.items())),
        artifacts=artifacts,
        warnings=warnings,
        correlation=_correlation(correlation, sessions),
    )


class _Sessions:
    """One pass over the sessions: each one's row, and the counts the summary adds up."""

    def __init__(
        self,
        sessions: list[Session],
        tags: Tags,
        include_previews: bool,
        hash_key: str,
        timeline: Timeline | None,
        outcomes: list[SessionOutcomes] | None,
    ) -> None:
        self.tags, self.previews, self.hash_key = tags, include_previews, hash_key
        self.outcomes = outcomes
        self.lane_of = {ln.session: ln for ln in timeline.lanes} if timeline else {}
        self.prompt_tags: dict[str, str] = {}
        self.prompt_tag_counts: Counter[str] = Counter()
        self.session_tags: Counter[str] = Counter()
        self.llm_tags: Counter[str] = Counter()
        self.llm_tag_tokens: Counter[str] = Counter()
        self.commands: Counter[tuple[str, str, str, str, str]] = Counter()
        self.effects: Counter[str] = Counter()
        self.days: dict[str, DayCount] = {}
        self.total = Tokens()
        self.costs = _Costs()
        self.by_tag: dict[str, list[PromptOutcome]] = {}

    def row(self, index: int, s: Session) -> SessionRow:
        tags = self.tags
        stag = tags.session(index)
        self.session_tags[stag] += 1
        stoks = s.tokens
        self.total.add(stoks)
        scost = self.costs.session(s, index, tags)
        for c in s.llm_calls:
            ctag = tags.call(index, c.index)
            self.llm_tags[ctag] += 1
            self.llm_tag_tokens[ctag] += c.tokens.total
        for tc in s.tool_calls:
            self.effects[tc.effect] += 1
            cmd = tc.process_chain[-1] if tc.process_chain else tc.name
            self.commands[(s.agent.value, tc.category, cmd, tc.effect, tc.status)] += 1
        self.count_day(s, stoks.total)
        return SessionRow(
            key=_session_key(s),
            agent=s.agent.value,
            session_id=s.session_id,
            file=s.file.replace("\\", "/").rsplit("/", 1)[-1],
            cwd_hash=short_hash(s.cwd, key=self.hash_key) if s.cwd else None,
            is_subagent=s.is_subagent,
            parent_session_id=s.parent_session_id,
            subagent_type=s.subagent_type,
            branch=s.branch,
            models=list(s.models),
            start=s.start,
            end=s.end,
            session_tag=stag,
            session_tag_confidence=tags.confidence_of("session", index, -1),
            prompt_count=len(s.prompts),
            llm_call_count=len(s.llm_calls),
            tool_call_count=len(s.tool_calls),
            tokens=token_counts(stoks),
            cost_usd=None if scost is None else round(scost, 6),
            time=_session_time(self.lane_of.get(index)),
            effects=dict(Counter(tc.effect for tc in s.tool_calls)),
            statuses=dict(Counter(tc.status for tc in s.tool_calls)),
            prompts=self.prompt_rows(index, s),
            llm_calls=self.llm_columns(index, s),
            title=s.title[:200] if self.previews and s.title else None,
        )

    def count_day(self, s: Session, tokens: int) -> None:
        date = (s.start or "")[:10] or "unknown"
        day = self.days.get(date)
        if day is None:
            day = self.days[date] = DayCount(
                date=date, sessions=0, prompts=0, llm_calls=0, tool_calls=0, tokens=0
            )
        day.sessions += 1
        day.prompts += len(s.prompts)
        day.llm_calls += len(s.llm_calls)
        day.tool_calls += len(s.tool_calls)
        day.tokens += tokens

    def prompt_rows(self, index: int, s: Session) -> list[PromptRow]:
        calls: Counter[int] = Counter()
        tools: Counter[int] = Counter()
        tokens: Counter[int] = Counter()
        for c in s.llm_calls:
            if c.prompt_index is not None:
                calls[c.prompt_index] += 1
                tokens[c.prompt_index] += c.tokens.total
        for tc in s.tool_calls:
            if tc.prompt_index is not None:
                tools[tc.prompt_index] += 1
        so = self.outcomes[index] if self.outcomes is not None else None
        rows = []
        for p in s.prompts:
            h = short_hash(p.text, key=self.hash_key)
            ptag = self.tags.prompt(index, p.index)
            self.prompt_tags[h] = ptag
            self.prompt_tag_counts[ptag] += 1
            po = so.prompts.get(p.index) if so is not None else None
            if po is not None:
                self.by_tag.setdefault(ptag, []).append(po)
            rows.append(
                PromptRow.model_construct(
                    index=p.index,
                    line=p.line,
                    timestamp=p.timestamp,
                    hash=h,
                    tag=ptag,
                    llm_calls=calls[p.index],
                    tool_calls=tools[p.index],
                    tokens=tokens[p.index],
                    preview=p.text[:200] if self.previews else None,
                    tag_confidence=self.tags.confidence_of("prompt", index, p.index),
                    outcome=None if po is None else outcome_facts(po),
                )
            )
        return rows

    def llm_columns(self, index: int, s: Session) -> LlmCallColumns:
        calls, tags = s.llm_calls, self.tags
        return LlmCallColumns.model_construct(
            index=[c.index for c in calls],
            line=[c.line for c in calls],
            timestamp=[c.timestamp for c in calls],
            prompt_index=[c.prompt_index for c in calls],
            tag=[tags.call(index, c.index) for c in calls],
            model=[c.model for c in calls],
            tokens=[[getattr(c.tokens, k) for k in TOKEN_KINDS] for c in calls],
            tools=[sorted(set(c.tool_names)) for c in calls],
            preview=[c.text[:200] for c in calls] if self.previews else None,
            tag_confidence=[tags.confidence_of("llm", index, c.index) for c in calls],
        )


def outcome_facts(po: PromptOutcome) -> OutcomeFacts:
    """A prompt's outcome facts as agentpprof.json writes them (the same names)."""
    facts = {name: getattr(po, name) for name in OutcomeFacts.model_fields}
    facts["recovery_usd"] = round(po.recovery_usd, 6)
    return OutcomeFacts(**facts)


def outcomes_by_tag(by_tag: dict[str, list[PromptOutcome]]) -> list[OutcomeByTag]:
    """Prompts, one-shot and failure rates, retries and recovery cost per prompt tag, most
    prompts first."""
    rows = []
    for tag, pos in by_tag.items():
        n = len(pos)
        failing = sum(
            1 for o in pos if o.failed_calls or o.interrupted or o.api_errors or o.turn_failed
        )
        rows.append(
            OutcomeByTag(
                tag=tag,
                prompts=n,
                one_shot_rate=round(sum(o.one_shot for o in pos) / n, 4),
                failure_rate=round(failing / n, 4),
                retries=sum(o.retries for o in pos),
                failed_calls=sum(o.failed_calls for o in pos),
                churn_files=sum(o.churn_files for o in pos),
                recovery_usd=round(sum(o.recovery_usd for o in pos), 6),
                recovery_ms=sum(o.recovery_ms for o in pos),
            )
        )
    return sorted(rows, key=lambda r: (-r.prompts, r.tag))


def _correlation(corr: Correlation | None, sessions: list[Session]) -> CorrelationModel | None:
    if corr is None:
        return None
    per = [
        SessionMatch(
            key=_session_key(sessions[i]),
            shell_calls=n,
            matched=m,
            rate=round(m / n, 3) if n else 0.0,
        )
        for i, (m, n) in sorted(corr.per_session.items())
    ]
    programs = Counter(u.chain[0] for u in corr.untracked if u.chain)
    return CorrelationModel(
        snapshots=[SnapshotRow.model_validate(row) for row in corr.snapshots],
        skew_ms=corr.skew_ms,
        shell_calls=corr.considered,
        matched=corr.matched,
        ambiguous=corr.ambiguous,
        unmatched=corr.unmatched,
        outside=corr.outside,
        untracked=len(corr.untracked),
        untracked_programs=dict(sorted(programs.items(), key=lambda kv: (-kv[1], kv[0]))),
        per_session=per,
    )


def _session_time(lane: Lane | None) -> SessionTime | None:
    if lane is None:
        return None
    return SessionTime(
        wall_ms=round(lane.end - lane.start),
        tool_ms=round(lane.tool_ms),
        llm_ms=round(lane.llm_ms),
        wait_ms=round(lane.wait_ms),
        idle_ms=round(lane.idle_ms),
    )


def _time_summary(timeline: Timeline | None) -> TimeSummary:
    lanes = timeline.lanes if timeline else []
    return TimeSummary(
        wall_ms=round(sum(ln.end - ln.start for ln in lanes)),
        tool_ms=round(sum(ln.tool_ms for ln in lanes)),
        llm_ms=round(sum(ln.llm_ms for ln in lanes)),
        wait_ms=round(sum(ln.wait_ms for ln in lanes)),
        idle_ms=round(sum(ln.idle_ms for ln in lanes)),
        lanes=len(lanes),
        profile_ms=sum(timeline.profile.values()) if timeline else 0,
    )


def _tag_confidence(tags: Tags) -> list[TagConfidence]:
    by: dict[str, list[float]] = {}
    for (kind, _si, _i), value in tags.confidence.items():
        by.setdefault(kind, []).append(value)
    out = []
    for kind in ("session", "prompt", "llm"):
        values = sorted(by.get(kind, []))
        if values:
            q = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else None
            out.append(
                TagConfidence(
                    kind=kind,
                    tags=len(values),
                    p25=round(q[0] if q else values[0], 4),
                    median=round(statistics.median(values), 4),
                    p75=round(q[2] if q else values[0], 4),
                )
            )
    return out


class _Costs:
    """Dollars by session, prompt and LLM-call tag and model, and what has no price."""

    def __init__(self) -> None:
        self.total = 0.0
        self.priced = self.unpriced = 0
        self.unknown: Counter[str] = Counter()
        self.by: dict[str, dict[str, float]] = {"session": {}, "prompt": {}, "llm": {}, "model": {}}

    def _add(self, dim: str, key: str, usd: float) -> None:
        self.by[dim][key] = self.by[dim].get(key, 0.0) + usd

    def session(self, s: Session, si: int, tags: Tags) -> float | None:
        total = 0.0
        complete = True
        for c in s.llm_calls:
            usd = call_cost(c)
            if usd is None:
                complete = False
                self.unpriced += 1
                self.unknown[c.model or "unknown"] += 1
                continue
            self.priced += 1
            total += usd
            self._add("session", tags.session(si) or "none", usd)
            self._add("prompt", tags.prompt(si, c.prompt_index) or "none", usd)
            self._add("llm", tags.call(si, c.index) or "none", usd)
            self._add("model", c.model.rsplit("/", 1)[-1] or "unknown", usd)
        self.total += total
        return total if complete else None

    def summary(self) -> CostSummary:
        def rows(dim: str) -> list[TagCost]:
            return [
                TagCost(tag=k, usd=round(v, 6))
                for k, v in sorted(self.by[dim].items(), key=lambda kv: (-kv[1], kv[0]))[:20]
            ]

        table = price_table()
        return CostSummary(
            total_usd=round(self.total, 6),
            complete=self.unpriced == 0,
            priced_calls=self.priced,
            unpriced_calls=self.unpriced,
            unknown_models=dict(sorted(self.unknown.items())),
            by_session_tag=rows("session"),
            by_prompt_tag=rows("prompt"),
            by_llm_tag=rows("llm"),
            by_model=rows("model"),
            price_table=f"{table.source}, {table.derived_at}",
        )


def _flat(profiles: Profiles) -> MixingModel:
    return _mixing_model(
        "flat", mixing(profiles.system, drop=("project", "agent", "session", "prompt"))
    )
