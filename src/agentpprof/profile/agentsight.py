"""Correlate stage: an AgentSight snapshot's real processes -> the shell tool calls that ran them.

Input: AgentSight's report-export snapshot, schema version 1 (``agentsight report export``):
``process_nodes`` (pid, ppid, start/end, comm, exit code), ``audit_events`` (EXEC events carry
the full command line), ``network_targets`` (host per pid). Only those fields are read; unknown
fields are ignored; nothing read here (argv, command lines, cwd, paths) reaches an output
except process names (``comm``) and hosts, as for the history (``--include-previews`` aside).

Matching. The agent's processes are the ones named ``claude``, ``codex`` or ``node``; each of
their children starts the subtree of one command. A shell tool call (its window: request time
- skew to result time + skew) is matched to a subtree that starts inside the window and ran
its program: the tool's principal program (``cargo`` in ``cd x && cargo test``) must be the
name of a process in the subtree, or its command line must appear in the subtree root's EXEC
command. Among those, the one starting closest to the request wins; a tie is counted
ambiguous (the earliest is used). Each subtree explains at most one call (calls in time order).
A matched call's ``process:`` frames become the observed exec chain (the root, then at each
level the child that ran longest; at most ``MAX_DEPTH`` levels), its status the root's exit
code, and each host its subtree talked to an ``effect:network;domain:<host>`` stack. A call
with no candidate keeps the chain read from its command. Subtrees no call explains (the
agent's own ``git``, telemetry) become ``call:tool/untracked`` stacks in the session and
prompt that were running when they started.

Clock skew: the snapshot's clock and the logs' may differ; ``DEFAULT_SKEW_MS`` (2 s) either
way is allowed. Beyond it calls fall back to their offline chain and ``correlation`` says how
many.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from agentpprof.errors import AgentpprofError
from agentpprof.sources.records import Session, Status, ToolCall
from agentpprof.sources.timerange import epoch_ms

SUPPORTED_SCHEMA = 1
DEFAULT_SKEW_MS = 2000
MAX_DEPTH = 6
AGENT_COMMS = frozenset({"claude", "codex", "node"})


class _Node(msgspec.Struct, gc=False):
    pid: int
    ppid: int | None = None
    start_timestamp_ms: int | None = None
    end_timestamp_ms: int | None = None
    comm: str | None = None
    exit_code: int | None = None


class _Details(msgspec.Struct, gc=False):
    full_command: str | None = None
    event: str | None = None


class _Audit(msgspec.Struct, gc=False):
    timestamp_ms: int
    audit_type: str
    pid: int | None = None
    action: str | None = None
    details: msgspec.Raw = msgspec.Raw(b"null")


class _Net(msgspec.Struct, gc=False):
    host: str
    pid: int | None = None
    count: int = 0
    first_timestamp_ms: int | None = None


class _Summary(msgspec.Struct, gc=False):
    audit_events: int = 0
    sessions: int = 0
    audit_limit: int = 0
    start_timestamp_ms: int | None = None
    end_timestamp_ms: int | None = None


class _Snapshot(msgspec.Struct, gc=False):
    schema_version: int
    generated_at: str = ""
    summary: _Summary = msgspec.field(default_factory=_Summary)
    process_nodes: list[_Node] = msgspec.field(default_factory=list)
    audit_events: list[_Audit] = msgspec.field(default_factory=list)
    network_targets: list[_Net] = msgspec.field(default_factory=list)
    sessions: list[msgspec.Raw] = msgspec.field(default_factory=list)


class _Version(msgspec.Struct, gc=False):
    schema_version: int | None = None


@dataclass(slots=True)
class Proc:
    pid: int
    ppid: int | None
    start: int
    end: int
    comm: str
    exit_code: int | None
    command: str = ""  # the EXEC event's command line (memory only)
    children: list[Proc] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Snapshot:
    path: Path
    generated_at: str
    procs: list[Proc]
    audit_events: int
    sessions: int
    summary_audit_events: int
    summary_sessions: int
    network_targets: int


def load_snapshot(path: Path) -> Snapshot:
    """Read and check one snapshot; a clear error naming the file otherwise (exit 1)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AgentpprofError(f"cannot read AgentSight snapshot {path}: {exc.strerror}") from None
    try:
        version = msgspec.json.decode(data, type=_Version).schema_version
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise AgentpprofError(
            f"{path} is not an AgentSight snapshot (not JSON, or truncated: {exc})"[:300],
            hint="export one with `agentsight report export -o FILE`",
        ) from None
    if version != SUPPORTED_SCHEMA:
        raise AgentpprofError(
            f"{path}: AgentSight snapshot schema_version {version!r} is not "
            f"supported (this agentpprof reads version {SUPPORTED_SCHEMA})",
            hint="export the snapshot with an AgentSight that writes schema version 1",
        )
    try:
        snap = msgspec.json.decode(data, type=_Snapshot)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise AgentpprofError(f"{path} is not a valid AgentSight snapshot: {exc}"[:300]) from None
    commands: dict[int, list[tuple[int, str]]] = {}
    for ev in snap.audit_events:
        if ev.audit_type != "process" or ev.pid is None or ev.action not in (None, "exec"):
            continue
        try:
            det = msgspec.json.decode(ev.details, type=_Details)
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue
        if det.full_command:
            commands.setdefault(ev.pid, []).append((ev.timestamp_ms, det.full_command))
    procs: list[Proc] = []
    for n in snap.process_nodes:
        if n.start_timestamp_ms is None:
            continue
        end = n.end_timestamp_ms if n.end_timestamp_ms is not None else n.start_timestamp_ms
        p = Proc(
            n.pid,
            n.ppid,
            n.start_timestamp_ms,
            max(end, n.start_timestamp_ms),
            n.comm or "unknown",
            n.exit_code,
        )
        execs = [c for t, c in commands.get(n.pid, []) if p.start - 5 <= t <= p.end + 5]
        p.command = execs[-1] if execs else ""
        procs.append(p)
    _link(procs)
    by_pid: dict[int, list[Proc]] = {}
    for p in procs:
        by_pid.setdefault(p.pid, []).append(p)
    for net in snap.network_targets:
        for p in by_pid.get(net.pid or -1, []):
            if net.first_timestamp_ms is None or p.start - 5 <= net.first_timestamp_ms <= p.end + 5:
                p.hosts.append(net.host)
    return Snapshot(
        path,
        snap.generated_at,
        procs,
        len(snap.audit_events),
        len(snap.sessions),
        snap.summary.audit_events,
        snap.summary.sessions,
        len(snap.network_targets),
    )


