"""Claude Code project transcripts (`~/.claude/projects/<enc>/<id>.jsonl`) -> Session.

Token rule: one API response = one ``message.id`` (+ ``requestId`` where present); Claude Code
writes a line per content block repeating the usage, so usage is counted once per response,
keeping the largest. ``<synthetic>`` responses are local error records and are not LLM calls.
"""

from __future__ import annotations

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
    raw_json,
    session_stem,
    text_of,
)
from agentpprof.sources.records import (
    MAX_TOKENS,
    Agent,
    Event,
    LlmCall,
    Prompt,
    Session,
    Status,
    Tokens,
    ToolCall,
    token_count,
    utc_ts,
)


# Decoded records never form reference cycles, so they are not tracked by the cyclic garbage
# collector (gc=False): measured 7-10 % faster parsing.
class CacheCreation(msgspec.Struct, gc=False):
    # Any: a bad figure (negative, a string, a float) is counted as 0 with a warning by
    # records.token_count, not a line lost to a type error
    ephemeral_5m_input_tokens: Any = None
    ephemeral_1h_input_tokens: Any = None


class Usage(msgspec.Struct, gc=False):
    input_tokens: Any = None
    cache_creation_input_tokens: Any = None
    cache_read_input_tokens: Any = None
    output_tokens: Any = None
    # before Claude Code 2.1.152 the top-level figure could be 0 while the API reported the
    # writes only here (formats-2026-09.md): the sum is the fallback
    cache_creation: CacheCreation | None = None


class Block(msgspec.Struct, gc=False):
    type: str = ""
    text: msgspec.Raw = EMPTY_RAW  # decoded only when needed (prompts, tagging)
    id: str | None = None
    name: str | None = None
    input: msgspec.Raw = EMPTY_RAW
    tool_use_id: str | None = None
    content: msgspec.Raw = EMPTY_RAW
    is_error: bool | None = None


class Message(msgspec.Struct, gc=False):
    id: str | None = None
    model: str | None = None
    role: str | None = None
    content: str | list[Block] | None = None
    usage: Usage | None = None


class Progress(msgspec.Struct, gc=False):
    type: str | None = None
    agentId: str | None = None


class Attachment(msgspec.Struct, gc=False):
    type: str | None = None
    prompt: msgspec.Raw = EMPTY_RAW


class LineRest(msgspec.Struct, gc=False):
    """A record without the per-line ``sessionId``/``cwd`` strings: once both are known, the
    inventory (which needs only the first of each) decodes this (measured 30 % faster)."""

    type: str = ""
    subtype: str | None = None
    isSidechain: bool | None = None
    isMeta: bool | None = None
    isCompactSummary: bool | None = None
    isApiErrorMessage: bool | None = None
    agentId: str | None = None
    timestamp: str | None = None
    requestId: str | None = None
    message: Message | None = None
    summary: str | None = None
    aiTitle: str | None = None
    origin: msgspec.Raw = EMPTY_RAW
    data: Progress | None = None
    parentToolUseID: str | None = None
    toolUseResult: msgspec.Raw = EMPTY_RAW
    attachment: Attachment | None = None


class Line(LineRest, gc=False):
    sessionId: str | None = None
    cwd: str | None = None
    gitBranch: str | None = None


DECODER = msgspec.json.Decoder(Line)
REST_DECODER = msgspec.json.Decoder(LineRest)

