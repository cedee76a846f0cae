"""What each command does once its options are typed: run the stage, print for people or for
machines (``--json``), map the outcome to an exit code. ``cli.py`` declares the options and
calls one function here per command."""

from __future__ import annotations

import json
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agentpprof.console import (
    ProgressHooks,
    err,
    escape,
    print_bench_table,
    print_sessions_table,
    report_warnings,
    setup_logging,
)
from agentpprof.errors import LlamaServerError
from agentpprof.options import VocabularyChoice, vocabulary_of

if TYPE_CHECKING:
    from agentpprof.pipeline import ReportOptions
    from agentpprof.profile.where import Where
    from agentpprof.sources.discover import DiscoverOptions


@dataclass(frozen=True, slots=True)
class Show:
    """How a command reports: JSON on stdout or text on stderr; input warnings listed (-v);
    exit 4 on warnings (--strict); progress bars (off with -q)."""

    as_json: bool = False
    verbose: int = 0
    strict: bool = False
    quiet: bool = False


def sessions_command(opts: DiscoverOptions, show: Show) -> None:
    from agentpprof.inventory import encode_json, inventory

    rows = inventory(opts)
    if show.as_json:
        sys.stdout.buffer.write(encode_json(rows) + b"\n")
    else:
        print_sessions_table(rows)
    report_warnings([w for r in rows for w in r.warnings], show.verbose, show.strict)


def report_command(opts: ReportOptions, show: Show) -> None:
    from agentpprof.artifacts import TAG_CACHE
    from agentpprof.pipeline import run_report, run_summary

    setup_logging(show.verbose)
    try:
        with ProgressHooks(show.quiet) as hooks:
            rep = run_report(opts, hooks)
    except KeyboardInterrupt:
        err.print(
            f"interrupted: every tag obtained so far is kept in "
            f"{opts.out / TAG_CACHE}; run the same command again to continue",
            highlight=False,
        )
        raise typer.Exit(130) from None
    summary = run_summary(opts.out, rep)
    if show.as_json:
        typer.echo(json.dumps(summary.model_dump(), indent=2))
    else:
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
    report_warnings(rep.warnings, show.verbose, show.strict)


def setup_command(
    llama_server: Path | None,
    models: list[str] | None,
    *,
    list_models: bool,
    skip_model: bool,
    as_json: bool,
) -> None:
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
        [] if skip_model else (models or [""]),
        lambda m: err.print(f"  {m}", highlight=False, markup=False),
    )
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    typer.echo(f"llama-server: {info['llama_server']}")
    for path in info["models"]:
        typer.echo(f"model:        {path}")


def serve_command(
    model: str | None, port: int, llama_server: Path | None, server_args: list[str]
) -> None:
    from agentpprof.tagging.llama import LlamaServer
    from agentpprof.tagging.provision import require_llama_server, resolve_model

    binary = require_llama_server(llama_server)
    gguf = resolve_model(model)
    server = LlamaServer(binary, gguf, port=port, extra_args=server_args)
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


def diff_command(
    base: Path, new: Path, out: Path, *, normalize: bool, where: list[Where], as_json: bool
) -> None:
    from agentpprof.output.diff import run_diff

    result = run_diff(base, new, out, normalize=normalize, where=where)
    for w in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    for p in result.profiles[:2]:
        err.print(
            f"{p.folded}: {p.base_total:,} -> {p.new_total:,} {p.unit} "
            f"({p.delta:+,}; {p.stacks_changed} stacks changed)",
            highlight=False,
        )
    typer.echo(str(out / result.artifacts["dashboard"]))


def bench_command(
    *,
    model: list[str],
    llama_server: Path | None,
    server_arg: list[str] | None,
    runs: int,
    fragment: list[str] | None,
    fragment_file: list[Path] | None,
    eval_file: Path | None,
    no_eval: bool,
    eval_corpus: Path | None,
    vocabulary: VocabularyChoice,
    load_timeout: float,
    request_timeout: float,
    out: Path,
    include_fragment_previews: bool,
    as_json: bool,
) -> None:
    from agentpprof.bench import (
        NO_QUALITY,
        BenchOptions,
        eval_corpus_dir,
        parse_model_spec,
        read_fragment_file,
        run_bench,
        write_bench_files,
    )
    from agentpprof.tagging.provision import require_llama_server

    binary = require_llama_server(llama_server)
    frags = [f for path in fragment_file or [] for f in read_fragment_file(path)]
    frags += list(fragment or [])
    opts = BenchOptions(
        models=[parse_model_spec(m) for m in model],
        llama_server=binary,
        server_args=list(server_arg or []),
        runs=runs,
        fragments=frags,
        eval_file=None if no_eval else eval_file,
        load_timeout=load_timeout,
        request_timeout=request_timeout,
        include_previews=include_fragment_previews,
        vocabulary=vocabulary_of(vocabulary),
        eval_corpus=None if no_eval else eval_corpus_dir(eval_corpus),
    )
    result = run_bench(opts, lambda m: err.print(m, highlight=False, markup=False))
    text = write_bench_files(out, result)
    if as_json:
        typer.echo(text)
    else:
        print_bench_table(result)
        if result.eval_split is None:
            err.print(NO_QUALITY, highlight=False)
        typer.echo(str(out))
    if any(not m.ok for m in result.models):
        raise typer.Exit(3)