def _link(procs: list[Proc]) -> None:
    """Children under parents: the parent is the process with the child's ppid alive when the
    child started (pids are reused)."""
    by_pid: dict[int, list[Proc]] = {}
    for p in sorted(procs, key=lambda p: p.start):
        by_pid.setdefault(p.pid, []).append(p)
    for p in procs:
        for cand in reversed(by_pid.get(p.ppid if p.ppid is not None else -1, [])):
            if cand is not p and cand.start <= p.start:
                cand.children.append(p)
                break
    for p in procs:
        p.children.sort(key=lambda c: (c.start, c.pid))


def chain_of(root: Proc) -> list[str]:
    """The observed exec chain: the root, then at each level the child that ran longest."""
    out = [root.comm]
    node = root
    while node.children and len(out) < MAX_DEPTH:
        node = max(node.children, key=lambda c: (c.end - c.start, -c.start))
        out.append(node.comm)
    return out


def _subtree(root: Proc) -> list[Proc]:
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(p.children)
    return out


@dataclass(slots=True)
class Observed:
    """What a matched call really ran."""

    chain: list[str]
    status: Status
    hosts: list[str]


@dataclass(slots=True)
class Untracked:
    session: int  # index into the sessions list
    prompt_index: int | None
    chain: list[str]
    status: Status
    hosts: list[str]


@dataclass(slots=True)
class Correlation:
    snapshots: list[dict[str, object]]
    skew_ms: int
    observed: dict[tuple[int, int], Observed]  # (session index, tool index) -> what ran
    untracked: list[Untracked]
    considered: int = 0
    matched: int = 0
    ambiguous: int = 0
    unmatched: int = 0
    outside: int = 0  # shell calls outside every snapshot's time range (not counted above)
    per_session: dict[int, tuple[int, int]] = field(default_factory=dict)  # index -> (m, n)


def _ms(ts: str | None) -> int | None:
    t = epoch_ms(ts)
    return None if t is None else round(t)


def _status(p: Proc) -> Status:
    if p.exit_code is None:
        return "observed"
    return "ok" if p.exit_code == 0 else "fail"


def _program(tc: ToolCall) -> str:
    return tc.process_chain[-1] if tc.process_chain else ""


