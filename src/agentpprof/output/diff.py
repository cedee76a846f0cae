"""Diff stage: two report folders -> differential folded, pprof and SVG files, diff.json, diff.html.

Input: the folders ``agentpprof report`` writes (``agentpprof.json`` plus ``*.folded.txt``); the
folded files are the profiles, so a diff needs neither sessions nor the LLM. For every folded
profile present in either folder (a side without it counts as empty):

* ``<name>.diff.folded.txt``: ``stack base new`` per line, the two-column format of
  flamegraph.pl's ``difffolded.pl`` (with ``--normalize`` the base column is scaled to NEW's total,
  as ``difffolded.pl -n``);

and for the main profiles (system, token, and the time and cost profiles where present):

* ``<name>.diff.pb.gz``: NEW's samples plus BASE's negated and labelled ``pprof::base=true``, what
  ``go tool pprof -diff_base`` builds (always unscaled; pprof has its own ``-normalize``);
* ``<name>.diff.svg``: widths from NEW, red where a frame grew and blue where it shrank;
  ``<name>.diff-base.svg``: widths from BASE, the same colours, so what vanished is visible too.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field

from agentpprof import __version__
from agentpprof.artifacts import DIFF_DASHBOARD, DIFF_JSON, FLAMES, FOLDED, REPORT_JSON
from agentpprof.errors import AgentpprofError
from agentpprof.fsutil import write_atomic
from agentpprof.models import Contract, Report, read_report
from agentpprof.output.export import pprof_diff_bytes
from agentpprof.output.flamegraph import (
    MARGIN_PX,
    MIN_WIDTH_PX,
    SVG_WIDTH,
    build_diff_tree,
    for_page,
    render_tree,
)
from agentpprof.output.templates import get_env
from agentpprof.parallel import file_size, pmap
from agentpprof.privacy import display_path
from agentpprof.profile.fold import Stack, parse_folded, parse_stack, stack_text
from agentpprof.profile.where import Where, stack_matches

FOLDED_SUFFIX = ".folded.txt"
TOP = 10

# folded file -> (title, unit) for the profiles the dashboard knows, plus the optional time and
# cost profiles; any other *.folded.txt is diffed under its own name in "events".
PROFILE_INFO: dict[str, tuple[str, str]] = {fl.folded: (fl.title, fl.unit) for fl in FLAMES}
MAIN_PROFILES = tuple(FOLDED[k] for k in ("system", "token", "time", "cost"))
# (dimension, profile, frame prefix): weights grouped by the first frame with that prefix
DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    ("session tag · tokens", FOLDED["token"], "session:"),
    ("prompt tag · tokens", FOLDED["token"], "prompt:"),
    ("LLM-call tag · tokens", FOLDED["token"], "call:llm/"),
    ("model · tokens", FOLDED["token"], "model:"),
    ("session tag · events", FOLDED["system"], "session:"),
    ("prompt tag · events", FOLDED["system"], "prompt:"),
    ("command · events", FOLDED["system"], "process:"),
    ("effect · events", FOLDED["system"], "effect:"),
    ("session tag · cost", FOLDED["cost"], "session:"),
    ("prompt tag · time", FOLDED["time"], "prompt:"),
)
TOTAL_FIELDS = ("sessions", "subagent_sessions", "prompts", "llm_calls", "tool_calls")
TOKEN_FIELDS = ("input", "cache_read", "cache_write", "output", "reasoning", "total")


class SideInfo(Contract):
    folder: str
    generated_at: str
    agentpprof_version: str
    model: str
    prompt_version: str


class TotalRow(Contract):
    name: str
    base: int
    new: int
    delta: int


class ProfileDiff(Contract):
    folded: str = Field(description="the profile's folded file name in both reports")
    unit: str
    base_total: int
    new_total: int
    delta: int
    stacks_base: int
    stacks_new: int
    stacks_changed: int
    files: dict[str, str] = Field(description="kind -> file name in the diff folder")


class Change(Contract):
    name: str = Field(description="a tag, command, effect or model frame (no free text)")
    base: int
    new: int
    delta: int


class Dimension(Contract):
    name: str
    unit: str
    growth: list[Change]
    shrink: list[Change]


class DiffReport(Contract):
    schema_version: int = 1
    agentpprof_version: str
    base: SideInfo
    new: SideInfo
    normalized: bool
    where: list[str] = Field(
        default_factory=list, description="--where frame filters applied to every profile"
    )
    comparable: bool = Field(
        description="false when the two reports were tagged under "
        "different models or prompt versions"
    )
    warnings: list[str]
    totals: list[TotalRow]
    profiles: list[ProfileDiff]
    dimensions: list[Dimension]
    artifacts: dict[str, str]


@dataclass(slots=True)
class Side:
    folder: Path
    report: Report
    folded: dict[str, Path] = field(default_factory=dict)  # profile name -> its file


@dataclass(slots=True)
class Job:
    """One profile to diff: everything a (forked) worker needs."""

    name: str
    base: Path | None
    new: Path | None
    out: Path
    normalize: bool
    where: list[Where] = field(default_factory=list)


@dataclass(slots=True)
class Done:
    """What a worker sends back: small (the summary row, SVG text, grouped dimensions)."""

    profile: ProfileDiff
    warnings: list[str]
    svgs: dict[str, str]
    groups: dict[str, dict[str, tuple[int, int]]]  # frame prefix -> grouped weights


def load_side(folder: Path, label: str) -> Side:
    """A report folder, checked: its agentpprof.json must be a schema-1 report."""
    if not folder.is_dir():
        raise AgentpprofError(
            f"{label} report folder not found: {folder}",
            hint="pass two folders written by `agentpprof report --out DIR`",
        )
    report = read_report(folder / REPORT_JSON)
    side = Side(folder, report)
    for fpath in sorted(folder.glob(f"*{FOLDED_SUFFIX}")):
        if fpath.name.endswith(".diff" + FOLDED_SUFFIX):
            continue
        side.folded[fpath.name] = fpath
    if not side.folded:
        raise AgentpprofError(
            f"{folder} holds no *.folded.txt profiles",
            hint="run `agentpprof report` again into that folder",
        )
    return side


def _read_folded(path: Path, warnings: list[str]) -> Counter[Stack]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise AgentpprofError(f"cannot read {path}: {exc.strerror}") from None
    return parse_folded(text, warnings, str(path))


Pairs = dict[Stack, tuple[int, int]]


def pair(base: Counter[Stack], new: Counter[Stack], scale: float = 1.0) -> Pairs:
    """stack -> (base, new), base optionally scaled (rounded) to NEW's total."""
    out: Pairs = {}
    for stack, weight in base.items():
        out[stack] = (round(weight * scale) if scale != 1.0 else weight, 0)
    for stack, weight in new.items():
        out[stack] = (out.get(stack, (0, 0))[0], weight)
    return out


