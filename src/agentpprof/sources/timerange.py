"""``--since`` / ``--until``: which part of the history a report or listing covers.

Two steps. Discovery does not open a scanned file whose last write (mtime) is before
``--since``: nothing in it can be newer. After parsing, events outside the range are dropped
and each session is clipped to it: its LLM calls and tool calls must have a time inside the
range, and a prompt is kept when it is inside or when work of it inside the range is kept (the
prompt frames that work). A session with nothing left is dropped; start and end become those of
what is kept. Events without a time are kept only in sessions that keep timed events. Explicit
``--session-file`` paths are always opened (and clipped).

Values: ``YYYY-MM-DD`` (UTC; ``--since`` from the start of that day, ``--until`` to its end),
an ISO-8601 time (``2026-11-30T14:00``, UTC unless it carries an offset), or a relative
``90m``, ``12h``, ``7d``, ``2w`` (before now).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from msgspec.structs import replace

from agentpprof.sources.records import Session, utc_ts

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True, slots=True)
class TimeRange:
    since: datetime | None = None
    until: datetime | None = None

    def __bool__(self) -> bool:
        return self.since is not None or self.until is not None

    @property
    def since_epoch(self) -> float | None:
        return self.since.timestamp() if self.since else None

    def bounds(self) -> tuple[str, str]:
        """The range as comparable UTC strings (the logs' ``...Z`` form)."""
        lo = _z(self.since) if self.since else ""
        hi = _z(self.until) if self.until else "\uffff"
        return lo, hi


ALL_TIME = TimeRange()


def _z(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


OUT_OF_RANGE = "out of the range of dates this tool can represent (years 1 to 9999, UTC)"


def parse_when(text: str, *, end: bool = False, now: datetime | None = None) -> datetime:
    """A ``--since``/``--until`` value as an aware UTC time; ValueError with the reason (also
    for a time outside years 1-9999: ``99999999999d``, ``0001-01-01T00:00+14:00``)."""
    try:
        return _parse_when(text, end, now)
    except OverflowError:
        raise ValueError(OUT_OF_RANGE) from None


def _parse_when(text: str, end: bool, now: datetime | None) -> datetime:
    value = text.strip()
    now = now or datetime.now(UTC)
    m = _RELATIVE.match(value.lower())
    if m:
        return now - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = datetime.fromisoformat(value).replace(tzinfo=UTC)
        if end and day.date() == datetime.max.date():
            return datetime.max.replace(microsecond=999000, tzinfo=UTC)  # --until 9999-12-31
        return day + timedelta(days=1) - timedelta(milliseconds=1) if end else day
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            "expected YYYY-MM-DD, an ISO-8601 time, or a relative 90m / 12h / 7d / 2w"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def normal_ts(ts: str) -> str:
    """A log time as a comparable UTC string with milliseconds (``...T10:00:00.000Z``); times
    already in that form (nearly all) as they are; text that is not a date as it is."""
    return utc_ts(ts) or ts


def epoch_ms(ts: str | None) -> float | None:
    """A log time as milliseconds since the epoch (None when absent or unreadable)."""
    if not ts:
        return None
    try:
        return datetime.fromisoformat(normal_ts(ts).replace("Z", "+00:00")).timestamp() * 1000
    except (ValueError, OverflowError):
        return None


def clip_session(s: Session, rng: TimeRange) -> Session | None:
    """A new session holding what of ``s`` is inside the range (``s`` is not changed), or None
    when nothing of it is inside."""
    lo, hi = rng.bounds()

    def inside(ts: str | None) -> bool | None:
        t = utc_ts(ts) if ts else None
        if t is None:  # no time, or not a date: kept with the timed work of its session
            return None
        return lo <= t <= hi

    calls = [c for c in s.llm_calls if inside(c.timestamp) is not False]
    tools = [t for t in s.tool_calls if inside(t.timestamp) is not False]
    timed = (
        any(inside(c.timestamp) for c in calls)
        or any(inside(t.timestamp) for t in tools)
        or any(inside(p.timestamp) for p in s.prompts)
    )
    if not timed:
        return None
    used = {c.prompt_index for c in calls} | {t.prompt_index for t in tools}
    kept = [p for p in s.prompts if inside(p.timestamp) or p.index in used]
    remap = {p.index: i for i, p in enumerate(kept)}

    def moved(index: int | None) -> int | None:
        return remap.get(index) if index is not None else None

    prompts = [replace(p, index=i) for i, p in enumerate(kept)]
    new_calls = [
        replace(c, index=i, prompt_index=moved(c.prompt_index)) for i, c in enumerate(calls)
    ]
    new_tools = [
        replace(t, index=i, prompt_index=moved(t.prompt_index)) for i, t in enumerate(tools)
    ]
    times = sorted(
        t
        for t in (
            utc_ts(ts)
            for ts in (
                *(p.timestamp for p in kept),
                *(c.timestamp for c in calls),
                *(t.timestamp for t in tools),
                *(t.end for t in tools),
            )
            if ts
        )
        if t is not None
    )
    inside_times = [t for t in times if lo <= t <= hi]
    return replace(
        s,
        prompts=prompts,
        llm_calls=new_calls,
        tool_calls=new_tools,
        agent_links={k: moved(v) for k, v in s.agent_links.items()},
        start=inside_times[0] if inside_times else None,
        end=inside_times[-1] if inside_times else None,
    )


def clip_sessions(sessions: list[Session], rng: TimeRange) -> list[Session]:
    if not rng:
        return sessions
    return [c for s in sessions if (c := clip_session(s, rng)) is not None]
