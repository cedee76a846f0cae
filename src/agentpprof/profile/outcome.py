"""What each prompt's work achieved and where it went wrong, measured from the log only.

No model and no guess: every fact is counted from the parse stage's records (tool statuses,
the files a tool acted on, the turn events a log writes). docs/outcomes.md defines each one.

The stage runs after parse and before fold. It returns, per prompt, the facts the report
shows (``PromptOutcome``) and, per LLM or tool call, the kind of friction its cost belongs to
(``Friction``), so the friction profile, ``summary.outcomes`` and the per-prompt rows add up to
the same numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from agentpprof.profile.cost import call_cost
from agentpprof.sources.records import Event, LlmCall, Session, ToolCall, utc_ts
from agentpprof.sources.timerange import epoch_ms

# the outcome label of a prompt, as pprof samples and --where carry it
Outcome = Literal["oneshot", "failed", "retried", "reworked", "none"]
OUTCOMES: tuple[str, ...] = ("oneshot", "failed", "retried", "reworked", "none")
# what a friction stack's cost went to (docs/outcomes.md)
FrictionKind = Literal["failure", "retry", "churn", "interrupted", "turn_failed", "api_error"]
FRICTION_KINDS: tuple[str, ...] = (
    "failure",
    "retry",
    "churn",
    "interrupted",
    "turn_failed",
    "api_error",
)
CHURN_EDITS = 3  # one file edited this many times in one prompt's work is churn


@dataclass(slots=True)
class PromptOutcome:
    failed_calls: int = 0
    retries: int = 0
    churn_files: int = 0  # files edited >= CHURN_EDITS times
    max_edits_per_file: int = 0
    interrupted: int = 0
    api_errors: int = 0
    compactions: int = 0
    turn_failed: bool = False
    recovery_tokens: int = 0
    recovery_usd: float = 0.0
    recovery_ms: int = 0
    one_shot: bool = False
    outcome: Outcome = "none"
    edited: frozenset[str] = field(default_factory=frozenset)  # memory only

    @property
    def failed(self) -> bool:
        """A failed call, an interruption, a failed turn or an API error."""
        return bool(self.failed_calls or self.interrupted or self.api_errors or self.turn_failed)


@dataclass(slots=True)
class Friction:
    """One call's share of a friction kind: its dollars (LLM calls) and the wall time from the
    prompt's previous item to it."""

    kind: FrictionKind
    usd: float
    ms: int


CallRef = tuple[str, int]  # ("llm" | "tool", index in the session's list)


@dataclass(slots=True)
class SessionOutcomes:
    prompts: dict[int, PromptOutcome] = field(default_factory=dict)
    before: PromptOutcome | None = None  # the work before the first prompt (sub-agents, resumes)
    friction: dict[tuple[int | None, FrictionKind], tuple[float, int]] = field(
        default_factory=dict
    )  # (prompt index, kind) -> (US dollars, ms)

    def outcome(self, prompt_index: int | None) -> Outcome:
        o = None if prompt_index is None else self.prompts.get(prompt_index)
        return o.outcome if o is not None else "none"


def _retry_key(tc: ToolCall) -> tuple[str, str, tuple[str, ...]]:
    """The same program or tool on the same target: the tool's name, the program a shell call
    ran first, and the files it acted on."""
    program = tc.process_chain[0] if tc.process_chain else ""
    return (tc.name, program, tuple(sorted(tc.targets)))


def _when(ts: str | None) -> float | None:
    return epoch_ms(utc_ts(ts)) if ts else None


@dataclass(slots=True)
class _Item:
    at: float | None
    pos: float  # place in the prompt's work: the log line (a tool just after its issuing call)
    call: LlmCall | None
    tool: ToolCall | None
    event: Event | None
    issuer: LlmCall | None = None  # a tool's: the LLM call that asked for it


def _items(s: Session) -> dict[int | None, list[_Item]]:
    """Each prompt's LLM calls, tool calls and turn events in the log's order, each tool right
    after the LLM call that asked for it (Claude writes the call first, Codex closes it with a
    token count after the tool's request), timed at its result."""
    by: dict[int | None, list[_Item]] = {}
    calls: dict[int | None, list[LlmCall]] = {}
    for c in s.llm_calls:
        calls.setdefault(c.prompt_index, []).append(c)
        by.setdefault(c.prompt_index, []).append(
            _Item(_when(c.timestamp), float(c.line), c, None, None)
        )
    codex = s.agent.value == "codex"
    for t in s.tool_calls:
        mine = calls.get(t.prompt_index, [])
        if codex:
            issuer = next((c for c in mine if c.line >= t.line), None)
        else:
            issuer = next((c for c in reversed(mine) if c.line <= t.line), None)
        pos = (issuer.line if issuer is not None else t.line) + 0.5
        by.setdefault(t.prompt_index, []).append(
            _Item(_when(t.end or t.timestamp), pos, None, t, None, issuer)
        )
    for e in s.events:
        by.setdefault(e.prompt_index, []).append(
            _Item(_when(e.timestamp), float(e.line), None, None, e)
        )
    for items in by.values():
        items.sort(key=lambda it: it.pos)
    return by


def edits_per_file(tools: list[ToolCall]) -> Counter[str]:
    """How many write calls named each file (a call naming a file twice counts once)."""
    out: Counter[str] = Counter()
    for t in tools:
        if t.effect == "write":
            for path in dict.fromkeys(t.targets):
                out[path] += 1
    return out