def two_column_text(pairs: Pairs) -> str:
    rows = sorted((stack_text(k), b, n) for k, (b, n) in pairs.items())
    return "".join([f"{text} {b} {n}\n" for text, b, n in rows])


def parse_two_column(text: str) -> Pairs:
    out: Pairs = {}
    for line in text.splitlines():
        head, _, new = line.rpartition(" ")
        stack, _, base = head.rpartition(" ")
        out[parse_stack(stack)] = (int(base), int(new))
    return out


def group(pairs: Pairs, prefix: str) -> dict[str, tuple[int, int]]:
    """Weights by the first frame starting with ``prefix`` (stacks without one are left out)."""
    return groups(pairs, (prefix,))[prefix]


def groups(pairs: Pairs, prefixes: tuple[str, ...]) -> dict[str, dict[str, tuple[int, int]]]:
    """:func:`group` for several prefixes in one pass (each distinct frame is matched once)."""
    match: dict[str, str | None] = {}
    acc: dict[str, dict[str, list[int]]] = {p: {} for p in prefixes}
    for stack, (b, n) in pairs.items():
        seen: set[str] = set()
        for frame in stack:
            hit = match.get(frame, "")
            if hit == "":
                hit = match[frame] = next((p for p in prefixes if frame.startswith(p)), None)
            if hit is not None and hit not in seen:
                seen.add(hit)
                row = acc[hit].setdefault(frame, [0, 0])
                row[0] += b
                row[1] += n
    return {p: {k: (v[0], v[1]) for k, v in rows.items()} for p, rows in acc.items()}


