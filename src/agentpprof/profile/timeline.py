"""Time stage: tagged sessions -> spans on each session's wall clock, the time profile, the
waterfall's lanes and a Chrome trace.

Spans of one session (its own lane; a sub-agent file is a lane of its own, after its parent):
a tool call runs from its request to its result; an LLM call runs from the event before its
response (the prompt, a tool result or the previous response) to the response; the gap between
the last event before a prompt and that prompt is time **waiting for the user**. The session's
wall time (first to last event) is cut at every span boundary and each piece is given to what
ran then: the tools running (split evenly when several run at once), else the LLM call, else
the wait; what is none of these (an LLM's response until its tool starts) is idle. So for each
session tool + LLM + wait + idle = end - start, to the millisecond before rounding, and
``semantic-time.folded.txt`` (the system stack shape; LLM calls as
``…;prompt:<tag>;call:llm/<tag>;model:<model>``) holds the tool and LLM parts in ms. Only
tags, kinds and process names appear in spans: no prompt, command or model text.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agentpprof.profile.agentsight import Correlation, Observed
from agentpprof.profile.fold import (
    NONE_TAG,
    Heads,
    Labeller,
    Labels,
    Stack,
    llm_stack,
    observed_stacks,
    tool_stacks,
    typed,
)
from agentpprof.sources.classify import safe_frame
from agentpprof.sources.records import Session

if TYPE_CHECKING:
    from agentpprof.profile.outcome import SessionOutcomes
from agentpprof.sources.timerange import epoch_ms
from agentpprof.tagging.tags import Tags


@dataclass(slots=True)
class Span:
    start: float  # ms since the epoch
    end: float
    kind: str  # "llm", "tool" or "wait"
    name: str  # llm/<tag>, tool/<category>[ <process>], "waiting for the user"
    tag: str  # the colour: the LLM call's tag, or the prompt's tag for tools
    stacks: list[str] = field(
        default_factory=list
    )  # folded text (fold's builders)  # time-profile stacks (empty for waits)
    labels: Labels = ()  # the samples' labels (fold.Labeller), the trace event's args


@dataclass(slots=True)
class Lane:
    name: str  # agent, session tag, short id (no free text)
    key: str
    session: int  # index of the session in the list given to build_timeline
    subagent: bool
    start: float
    end: float
    spans: list[Span]
    tool_ms: float = 0.0
    llm_ms: float = 0.0
    wait_ms: float = 0.0
    idle_ms: float = 0.0


@dataclass(slots=True)
class Timeline:
    lanes: list[Lane]
    profile: Counter[Stack]  # stack -> ms


def _spans(
    s: Session,
    si: int,
    heads: Heads,
    tags: Tags,
    label: Labeller,
    observed: dict[int, Observed] | None = None,
) -> list[Span]:
    spans: list[Span] = []
    # events that end an interval: prompts, tool results, LLM responses
    marks: list[tuple[float, str]] = []
    prompt_at: list[float] = []
    for p in s.prompts:
        t = epoch_ms(p.timestamp)
        if t is not None:
            marks.append((t, "prompt"))
            prompt_at.append(t)
    for ti, tc in enumerate(s.tool_calls):
        t0 = epoch_ms(tc.timestamp)
        if t0 is None:
            continue
        obs = (observed or {}).get(ti)
        t1 = epoch_ms(tc.end)
        t1 = t0 if t1 is None or t1 < t0 else t1
        prompt_tag = tags.prompt(si, tc.prompt_index) or NONE_TAG
        name = f"tool/{safe_frame(tc.category)}"
        if tc.process_chain:
            name += " " + tc.process_chain[-1]
        head = heads(si, tc.prompt_index)
        stacks = (
            tool_stacks(head, tc)
            if obs is None
            else observed_stacks(head, tc, obs.chain, obs.status, obs.hosts)
        )
        labels = label.labels(
            si, tc.prompt_index, tags.confidence_of("prompt", si, tc.prompt_index)
        )
        spans.append(Span(t0, t1, "tool", name, prompt_tag, stacks, labels))
        marks.append((t1, "result"))
    # by time only (calls of the same instant keep their order; records do not compare)
    responses = sorted(
        ((t, c) for c in s.llm_calls if (t := epoch_ms(c.timestamp)) is not None),
        key=lambda tc: tc[0],
    )
    for t, _c in responses:
        marks.append((t, "response"))
    marks.sort()
    times = [m[0] for m in marks]
    for t, c in responses:
        i = bisect.bisect_left(times, t) - 1  # the latest mark strictly before the response
        start = times[i] if i >= 0 else t
        word = tags.call(si, c.index) or NONE_TAG
        spans.append(
            Span(
                start,
                t,
                "llm",
                f"llm/{safe_frame(word)}",
                word,
                [llm_stack(heads(si, c.prompt_index), c, word)],
                label.labels(si, c.prompt_index, tags.confidence_of("llm", si, c.index)),
            )
        )
    for t in prompt_at:
        i = bisect.bisect_left(times, t) - 1
        if i >= 0 and times[i] < t and marks[i][1] != "prompt":
            spans.append(Span(times[i], t, "wait", "waiting for the user", "", []))
    spans.sort(key=lambda sp: (sp.start, sp.end))
    return spans


def _attribute(lane: Lane, acc: dict[str, float]) -> None:
    """Cut the lane's wall time at every span boundary and give each piece to the tools running
    (evenly), else the LLM call, else the wait, else idle. One sweep over the boundaries."""
    edges: list[tuple[float, int, int]] = []  # (time, +1 start / -1 end, span index)
    for i, sp in enumerate(lane.spans):
        if sp.end > sp.start:
            edges.append((sp.start, 1, i))
            edges.append((sp.end, -1, i))
    edges.sort(key=lambda e: (e[0], e[1]))  # ends before starts at the same time
    tools: set[int] = set()
    llms: set[int] = set()
    waits = 0
    at = lane.start
    for t, step, i in edges:
        width = t - at
        if width > 0:
            if tools:
                share = width / len(tools)
                for j in tools:
                    stacks = lane.spans[j].stacks
                    for stack in stacks:
                        acc[stack] = acc.get(stack, 0.0) + share / len(stacks)
                lane.tool_ms += width
            elif llms:
                for j in llms:
                    stack = lane.spans[j].stacks[0]
                    acc[stack] = acc.get(stack, 0.0) + width / len(llms)
                lane.llm_ms += width
            elif waits:
                lane.wait_ms += width
            else:
                lane.idle_ms += width
            at = t
        kind = lane.spans[i].kind
        group = tools if kind == "tool" else llms if kind == "llm" else None
        if group is not None:
            if step > 0:
                group.add(i)
            else:
                group.discard(i)
        else:
            waits += step
    if lane.end > at:
        lane.idle_ms += lane.end - at


def build_timeline(
    sessions: list[Session],
    tags: Tags,
    project: str,
    correlation: Correlation | None = None,
    outcomes: list[SessionOutcomes] | None = None,
) -> Timeline:
    heads = Heads(sessions, tags, project)
    label = Labeller(sessions, outcomes)
    lanes: list[Lane] = []
    acc: dict[str, float] = {}
    by_session: dict[int, dict[int, Observed]] = {}
    for (si, ti), obs in (correlation.observed if correlation else {}).items():
        by_session.setdefault(si, {})[ti] = obs
    for index, s in enumerate(sessions):
        spans = _spans(s, index, heads, tags, label, by_session.get(index))
        if not spans:
            continue
        # the lane is the session's own start..end (every record's time), so its parts add up
        # to the session's wall time; before the first or after the last span is "other"
        start = min([sp.start for sp in spans] + [t for t in (epoch_ms(s.start),) if t is not None])
        end = max([sp.end for sp in spans] + [t for t in (epoch_ms(s.end),) if t is not None])
        sid = (s.agent_id or s.session_id or "")[:8]
        word = tags.session(index) or NONE_TAG
        name = f"{s.agent.value} · {safe_frame(word)} · {safe_frame(sid)}"
        lane = Lane(
            name + (" (sub-agent)" if s.is_subagent else ""),
            s.session_id,
            index,
            s.is_subagent,
            start,
            end,
            spans,
        )
        _attribute(lane, acc)
        lanes.append(lane)
    lanes = _ordered(lanes, sessions)
    profile = typed({k: w for k, ms in acc.items() if (w := round(ms)) > 0})
    return Timeline(lanes, profile)


def _ordered(lanes: list[Lane], sessions: list[Session]) -> list[Lane]:
    """Main sessions by start; each one's sub-agents right after it."""
    parent_of = {s.session_id: s.parent_session_id for s in sessions if s.is_subagent}
    mains = sorted((ln for ln in lanes if not ln.subagent), key=lambda ln: (ln.start, ln.key))
    subs = sorted((ln for ln in lanes if ln.subagent), key=lambda ln: (ln.start, ln.key))
    out: list[Lane] = []
    placed: set[int] = set()
    for m in mains:
        out.append(m)
        for i, sub in enumerate(subs):
            if i not in placed and parent_of.get(sub.key) == m.key:
                out.append(sub)
                placed.add(i)
    out += [sub for i, sub in enumerate(subs) if i not in placed]
    return out


