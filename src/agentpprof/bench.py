"""``agentpprof bench``: one real llama-server per GGUF model, measured on the tagging task.

Every request goes through the product's own tagger path (prompt, grammar, validation, retry)
with the cache bypassed; nothing is synthesised. A model that fails to load or crashes is
recorded with its error and the other models still run.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from agentpprof import __version__, defaults
from agentpprof.errors import AgentpprofError, TaggingError
from agentpprof.fsutil import write_atomic
from agentpprof.models import BenchFragment, BenchLatency, BenchModel, BenchResult, QualityCell
from agentpprof.tagging.cache import TagCache
from agentpprof.tagging.catalog import find
from agentpprof.tagging.eval import evaluate, evaluate_real
from agentpprof.tagging.evalset import split_sha256
from agentpprof.tagging.llama import LlamaClient, LlamaServer, ServerInfo
from agentpprof.tagging.prompt import Template, Vocabulary, clean_fragment
from agentpprof.tagging.provision import known_or_path
from agentpprof.tagging.tag import Fragment, LlamaBackend, tag_one

DEFAULT_FRAGMENTS = (
    "Fix the failing Rust tests in the collector crate and rerun cargo test",
    "Summarise the research evidence for the OSDI submission plan",
    "Compare span-duration traces with semantic system-effect attribution",
)

Log = Callable[[str], None]


@dataclass(slots=True)
class BenchOptions:
    models: list[tuple[str, str]]  # (label, known model name or GGUF path)
    llama_server: Path
    server_args: list[str] = field(default_factory=list)
    runs: int = 2
    fragments: list[str] = field(default_factory=list)
    eval_file: Path | None = None
    load_timeout: float = defaults.LOAD_TIMEOUT
    request_timeout: float = defaults.REQUEST_TIMEOUT
    include_previews: bool = False
    vocabulary: Vocabulary = "kinds"
    eval_corpus: Path | None = None  # folder of the real labelled sessions (test split)


def parse_model_spec(spec: str) -> tuple[str, str]:
    """``LABEL=MODEL`` (split at the first ``=``) or a bare MODEL (label = a known model's
    name, or the file stem); MODEL is a known model's name or a GGUF path."""
    label, sep, model = spec.partition("=")
    if sep and label and "/" not in label:
        return label, model
    known = find(spec)
    return (known.name if known else Path(spec).stem), spec