def _score(tc: ToolCall, root: Proc) -> int:
    """2: the root's command line holds the tool's command; 1: the tool's program ran in the
    subtree; 0: neither."""
    cmd = " ".join(tc.command.split())
    if cmd and len(cmd) >= 4 and cmd in " ".join(root.command.split()):
        return 2
    prog = _program(tc)
    if prog and any(p.comm == prog or p.comm.startswith(prog[:15]) for p in _subtree(root)):
        return 1
    return 0


def correlate(
    sessions: list[Session], snapshots: list[Snapshot], skew_ms: int = DEFAULT_SKEW_MS
) -> Correlation:
    roots: list[Proc] = []
    ranges: list[tuple[int, int]] = []
    for snap in snapshots:
        agents = [p for p in snap.procs if p.comm in AGENT_COMMS]
        agent_ids = {id(a) for a in agents}
        for a in agents:
            roots += [c for c in a.children if id(c) not in agent_ids]
        if snap.procs:
            ranges.append((min(p.start for p in snap.procs), max(p.end for p in snap.procs)))
    roots.sort(key=lambda p: (p.start, p.pid))
    starts = [p.start for p in roots]
    claimed: set[int] = set()
    corr = Correlation(
        snapshots=[
            {
                "file": s.path.name,
                "generated_at": s.generated_at,
                "schema_version": SUPPORTED_SCHEMA,
                "processes": len(s.procs),
                "command_subtrees": 0,
            }
            for s in snapshots
        ],
        skew_ms=skew_ms,
        observed={},
        untracked=[],
    )
    calls: list[tuple[int, int, int, int, ToolCall]] = []
    for si, s in enumerate(sessions):
        for ti, tc in enumerate(s.tool_calls):
            if tc.category != "shell":
                continue
            t0 = _ms(tc.timestamp)
            if t0 is None:
                continue
            t1 = max(_ms(tc.end) or t0, t0)
            calls.append((t0, t1, si, ti, tc))
    calls.sort(key=lambda c: (c[0], c[2], c[3]))
    for t0, t1, si, ti, tc in calls:
        if not any(lo - skew_ms <= t0 <= hi + skew_ms for lo, hi in ranges):
            corr.outside += 1
            continue
        corr.considered += 1
        m, n = corr.per_session.get(si, (0, 0))
        i = bisect.bisect_left(starts, t0 - skew_ms)
        j = bisect.bisect_right(starts, t1 + skew_ms)
        cands = [(p, _score(tc, p)) for p in roots[i:j] if id(p) not in claimed]
        cands = [(p, sc) for p, sc in cands if sc > 0]
        if not cands:
            corr.unmatched += 1
            corr.per_session[si] = (m, n + 1)
            continue
        best = max(sc for _p, sc in cands)
        top = sorted(
            (p for p, sc in cands if sc == best), key=lambda p: (abs(p.start - t0), p.start)
        )
        if len(top) > 1 and abs(top[0].start - t0) == abs(top[1].start - t0):
            corr.ambiguous += 1
        root = top[0]
        claimed.add(id(root))
        hosts = sorted({h for p in _subtree(root) for h in p.hosts})
        corr.observed[(si, ti)] = Observed(chain_of(root), _status(root), hosts)
        corr.matched += 1
        corr.per_session[si] = (m + 1, n + 1)
    corr.untracked = _untracked([p for p in roots if id(p) not in claimed], sessions, skew_ms)
    for row, snap in zip(corr.snapshots, snapshots, strict=True):
        row["command_subtrees"] = sum(1 for p in roots if any(p is q for q in snap.procs))
    return corr


def _untracked(
    procs: list[Proc], sessions: list[Session], skew_ms: int = DEFAULT_SKEW_MS
) -> list[Untracked]:
    """Each unexplained subtree in the session (and prompt) running when it started, within
    the same clock skew as the matching (``--agentsight-skew``); a subtree outside every
    session is left out."""
    spans: list[tuple[int, int, int]] = []
    for si, s in enumerate(sessions):
        a, b = _ms(s.start), _ms(s.end)
        if a is not None and b is not None:
            spans.append((a, b, si))
    out: list[Untracked] = []
    for p in procs:
        inside = [sp for sp in spans if sp[0] - skew_ms <= p.start <= sp[1] + skew_ms]
        if not inside:
            continue
        si = min(inside, key=lambda sp: (sp[1] - sp[0], sp[2]))[2]
        s = sessions[si]
        prompt: int | None = None
        for pr in s.prompts:
            t = _ms(pr.timestamp)
            if t is not None and t <= p.start + skew_ms:
                prompt = pr.index
        hosts = sorted({h for q in _subtree(p) for h in q.hosts})
        out.append(Untracked(si, prompt, chain_of(p), _status(p), hosts))
    return out