KNOWN_TYPES = frozenset(
    {
        "user",
        "assistant",
        "summary",
        "system",
        "progress",
        "attachment",
        "file-history-snapshot",
        "queue-operation",
        "ai-title",
        "last-prompt",
        "permission-mode",
        "custom-title",
        "agent-name",
        "mode",
        "result",
        "tag",
        "pr-link",
        "worktree-state",
    }
)
INTERRUPTED = "[Request interrupted by user"
NOT_PROMPT_PREFIXES = (
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<local-command-caveat>",
    "Caveat:",
    INTERRUPTED,
    "<bash-input>",
    "<bash-stdout>",
    "<bash-stderr>",
    "<system-reminder>",
    "<task-notification>",
    "<user-prompt-submit-hook>",
    "This session is being continued from a previous conversation",
    "<command-message>",
    "<local-command",
)
LOCAL_COMMANDS = frozenset(
    {
        "clear",
        "exit",
        "quit",
        "model",
        "cost",
        "help",
        "config",
        "login",
        "logout",
        "status",
        "compact",
        "resume",
        "mcp",
        "doctor",
        "memory",
        "permissions",
        "vim",
        "theme",
        "terminal-setup",
        "ide",
        "add-dir",
        "agents",
        "hooks",
        "bashes",
        "context",
        "usage",
        "export",
        "release-notes",
        "statusline",
        "upgrade",
        "privacy-settings",
        "output-style",
        "rewind",
        "todos",
        "fast",
        "plugin",
        "plugins",
        "skills",
        "tasks",
        "btw",
        "stats",
        "sandbox",
        "copy",
        "rename",
        "effort",
        "feedback",
        "bug",
    }
)
COMMAND_RE = re.compile(r"<command-name>/?([^<]*)</command-name>")
ARGS_RE = re.compile(r"<command-args>(.*?)</command-args>", re.DOTALL)


def _prompt_text(text: str) -> str | None:
    """The user's request in a human user record, or None when it is not a prompt."""
    stripped = text.strip()
    if not stripped:
        return None
    cmd = COMMAND_RE.search(stripped)
    if cmd:
        name = cmd.group(1).strip()
        args_m = ARGS_RE.search(stripped)
        args = args_m.group(1).strip() if args_m else ""
        if name.lower() in LOCAL_COMMANDS:
            return None
        return f"/{name} {args}".strip()
    if stripped.startswith(NOT_PROMPT_PREFIXES):
        return None
    return stripped


_EXIT_BYTES_RE = re.compile(
    rb'^\s*(?:\[\s*\{[^{}]{0,60}?"text"\s*:\s*)?"(?:Error: )?Exit code (\d+)'
)


def _nonzero_exit(raw: msgspec.Raw) -> bool:
    """``Exit code N`` (N != 0) at the start of a tool result, read from the raw bytes."""
    m = _EXIT_BYTES_RE.match(memoryview(raw)[:160].tobytes())
    return bool(m and m.group(1) != b"0")


def _text(raw: msgspec.Raw) -> str:
    value = raw_json(raw)
    return value if isinstance(value, str) else ""


