"""The report pipeline: discover -> parse -> tag -> fold -> write (JSON, folded, pprof,
speedscope) -> render (SVG, HTML). Each stage is a plain module; this file only wires them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import msgspec

from agentpprof import defaults
from agentpprof.artifacts import (
    DASHBOARD,
    FILES,
    FOLDED,
    PPROF,
    REPORT_JSON,
    SPEEDSCOPE,
    TAG_CACHE,
    TRACE,
)
from agentpprof.errors import NoSessionsError, OutputError
from agentpprof.fsutil import write_atomic
from agentpprof.models import EndpointStats, Inputs, Project, Report, RunSummary, TaggerStats
from agentpprof.output import render
from agentpprof.output.export import pprof_bytes, speedscope_json
from agentpprof.privacy import display_path
from agentpprof.profile.agentsight import (
    DEFAULT_SKEW_MS,
    Correlation,
    Snapshot,
    correlate,
    load_snapshot,
)
from agentpprof.profile.fold import Profiles, Stack, fold_sessions, folded_text
from agentpprof.profile.outcome import SessionOutcomes, all_outcomes
from agentpprof.profile.summary import build_report
from agentpprof.profile.timeline import Timeline, build_timeline, trace_json
from agentpprof.profile.where import Where, apply_where
from agentpprof.sources.discover import DiscoverOptions, Discovery, discover_sessions
from agentpprof.sources.parse import parse_sessions
from agentpprof.sources.records import Session
from agentpprof.sources.timerange import clip_sessions
from agentpprof.tagging.cache import TagCache
from agentpprof.tagging.llama import DEFAULT_URL, ApiKind, LlamaServer
from agentpprof.tagging.pool import open_pool
from agentpprof.tagging.prompt import Vocabulary, version_for
from agentpprof.tagging.provision import require_llama_server, resolve_model
from agentpprof.tagging.tag import (
    Backend,
    CachedOnly,
    LlamaBackend,
    all_cached,
    collect_fragments,
    inherit_llm_tags,
    tag_fragments,
)
from agentpprof.tagging.tags import Tags, TagStats

Log = Callable[[str], None]
log = logging.getLogger("agentpprof")  # shown with -vv (debug) / -v (info)


@dataclass(slots=True)
class ReportOptions:
    discover: DiscoverOptions
    out: Path
    project_name: str | None = None
    llama_urls: list[str] = field(default_factory=lambda: [DEFAULT_URL])
    api: ApiKind = "llama"  # llama.cpp's own routes, or an OpenAI engine's /v1/completions
    start_server: bool = False
    model: str | None = None  # a known model's name or a GGUF path (None: the default)
    llama_server: Path | None = None
    server_args: list[str] = field(default_factory=list)
    timeout: float = defaults.REQUEST_TIMEOUT
    concurrency: int | None = None
    tag_llm_calls: bool = True
    vocabulary: Vocabulary = "kinds"
    reproducible: bool = False
    include_previews: bool = False
    workers: int | None = None
    agentsight_snapshots: list[Path] = field(default_factory=list)
    agentsight_skew_ms: int = DEFAULT_SKEW_MS
    where: list[Where] = field(default_factory=list)  # --where, parsed (where.parse_where)


class Hooks(Protocol):
    """Progress callbacks from the pipeline to the terminal."""

    def stage(self, name: str, total: int | None) -> None: ...
    def advance(self, n: int = 1, extra: str = "") -> None: ...
    def log(self, message: str) -> None: ...


class NullHooks:
    def stage(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1, extra: str = "") -> None:
        pass

    def log(self, message: str) -> None:
        pass


def load(opts: DiscoverOptions, hooks: Hooks | None = None) -> tuple[Discovery, list[Session]]:
    hooks = hooks or NullHooks()
    found = discover_sessions(opts)
    hooks.stage("parsing sessions", len(found.refs))
    root = str(opts.project_root.resolve())
    started = time.monotonic()
    sessions = parse_sessions(
        [(r.path, r.display, r.agent) for r in found.refs],
        root,
        progress=lambda n: hooks.advance(n),
    )
    clipped = clip_sessions(sessions, opts.time_range)
    log.debug(
        "discover + parse: %d files scanned, %d parsed, %d in the time range, %.2f s",
        found.scanned,
        len(sessions),
        len(clipped),
        time.monotonic() - started,
    )
    return found, clipped


@contextlib.contextmanager
def _server(opts: ReportOptions, hooks: Hooks) -> Iterator[list[str]]:
    """The URLs to tag against: a managed server for this run, or the given ones."""
    if not opts.start_server:
        yield opts.llama_urls
        return
    binary = require_llama_server(opts.llama_server)
    model = _managed_model(opts, hooks)
    server = LlamaServer(binary, model, extra_args=opts.server_args)
    hooks.log(f"starting {binary.name} with {model.name} on {server.url}")
    with server:
        yield [server.url]


def _managed_model(opts: ReportOptions, hooks: Hooks) -> Path:
    return resolve_model(opts.model, hooks.log)


def _fingerprint(model: Path) -> str:
    st = model.stat()
    return f"{model.resolve()}:{st.st_size}:{st.st_mtime_ns}"


async def _tag(
    sessions: list[Session],
    urls: list[str],
    opts: ReportOptions,
    cache: TagCache,
    hooks: Hooks,
    backend: Backend | None,
    model_fp: str | None = None,
) -> tuple[Tags, TagStats, list[EndpointStats]]:
    """Tag every fragment; returns the tags, the stats and, per endpoint, what it did."""
    frags = collect_fragments(sessions, opts.tag_llm_calls)
    endpoints: list[EndpointStats] = []
    if backend is None:
        api = "llama" if opts.start_server else opts.api
        pool, info = await open_pool(
            urls,
            api=api,
            timeout=opts.timeout,
            concurrency=opts.concurrency,
            reproducible=opts.reproducible,
            warn=hooks.log,
        )
        try:
            if model_fp:
                cache.model_ids[model_fp] = info.model_id
            real = LlamaBackend(pool, info.model_id, pool.capacity, reproducible=opts.reproducible)
            if api == "openai":
                real.provider = "openai-compatible"
            unique = len({cache.key(real.identity, f.kind, f.text, opts.vocabulary) for f in frags})
            hooks.stage("tagging", unique)
            started = time.monotonic()
            done = 0

            def report(n: int, st: TagStats) -> None:
                nonlocal done
                done += n
                rate = st.llm_successes / max(time.monotonic() - started, 1e-6)
                down = sum(1 for ep in pool.endpoints if not ep.alive)
                hooks.advance(
                    n,
                    f"{rate:.1f} tags/s · ETA {eta_text(unique - done, rate)} · "
                    f"{st.llm_calls} LLM calls · {st.cache_hits} cached"
                    + (f" · {len(pool.endpoints)} endpoints" if len(urls) > 1 else "")
                    + (f" ({down} down)" if down else ""),
                )

            tags = await tag_fragments(
                frags, real, cache, progress=report, vocabulary=opts.vocabulary
            )
        finally:
            endpoints = pool.stats()
            await pool.aclose()
    else:
        hooks.stage("tagging", len(frags))
        tags = await tag_fragments(
            frags,
            backend,
            cache,
            progress=lambda n, st: hooks.advance(n),
            vocabulary=opts.vocabulary,
        )
    if not opts.tag_llm_calls:
        inherit_llm_tags(sessions, tags)
    return tags, cache.stats, endpoints


def unreadable(s: Session) -> bool:
    """A file that yielded nothing and said why (missing, a folder, a pipe or device)."""
    return (
        s.lines == 0
        and bool(s.warnings)
        and not (s.prompts or s.llm_calls or s.tool_calls)
        and s.warnings[0].line == 0
    )


def eta_text(remaining: int, rate: float) -> str:
    """Time left for ``remaining`` tags at ``rate`` tags/s (cached tags come first, so every
    remaining one is a request), as ``1m05s``; ``…`` before the first answer."""
    if remaining <= 0:
        return "0s"
    if rate <= 0:
        return "…"
    secs = round(remaining / rate)
    return f"{secs // 60}m{secs % 60:02d}s" if secs >= 60 else f"{secs}s"


def folded_files(profiles: Profiles) -> dict[str, Counter[Stack]]:
    """Folded file name -> its profile (names from the artifact registry)."""
    files = {
        FOLDED[field]: getattr(profiles, field)
        for field in ("system", "token", "nonsemantic", "cost", "time", "friction", "friction_time")
    }
    for name, counter in profiles.projections.items():
        files[FOLDED[name]] = counter
    return files


def write_profiles(out: Path, profiles: Profiles) -> None:
    files = folded_files(profiles)
    for name, counter in files.items():
        write_atomic(out / name, folded_text(counter))
    units = {
        FOLDED["system"]: ("events", "agentpprof system effects"),
        FOLDED["token"]: ("tokens", "agentpprof tokens"),
    }
    labelled = {
        FOLDED["system"]: profiles.system_labelled,
        FOLDED["token"]: profiles.token_labelled,
    }
    for name, folded in PPROF.items():
        sample, comment = units[folded]
        samples = labelled[folded]
        write_atomic(
            out / name,
            pprof_bytes(
                files[folded],
                sample,
                "count",
                comment,
                (samples, profiles.labels) if samples else None,
            ),
        )
    for name, folded in SPEEDSCOPE.items():
        sample, comment = units[folded]
        title = comment if sample == "tokens" else f"{comment} ({sample})"
        write_atomic(out / name, speedscope_json(files[folded], title))


def run_summary(out: Path, rep: Report) -> RunSummary:
    """``report --json``: where the files are and the headline numbers."""
    totals, tagger = rep.summary.totals, rep.llm_tagger
    return RunSummary(
        out=str(out),
        dashboard=str(out / DASHBOARD),
        agentpprof_json=str(out / REPORT_JSON),
        tags_json=str(out / TAG_CACHE),
        sessions=totals.sessions,
        prompts=totals.prompts,
        llm_calls=totals.llm_calls,
        tool_calls=totals.tool_calls,
        tokens=totals.tokens.total,
        system_unique_stacks=rep.summary.system.unique_stacks,
        llm_tag_calls=tagger.llm_calls,
        cache_hits=tagger.cache_hits,
        tagging_seconds=tagger.seconds,
        cost_usd=rep.summary.cost.total_usd,
        cost_complete=rep.summary.cost.complete,
        agent_time_ms=rep.summary.time.tool_ms + rep.summary.time.llm_ms,
        wait_ms=rep.summary.time.wait_ms,
    )


def _sessions(opts: ReportOptions, hooks: Hooks) -> tuple[Discovery, list[Session], list[Session]]:
    """Discover and parse: (what discovery saw, the readable sessions, the unreadable files). A
    given file that could not be read at all (missing, a folder, a pipe) is no session to tag
    or draw: only its warning is kept."""
    root = opts.discover.project_root.resolve()
    found, parsed = load(opts.discover, hooks)
    unread = [s for s in parsed if unreadable(s)]
    sessions = [s for s in parsed if not unreadable(s)]
    if unread and not sessions:
        raise NoSessionsError(
            "none of the session files could be read: "
            + "; ".join(str(w) for s in unread for w in s.warnings[:1]),
            hint="check the --session-file paths",
        )
    if not sessions and not opts.discover.session_files:
        raise NoSessionsError(
            f"no Claude Code or Codex sessions found for {display_path(root)} "
            f"(scanned {found.scanned} files under {display_path(found.claude_root)} and "
            f"{display_path(found.codex_root)})",
            hint="pass --project-root, --claude-root/--codex-root, or --session-file PATH",
        )
    return found, sessions, unread


@dataclass(slots=True)
class Tagged:
    """What the tag stage returns to the pipeline."""

    tags: Tags
    stats: TagStats
    endpoints: list[EndpointStats]
    urls: list[str]


def _tagging(
    opts: ReportOptions,
    sessions: list[Session],
    cache: TagCache,
    hooks: Hooks,
    backend: Backend | None,
) -> Tagged:
    """Every tag, from the cache when it has them all for the managed model (no server
    started), else from the server(s)."""
    urls = opts.llama_urls
    known = model_fp = None
    if sessions and opts.start_server and backend is None:
        model = _managed_model(opts, hooks)
        model_fp = _fingerprint(model) if model.is_file() else None
        known = cache.model_ids.get(model_fp) if model_fp else None
        if known and not all_cached(
            collect_fragments(sessions, opts.tag_llm_calls), cache, known, opts.vocabulary
        ):
            known = None
    if known:  # every tag is cached for this model: no server needed
        tags, stats, endpoints = asyncio.run(
            _tag(sessions, urls, opts, cache, hooks, CachedOnly(known))
        )
    elif sessions:
        with _server(opts, hooks) as urls:
            tags, stats, endpoints = asyncio.run(
                _tag(sessions, urls, opts, cache, hooks, backend, model_fp)
            )
    else:
        tags, stats, endpoints = Tags(), cache.stats, []
        cache.save()
    log.debug(
        "tagging: %d requests, %d cache hits, %d LLM calls, %.2f s (%s)",
        stats.requests,
        stats.cache_hits,
        stats.llm_calls,
        stats.seconds,
        dict(tags.sources()),
    )
    return Tagged(tags, stats, endpoints, urls)


@dataclass(slots=True)
class Profiled:
    """The profile stages' results for the work the filter kept."""

    sessions: list[Session]
    tags: Tags
    outcomes: list[SessionOutcomes]
    correlation: Correlation | None
    timeline: Timeline
    profiles: Profiles


