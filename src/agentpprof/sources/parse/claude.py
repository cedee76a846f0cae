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
    counted_tool,
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


def parse_claude(
    path: Path, display: str, project_root: str | None, keep_text: bool = True
) -> Session:
    """``keep_text=False`` skips the model's text (only tagging needs it)."""
    reader = LineReader(path, display)
    session = Session(agent=Agent.CLAUDE, file=display, session_id=session_stem(path))
    stem = session_stem(path)
    if stem.startswith("agent-"):
        session.is_subagent = True
        session.agent_id = stem[len("agent-") :]
    calls: dict[str, LlmCall] = {}
    call_totals: dict[str, int] = {}
    tools: dict[str, ToolCall] = {}
    results: dict[str, tuple[bool, bool, str | None]] = {}  # id -> (error, exit!=0, when)
    current_prompt: int | None = None
    titles: list[str] = []
    sidechain_root = ""
    field_session_id: str | None = None
    all_sidechain = True
    seen_records = 0
    agent_links: dict[str, int | None] = {}
    tool_prompt: dict[str, int | None] = {}

    decoder: msgspec.json.Decoder[Any] = DECODER
    decode = decoder.decode
    full_lines = True  # False once the inventory has the first sessionId and cwd
    first_ts: str | None = None
    last_ts: str | None = None
    rec: LineRest

    def count(value: Any, lineno: int) -> int:
        """records.token_count, with a counted warning for a bad figure."""
        if type(value) is int and 0 <= value <= MAX_TOKENS:  # nearly always: the fast path
            return value
        n, problem = token_count(value)
        if problem:
            reader.count_kind(lineno, f"{problem}; counted as 0")
        return n

    for lineno, raw in reader:
        try:
            rec = decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            # the slow path: recover what can be recovered, warn with file:line
            found = reader.decode(lineno, raw, decoder, LineRest)
            if found is None:
                continue
            rec = found
        kind = rec.type
        if kind not in KNOWN_TYPES:
            reader.count_kind(lineno, f"unknown record type {kind[:40]!r}; ignored")
            continue
        if rec.timestamp and utc_ts(rec.timestamp) is None:
            reader.count_kind(lineno, NOT_A_TIME)
        if full_lines:
            assert isinstance(rec, Line)
            if field_session_id is None and rec.sessionId:
                field_session_id = rec.sessionId
            if session.cwd is None and rec.cwd:
                session.cwd = rec.cwd
            if session.branch is None and rec.gitBranch:
                session.branch = rec.gitBranch
            if not keep_text and field_session_id is not None and session.cwd is not None:
                full_lines = False
                decoder = REST_DECODER
                decode = decoder.decode
        if rec.agentId and session.agent_id is None and rec.isSidechain:
            session.agent_id = rec.agentId
        ts = rec.timestamp
        if ts:  # inline Session.note_time: this loop runs once per line
            if first_ts is None or ts < first_ts:
                first_ts = ts
            if last_ts is None or ts > last_ts:
                last_ts = ts
        if kind in ("summary", "ai-title", "custom-title"):
            title = rec.summary or rec.aiTitle
            if title:
                titles.append(title)
            continue
        if kind == "progress":
            data = rec.data
            if (
                data is not None
                and data.type == "agent_progress"
                and data.agentId
                and rec.parentToolUseID
            ):
                agent_links.setdefault(
                    data.agentId, tool_prompt.get(rec.parentToolUseID, current_prompt)
                )
            continue
        if kind == "attachment":
            att = rec.attachment
            if att is not None and att.type == "queued_command":
                text = raw_json(att.prompt)
                if isinstance(text, str) and (ptext := _prompt_text(text)):
                    if not session.prompts or session.prompts[-1].text != ptext:
                        current_prompt = len(session.prompts)
                        session.prompts.append(Prompt(current_prompt, lineno, rec.timestamp, ptext))
            continue
        if kind == "system":
            if rec.subtype == "compact_boundary":
                session.events.append(Event("compaction", lineno, ts, current_prompt))
            continue
        if kind not in ("user", "assistant"):
            continue
        msg = rec.message
        if msg is None:
            continue
        seen_records += 1
        if not rec.isSidechain:
            all_sidechain = False
        if kind == "user":
            content = msg.content
            if isinstance(content, list):
                # one pass: is it a tool result, record statuses, did it finish a sub-agent
                is_result = launched = False
                for block in content:
                    if block.type != "tool_result":
                        continue
                    is_result = True
                    tid = block.tool_use_id
                    if tid:
                        # the exit-code scan only matters for statuses (not in the inventory)
                        results[tid] = (
                            bool(block.is_error),
                            keep_text and _nonzero_exit(block.content),
                            rec.timestamp,
                        )
                        if not launched and tid in tools:
                            launched = tools[tid].category == "subagent"
                if is_result:
                    tur = raw_json(rec.toolUseResult) if launched and rec.toolUseResult else None
                    if isinstance(tur, dict) and isinstance(tur.get("agentId"), str):
                        for block in content:
                            if block.type == "tool_result" and block.tool_use_id:
                                agent_links.setdefault(
                                    tur["agentId"], tool_prompt.get(block.tool_use_id)
                                )
                    continue
            text = (
                content
                if isinstance(content, str)
                else text_of([{"text": _text(b.text)} for b in content or [] if b.type == "text"])
            )
            if rec.isSidechain:
                if not sidechain_root and text.strip():
                    sidechain_root = text.strip()
                continue
            if rec.isMeta or rec.isCompactSummary or (rec.origin and bytes(rec.origin) != b"null"):
                continue
            if text.startswith(INTERRUPTED):
                session.events.append(Event("interrupted", lineno, ts, current_prompt))
                continue
            ptext = _prompt_text(text)
            if ptext is None:
                continue
            current_prompt = len(session.prompts)
            session.prompts.append(Prompt(current_prompt, lineno, rec.timestamp, ptext))
            continue
        # assistant
        model = msg.model or ""
        if rec.isApiErrorMessage and not rec.isSidechain:
            session.events.append(Event("api_error", lineno, ts, current_prompt))
        if model == "<synthetic>":
            continue
        key = f"{msg.id or ''}:{rec.requestId or ''}"
        if key == ":":
            key = f"line{lineno}"
        usage = msg.usage
        h1 = 0
        if usage is not None:
            inp = count(usage.input_tokens, lineno)
            cw = count(usage.cache_creation_input_tokens, lineno)
            if usage.cache_creation is not None:
                h1 = count(usage.cache_creation.ephemeral_1h_input_tokens, lineno)
                if not cw:
                    cw = count(usage.cache_creation.ephemeral_5m_input_tokens, lineno) + h1
                h1 = min(h1, cw)
            cr = count(usage.cache_read_input_tokens, lineno)
            out = count(usage.output_tokens, lineno)
        else:
            inp = cw = cr = out = 0
        total = inp + cw + cr + out
        call = calls.get(key)
        if call is None:
            call = LlmCall(
                index=len(calls),
                line=lineno,
                timestamp=rec.timestamp,
                model=model,
                prompt_index=current_prompt,
                tokens=Tokens(input=inp, cache_write=cw, cache_read=cr, output=out),
                cache_write_1h=h1,
            )
            calls[key] = call
            call_totals[key] = total
            session.note_model(model)
        elif total > call_totals[key]:  # the same response again, with larger usage
            call.tokens = Tokens(input=inp, cache_write=cw, cache_read=cr, output=out)
            call.cache_write_1h = h1
            call_totals[key] = total
        blocks = msg.content if isinstance(msg.content, list) else []
        for block in blocks:
            if block.type == "text" and keep_text and len(call.text) < 4000:
                call.text = (call.text + "\n" + _text(block.text)).strip()
            elif block.type == "tool_use" and block.id and block.id not in tools:
                name = block.name or "tool"
                call.tool_names.append(name)
                if keep_text:
                    inp = raw_json(block.input)
                    tc = _tool_call(
                        len(tools),
                        lineno,
                        rec.timestamp,
                        name,
                        block.id,
                        inp if isinstance(inp, dict) else {},
                        current_prompt,
                        classify.effective_root(project_root, session.cwd),
                        (rec.cwd if isinstance(rec, Line) else None) or session.cwd,
                    )
                else:  # inventory only: no classification
                    tc = counted_tool(
                        len(tools),
                        lineno,
                        rec.timestamp,
                        name,
                        classify.tool_category(name),
                        current_prompt,
                        block.id,
                    )
                tools[block.id] = tc
                tool_prompt[block.id] = current_prompt
                if keep_text:
                    call.tool_hints.append(
                        classify.tool_hint(name, tc.command or " ".join(tc.path_groups))
                    )

    for tool_id, tc in tools.items():
        res = results.get(tool_id)
        if res is not None:
            tc.status = _status(res[0], res[1])
            tc.end = res[2]
    session.note_time(first_ts)
    session.note_time(last_ts)
    session.llm_calls = list(calls.values())
    session.tool_calls = list(tools.values())
    if field_session_id:
        if session.is_subagent or (all_sidechain and seen_records):
            session.is_subagent = True
            session.parent_session_id = field_session_id
            session.session_id = (
                stem
                if stem.startswith("agent-")
                else f"{field_session_id}/agent-{session.agent_id or stem}"
            )
        else:
            session.session_id = field_session_id
    session.title = titles[-1] if titles else ""
    if session.is_subagent:
        session.subagent_type = subagent_type(path)
    if not session.title and session.is_subagent:
        session.title = sidechain_root[:400]
    session.agent_links = agent_links
    session.warnings = reader.finish()
    session.lines = reader.lines
    session.bytes = reader.bytes
    return session


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
    return classify.tool_call(
        classify.classify_tool(name, inp, root, cwd, "claude"),
        index=index,
        line=lineno,
        timestamp=ts,
        name=name,
        prompt_index=prompt,
        call_id=call_id,
    )