def peak_rss_mb(pid: int) -> float | None:
    """A process's peak resident memory (Linux ``VmHWM``), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def read_fragment_file(path: Path) -> list[str]:
    try:
        return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except OSError as exc:
        raise AgentpprofError(f"cannot read fragment file {path}: {exc.strerror}") from None


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass(slots=True)
class _Timings:
    latencies: list[float] = field(default_factory=list)  # ms per tagging call
    pps: list[float] = field(default_factory=list)  # the server's prompt tokens/s
    tps: list[float] = field(default_factory=list)  # the server's generated tokens/s
    invalid_examples: list[str] = field(default_factory=list)


async def _fragment(
    client: LlamaClient,
    backend: LlamaBackend,
    template: Template,
    i: int,
    text: str,
    opts: BenchOptions,
    result: BenchModel,
    timings: _Timings,
) -> BenchFragment:
    """One fragment tagged ``opts.runs`` times: its tags, and the timings of each call."""
    cleaned = clean_fragment(text)
    tags: list[str] = []
    for run in range(opts.runs):
        # the server's own timings, from an untimed request of the same prompt
        comp = await client.complete(template.render("prompt", cleaned), grammar=None, n_predict=1)
        timings.pps.append(comp.prompt_per_second)
        timings.tps.append(comp.predicted_per_second)
        # the latency is exactly one tagging call (uncached; a retry would be in it)
        cache = TagCache(Path("unused"), persist=False)
        frag = Fragment("prompt", "bench", i, cleaned, None, key=f"b{i}-{run}")
        result.requests += 1
        t0 = time.monotonic()
        try:
            tag = await tag_one(backend, cache, frag, opts.vocabulary)
            timings.latencies.append((time.monotonic() - t0) * 1000.0)
            result.successes += 1
            tags.append(tag)
        except TaggingError as exc:
            result.invalid_outputs += 1
            if len(timings.invalid_examples) < 5:
                timings.invalid_examples.append(exc.message[:80])
    return BenchFragment(
        fragment_id=f"f{i}",
        fragment_hash=hashlib.sha256(text.encode()).hexdigest()[:16],
        runs=opts.runs,
        ok_runs=len(tags),
        tags=tags,
        modal_tag=Counter(tags).most_common(1)[0][0] if tags else None,
        stable=len(tags) == opts.runs and len(set(tags)) == 1,
        preview=cleaned[:140] if opts.include_previews else None,
    )


def _summarise(result: BenchModel, timings: _Timings, started: float) -> None:
    lat = timings.latencies
    elapsed = (sum(lat) / 1000.0) if lat else time.monotonic() - started
    result.invalid_examples = timings.invalid_examples
    result.stable_fragments = sum(1 for f in result.fragments if f.stable)
    if lat:
        result.latency = BenchLatency(
            mean_ms=round(statistics.fmean(lat), 1),
            p50_ms=round(_pct(lat, 0.5), 1),
            p95_ms=round(_pct(lat, 0.95), 1),
        )
    result.tags_per_second = round(result.successes / elapsed, 3) if elapsed else None
    pps, tps = timings.pps, timings.tps
    result.prompt_tokens_per_second = round(statistics.fmean(pps), 1) if pps else None
    result.generation_tokens_per_second = round(statistics.fmean(tps), 1) if tps else None


async def _quality(
    client: LlamaClient, info: ServerInfo, opts: BenchOptions, result: BenchModel, log: Log
) -> None:
    """Hit rates on a labelled file the user gave and on the real test split."""
    if opts.eval_file is not None:
        ev = await evaluate(
            client, info.model_id, opts.eval_file, info.total_slots, opts.vocabulary
        )
        result.quality = round(ev.hit_rate, 4)
        result.quality_items = ev.items
    if opts.eval_corpus is not None:
        log(f"{result.label}: tagging the real test split (uncached)")
        real = await evaluate_real(
            client, info.model_id, opts.eval_corpus, info.total_slots, opts.vocabulary
        )
        result.quality_real = {k: QualityCell(**v) for k, v in real.by_kind.items()}
        result.quality_real_by_language = {
            k: QualityCell(**v) for k, v in real.by_kind_lang.items() if v["n"] >= 20
        }
        result.quality_real_tags_per_second = real.tags_per_second


async def _measure(
    url: str,
    label: str,
    path: Path,
    opts: BenchOptions,
    fragments: list[str],
    load_seconds: float,
    log: Log = lambda _m: None,
) -> BenchModel:
    async with LlamaClient(url, timeout=opts.request_timeout, retries=1) as client:
        info = await client.info()
        result = BenchModel(label=label, path=str(path), ok=True, load_seconds=load_seconds)
        timings = _Timings()
        started = time.monotonic()
        backend = LlamaBackend(client, info.model_id, 1, slots=info.total_slots)
        if opts.vocabulary == "kinds":
            await backend.choose("prompt", "warm-up")  # calibration, once, before the clock
        template = await backend.phrasing()
        result.prompt_style = template.style
        result.fragments = [
            await _fragment(client, backend, template, i, text, opts, result, timings)
            for i, text in enumerate(fragments, 1)
        ]
        _summarise(result, timings, started)
        await _quality(client, info, opts, result, log)
        return result


def run_bench(opts: BenchOptions, log: Log = lambda _m: None) -> BenchResult:
    fragments = opts.fragments or list(DEFAULT_FRAGMENTS)
    models: list[BenchModel] = []
    for label, spec in opts.models:
        try:
            path = known_or_path(spec, log)  # a missing file is reported below
        except AgentpprofError as exc:
            models.append(BenchModel(label=label, path=spec, ok=False, error=exc.message[:300]))
            continue
        log(f"{label}: starting llama-server with {path}")
        if not path.is_file():
            models.append(
                BenchModel(
                    label=label, path=str(path), ok=False, error=f"model file not found: {path}"
                )
            )
            continue
        server = LlamaServer(opts.llama_server, path, extra_args=opts.server_args, parallel=1)
        try:
            server.start()
            load = server.wait_ready(opts.load_timeout)
            log(
                f"{label}: ready in {load:.1f} s; tagging {len(fragments)} fragments "
                f"x {opts.runs} runs"
            )
            measured = asyncio.run(
                _measure(server.url, label, path, opts, fragments, round(load, 2), log)
            )
            if server.proc is not None:
                measured.server_peak_rss_mb = peak_rss_mb(server.proc.pid)
            models.append(measured)
        except AgentpprofError as exc:
            models.append(
                BenchModel(
                    label=label, path=str(path), ok=False, error=exc.message.splitlines()[0][:300]
                )
            )
        finally:
            server.stop()
    return BenchResult(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        agentpprof_version=__version__,
        llama_server=str(opts.llama_server),
        server_args=opts.server_args,
        runs=opts.runs,
        eval_file=str(opts.eval_file) if opts.eval_file else None,
        eval_split="test" if opts.eval_corpus else None,
        eval_split_sha256=split_sha256("test") if opts.eval_corpus else None,
        models=models,
    )


class PlotFrame(NamedTuple):
    """The quality/latency chart's size and margins (pixels)."""

    width: int = 640
    height: int = 360
    left: int = 60
    bottom: int = 50
    top: int = 40
    right: int = 30

    def x(self, share: float) -> float:
        return self.left + (self.width - self.left - self.right) * share

    def y(self, share: float) -> float:
        return self.height - self.bottom - (self.height - self.top - self.bottom) * share