def _profile(
    opts: ReportOptions,
    sessions: list[Session],
    tags: Tags,
    project: str,
    snapshots: list[Snapshot],
) -> Profiled:
    """Outcomes, --where, AgentSight correlation, the timeline (the time profile) and fold."""
    started = time.monotonic()
    outcomes = all_outcomes(sessions)
    if opts.where:  # before correlation: it matches by session and tool index
        kept = apply_where(opts.where, sessions, tags, outcomes, project)
        sessions, tags, outcomes = kept.sessions, kept.tags, kept.outcomes
    correlation = correlate(sessions, snapshots, opts.agentsight_skew_ms) if snapshots else None
    if correlation:
        log.info(
            "agentsight: %d of %d shell calls matched (%d ambiguous, %d outside), "
            "%d untracked subtrees",
            correlation.matched,
            correlation.considered,
            correlation.ambiguous,
            correlation.outside,
            len(correlation.untracked),
        )
    timeline = build_timeline(sessions, tags, project, correlation, outcomes)
    profiles = fold_sessions(sessions, tags, project, correlation, outcomes, timeline.profile)
    log.debug(
        "fold + timeline: %d system / %d token stacks, %.2f s",
        len(profiles.system),
        len(profiles.token),
        time.monotonic() - started,
    )
    return Profiled(sessions, tags, outcomes, correlation, timeline, profiles)