def _changes(groups: dict[str, tuple[int, int]]) -> tuple[list[Change], list[Change]]:
    rows = [Change(name=k, base=b, new=n, delta=n - b) for k, (b, n) in groups.items() if n != b]
    growth = sorted((r for r in rows if r.delta > 0), key=lambda r: (-r.delta, r.name))[:TOP]
    shrink = sorted((r for r in rows if r.delta < 0), key=lambda r: (r.delta, r.name))[:TOP]
    return growth, shrink


def _side_info(side: Side) -> SideInfo:
    rep = side.report
    return SideInfo(
        folder=display_path(side.folder.resolve()),
        generated_at=rep.generated_at,
        agentpprof_version=rep.agentpprof_version,
        model=rep.llm_tagger.model,
        prompt_version=rep.llm_tagger.prompt_version,
    )


def _totals(base: Side, new: Side) -> list[TotalRow]:
    rows: list[TotalRow] = []
    bt, nt = base.report.summary.totals, new.report.summary.totals
    for name in TOTAL_FIELDS:
        b, n = int(getattr(bt, name)), int(getattr(nt, name))
        rows.append(TotalRow(name=name.replace("_", " "), base=b, new=n, delta=n - b))
    for name in TOKEN_FIELDS:
        b, n = int(getattr(bt.tokens, name)), int(getattr(nt.tokens, name))
        rows.append(TotalRow(name=f"tokens {name.replace('_', ' ')}", base=b, new=n, delta=n - b))
    return rows


def _stem(folded: str) -> str:
    return folded.removesuffix(FOLDED_SUFFIX)


def diff_profile(job: Job) -> Done:
    """Read one profile from both reports and write its differential files."""
    warnings: list[str] = []
    bc = _read_folded(job.base, warnings) if job.base else Counter[Stack]()
    nc = _read_folded(job.new, warnings) if job.new else Counter[Stack]()
    if job.where:
        bc = Counter({k: v for k, v in bc.items() if stack_matches(job.where, k)})
        nc = Counter({k: v for k, v in nc.items() if stack_matches(job.where, k)})
    title, unit = PROFILE_INFO.get(job.name, (_stem(job.name), "events"))
    btotal, ntotal = sum(bc.values()), sum(nc.values())
    scale = ntotal / btotal if job.normalize and btotal else 1.0
    pairs = pair(bc, nc, scale)
    stem = _stem(job.name)
    files = {"two_column": f"{stem}.diff{FOLDED_SUFFIX}"}
    write_atomic(job.out / files["two_column"], two_column_text(pairs))
    svgs: dict[str, str] = {}
    if job.name in MAIN_PROFILES:
        files.update(
            pprof=f"{stem}.diff.pb.gz", svg=f"{stem}.diff.svg", svg_base=f"{stem}.diff-base.svg"
        )
        write_atomic(
            job.out / files["pprof"],
            pprof_diff_bytes(bc, nc, unit, "count", f"agentpprof diff: {title}"),
        )
        note = "normalised base; " if scale != 1.0 else ""
        tree = build_diff_tree(pairs, min_frac=MIN_WIDTH_PX / (SVG_WIDTH - MARGIN_PX))
        for kind, widths in (("svg", "new"), ("svg_base", "base")):
            svg = render_tree(
                tree,
                title=f"{title}: {widths} widths, red grew, blue shrank",
                unit=unit,
                diff=widths,
                subtitle=note,
                width=SVG_WIDTH,
                min_width=MIN_WIDTH_PX,
                element_id=files[kind].removesuffix(".svg").replace(".", "-"),
            )
            write_atomic(job.out / files[kind], svg)
            svgs[files[kind]] = for_page(svg)
    profile = ProfileDiff(
        folded=job.name,
        unit=unit,
        base_total=btotal,
        new_total=ntotal,
        delta=ntotal - btotal,
        stacks_base=len(bc),
        stacks_new=len(nc),
        stacks_changed=sum(1 for b, n in pairs.values() if b != n),
        files=files,
    )
    wanted = tuple(prefix for _l, prof, prefix in DIMENSIONS if prof == job.name)
    return Done(profile, warnings, svgs, groups(pairs, wanted))


