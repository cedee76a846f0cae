"""Fold stage: tagged sessions -> semantic folded stacks, projections and baseline mixing.

Shapes (the contract):
  system: project;agent;session;prompt;call:tool/<kind>;process:<p0>;…;effect;path|domain;status
  token:  project;agent;session;prompt;call:llm/<tag>;model;kind
  cost:   the token shape, weighted in micro-dollars (calls of unpriced models left out)
  friction: project;agent;session;prompt;friction:<kind>, micro-dollars (time twin: ms)

Every system and token sample also carries labels that are not frames (pprof labels and the
trace's args): branch, subagent, confidence (percent) and outcome (``Labeller``).

Stacks travel as tuples of frames (``Stack``) from here to every writer; only the folded-text
writer joins them with ``;`` and only the folded-text reader splits them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from agentpprof.profile.cost import cost_weights, surcharge
from agentpprof.sources.classify import safe_frame
from agentpprof.sources.records import TOKEN_KINDS, LlmCall, Session, Status, ToolCall
from agentpprof.tagging.tags import Tags

if TYPE_CHECKING:
    from agentpprof.profile.agentsight import Correlation
    from agentpprof.profile.outcome import SessionOutcomes

# sample labels that are not frames: (key, text) or (key, number); see Labeller
Labels = tuple[tuple[str, str | int], ...]
LABEL_KEYS: tuple[str, ...] = ("branch", "subagent", "confidence", "outcome")

# what a tool call did, under the frame a projection keeps
_SYSTEM_TAIL: tuple[str, ...] = ("call", "process", "effect", "path", "domain", "status")
SYSTEM_PROJECTIONS: dict[str, tuple[str, ...]] = {
    "session-system": ("project", "agent", "session", *_SYSTEM_TAIL),
    "prompt-system": ("project", "agent", "prompt", *_SYSTEM_TAIL),
}
TOKEN_PROJECTIONS: dict[str, tuple[str, ...]] = {
    "session-token": ("project", "agent", "session", "model", "kind"),
    "prompt-token": ("project", "agent", "prompt", "model", "kind"),
    "llm-token": ("project", "agent", "call", "model", "kind"),
}
NONE_TAG = "none"
Stack = tuple[str, ...]


def stack_text(stack: Stack) -> str:
    return ";".join(stack)


def parse_stack(text: str) -> Stack:
    return tuple(text.split(";"))


@dataclass(slots=True)
class Profiles:
    system: Counter[Stack] = field(default_factory=Counter)
    token: Counter[Stack] = field(default_factory=Counter)
    projections: dict[str, Counter[Stack]] = field(default_factory=dict)
    nonsemantic: Counter[Stack] = field(default_factory=Counter)
    cost: Counter[Stack] = field(default_factory=Counter)  # token shape, micro-dollars
    time: Counter[Stack] = field(default_factory=Counter)  # system shape, ms (timeline.py)
    friction: Counter[Stack] = field(default_factory=Counter)  # micro-dollars (outcome.py)
    friction_time: Counter[Stack] = field(default_factory=Counter)  # ms
    # the system and token samples with their labels: (stack, index into labels) -> weight
    labels: list[Labels] = field(default_factory=list)
    system_labelled: Counter[tuple[Stack, int]] = field(default_factory=Counter)
    token_labelled: Counter[tuple[Stack, int]] = field(default_factory=Counter)


def _prefix(frame: str) -> str:
    return frame.split(":", 1)[0]


def parent_prompt_tags(sessions: list[Session], tags: Tags) -> dict[int, str]:
    """Sub-agent session (by index) -> tag of the parent prompt that launched it."""
    by_id = {s.session_id: i for i, s in enumerate(sessions) if not s.is_subagent}
    out: dict[int, str] = {}
    for si, s in enumerate(sessions):
        if not s.is_subagent or not s.parent_session_id:
            continue
        pi = by_id.get(s.parent_session_id)
        if pi is None:
            continue
        idx = sessions[pi].agent_links.get(s.agent_id or "")
        word = tags.prompt(pi, idx)
        if word:
            out[si] = word
    return out


class Heads:
    """The stack down to the prompt frame for (session index, prompt index): project, agent,
    the session's tag and the prompt's (a call before any prompt of a sub-agent takes the tag
    of the parent's prompt that launched it, else ``none``)."""

    def __init__(self, sessions: list[Session], tags: Tags, project: str) -> None:
        self.proj = "project:" + safe_frame(project)
        self.sessions, self.tags = sessions, tags
        self.inherited = parent_prompt_tags(sessions, tags)
        self._memo: dict[tuple[int, int | None], str] = {}

    def __call__(self, si: int, index: int | None) -> str:
        head = self._memo.get((si, index))
        if head is None:
            s, tags = self.sessions[si], self.tags
            word = tags.prompt(si, index) or self.inherited.get(si) or NONE_TAG
            head = (
                f"{self.proj};agent:{s.agent.value};"
                f"session:{safe_frame(tags.session(si) or NONE_TAG)};"
                f"prompt:{safe_frame(word)}"
            )
            self._memo[(si, index)] = head
        return head

    def of_session(self, si: int) -> dict[int | None, str]:
        """Every head the session's tool and LLM calls use, by prompt index."""
        s = self.sessions[si]
        used = {tc.prompt_index for tc in s.tool_calls} | {c.prompt_index for c in s.llm_calls}
        return {i: self(si, i) for i in used}


class Labeller:
    """The labels of a sample from (session, prompt) and the tag's confidence: the session's git
    branch, its sub-agent type, the confidence of the sample's tag in percent and the prompt's
    outcome. Each distinct set is kept once; samples refer to it by index."""

    def __init__(self, sessions: list[Session], outcomes: list[SessionOutcomes] | None) -> None:
        self.sessions, self.outcomes = sessions, outcomes
        self.sets: list[Labels] = []
        self._ids: dict[Labels, int] = {}

    def labels(self, si: int, prompt_index: int | None, confidence: float | None) -> Labels:
        s = self.sessions[si]
        out: list[tuple[str, str | int]] = []
        if s.branch:
            out.append(("branch", safe_frame(s.branch)))
        if s.is_subagent:
            out.append(("subagent", safe_frame(s.subagent_type or "unknown")))
        if confidence is not None:
            out.append(("confidence", round(confidence * 100)))
        if self.outcomes is not None:
            out.append(("outcome", self.outcomes[si].outcome(prompt_index)))
        return tuple(out)

    def __call__(self, si: int, prompt_index: int | None, confidence: float | None) -> int:
        lab = self.labels(si, prompt_index, confidence)
        idx = self._ids.get(lab)
        if idx is None:
            idx = self._ids[lab] = len(self.sets)
            self.sets.append(lab)
        return idx


# The functions below build a stack's folded text (``;``-joined): a cached head string plus a
# few frames is the fastest key to count with (strings cache their hash; a 10-frame tuple is
# hashed again at every update). The profiles leave fold as tuples (``Stack``).


def tool_stacks(head: str, tc: ToolCall) -> list[str]:
    """A tool event's system stacks: one per path group, or per domain, or one."""
    mid = f"{head};call:tool/{safe_frame(tc.category)}"
    for proc in tc.process_chain:
        mid += ";process:" + proc
    mid += ";effect:" + safe_frame(tc.effect)
    status = ";status:" + tc.status
    if tc.path_groups:
        return [f"{mid};path:{safe_frame(group)}{status}" for group in tc.path_groups]
    if tc.domains:
        return [f"{mid};domain:{safe_frame(dom)}{status}" for dom in tc.domains]
    return [mid + status]


def llm_stack(head: str, call: LlmCall, tag: str) -> str:
    """An LLM call's stack down to its model frame."""
    return (
        f"{head};call:llm/{safe_frame(tag or NONE_TAG)}"
        f";model:{safe_frame(call.model.rsplit('/', 1)[-1] or 'unknown')}"
    )


def observed_stacks(
    head: str, tc: ToolCall, chain: list[str], status: Status, hosts: list[str]
) -> list[str]:
    """A tool event's stacks with what a runtime trace saw it run: the observed process chain
    and exit status, plus one ``effect:network;domain:<host>`` stack per host it talked to."""
    seen = msgspec.structs.replace(tc, process_chain=[safe_frame(c) for c in chain], status=status)
    out = tool_stacks(head, seen)
    procs = "".join(";process:" + safe_frame(c) for c in chain)
    out += [
        f"{head};call:tool/{safe_frame(tc.category)}{procs};effect:network;"
        f"domain:{safe_frame(h)};status:{status}"
        for h in hosts
    ]
    return out


def untracked_stacks(head: str, chain: list[str], status: Status, hosts: list[str]) -> list[str]:
    """A process subtree no tool call explains (AgentSight), and the hosts it talked to."""
    mid = f"{head};call:tool/untracked" + "".join(";process:" + safe_frame(c) for c in chain)
    return [f"{mid};effect:process;status:{status}"] + [
        f"{mid};effect:network;domain:{safe_frame(h)};status:{status}" for h in hosts
    ]


def typed(counts: dict[str, int]) -> Counter[Stack]:
    """Folded-text keys (one per distinct stack) as the tuples every later stage reads."""
    return Counter({parse_stack(k): v for k, v in counts.items()})


def fold_sessions(
    sessions: list[Session],
    tags: Tags,
    project: str,
    correlation: Correlation | None = None,
    outcomes: list[SessionOutcomes] | None = None,
    time: Counter[Stack] | None = None,
) -> Profiles:
    """Every profile of the tagged sessions; ``time`` is the time profile the timeline stage
    made (timeline.py), carried beside the others."""
    prof = Profiles(time=time if time is not None else Counter())
    system: Counter[tuple[str, int]] = Counter()
    token: Counter[tuple[str, int]] = Counter()
    dollars: dict[str, float] = {}
    heads = Heads(sessions, tags, project)
    label = Labeller(sessions, outcomes)
    observed = correlation.observed if correlation else {}
    for si, s in enumerate(sessions):
        head_of = heads.of_session(si)
        lab_of = {
            i: label(si, i, tags.confidence_of("prompt", si, i))
            for i in {tc.prompt_index for tc in s.tool_calls}
        }
        for ti, tc in enumerate(s.tool_calls):
            obs = observed.get((si, ti))
            head = head_of[tc.prompt_index]
            lab = lab_of[tc.prompt_index]
            stacks = (
                tool_stacks(head, tc)
                if obs is None
                else observed_stacks(head, tc, obs.chain, obs.status, obs.hosts)
            )
            for stack in stacks:
                system[(stack, lab)] += 1
        for call in s.llm_calls:
            base = llm_stack(head_of[call.prompt_index], call, tags.call(si, call.index)) + ";kind:"
            lab = label(si, call.prompt_index, tags.confidence_of("llm", si, call.index))
            t = call.tokens
            for kind, count in zip(
                TOKEN_KINDS,
                (t.input, t.cache_read, t.cache_write, t.output, t.reasoning),
                strict=True,
            ):
                if count > 0:
                    token[(base + kind, lab)] += count
            extra = surcharge(call)  # the linear part is priced per stack below
            if extra is not None:
                for kind, usd in zip(TOKEN_KINDS, extra, strict=True):
                    if usd:
                        dollars[base + kind] = dollars.get(base + kind, 0.0) + usd
    for u in correlation.untracked if correlation else []:
        lab = label(
            u.session, u.prompt_index, tags.confidence_of("prompt", u.session, u.prompt_index)
        )
        for stack in untracked_stacks(heads(u.session, u.prompt_index), u.chain, u.status, u.hosts):
            system[(stack, lab)] += 1
    prof.system_labelled = _typed_labelled(system)
    prof.token_labelled = _typed_labelled(token)
    prof.labels = label.sets
    prof.system, prof.token = _unlabelled(system), _unlabelled(token)
    prof.cost = Counter(cost_weights(prof.token, {parse_stack(k): v for k, v in dollars.items()}))
    for name, keep in SYSTEM_PROJECTIONS.items():
        prof.projections[name] = project_frames(prof.system, keep)
    for name, keep in TOKEN_PROJECTIONS.items():
        prof.projections[name] = project_frames(prof.token, keep)
    prof.nonsemantic = project_frames(prof.system, ("session", "prompt"), keep=False)
    if outcomes is not None:
        prof.friction, prof.friction_time = friction_profiles(heads, outcomes)
    return prof


def friction_profiles(
    heads: Heads, outcomes: list[SessionOutcomes]
) -> tuple[Counter[Stack], Counter[Stack]]:
    """``head;friction:<kind>`` weighted in micro-dollars, and its time twin in ms."""
    usd: dict[str, float] = {}
    ms: Counter[str] = Counter()
    for si, so in enumerate(outcomes):
        for (pi, kind), (dollars, millis) in so.friction.items():
            stack = f"{heads(si, pi)};friction:{kind}"
            usd[stack] = usd.get(stack, 0.0) + dollars
            ms[stack] += millis
    cost = typed({k: w for k, v in usd.items() if (w := round(v * 1e6)) > 0})
    return cost, typed({k: v for k, v in ms.items() if v > 0})


def _unlabelled(counts: Counter[tuple[str, int]]) -> Counter[Stack]:
    merged: Counter[str] = Counter()
    for (stack, _lab), weight in counts.items():
        merged[stack] += weight
    return typed(merged)


def _typed_labelled(counts: Counter[tuple[str, int]]) -> Counter[tuple[Stack, int]]:
    split: dict[str, Stack] = {}
    out: Counter[tuple[Stack, int]] = Counter()
    for (stack, lab), weight in counts.items():
        st = split.get(stack)
        if st is None:
            st = split[stack] = parse_stack(stack)
        out[(st, lab)] += weight
    return out


def project_frames(
    counter: Counter[Stack], families: Iterable[str], *, keep: bool = True
) -> Counter[Stack]:
    """Stacks with only the frames of these families (``keep``) or without them (``keep=False``),
    weights of stacks that become equal merged."""
    chosen = set(families)
    wanted: dict[str, bool] = {}  # frame -> kept (frames repeat: decided once each)
    out: Counter[Stack] = Counter()
    for stack, weight in counter.items():
        frames = []
        for f in stack:
            k = wanted.get(f)
            if k is None:
                k = wanted[f] = (_prefix(f) in chosen) is keep
            if k:
                frames.append(f)
        if frames:
            out[tuple(frames)] += weight
    return out


def sorted_items(counter: Counter[Stack]) -> list[tuple[Stack, int]]:
    """Weight descending, then stack text: byte-stable output for the same input."""
    rows = [(stack_text(k), k, v) for k, v in counter.items() if v > 0]
    rows.sort(key=lambda r: (-r[2], r[0]))
    return [(k, v) for _t, k, v in rows]


def folded_text(counter: Counter[Stack]) -> str:
    rows = [(stack_text(k), v) for k, v in counter.items() if v > 0]
    rows.sort(key=lambda r: (-r[1], r[0]))
    return "".join(f"{text} {weight}\n" for text, weight in rows)


_FOLDED_LINE = re.compile(r"^(.+) ([0-9]{1,18})$", re.M)


MAX_WEIGHT_DIGITS = 18  # below 2^63: pprof's int64 sample values


def parse_folded(
    text: str, warnings: list[str] | None = None, where: str = "folded"
) -> Counter[Stack]:
    """Folded text (``frame;frame;… weight`` lines) as typed stacks, weights of repeated stacks
    added. A line that is not a folded stack is skipped (with ``where:line`` in ``warnings``)."""
    out: Counter[Stack] = Counter()
    rows = _FOLDED_LINE.findall(text)
    if len(rows) == text.count("\n") + (not text.endswith("\n")) - (not text):
        get = out.get
        for line, weight in rows:  # the common case: every line is a folded stack
            stack = parse_stack(line)
            out[stack] = get(stack, 0) + int(weight)
        return out
    for lineno, line in enumerate(text.splitlines(), 1):
        head, _, weight = line.rpartition(" ")
        # ASCII digits only (str.isdigit accepts "²"), and a weight pprof can carry
        if head and weight.isascii() and weight.isdigit() and len(weight) <= MAX_WEIGHT_DIGITS:
            out[parse_stack(head)] += int(weight)
        elif line.strip() and warnings is not None:
            warnings.append(f"{where}:{lineno}: not a folded stack line (skipped)")
    return out


@dataclass(slots=True)
class MixedBucket:
    baseline_stack: str
    weight: int
    semantic_variant_count: int
    top_semantic_variants: list[tuple[str, int]]


@dataclass(slots=True)
class Mixing:
    mixed_buckets: int
    mixed_weight: int
    mixed_weight_pct: float
    total_weight: int
    baseline_buckets: int
    examples: list[MixedBucket]


def mixing(
    system: Counter[Stack], drop: tuple[str, ...] = ("session", "prompt"), top: int = 20
) -> Mixing:
    """Baseline stacks into which 2+ distinct session/prompt tag combinations fold."""
    groups: dict[str, Counter[str]] = {}
    for frames, weight in system.items():
        semantic = "/".join(f for f in frames if _prefix(f) in ("session", "prompt"))
        base = ";".join(f for f in frames if _prefix(f) not in drop)
        groups.setdefault(base, Counter())[semantic] += weight
    total = sum(system.values())
    mixed = [(base, variants) for base, variants in groups.items() if len(variants) >= 2]
    mixed_weight = sum(sum(v.values()) for _, v in mixed)
    mixed.sort(key=lambda bv: (-sum(bv[1].values()), bv[0]))
    examples = [
        MixedBucket(
            base, sum(v.values()), len(v), sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
        )
        for base, v in mixed[:top]
    ]
    pct = round(100.0 * mixed_weight / total, 3) if total else 0.0
    return Mixing(len(mixed), mixed_weight, pct, total, len(groups), examples)