class _State:
    """One Claude Code transcript read line by line (the same shape as codex.py's ``_State``):
    ``line`` dispatches each record by type, ``finish`` pairs tool calls with their results
    and settles the session's identity."""

    def __init__(self, path: Path, display: str, project_root: str | None, keep_text: bool) -> None:
        self.path, self.project_root, self.keep_text = path, project_root, keep_text
        self.reader = LineReader(path, display)
        self.stem = session_stem(path)
        self.session = Session(agent=Agent.CLAUDE, file=display, session_id=self.stem)
        if self.stem.startswith("agent-"):
            self.session.is_subagent = True
            self.session.agent_id = self.stem[len("agent-") :]
        self.calls: dict[str, LlmCall] = {}
        self.call_totals: dict[str, int] = {}
        self.tools: dict[str, ToolCall] = {}
        self.results: dict[str, tuple[bool, bool, str | None]] = {}  # id -> (error, exit!=0, when)
        self.current_prompt: int | None = None
        self.titles: list[str] = []
        self.sidechain_root = ""
        self.field_session_id: str | None = None
        self.all_sidechain = True
        self.seen_records = 0
        self.agent_links: dict[str, int | None] = {}
        self.tool_prompt: dict[str, int | None] = {}
        self.decoder: msgspec.json.Decoder[Any] = DECODER
        self.full_lines = True  # False once the inventory has the first sessionId and cwd
        self.first_ts: str | None = None
        self.last_ts: str | None = None

    def count(self, value: Any, lineno: int) -> int:
        """records.token_count, with a counted warning for a bad figure."""
        if type(value) is int and 0 <= value <= MAX_TOKENS:  # nearly always: the fast path
            return value
        n, problem = token_count(value)
        if problem:
            self.reader.count_kind(lineno, f"{problem}; counted as 0")
        return n

    def decode(self, lineno: int, raw: bytes | memoryview) -> LineRest | None:
        try:
            rec: LineRest = self.decoder.decode(raw)
            return rec
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            # the slow path: recover what can be recovered, warn with file:line
            return self.reader.decode(lineno, raw, self.decoder, LineRest)

    # -- records -------------------------------------------------------------------------
    def line(self, lineno: int, rec: LineRest) -> None:
        kind = rec.type
        if kind not in KNOWN_TYPES:
            self.reader.count_kind(lineno, f"unknown record type {kind[:40]!r}; ignored")
            return
        if rec.timestamp and utc_ts(rec.timestamp) is None:
            self.reader.count_kind(lineno, NOT_A_TIME)
        if self.full_lines:
            self.identity(rec)
        session = self.session
        if rec.agentId and session.agent_id is None and rec.isSidechain:
            session.agent_id = rec.agentId
        ts = rec.timestamp
        if ts:  # inline Session.note_time: this runs once per line
            if self.first_ts is None or ts < self.first_ts:
                self.first_ts = ts
            if self.last_ts is None or ts > self.last_ts:
                self.last_ts = ts
        if kind in ("summary", "ai-title", "custom-title"):
            title = rec.summary or rec.aiTitle
            if title:
                self.titles.append(title)
        elif kind == "progress":
            self.progress(rec)
        elif kind == "attachment":
            self.attachment(lineno, rec)
        elif kind == "system":
            if rec.subtype == "compact_boundary":
                session.events.append(Event("compaction", lineno, ts, self.current_prompt))
        elif kind in ("user", "assistant") and rec.message is not None:
            self.seen_records += 1
            if not rec.isSidechain:
                self.all_sidechain = False
            if kind == "user":
                self.user(lineno, rec, rec.message)
            else:
                self.assistant(lineno, rec, rec.message)

    def identity(self, rec: LineRest) -> None:
        """The first sessionId, cwd and git branch (full lines only: the inventory switches
        to the lighter decoder once it has what it needs)."""
        assert isinstance(rec, Line)
        session = self.session
        if self.field_session_id is None and rec.sessionId:
            self.field_session_id = rec.sessionId
        if session.cwd is None and rec.cwd:
            session.cwd = rec.cwd
        if session.branch is None and rec.gitBranch:
            session.branch = rec.gitBranch
        if not self.keep_text and self.field_session_id is not None and session.cwd is not None:
            self.full_lines = False
            self.decoder = REST_DECODER

    def progress(self, rec: LineRest) -> None:
        data = rec.data
        if data is not None and data.type == "agent_progress" and data.agentId:
            if rec.parentToolUseID:
                self.agent_links.setdefault(
                    data.agentId, self.tool_prompt.get(rec.parentToolUseID, self.current_prompt)
                )

    def attachment(self, lineno: int, rec: LineRest) -> None:
        att = rec.attachment
        if att is None or att.type != "queued_command":
            return
        text = raw_json(att.prompt)
        if isinstance(text, str) and (ptext := _prompt_text(text)):
            prompts = self.session.prompts
            if not prompts or prompts[-1].text != ptext:
                self.add_prompt(lineno, rec.timestamp, ptext)

    def add_prompt(self, lineno: int, ts: str | None, text: str) -> None:
        self.current_prompt = len(self.session.prompts)
        self.session.prompts.append(Prompt(self.current_prompt, lineno, ts, text))

    def user(self, lineno: int, rec: LineRest, msg: Message) -> None:
        content = msg.content
        if isinstance(content, list) and self.tool_results(rec, content):
            return
        text = (
            content
            if isinstance(content, str)
            else text_of([{"text": _text(b.text)} for b in content or [] if b.type == "text"])
        )
        if rec.isSidechain:
            if not self.sidechain_root and text.strip():
                self.sidechain_root = text.strip()
            return
        if rec.isMeta or rec.isCompactSummary or (rec.origin and bytes(rec.origin) != b"null"):
            return
        if text.startswith(INTERRUPTED):
            self.session.events.append(
                Event("interrupted", lineno, rec.timestamp, self.current_prompt)
            )
            return
        ptext = _prompt_text(text)
        if ptext is not None:
            self.add_prompt(lineno, rec.timestamp, ptext)

    def tool_results(self, rec: LineRest, content: list[Block]) -> bool:
        """Record the statuses of a user message's tool results and whether one finished a
        sub-agent; False when it holds no tool result (then it may be a prompt)."""
        is_result = launched = False
        for block in content:
            if block.type != "tool_result":
                continue
            is_result = True
            tid = block.tool_use_id
            if tid:
                # the exit-code scan only matters for statuses (not in the inventory)
                self.results[tid] = (
                    bool(block.is_error),
                    self.keep_text and _nonzero_exit(block.content),
                    rec.timestamp,
                )
                if not launched and tid in self.tools:
                    launched = self.tools[tid].category == "subagent"
        if is_result and launched and rec.toolUseResult:
            tur = raw_json(rec.toolUseResult)
            if isinstance(tur, dict) and isinstance(tur.get("agentId"), str):
                for block in content:
                    if block.type == "tool_result" and block.tool_use_id:
                        self.agent_links.setdefault(
                            tur["agentId"], self.tool_prompt.get(block.tool_use_id)
                        )
        return is_result

    def assistant(self, lineno: int, rec: LineRest, msg: Message) -> None:
        model = msg.model or ""
        if rec.isApiErrorMessage and not rec.isSidechain:
            self.session.events.append(
                Event("api_error", lineno, rec.timestamp, self.current_prompt)
            )
        if model == "<synthetic>":
            return
        key = f"{msg.id or ''}:{rec.requestId or ''}"
        if key == ":":
            key = f"line{lineno}"
        tokens, h1 = self.usage(lineno, msg.usage)
        total = tokens.total
        call = self.calls.get(key)
        if call is None:
            call = LlmCall(
                index=len(self.calls),
                line=lineno,
                timestamp=rec.timestamp,
                model=model,
                prompt_index=self.current_prompt,
                tokens=tokens,
                cache_write_1h=h1,
            )
            self.calls[key] = call
            self.call_totals[key] = total
            self.session.note_model(model)
        elif total > self.call_totals[key]:  # the same response again, with larger usage
            call.tokens = tokens
            call.cache_write_1h = h1
            self.call_totals[key] = total
        for block in msg.content if isinstance(msg.content, list) else []:
            if block.type == "text" and self.keep_text and len(call.text) < 4000:
                call.text = (call.text + "\n" + _text(block.text)).strip()
            elif block.type == "tool_use" and block.id and block.id not in self.tools:
                self.tool_use(lineno, rec, call, block, block.id)

    def usage(self, lineno: int, usage: Usage | None) -> tuple[Tokens, int]:
        """The response's token kinds and its 1-hour cache writes."""
        if usage is None:
            return Tokens(), 0
        count = self.count
        inp = count(usage.input_tokens, lineno)
        cw = count(usage.cache_creation_input_tokens, lineno)
        h1 = 0
        if usage.cache_creation is not None:
            h1 = count(usage.cache_creation.ephemeral_1h_input_tokens, lineno)
            if not cw:
                cw = count(usage.cache_creation.ephemeral_5m_input_tokens, lineno) + h1
            h1 = min(h1, cw)
        cr = count(usage.cache_read_input_tokens, lineno)
        out = count(usage.output_tokens, lineno)
        return Tokens(input=inp, cache_write=cw, cache_read=cr, output=out), h1

    def tool_use(self, lineno: int, rec: LineRest, call: LlmCall, block: Block, tid: str) -> None:
        name = block.name or "tool"
        call.tool_names.append(name)
        session = self.session
        if self.keep_text:
            inp = raw_json(block.input)
            tc = _tool_call(
                len(self.tools),
                lineno,
                rec.timestamp,
                name,
                tid,
                inp if isinstance(inp, dict) else {},
                self.current_prompt,
                classify.effective_root(self.project_root, session.cwd),
                (rec.cwd if isinstance(rec, Line) else None) or session.cwd,
            )
            call.tool_hints.append(classify.tool_hint(name, tc.command or " ".join(tc.path_groups)))
        else:  # inventory only: no classification
            tc = ToolCall.of(
                classify.tool_category(name),
                len(self.tools),
                lineno,
                rec.timestamp,
                name,
                self.current_prompt,
                tid,
            )
        self.tools[tid] = tc
        self.tool_prompt[tid] = self.current_prompt

    # -- the end -------------------------------------------------------------------------
    def finish(self) -> Session:
        session = self.session
        for tool_id, tc in self.tools.items():
            res = self.results.get(tool_id)
            if res is not None:
                tc.status = _status(res[0], res[1])
                tc.end = res[2]
        session.note_time(self.first_ts)
        session.note_time(self.last_ts)
        session.llm_calls = list(self.calls.values())
        session.tool_calls = list(self.tools.values())
        sid = self.field_session_id
        if sid:
            if session.is_subagent or (self.all_sidechain and self.seen_records):
                session.is_subagent = True
                session.parent_session_id = sid
                session.session_id = (
                    self.stem
                    if self.stem.startswith("agent-")
                    else f"{sid}/agent-{session.agent_id or self.stem}"
                )
            else:
                session.session_id = sid
        session.title = self.titles[-1] if self.titles else ""
        if session.is_subagent:
            session.subagent_type = subagent_type(self.path)
            if not session.title:
                session.title = self.sidechain_root[:400]
        session.agent_links = self.agent_links
        session.warnings = self.reader.finish()
        session.lines = self.reader.lines
        session.bytes = self.reader.bytes
        return session


