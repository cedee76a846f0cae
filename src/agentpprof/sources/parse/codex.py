"""Codex CLI rollouts -> Session.

Layouts: C (``{timestamp, type, payload}`` envelope, 0.4x+), B (bare SessionMeta then bare
ResponseItems, ~0.1-0.3x) and A (one JSON document ``{"session":…, "items":[…]}``).

Token rule: each ``token_count`` event whose cumulative ``total_token_usage`` changed is one LLM
call with usage ``last_token_usage``; re-emitted identical totals are skipped. A decrease is a
reset (resume/fork). ``token_usage_record`` events are used only when a file has no
``token_count`` usage, so the two are never added together.
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path
from typing import Any

import msgspec

from agentpprof.sources import classify
from agentpprof.sources.parse.lines import (
    EMPTY_RAW,
    NOT_A_TIME,
    LineReader,
    clean_type,
    is_regular,
    raw_json,
    session_stem,
    text_of,
)
from agentpprof.sources.records import (
    Agent,
    Event,
    EventKind,
    LlmCall,
    Prompt,
    Session,
    Status,
    Tokens,
    ToolCall,
    ToolFacts,
    token_count,
    utc_ts,
)


class Payload(msgspec.Struct, gc=False):
    type: str = ""
    id: str | None = None
    session_id: str | None = None
    cwd: str | None = None
    model: str | None = None
    source: msgspec.Raw = EMPTY_RAW
    forked_from_id: str | None = None
    parent_thread_id: str | None = None
    timestamp: str | None = None
    role: str | None = None
    content: msgspec.Raw = EMPTY_RAW
    name: str | None = None
    namespace: str | None = None
    arguments: msgspec.Raw = EMPTY_RAW
    call_id: str | None = None
    input: msgspec.Raw = EMPTY_RAW
    output: msgspec.Raw = EMPTY_RAW
    status: msgspec.Raw = EMPTY_RAW
    action: msgspec.Raw = EMPTY_RAW
    message: msgspec.Raw = EMPTY_RAW
    info: msgspec.Raw = EMPTY_RAW
    usage: msgspec.Raw = EMPTY_RAW
    exit_code: int | None = None
    success: bool | None = None
    instructions: msgspec.Raw = EMPTY_RAW
    error: msgspec.Raw = EMPTY_RAW  # task_complete: why the turn failed
    git: msgspec.Raw = EMPTY_RAW  # session_meta: {commit_hash, branch, repository_url}
    agent_role: str | None = None  # session_meta of a spawned sub-agent (newer Codex)
    # flat legacy usage (token_count without info)
    # Any: a bad figure is counted as 0 with a warning (records.token_count), not a lost line
    input_tokens: Any = None
    cached_input_tokens: Any = None
    output_tokens: Any = None
    reasoning_output_tokens: Any = None


class Line(msgspec.Struct, gc=False):
    timestamp: str | None = None
    type: str = ""
    payload: Payload | None = None
    # legacy layout B: SessionMeta / ResponseItem fields at top level
    id: str | None = None
    record_type: str | None = None


DECODER = msgspec.json.Decoder(Line)
PAYLOAD_DECODER = msgspec.json.Decoder(Payload)

ENVELOPE_TYPES = frozenset(
    {
        "session_meta",
        "turn_context",
        "response_item",
        "event_msg",
        "compacted",
        "world_state",
        "inter_agent_communication",
        "inter_agent_communication_metadata",
        "token_usage_record",
    }
)
RESPONSE_TYPES = frozenset(
    {
        "message",
        "reasoning",
        "function_call",
        "function_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "local_shell_call",
        "web_search_call",
        "ghost_snapshot",
        "compaction",
        "agent_message",
        "additional_tools",
        "other",
        "tool_search_call",
        "tool_search_output",
        "image_generation_call",
        "mcp_tool_call",
    }
)
INJECTED_PREFIXES = (
    "<environment_context>",
    "# AGENTS.md instructions",
    "<INSTRUCTIONS>",
    "<user_instructions>",
    "<user_action>",
    "<turn_aborted>",
    "<permissions instructions>",
    "<collaboration_mode>",
    "<skills_instructions>",
    "<plugins_instructions>",
    "<apps_instructions>",
    "<user_shell_command>",
)
REQUEST_MARK = re.compile(r"^#+\s*My request for Codex:?\s*$", re.MULTILINE | re.IGNORECASE)
EXIT_RES = (
    re.compile(r"Process exited with code (-?\d+)"),
    re.compile(r"^Exit code: (-?\d+)", re.MULTILINE),
)
RUNNING_RE = re.compile(r"Process running with session ID (\d+)")
FAIL_MARKERS = (
    "apply_patch verification failed",
    "aborted by user",
    "write_stdin failed",
    "failed in sandbox",
    "execution error",
    "rejected by user",
    "sandbox denied",
    "error: ",
)


def subagent_role(sub: Any, spawn: Any) -> str | None:
    """A Codex sub-agent's role: ``{"subagent": "review"}`` names it; a spawned thread's
    ``thread_spawn`` may carry ``agent_role`` (or ``agent_type``); another object form is named
    by its one key (``{"subagent": {"compact": {}}}``)."""
    if isinstance(sub, str):
        return clean_type(sub)
    if isinstance(spawn, dict):
        for key in ("agent_role", "agent_type"):
            if isinstance(spawn.get(key), str):
                return clean_type(spawn[key])
        return None
    if isinstance(sub, dict) and len(sub) == 1:
        return clean_type(next(iter(sub)))
    return None


def _usage(obj: Any, bad: list[str] | None = None) -> Tokens | None:
    """Usage figures as disjoint kinds; a bad figure counts as 0 and its problem is appended
    to ``bad`` (records.token_count)."""
    if not isinstance(obj, dict):
        return None

    def num(key: str) -> int:
        n, problem = token_count(obj.get(key))
        if problem and bad is not None:
            bad.append(problem)
        return n

    total_in = num("input_tokens")
    cached = num("cached_input_tokens") or num("cache_read_input_tokens")
    # newer Codex (formats-2026-09.md): a cache-write figure, part of input_tokens like the
    # cached figure; the kinds stay disjoint and add up to input + output
    written = num("cache_write_input_tokens")
    out = num("output_tokens")
    reasoning = num("reasoning_output_tokens")
    if not (total_in or cached or out or reasoning):
        return None
    written = min(written, max(total_in - cached, 0))
    return Tokens(
        input=max(total_in - cached - written, 0),
        cache_read=cached,
        cache_write=written,
        output=max(out - reasoning, 0),
        reasoning=reasoning,
    )


def _usage_key(t: Tokens) -> tuple[int, ...]:
    return (t.input, t.cache_read, t.cache_write, t.output, t.reasoning)


def _int(v: Any) -> int:
    return token_count(v)[0]


def _cum_key(obj: Any) -> tuple[int, ...] | None:
    if not isinstance(obj, dict):
        return None
    return tuple(
        _int(obj.get(k))
        for k in (
            "input_tokens",
            "cached_input_tokens",
            "output_tokens",
            "reasoning_output_tokens",
            "total_tokens",
        )
    )


def _request_text(text: str) -> str:
    """Strip the IDE/Desktop wrapper down to the user's own request."""
    m = REQUEST_MARK.search(text)
    if m:
        return text[m.end() :].strip()
    return text.strip()