def quality_latency_svg(result: BenchResult) -> str:
    """Quality (hit rate) against mean latency, one dot per model (templates/bench.svg.j2)."""
    from agentpprof.output.templates import get_env

    frame = PlotFrame()
    ok = [m for m in result.models if m.ok and m.latency is not None]
    xmax = max((m.latency.mean_ms for m in ok if m.latency), default=1.0) * 1.2 or 1.0
    dots = []
    for m in ok:
        assert m.latency is not None
        x = frame.x(m.latency.mean_ms / xmax)
        q = m.quality if m.quality is not None else 0.0
        y = frame.y(q)
        dots.append(
            {
                "label": m.label,
                "ms": m.latency.mean_ms,
                "q": q,
                "x": f"{x:.1f}",
                "y": f"{y:.1f}",
                "tx": f"{x + 9:.1f}",
                "ty": f"{y + 4:.1f}",
            }
        )
    return (
        get_env()
        .get_template("bench.svg.j2")
        .render(f=frame, xmax=f"{xmax:.0f}", dots=dots)
        .rstrip("\n")
    )


def bench_markdown(result: BenchResult) -> str:
    """The models side by side as a Markdown table (written beside the JSON): the real test
    split per fragment kind and per language (>= 20 items) with 95 % intervals, speed and
    memory. Without the labelled files, says that no quality was measured."""
    head = (
        "| model | style | prompts | sessions | LLM calls | by language (prompts) | "
        "tags/s (split) | load s | server peak RSS MB |\n|---|---|---|---|---|---|---|---|---|\n"
    )

    def cell(c: QualityCell | None) -> str:
        if c is None:
            return "not measured"
        return f"{c.rate:.1%} [{c.ci95[0]:.1%}–{c.ci95[1]:.1%}] ({c.hits}/{c.n})"

    rows = []
    for m in result.models:
        if not m.ok:
            rows.append(f"| {m.label} | – | failed: {m.error or ''} | | | | | | |")
            continue
        q = m.quality_real
        langs = ", ".join(
            f"{k.split('/', 1)[1]} {c.rate:.0%} (n={c.n})"
            for k, c in m.quality_real_by_language.items()
            if k.startswith("prompt/")
        )
        rows.append(
            f"| {m.label} | {m.prompt_style or '–'} | {cell(q.get('prompt'))} | "
            f"{cell(q.get('session'))} | {cell(q.get('llm'))} | {langs or '–'} | "
            f"{m.quality_real_tags_per_second or '–'} | {m.load_seconds or '–'} | "
            f"{m.server_peak_rss_mb or '–'} |"
        )
    split = (
        f"test split sha256 `{result.eval_split_sha256}`"
        if result.eval_split_sha256
        else NO_QUALITY
    )
    tail = f"\n\n{split}; agentpprof {result.agentpprof_version}, {result.generated_at}\n"
    return head + "\n".join(rows) + tail


NO_QUALITY = (
    "no quality was measured: pass --eval-corpus DIR (the folder of the labelled session "
    "files, e.g. shared/corpus-eval) to score the shipped real test split"
)


def eval_corpus_dir(given: Path | None) -> Path | None:
    """--eval-corpus, else $AGENTPPROF_EVAL_CORPUS; an error when it is not a folder."""
    path = given or defaults.env_path(defaults.ENV_EVAL_CORPUS)
    if path is not None and not path.is_dir():
        raise AgentpprofError(
            f"eval corpus folder not found: {path}",
            hint="pass the folder of the labelled session files "
            "(shared/corpus-eval) with --eval-corpus",
        )
    return path


def write_bench_files(out: Path, result: BenchResult) -> str:
    """benchmarks.json (returned as text too), its SVG and its Markdown table beside it."""
    text = result.model_dump_json(indent=2)
    write_atomic(out, text + "\n")
    write_atomic(out.with_suffix(".svg"), quality_latency_svg(result))
    write_atomic(out.with_suffix(".md"), bench_markdown(result))
    return text