def parse_claude(
    path: Path, display: str, project_root: str | None, keep_text: bool = True
) -> Session:
    """``keep_text=False`` skips the model's text (only tagging needs it)."""
    st = _State(path, display, project_root, keep_text)
    for lineno, raw in st.reader:
        rec = st.decode(lineno, raw)
        if rec is not None:
            st.line(lineno, rec)
    return st.finish()


def subagent_type(path: Path) -> str | None:
    """The ``agentType`` of ``agent-<id>.meta.json`` beside a sub-agent's transcript (Claude
    Code 2.1.x), when it is a plain name (a type, not text: its ``description`` is never read
    into the outputs); None when there is no such file or field."""
    meta = path.with_name(session_stem(path) + ".meta.json")
    try:
        if meta.stat().st_size > 1 << 20:
            return None
        value = json.loads(meta.read_bytes()).get("agentType")
    except (OSError, ValueError, AttributeError, RecursionError):
        return None
    return clean_type(value)


def _status(is_error: bool, nonzero_exit: bool) -> Status:
    return "fail" if is_error or nonzero_exit else "ok"


def _tool_call(
    index: int,
    lineno: int,
    ts: str | None,
    name: str,
    call_id: str,
    inp: dict[str, Any],
    prompt: int | None,
    root: str | None,
    cwd: str | None,
) -> ToolCall:
    facts = classify.classify_tool(name, inp, root, cwd, "claude")
    return ToolCall.of(facts, index, lineno, ts, name, prompt, call_id)