def _output_status(text: str) -> tuple[Status | None, str | None]:
    """(status, running session id) from a tool output text."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            meta = obj.get("metadata")
            if isinstance(meta, dict) and isinstance(meta.get("exit_code"), int):
                return ("ok" if meta["exit_code"] == 0 else "fail"), None
            out = obj.get("output")
            if isinstance(out, str):
                text = out
    for rx in EXIT_RES:
        m = rx.search(text[:2000])
        if m:
            return ("ok" if m.group(1) == "0" else "fail"), None
    run = RUNNING_RE.search(text[:2000])
    if run:
        return None, run.group(1)
    low = text[:300].lower()
    if any(low.startswith(mk) or mk in low[:120] for mk in FAIL_MARKERS):
        return "fail", None
    return "ok", None


class _State:
    def __init__(
        self, path: Path, display: str, project_root: str | None, keep_text: bool = True
    ) -> None:
        self.keep_text = keep_text
        self.reader = LineReader(path, display)
        self.session = Session(agent=Agent.CODEX, file=display, session_id=session_stem(path))
        self.project_root = project_root
        self.model = ""
        self.current_prompt: int | None = None
        self.tools: dict[str, ToolCall] = {}
        self.running: dict[str, ToolCall] = {}
        self.pending_text: list[str] = []
        self.pending_tools: list[str] = []
        self.pending_hints: list[str] = []
        self.prev_total: tuple[int, ...] | None = None
        self.usage_records: list[tuple[int, str | None, Tokens]] = []
        self.fallback_prompts: list[tuple[int, str | None, str]] = []
        self.saw_user_message = False
        self.cwd_now: str | None = None
        # a fork or spawned sub-agent thread first re-emits its parent's history: its records
        # are skipped until its own task_started at or after its start (formats-2026-09.md)
        self.replaying = False
        self.fork_start: str | None = None
        # the current line, for layout-B records decoded a second way
        self._raw: bytes | memoryview = b""

    # -- records -------------------------------------------------------------------------
    def line(self, lineno: int, rec: Line) -> None:
        s = self.session
        kind = rec.type
        payload = rec.payload
        if rec.timestamp and utc_ts(rec.timestamp) is None:
            self.reader.count_kind(lineno, NOT_A_TIME)
        if self.replaying and kind != "session_meta":
            if not (
                kind == "event_msg"
                and payload is not None
                and payload.type == "task_started"
                and (self.fork_start is None or (rec.timestamp or "") >= self.fork_start)
            ):
                return  # the parent's history, counted in the parent's own file
            self.replaying = False
        s.note_time(rec.timestamp)
        if payload is None:
            self.legacy(lineno, rec)
            return
        if kind not in ENVELOPE_TYPES:
            self.reader.count_kind(lineno, f"unknown record type {kind[:40]!r}; ignored")
            return
        if kind == "session_meta":
            self.meta(payload)
        elif kind == "turn_context":
            if payload.model:
                self.model = payload.model
                s.note_model(payload.model)
            if payload.cwd:
                self.cwd_now = payload.cwd
                if s.cwd is None:
                    s.cwd = payload.cwd
        elif kind == "response_item":
            if payload.type == "compaction":
                self.note(lineno, rec.timestamp, "compaction")
            self.response(lineno, rec.timestamp, payload)
        elif kind == "compacted":
            self.note(lineno, rec.timestamp, "compaction")
        elif kind == "event_msg":
            self.event(lineno, rec.timestamp, payload)
        elif kind == "token_usage_record":
            usage = self.usage(
                lineno, raw_json(payload.info) or raw_json(payload.usage)
            ) or self.usage(
                lineno,
                {
                    "input_tokens": payload.input_tokens,
                    "cached_input_tokens": payload.cached_input_tokens,
                    "output_tokens": payload.output_tokens,
                    "reasoning_output_tokens": payload.reasoning_output_tokens,
                },
            )
            if usage is not None:
                self.usage_records.append((lineno, rec.timestamp, usage))

    def meta(self, p: Payload) -> None:
        s = self.session
        sid = p.id or p.session_id
        if sid:
            s.session_id = sid
        if p.cwd and s.cwd is None:
            s.cwd = p.cwd
        if p.model:
            self.model = p.model
            s.note_model(p.model)
        if p.timestamp:
            s.note_time(p.timestamp)
        git = raw_json(p.git) if p.git else None
        if isinstance(git, dict) and isinstance(git.get("branch"), str) and git["branch"]:
            s.branch = git["branch"]
        src = raw_json(p.source)
        spawned: str | None = None
        if isinstance(src, dict) and "subagent" in src:
            s.is_subagent = True
            sub = src.get("subagent")
            spawn = sub.get("thread_spawn") if isinstance(sub, dict) else None
            if isinstance(spawn, dict) and isinstance(spawn.get("parent_thread_id"), str):
                spawned = spawn["parent_thread_id"]
            s.subagent_type = subagent_role(sub, spawn) or s.subagent_type
        if p.agent_role:
            s.subagent_type = clean_type(p.agent_role) or s.subagent_type
        parent = p.forked_from_id or p.parent_thread_id or spawned
        if parent:
            s.parent_session_id = parent
            s.is_subagent = s.is_subagent or p.parent_thread_id is not None
            if not self.replaying and not (s.prompts or s.llm_calls or s.tool_calls):
                self.replaying = True
                self.fork_start = p.timestamp

    def legacy(self, lineno: int, rec: Line) -> None:
        """Layout B: bare SessionMeta first, then bare ResponseItems."""
        if rec.record_type == "state":
            return
        if rec.type in RESPONSE_TYPES:
            payload = self.reader.decode(lineno, self._raw, PAYLOAD_DECODER, Payload)
            if payload is not None:
                self.response(lineno, rec.timestamp, payload)
            return
        if rec.id and not rec.type:
            payload = self.reader.decode(lineno, self._raw, PAYLOAD_DECODER, Payload)
            if payload is not None:
                self.meta(payload)
            return
        self.reader.count_kind(lineno, f"unknown record type {rec.type[:40]!r}; ignored")

    def usage(self, lineno: int, obj: Any) -> Tokens | None:
        """``_usage`` with a counted warning for each bad figure (counted as 0)."""
        bad: list[str] = []
        found = _usage(obj, bad)
        for problem in dict.fromkeys(bad):
            self.reader.count_kind(lineno, f"{problem}; counted as 0")
        return found

    def add_prompt(self, lineno: int, ts: str | None, text: str) -> None:
        req = _request_text(text)
        if not req:
            return
        self.current_prompt = len(self.session.prompts)
        self.session.prompts.append(Prompt(self.current_prompt, lineno, ts, req[:20000]))

    def event(self, lineno: int, ts: str | None, p: Payload) -> None:
        t = p.type
        if t == "user_message":
            msg = raw_json(p.message)
            if not isinstance(msg, str):
                msg = text_of(raw_json(p.content))
            self.saw_user_message = True
            self.add_prompt(lineno, ts, msg)
        elif t == "token_count":
            info = raw_json(p.info)
            if isinstance(info, dict):
                total = _cum_key(info.get("total_token_usage"))
                if total is not None and total == self.prev_total:
                    return
                if total is not None and self.prev_total is not None and total < self.prev_total:
                    self.prev_total = None  # reset (resume / fork)
                self.prev_total = total
                usage = self.usage(lineno, info.get("last_token_usage"))
                if usage is None and total is not None:
                    usage = self.usage(lineno, info.get("total_token_usage"))
                if usage is not None:
                    self.add_call(lineno, ts, usage)
                return
            flat = raw_json(p.usage)
            usage = (
                self.usage(lineno, flat)
                if isinstance(flat, dict)
                else self.usage(
                    lineno,
                    {
                        "input_tokens": p.input_tokens,
                        "cached_input_tokens": p.cached_input_tokens,
                        "output_tokens": p.output_tokens,
                        "reasoning_output_tokens": p.reasoning_output_tokens,
                    },
                )
            )
            if usage is not None:
                self.add_call(lineno, ts, usage)
        elif t == "turn_aborted":
            self.note(lineno, ts, "interrupted")
        elif t == "error":
            self.note(lineno, ts, "api_error")
        elif t == "context_compacted":
            self.note(lineno, ts, "compaction")
        elif t == "task_complete":
            err = raw_json(p.error) if p.error else None
            if err:
                self.note(lineno, ts, "turn_failed")
        elif t == "exec_command_end":
            tc = self.tools.get(p.call_id or "")
            if tc is not None and p.exit_code is not None:
                tc.status = "ok" if p.exit_code == 0 else "fail"
                tc.end = max(tc.end or "", ts or "") or None
        elif t == "patch_apply_end":
            tc = self.tools.get(p.call_id or "")
            if tc is not None and p.success is not None:
                tc.status = "ok" if p.success else "fail"
                tc.end = max(tc.end or "", ts or "") or None

    def note(self, lineno: int, ts: str | None, kind: EventKind) -> None:
        self.session.events.append(Event(kind, lineno, ts, self.current_prompt))

    def add_call(self, lineno: int, ts: str | None, usage: Tokens) -> None:
        s = self.session
        call = LlmCall(
            index=len(s.llm_calls),
            line=lineno,
            timestamp=ts,
            model=self.model or "unknown",
            prompt_index=self.current_prompt,
            tokens=usage,
            text="\n".join(self.pending_text)[:4000],
            tool_names=self.pending_tools[:],
            tool_hints=self.pending_hints[:],
        )
        s.llm_calls.append(call)
        self.pending_text.clear()
        self.pending_tools.clear()
        self.pending_hints.clear()

    def response(self, lineno: int, ts: str | None, p: Payload) -> None:
        t = p.type
        if t == "message":
            if p.role == "assistant" and not self.keep_text:
                return
            text = text_of(raw_json(p.content))
            if p.role == "assistant":
                if text and sum(len(x) for x in self.pending_text) < 4000:
                    self.pending_text.append(text)
            elif p.role == "user" and text and not text.lstrip().startswith(INJECTED_PREFIXES):
                self.fallback_prompts.append((lineno, ts, text))
        elif t in ("function_call", "custom_tool_call", "local_shell_call", "web_search_call"):
            self.tool(lineno, ts, p)
        elif t in ("function_call_output", "custom_tool_call_output"):
            tc = self.tools.get(p.call_id or "")
            if tc is None:
                return
            tc.end = max(tc.end or "", ts or "") or None
            out = raw_json(p.output)
            text = out if isinstance(out, str) else text_of(out, 4000)
            status, running = _output_status(text)
            if tc.name == "write_stdin":
                target = self.running.get(tc.call_id.split("#", 1)[-1])
                if status is not None and target is not None:
                    target.status = status
            if status is not None:
                tc.status = status
            elif running is not None:
                self.running[running] = tc

    def tool(self, lineno: int, ts: str | None, p: Payload) -> None:
        s = self.session
        t = p.type
        name = p.name or (
            "local_shell_call"
            if t == "local_shell_call"
            else "web_search"
            if t == "web_search_call"
            else "tool"
        )
        if p.namespace and not name.startswith("mcp__"):
            name = f"{p.namespace.rstrip('_')}__{name}" if p.namespace.startswith("mcp") else name
        if not self.keep_text:  # inventory only: no argument decoding or classification
            tc = ToolCall.of(
                classify.tool_category(name),
                len(s.tool_calls),
                lineno,
                ts,
                name,
                self.current_prompt,
                p.call_id or f"line{lineno}",
            )
            s.tool_calls.append(tc)
            return
        args: Any = None
        if t == "function_call":
            args = raw_json(p.arguments)
            if isinstance(args, str):
                try:
                    args = json.loads(args)
                except ValueError:
                    args = {"text": args}
        elif t == "custom_tool_call":
            inp = raw_json(p.input)
            args = {"input": inp} if isinstance(inp, str) else inp
        elif t == "local_shell_call":
            action = raw_json(p.action)
            args = action if isinstance(action, dict) else {}
        elif t == "web_search_call":
            action = raw_json(p.action)
            args = action if isinstance(action, dict) else {}
        if not isinstance(args, dict):
            args = {}
        cwd = (
            args.get("workdir")
            if isinstance(args.get("workdir"), str)
            else args.get("working_directory")
            if isinstance(args.get("working_directory"), str)
            else self.cwd_now or s.cwd
        )
        root = classify.effective_root(self.project_root, s.cwd)
        call_id = p.call_id or f"line{lineno}"
        if name == "write_stdin":  # input to a running command: that command's chain
            sid = str(args.get("session_id", ""))
            target = self.running.get(sid)
            chain = target.process_chain[:] if target else []
            f = ToolFacts("shell", "", chain, "process", [], [], [])
            call_id = f"{call_id}#{sid}"
        else:
            f = classify.classify_tool(name, args, root, cwd, "codex")
        tc = ToolCall.of(f, len(s.tool_calls), lineno, ts, name, self.current_prompt, call_id)
        s.tool_calls.append(tc)
        self.tools[p.call_id or call_id] = tc
        self.pending_tools.append(name)
        self.pending_hints.append(classify.tool_hint(name, f.command or " ".join(tc.path_groups)))

    def finish(self) -> Session:
        s = self.session
        if self.usage_records:
            self._pair_usage_records()
        if not self.saw_user_message and self.fallback_prompts:
            # layout B and pruned files: the user-role messages minus injected context
            for lineno, ts, text in self.fallback_prompts:
                self.add_prompt(lineno, ts, text)
            # calls/tools were seen before we knew the prompts; attach by line order
            self._reattach()
        s.warnings = self.reader.finish()
        s.lines = self.reader.lines
        s.bytes = self.reader.bytes
        return s

    def _pair_usage_records(self) -> None:
        """``token_usage_record`` (cli 0.151+) mostly duplicates a ``token_count``: each record
        is paired with an unpaired call of the same usage, nearest by line; a record without
        one is a call of its own (never both, never neither)."""
        s = self.session
        # unpaired calls by usage, in line order: one dict lookup per record, not a scan of
        # every call (new files carry one record per call)
        by_usage: dict[tuple[int, ...], list[LlmCall]] = {}
        for call in s.llm_calls:
            by_usage.setdefault(_usage_key(call.tokens), []).append(call)
        extra: list[tuple[int, str | None, Tokens]] = []
        for lineno, ts, usage in self.usage_records:
            same = by_usage.get(_usage_key(usage))
            if not same:
                extra.append((lineno, ts, usage))
                continue
            nearest = min(range(len(same)), key=lambda i: abs(same[i].line - lineno))
            same.pop(nearest)
        if not extra:
            return
        starts = [p.line for p in s.prompts]
        for lineno, ts, usage in extra:
            at = bisect.bisect_right(starts, lineno) - 1
            owner = at if at >= 0 else None
            s.llm_calls.append(
                LlmCall(
                    index=0,
                    line=lineno,
                    timestamp=ts,
                    model=self.model or "unknown",
                    prompt_index=owner,
                    tokens=usage,
                )
            )
        s.llm_calls.sort(key=lambda c: c.line)
        for i, call in enumerate(s.llm_calls):
            call.index = i

    def _reattach(self) -> None:
        s = self.session
        starts = [p.line for p in s.prompts]

        def owner(line: int) -> int | None:
            idx = None
            for i, start in enumerate(starts):
                if start <= line:
                    idx = i
            return idx

        for call in s.llm_calls:
            call.prompt_index = owner(call.line)
        for tc in s.tool_calls:
            tc.prompt_index = owner(tc.line)
        for ev in s.events:
            ev.prompt_index = owner(ev.line)


def parse_codex(
    path: Path, display: str, project_root: str | None, keep_text: bool = True
) -> Session:
    """``keep_text=False``: counts and tokens only (``agentpprof sessions``)."""
    if path.suffix == ".json":
        return _parse_document(path, display, project_root)
    st = _State(path, display, project_root, keep_text)
    for lineno, raw in st.reader:
        rec = st.reader.decode(lineno, raw, DECODER, Line)
        if rec is None:
            continue
        st._raw = raw
        st.line(lineno, rec)
    return st.finish()


def _parse_document(path: Path, display: str, project_root: str | None) -> Session:
    """Layout A: ``{"session": {...}, "items": [ResponseItem, ...]}``."""
    st = _State(path, display, project_root)
    if not is_regular(path):
        st.reader.warn(0, "not a regular file (a pipe, socket or device); skipped")
        return st.finish()
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        st.reader.warn(0, f"not a readable Codex JSON rollout ({exc}); skipped")
        return st.finish()
    if not isinstance(doc, dict):
        st.reader.warn(0, "not a Codex JSON rollout; skipped")
        return st.finish()
    meta = doc.get("session")
    if isinstance(meta, dict):
        st.meta(_payload(meta))
    items = doc.get("items")
    for i, item in enumerate(items if isinstance(items, list) else [], start=1):
        if isinstance(item, dict):
            try:
                st.response(i, None, _payload(item))
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                st.reader.warn(i, f"unexpected field types ({exc}); item skipped")
    st.reader.lines = len(items) if isinstance(items, list) else 0
    return st.finish()


def _payload(obj: dict[str, Any]) -> Payload:
    return PAYLOAD_DECODER.decode(json.dumps(obj).encode())