def _tagger_stats(opts: ReportOptions, cache: TagCache, tagged: Tagged) -> TaggerStats:
    llm, stats = cache.llm, tagged.stats
    return TaggerStats(
        provider=llm.get("provider", "llama.cpp"),
        base_url=llm.get("base_url", ", ".join(tagged.urls)),
        model=llm.get("model", ""),
        prompt_version=f"{version_for(llm.get('model', ''))}-{opts.vocabulary}",
        **{k: v for k, v in msgspec.structs.asdict(stats).items() if k != "seconds"},
        seconds=round(stats.seconds, 3),
        tags_per_second=round(stats.llm_successes / stats.seconds, 3) if stats.seconds > 0 else 0.0,
        endpoints=tagged.endpoints,
    )


def _inputs(opts: ReportOptions, found: Discovery, profiled_files: int) -> Inputs:
    return Inputs(
        claude_root=display_path(found.claude_root),
        codex_root=display_path(found.codex_root),
        session_files=[display_path(p) for p in opts.discover.session_files],
        scan_files=opts.discover.scan_files,
        max_sessions=opts.discover.max_sessions,
        files_scanned=found.scanned,
        files_profiled=profiled_files,
        tag_llm_calls=opts.tag_llm_calls,
        include_previews=opts.include_previews,
        where=[str(w) for w in opts.where],
    )


