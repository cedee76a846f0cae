"""Terminal output: stderr console, logging and progress bars. Only the CLI uses this."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from agentpprof.errors import StrictWarningsError

err = Console(stderr=True)


def setup_logging(verbose: int) -> None:
    logger = logging.getLogger("agentpprof")
    logger.handlers.clear()
    handler = RichHandler(console=err, show_time=False, show_path=False)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def make_progress(quiet: bool = False) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[extra]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,
    )


def escape(text: str) -> str:
    """Text read from files (paths, ids, record types) is never Rich markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def cells(*values: str) -> list[Any]:
    """Table cells as plain text: words read from files are never Rich markup."""
    from rich.text import Text

    return [Text(v) for v in values]


def print_sessions_table(rows: Sequence[Any]) -> None:
    """`agentpprof sessions`' table (rows: inventory.InventoryRow)."""
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
            *cells(
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


def print_bench_table(result: Any) -> None:
    """`agentpprof bench`'s table (result: models.BenchResult)."""
    from rich.console import Console
    from rich.table import Table

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
            *cells(
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


def report_warnings(warnings: list[str], verbose: int, strict: bool) -> None:
    if not warnings:
        return
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


class ProgressHooks:
    """Rich progress for the pipeline stages."""

    def __init__(self, quiet: bool) -> None:
        self.err = err
        self.quiet = quiet
        self.progress = make_progress(quiet)
        self.task: object | None = None

    def __enter__(self) -> ProgressHooks:
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