def trace_json(tl: Timeline, project: str) -> str:
    """The Chrome trace-event format (Perfetto, chrome://tracing and speedscope open it): one
    thread per lane, complete ("X") events in microseconds from the first span."""
    origin = min((ln.start for ln in tl.lanes), default=0.0)
    events: list[dict[str, object]] = [
        {
            "name": "process_name",
            "ph": "M",
            "pid": 1,
            "tid": 0,
            "args": {"name": f"agentpprof {safe_frame(project)}"},
        }
    ]
    for tid, lane in enumerate(tl.lanes, 1):
        events.append(
            {"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": lane.name}}
        )
        events.append(
            {
                "name": "thread_sort_index",
                "ph": "M",
                "pid": 1,
                "tid": tid,
                "args": {"sort_index": tid},
            }
        )
        for sp in lane.spans:
            events.append(
                {
                    "name": sp.name,
                    "cat": sp.kind,
                    "ph": "X",
                    "pid": 1,
                    "tid": tid,
                    "ts": round((sp.start - origin) * 1000),
                    "dur": max(round((sp.end - sp.start) * 1000), 1),
                    "args": ({"tag": sp.tag} if sp.tag else {}) | dict(sp.labels),
                }
            )
    return json.dumps(
        {
            "traceEvents": events,
            "displayTimeUnit": "ms",
            "otherData": {"exporter": "agentpprof", "origin_ms": round(origin)},
        },
        separators=(",", ":"),
    )


def waterfall_data(trace: str) -> dict[str, object]:
    """What the dashboard's waterfall draws, read back from the trace (so ``agentpprof render``
    can rebuild it from the folder): lanes of [start_ms, end_ms, kind, name, tag]."""
    doc = json.loads(trace)
    names: dict[int, str] = {}
    spans: dict[int, list[list[object]]] = {}
    for ev in doc.get("traceEvents", []):
        tid = int(ev.get("tid", 0))
        if ev.get("ph") == "M" and ev.get("name") == "thread_name":
            names[tid] = str(ev.get("args", {}).get("name", ""))
        elif ev.get("ph") == "X":
            start = ev["ts"] / 1000
            spans.setdefault(tid, []).append(
                [
                    round(start, 3),
                    round(start + ev["dur"] / 1000, 3),
                    ev.get("cat", ""),
                    ev.get("name", ""),
                    (ev.get("args") or {}).get("tag", ""),
                ]
            )
    lanes = [
        {"name": names.get(tid, str(tid)), "spans": spans.get(tid, [])} for tid in sorted(names)
    ]
    origin = (doc.get("otherData") or {}).get("origin_ms", 0)
    return {"origin_ms": origin, "lanes": lanes}
