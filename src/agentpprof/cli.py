"""Command line: arguments -> options -> pipeline; errors -> exit codes. Nothing else lives here.

Exit codes: 0 ok · 1 agentpprof error (no sessions, bad input folder, output not writable) ·
2 usage error · 3 llama.cpp server or tagging failed · 4 warnings under --strict.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from agentpprof import __version__, defaults
from agentpprof.errors import AgentpprofError
from agentpprof.options import (
    DEFAULT_BENCH_OUT,
    DEFAULT_DIFF_OUT,
    DEFAULT_OUT,
    TAG_LLM_CALLS,
    Api,
    BenchAsJson,
    BenchEvalCorpus,
    BenchEvalFile,
    BenchFragment,
    BenchFragmentFile,
    BenchIncludeFragmentPreviews,
    BenchLlamaServer,
    BenchLoadTimeout,
    BenchModel,
    BenchNoEval,
    BenchOut,
    BenchRequestTimeout,
    BenchRuns,
    BenchServerArg,
    BenchVocabulary,
    ClaudeRoot,
    CodexRoot,
    Debug,
    DiffAsJson,
    DiffBase,
    DiffNew,
    DiffNormalize,
    DiffOut,
    DiffWhere,
    MaxSessions,
    ProjectRoot,
    RenderOut,
    ReportAgentsightSkew,
    ReportAgentsightSnapshot,
    ReportApi,
    ReportAsJson,
    ReportConcurrency,
    ReportIncludePreviews,
    ReportLlamaServer,
    ReportLlamaUrl,
    ReportModel,
    ReportNoTagLlmCalls,
    ReportOut,
    ReportProjectName,
    ReportQuiet,
    ReportReproducible,
    ReportServerArg,
    ReportStartServer,
    ReportTagLlmCalls,
    ReportTimeout,
    ReportVocabulary,
    ScanFiles,
    ServeLlamaServer,
    ServeModel,
    ServePort,
    ServeServerArg,
    SessionFiles,
    SessionsAsJson,
    SetupAsJson,
    SetupListModels,
    SetupLlamaServer,
    SetupModel,
    SetupSkipModel,
    Since,
    Strict,
    Until,
    Verbose,
    VocabularyChoice,
    WhereOpt,
)

if TYPE_CHECKING:
    pass

# how a command reports, not what it does: kept out of the stages' options
SHOW_ARGS = frozenset({"as_json", "quiet", "verbose", "strict", "debug"})

app = typer.Typer(
    name="agentpprof",
    help="pprof-style semantic profiles of local Claude Code and Codex history, tagged by a "
    "local llama.cpp model.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _fail(exc: AgentpprofError, debug: bool) -> NoReturn:
    from agentpprof.console import err, escape

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
    as_json: SessionsAsJson = False,
    verbose: Verbose = 0,
    strict: Strict = False,
    debug: Debug = False,
) -> None:
    """List the sessions a report would profile, with counts and token totals (no LLM)."""
    from agentpprof.commands import Show, sessions_command
    from agentpprof.options import discover_options

    opts = discover_options(
        project_root, session_file, claude_root, codex_root, scan_files, max_sessions, since, until
    )
    sessions_command(opts, Show(as_json=as_json, verbose=verbose, strict=strict))


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
    out: ReportOut = None,
    project_name: ReportProjectName = None,
    llama_url: ReportLlamaUrl = None,
    api: ReportApi = Api.llama,
    start_server: ReportStartServer = False,
    model: ReportModel = None,
    llama_server: ReportLlamaServer = None,
    server_arg: ReportServerArg = None,
    tag_llm_calls: ReportTagLlmCalls = TAG_LLM_CALLS,
    no_tag_llm_calls: ReportNoTagLlmCalls = False,
    vocabulary: ReportVocabulary = VocabularyChoice.kinds,
    reproducible: ReportReproducible = False,
    concurrency: ReportConcurrency = None,
    timeout: ReportTimeout = defaults.REQUEST_TIMEOUT,
    include_previews: ReportIncludePreviews = False,
    agentsight_snapshot: ReportAgentsightSnapshot = None,
    agentsight_skew: ReportAgentsightSkew = 2.0,
    where: WhereOpt = None,
    as_json: ReportAsJson = False,
    quiet: ReportQuiet = False,
    verbose: Verbose = 0,
    strict: Strict = False,
    debug: Debug = False,
) -> None:
    """Discover, parse and tag sessions, then write profiles, flame graphs and index.html."""
    args = {k: v for k, v in locals().items() if k not in SHOW_ARGS}  # the option values
    from agentpprof.commands import Show, report_command
    from agentpprof.options import report_options

    show = Show(as_json=as_json, verbose=verbose, strict=strict, quiet=quiet)
    report_command(report_options(**args), show)


@app.command()
@_guarded
def setup(
    llama_server: SetupLlamaServer = None,
    model: SetupModel = None,
    list_models: SetupListModels = False,
    skip_model: SetupSkipModel = False,
    as_json: SetupAsJson = False,
    debug: Debug = False,
) -> None:
    """Build (once) or find llama-server and assemble a model (the default one unless --model
    names others). Idempotent: a second run checks and returns."""
    from agentpprof.commands import setup_command

    setup_command(
        llama_server, model, list_models=list_models, skip_model=skip_model, as_json=as_json
    )


@app.command()
@_guarded
def serve(
    model: ServeModel = None,
    port: ServePort = defaults.LLAMA_PORT,
    llama_server: ServeLlamaServer = None,
    server_arg: ServeServerArg = None,
    debug: Debug = False,
) -> None:
    """Run llama-server in the foreground (Ctrl-C stops it) for `report --llama-url`."""
    from agentpprof.commands import serve_command

    serve_command(model, port, llama_server, list(server_arg or []))


@app.command()
@_guarded
def render(
    out: RenderOut = DEFAULT_OUT,
    debug: Debug = False,
) -> None:
    """Rebuild every SVG and index.html from agentpprof.json and the folded files."""
    from agentpprof.output.render import rerender

    typer.echo(str(rerender(out)))


@app.command()
@_guarded
def diff(
    base: DiffBase,
    new: DiffNew,
    out: DiffOut = DEFAULT_DIFF_OUT,
    normalize: DiffNormalize = False,
    where: DiffWhere = None,
    as_json: DiffAsJson = False,
    debug: Debug = False,
) -> None:
    """Compare two reports: two-column folded, pprof -diff_base and red/blue flame graphs."""
    from agentpprof.commands import diff_command
    from agentpprof.options import where_filters

    filters = where_filters(where, frames_only=True)
    diff_command(base, new, out, normalize=normalize, where=filters, as_json=as_json)


@app.command()
@_guarded
def bench(
    model: BenchModel,
    llama_server: BenchLlamaServer = None,
    server_arg: BenchServerArg = None,
    runs: BenchRuns = 2,
    fragment: BenchFragment = None,
    fragment_file: BenchFragmentFile = None,
    eval_file: BenchEvalFile = None,
    no_eval: BenchNoEval = False,
    eval_corpus: BenchEvalCorpus = None,
    vocabulary: BenchVocabulary = VocabularyChoice.kinds,
    load_timeout: BenchLoadTimeout = defaults.LOAD_TIMEOUT,
    request_timeout: BenchRequestTimeout = defaults.REQUEST_TIMEOUT,
    out: BenchOut = DEFAULT_BENCH_OUT,
    include_fragment_previews: BenchIncludeFragmentPreviews = False,
    as_json: BenchAsJson = False,
    debug: Debug = False,
) -> None:
    """Start one llama-server per GGUF model and measure it on the tagging task."""
    args = {k: v for k, v in locals().items() if k != "debug"}  # the option values
    from agentpprof.commands import bench_command

    bench_command(**args)


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