def run_report(
    opts: ReportOptions, hooks: Hooks | None = None, backend: Backend | None = None
) -> Report:
    """The whole job. ``backend`` replaces the llama.cpp server only in unit tests."""
    hooks = hooks or NullHooks()
    root = opts.discover.project_root.resolve()
    # snapshots first: a bad one stops the run before anything is written
    snapshots = [load_snapshot(p) for p in opts.agentsight_snapshots]
    found, sessions, unread = _sessions(opts, hooks)
    out = opts.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {out}: {exc.strerror}") from None
    cache = TagCache.load(out / TAG_CACHE)
    tagged = _tagging(opts, sessions, cache, hooks, backend)
    hooks.stage("writing profiles", None)
    project = opts.project_name or root.name or "project"
    done = _profile(opts, sessions, tagged.tags, project, snapshots)
    write_profiles(out, done.profiles)
    trace = trace_json(done.timeline, project)
    write_atomic(out / TRACE, trace)
    report = build_report(
        sessions=done.sessions,
        tags=done.tags,
        profiles=done.profiles,
        project=Project(name=project, root=display_path(root)),
        inputs=_inputs(opts, found, len(sessions)),
        tagger=_tagger_stats(opts, cache, tagged),
        artifacts=dict(FILES),
        warnings=[str(w) for s in unread + sessions for w in s.warnings] + cache.warnings,
        include_previews=opts.include_previews,
        hash_key=cache.hash_key,
        timeline=done.timeline,
        correlation=done.correlation,
        outcomes=done.outcomes,
    )
    write_atomic(out / REPORT_JSON, report.model_dump_json(indent=1) + "\n")
    hooks.stage("rendering dashboard", None)
    render.render_all(out, report, folded_files(done.profiles), trace)
    return report