def _comparability(binfo: SideInfo, ninfo: SideInfo) -> list[str]:
    """Why the two reports' tags may not be comparable (nothing when they are)."""
    out = []
    if binfo.model != ninfo.model:
        out.append(
            f"the reports were tagged by different models ({binfo.model or '?'} vs "
            f"{ninfo.model or '?'}): tags may not be comparable"
        )
    if binfo.prompt_version != ninfo.prompt_version:
        out.append(
            f"the reports were tagged under different prompt versions "
            f"({binfo.prompt_version or '?'} vs {ninfo.prompt_version or '?'}): tags "
            "may not be comparable"
        )
    return out


def _dimensions(done: list[Done]) -> list[Dimension]:
    """What grew and shrank most per dimension (session tag, prompt tag, model, command...)."""
    by_name = {d.profile.folded: d for d in done}
    dims: list[Dimension] = []
    for label, prof, prefix in DIMENSIONS:
        if prof not in by_name:
            continue
        growth, shrink = _changes(by_name[prof].groups[prefix])
        unit = PROFILE_INFO.get(prof, ("", "events"))[1]
        dims.append(Dimension(name=label, unit=unit, growth=growth, shrink=shrink))
    return dims


def run_diff(
    base_dir: Path,
    new_dir: Path,
    out: Path,
    *,
    normalize: bool = False,
    where: list[Where] | None = None,
) -> DiffReport:
    """The whole ``agentpprof diff`` job; returns the summary also written as diff.json.
    ``where``: frame filters (where.FRAME_KEYS) applied to every profile before it is paired."""
    base = load_side(base_dir, "base")
    new = load_side(new_dir, "new")
    if out.resolve() in (base_dir.resolve(), new_dir.resolve()):
        raise AgentpprofError(
            f"--out {out} is one of the report folders being compared",
            hint="choose another folder (default .agentsight/agentpprof/diff)",
        )
    binfo, ninfo = _side_info(base), _side_info(new)
    warnings = _comparability(binfo, ninfo)
    comparable = not warnings
    names = sorted(set(base.folded) | set(new.folded), key=lambda n: (n not in MAIN_PROFILES, n))
    for name in names:
        for side, label in ((base, "base"), (new, "new")):
            if name not in side.folded:
                warnings.append(f"{name} is missing from the {label} report: counted as empty")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AgentpprofError(f"cannot create the output folder {out}: {exc.strerror}") from None
    jobs = [
        Job(name, base.folded.get(name), new.folded.get(name), out, normalize, list(where or []))
        for name in names
    ]
    sizes = [sum(file_size(p) for p in (j.base, j.new) if p) for j in jobs]
    done = pmap(diff_profile, jobs, sizes)  # forked per profile when the files are big
    svgs: dict[str, str] = {}
    artifacts: dict[str, str] = {"dashboard": DIFF_DASHBOARD, "summary": DIFF_JSON}
    for d in done:
        warnings += d.warnings
        svgs.update(d.svgs)
        stem = _stem(d.profile.folded)
        for kind, fname in d.profile.files.items():
            artifacts[f"{stem.replace('-', '_')}_{kind}"] = fname
    result = DiffReport(
        agentpprof_version=__version__,
        base=binfo,
        new=ninfo,
        normalized=normalize,
        where=[str(w) for w in where or []],
        comparable=comparable,
        warnings=warnings,
        totals=_totals(base, new),
        profiles=[d.profile for d in done],
        dimensions=_dimensions(done),
        artifacts=artifacts,
    )
    write_atomic(out / DIFF_JSON, result.model_dump_json(indent=1) + "\n")
    page = get_env().get_template("diff.html.j2")
    write_atomic(
        out / DIFF_DASHBOARD, page.render(diff=json.loads(result.model_dump_json()), svgs=svgs)
    )
    return result