class _Walk:
    """One prompt's items in order: counts the facts and gives each item's cost to at most one
    friction kind (so no dollar or millisecond is counted twice)."""

    def __init__(self, o: PromptOutcome) -> None:
        self.o = o
        self.share: dict[FrictionKind, list[float]] = {}
        self.pending: list[tuple[_Item, int]] = []  # no kind yet
        self.recovery: list[tuple[_Item, int]] = []  # since a failure, before the next success
        self.recovering = False
        self.retried = False
        self.failed_keys: set[tuple[str, str, tuple[str, ...]]] = set()
        self.edits: Counter[str] = Counter()

    def give(self, kind: FrictionKind, it: _Item, span: int) -> None:
        acc = self.share.setdefault(kind, [0.0, 0.0])
        if it.call is not None:
            acc[0] += call_cost(it.call) or 0.0
            if kind in ("failure", "retry"):
                self.o.recovery_tokens += it.call.tokens.total
        acc[1] += span

    def end_recovery(self) -> None:
        kind: FrictionKind = "retry" if self.retried else "failure"
        for it, span in self.recovery:
            self.give(kind, it, span)
        self.recovery, self.recovering, self.retried = [], False, False

    def event(self, it: _Item, ev: Event, span: int) -> None:
        kind: FrictionKind
        if ev.kind == "compaction":
            self.o.compactions += 1
            self.item(it, span)
            return
        if ev.kind == "interrupted":
            self.o.interrupted += 1
            kind = "interrupted"
        elif ev.kind == "api_error":
            self.o.api_errors += 1
            kind = "api_error"
        else:
            self.o.turn_failed = True
            kind = "turn_failed"
        if self.recovering:
            self.end_recovery()
        # the work that led to it (not already friction) is this kind's cost
        for pit, pspan in self.pending:
            self.give(kind, pit, pspan)
        self.pending = []
        self.give(kind, it, span)

    def tool(self, it: _Item, tc: ToolCall, span: int) -> None:
        key = _retry_key(tc)
        if key in self.failed_keys:
            self.o.retries += 1
            self.retried = self.retried or self.recovering
        if tc.status == "fail":
            self.o.failed_calls += 1
            self.failed_keys.add(key)
            if not self.recovering:  # the failed call itself is not its own recovery
                self.recovering = True
                self.pending.append((it, span))
                return
        if self.recovering:
            self.recovery.append((it, span))
            if tc.status == "ok":
                self.end_recovery()
            return
        churn = False
        if tc.effect == "write":
            for path in dict.fromkeys(tc.targets):
                self.edits[path] += 1
                churn = churn or self.edits[path] >= CHURN_EDITS
        if churn:
            self.give("churn", it, span)
            # the LLM call that asked for the edit is churn too, when nothing else took it
            for k, (pit, pspan) in enumerate(self.pending):
                if it.issuer is not None and pit.call is it.issuer:
                    self.give("churn", pit, pspan)
                    del self.pending[k]
                    break
        else:
            self.pending.append((it, span))

    def item(self, it: _Item, span: int) -> None:
        (self.recovery if self.recovering else self.pending).append((it, span))


def session_outcomes(s: Session) -> SessionOutcomes:
    out = SessionOutcomes()
    prompt_time = {p.index: _when(p.timestamp) for p in s.prompts}
    for pi, items in _items(s).items():
        o = PromptOutcome()
        edits = edits_per_file([it.tool for it in items if it.tool is not None])
        o.edited = frozenset(edits)
        o.max_edits_per_file = max(edits.values(), default=0)
        o.churn_files = sum(1 for n in edits.values() if n >= CHURN_EDITS)
        walk = _Walk(o)
        prev = prompt_time.get(pi) if pi is not None else None
        for it in items:
            span = 0
            if it.at is not None:
                if prev is not None:
                    span = int(max(0.0, it.at - prev))
                prev = it.at if prev is None else max(prev, it.at)
            if it.event is not None:
                walk.event(it, it.event, span)
            elif it.tool is not None:
                walk.tool(it, it.tool, span)
            else:
                walk.item(it, span)
        if walk.recovering:  # no success after the last failure: the rest is recovery
            walk.end_recovery()
        for k, (usd, ms) in walk.share.items():
            out.friction[(pi, k)] = (usd, int(ms))
            if k in ("failure", "retry"):
                o.recovery_usd += usd
                o.recovery_ms += int(ms)
        if pi is not None:
            out.prompts[pi] = o
        else:
            out.before = o
    for p in s.prompts:
        out.prompts.setdefault(p.index, PromptOutcome())
    order = sorted(out.prompts)
    for n, pi in enumerate(order):
        o = out.prompts[pi]
        nxt = out.prompts[order[n + 1]] if n + 1 < len(order) else None
        reworked = bool(nxt is not None and o.edited & nxt.edited)
        o.one_shot = not (o.failed or reworked)
        if o.retries:
            o.outcome = "retried"
        elif o.failed:
            o.outcome = "failed"
        elif reworked or o.churn_files:
            o.outcome = "reworked"
        else:
            o.outcome = "oneshot"
    return out


def all_outcomes(sessions: list[Session]) -> list[SessionOutcomes]:
    return [session_outcomes(s) for s in sessions]
