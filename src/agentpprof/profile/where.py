"""``--where KEY=VALUE`` / ``KEY~REGEX``: keep only the work that matches, before folding.

Keys: agent, tag (the session's, the prompt's or the LLM call's word), model, branch, subagent,
outcome, project. Every filter must match (they are ANDed). The stage runs after tagging and
outcomes and before fold, so every output, total and chart is of the same filtered work.

What matches (docs/outcomes.md has the table):
- an LLM call: its session's agent, branch, sub-agent type, the project, its prompt's outcome,
  its own model, and a tag of its session, its prompt or itself;
- a tool call: the same, with the session's or the prompt's tag, and the models of its
  prompt's LLM calls (a tool has no model of its own);
- a prompt is kept when one of its calls is (or, with no calls, when it matches itself); a
  session when one of its prompts or calls is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from msgspec.structs import replace

from agentpprof.profile.outcome import SessionOutcomes
from agentpprof.sources.records import LlmCall, Session
from agentpprof.tagging.tags import Tags

KEYS: tuple[str, ...] = ("agent", "tag", "model", "branch", "subagent", "outcome", "project")
# the keys that are frames of the folded stacks (diff filters folded files: only these)
FRAME_KEYS: tuple[str, ...] = ("agent", "tag", "model", "project")


class WhereError(ValueError):
    """A filter that cannot be used (a usage error, exit 2)."""


@dataclass(frozen=True, slots=True)
class Where:
    key: str
    value: str
    regex: re.Pattern[str] | None  # KEY~REGEX; None for KEY=VALUE (exact)
    # each distinct value is tested once (tags and models repeat across thousands of calls)
    _seen: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.key}{'~' if self.regex else '='}{self.value}"

    def match(self, value: str | None) -> bool:
        if value is None:
            return False
        if self.regex is None:
            return value == self.value
        hit = self._seen.get(value)
        if hit is None:
            hit = self._seen[value] = self.regex.search(value) is not None
        return hit

    def any(self, values: Iterable[str | None]) -> bool:
        return any(self.match(v) for v in values)


def parse_where(items: Iterable[str], keys: tuple[str, ...] = KEYS) -> list[Where]:
    out: list[Where] = []
    for item in items:
        eq, tilde = item.find("="), item.find("~")
        cuts = [i for i in (eq, tilde) if i > 0]
        if not cuts:
            raise WhereError(f"--where {item!r}: expected KEY=VALUE or KEY~REGEX")
        cut = min(cuts)
        key, op, value = item[:cut].strip(), item[cut], item[cut + 1 :]
        if key not in keys:
            raise WhereError(f"--where {item!r}: unknown key {key!r} (keys: {', '.join(keys)})")
        regex = None
        if op == "~":
            try:
                regex = re.compile(value)
            except re.error as exc:
                raise WhereError(f"--where {item!r}: not a regular expression ({exc})") from None
        out.append(Where(key, value, regex))
    return out


def model_names(model: str) -> tuple[str, str]:
    """A model as the log writes it and as its frame shows it (the last path part)."""
    return model, model.rsplit("/", 1)[-1] or "unknown"


@dataclass(frozen=True, slots=True)
class Filtered:
    sessions: list[Session]
    tags: Tags
    outcomes: list[SessionOutcomes]


class _Session:
    """Whether each call and prompt of one session matches every filter."""

    def __init__(
        self,
        filters: list[Where],
        s: Session,
        si: int,
        tags: Tags,
        so: SessionOutcomes,
        project: str,
    ) -> None:
        self.filters, self.s, self.si, self.tags, self.so = filters, s, si, tags, so
        self.project = project
        self.stag = tags.session(si)
        self.models: dict[int | None, set[str]] = {}
        for c in s.llm_calls:
            self.models.setdefault(c.prompt_index, set()).update(model_names(c.model))
        self._work: dict[int | None, bool] = {}
        self._calls: dict[tuple[int | None, str, str], bool] = {}
        self.by_model = any(f.key == "model" for f in filters)

    def common(self, f: Where, pi: int | None) -> bool:
        s = self.s
        if f.key == "agent":
            return f.match(s.agent.value)
        if f.key == "branch":
            return f.match(s.branch)
        if f.key == "subagent":
            return f.match(s.subagent_type if s.is_subagent else None)
        if f.key == "project":
            return f.match(self.project)
        if f.key == "outcome":
            return f.match(self.so.outcome(pi))
        return True

    def call(self, c: LlmCall) -> bool:
        # a call matches whatever its prompt's work matches (its words are a superset of the
        # prompt's), unless a model filter asks for its own model
        if not self.by_model and self.work(c.prompt_index):
            return True
        # else decided once per (prompt, call word, model): the answer depends on nothing else
        key = (c.prompt_index, self.tags.call(self.si, c.index), c.model)
        ok = self._calls.get(key)
        if ok is None:
            ok = self._calls[key] = self._call_of(*key)
        return ok

    def _call_of(self, pi: int | None, word: str, model: str) -> bool:
        for f in self.filters:
            if f.key == "tag":
                ok = f.any((self.stag, self.tags.prompt(self.si, pi), word))
            elif f.key == "model":
                ok = f.any(model_names(model))
            else:
                ok = self.common(f, pi)
            if not ok:
                return False
        return True

    def work(self, pi: int | None) -> bool:
        ok = self._work.get(pi)
        if ok is None:
            ok = self._work[pi] = self._work_of(pi)
        return ok

    def _work_of(self, pi: int | None) -> bool:
        for f in self.filters:
            if f.key == "tag":
                ok = f.any((self.stag, self.tags.prompt(self.si, pi)))
            elif f.key == "model":
                ok = f.any(self.models.get(pi, ()))
            else:
                ok = self.common(f, pi)
            if not ok:
                return False
        return True


def apply_where(
    filters: list[Where],
    sessions: list[Session],
    tags: Tags,
    outcomes: list[SessionOutcomes],
    project: str,
) -> Filtered:
    if not filters:
        return Filtered(sessions, tags, outcomes)
    plan: list[tuple[int, Session, bool]] = []  # (old index, session, kept whole)
    for si, s in enumerate(sessions):
        m = _Session(filters, s, si, tags, outcomes[si], project)
        calls = [c for c in s.llm_calls if m.call(c)]
        tools = [t for t in s.tool_calls if m.work(t.prompt_index)]
        whole = len(calls) == len(s.llm_calls) and len(tools) == len(s.tool_calls)
        if whole and all(m.work(p.index) for p in s.prompts):
            plan.append((si, s, True))
            continue
        used = {c.prompt_index for c in calls} | {t.prompt_index for t in tools}
        prompts = [p for p in s.prompts if p.index in used or m.work(p.index)]
        if not (calls or tools or prompts):
            continue
        keep = {p.index for p in prompts} | used
        events = [e for e in s.events if e.prompt_index in keep]
        part = replace(s, llm_calls=calls, tool_calls=tools, prompts=prompts, events=events)
        plan.append((si, part, False))
    if len(plan) == len(sessions) and all(whole for _si, _s, whole in plan):
        return Filtered(sessions, tags, outcomes)  # everything matched: nothing to copy
    return _renumber(plan, tags, outcomes)


def _renumber(
    plan: list[tuple[int, Session, bool]], tags: Tags, outcomes: list[SessionOutcomes]
) -> Filtered:
    """The kept sessions, numbered anew, with their tags and outcomes (a partly kept
    session's friction only of the prompts it keeps)."""
    kept: list[Session] = []
    kept_outcomes: list[SessionOutcomes] = []
    new_tags = Tags()
    refs_of: dict[int, list[tuple[str, int, int]]] = {}
    for ref in tags.words:
        refs_of.setdefault(ref[1], []).append(ref)
    for si, s, whole in plan:
        so = outcomes[si]
        ni = len(kept)
        kept.append(s)
        if whole:
            kept_outcomes.append(so)
        else:
            keep = {p.index for p in s.prompts} | {c.prompt_index for c in s.llm_calls}
            keep |= {t.prompt_index for t in s.tool_calls}
            kept_outcomes.append(
                SessionOutcomes(
                    prompts=so.prompts,
                    before=so.before,
                    friction={k: v for k, v in so.friction.items() if k[0] in keep},
                )
            )
        for ref in refs_of.get(si, []):
            new_tags.set(
                (ref[0], ni, ref[2]),
                tags.words[ref],
                tags.provenance.get(ref, ""),
                tags.confidence.get(ref),
            )
    return Filtered(kept, new_tags, kept_outcomes)


def stack_matches(filters: list[Where], stack: tuple[str, ...]) -> bool:
    """A folded stack against frame filters (``diff --where``): every filter must match one of
    its frames (agent:, project:, model:, and for tag the session:, prompt: or call:llm/ word);
    a stack without that kind of frame does not match."""
    for f in filters:
        ok = False
        for frame in stack:
            prefix, _, value = frame.partition(":")
            if f.key == "tag":
                if prefix in ("session", "prompt"):
                    ok = f.match(value)
                elif prefix == "call" and value.startswith("llm/"):
                    ok = f.match(value[4:])
            elif prefix == f.key:
                ok = f.match(value)
            if ok:
                break
        if not ok:
            return False
    return True
