"""The real labelled evaluation set: fragments of real sessions with acceptable words.

Labels ship as package data (``data/tag-eval-real-{dev,test}.jsonl``) keyed by the session
file's name, the fragment kind, its line and a hash of the raw record — never its text. To
score a tagger, the labelled session files must be present (``--eval-corpus DIR``): they are
parsed with the product's own parser, the product's own fragments are built from them, and
each label is matched to its fragment by (file, kind, line, hash). The test split was frozen
before any tuning (its sha256 is in docs/benchmarks.md); tune on ``dev`` only.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from agentpprof.errors import AgentpprofError
from agentpprof.sources.parse import parse_session
from agentpprof.sources.records import LlmCall, Prompt, Session
from agentpprof.tagging.tag import Fragment, collect_fragments

Split = Literal["dev", "test"]
SPLITS: tuple[Split, ...] = ("dev", "test")


@dataclass(frozen=True, slots=True)
class Label:
    file: str
    kind: str
    line: int
    hash: str
    lang: str
    accept: frozenset[str]
    split: str


def split_text(split: Split) -> bytes:
    return (resources.files("agentpprof") / "data" / f"tag-eval-real-{split}.jsonl").read_bytes()


def split_sha256(split: Split) -> str:
    return hashlib.sha256(split_text(split)).hexdigest()


def load_labels(split: Split) -> list[Label]:
    out = []
    for line in split_text(split).decode().splitlines():
        row = json.loads(line)
        out.append(
            Label(
                row["file"],
                row["kind"],
                int(row["line"]),
                row["hash"],
                row["lang"],
                frozenset(row["accept"]),
                split,
            )
        )
    return out


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record_hash(kind: str, target: object) -> str:
    """The hash a label carries for a fragment's record (raw text, not the cleaned fragment)."""
    if kind == "prompt" and isinstance(target, Prompt):
        return _h(target.text)
    if kind == "llm" and isinstance(target, LlmCall):
        return _h(target.text + "\x00" + "\x00".join(target.tool_hints or target.tool_names))
    if kind == "session" and isinstance(target, Session):
        return _h(target.session_id)
    raise TypeError(f"no record hash for a {kind} fragment of {type(target).__name__}")


@dataclass(slots=True)
class Resolved:
    items: list[tuple[Fragment, Label]]
    sessions: list[Session]
    missing_files: list[str]
    unmatched: int


def resolve(labels: list[Label], corpus: Path) -> Resolved:
    """Parse the labelled files found under ``corpus`` and pair each label with its fragment."""
    if not corpus.is_dir():
        raise AgentpprofError(
            f"eval corpus folder not found: {corpus}",
            hint="pass the folder that holds the labelled session files (e.g. shared/corpus-eval)",
        )
    by_name = {p.name: p for p in corpus.rglob("*.jsonl")}
    wanted = sorted({lab.file for lab in labels})
    missing = [f for f in wanted if f not in by_name]
    sessions = [parse_session(by_name[f], f) for f in wanted if f in by_name]
    index: dict[tuple[str, str, int, str], Fragment] = {}
    for frag in collect_fragments(sessions, tag_llm_calls=True):
        index[(frag.file, frag.kind, frag.line, record_hash(frag.kind, frag.record))] = frag
    items = []
    unmatched = 0
    for lab in labels:
        found = index.get((lab.file, lab.kind, lab.line, lab.hash))
        if found is None:
            unmatched += lab.file not in missing
            continue
        items.append((found, lab))
    return Resolved(items, sessions, missing, unmatched)


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion."""
    if n == 0:
        return (0.0, 0.0)
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(slots=True)
class Cell:
    n: int = 0
    hits: int = 0

    def as_dict(self) -> dict[str, float | int | list[float]]:
        lo, hi = wilson(self.hits, self.n)
        return {
            "n": self.n,
            "hits": self.hits,
            "rate": round(self.hits / self.n, 4) if self.n else 0.0,
            "ci95": [round(lo, 4), round(hi, 4)],
        }


@dataclass(slots=True)
class Score:
    by_kind: dict[str, Cell] = field(default_factory=lambda: defaultdict(Cell))
    by_kind_lang: dict[str, Cell] = field(default_factory=lambda: defaultdict(Cell))
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)

    def add(self, label: Label, tag: str) -> None:
        hit = tag in label.accept
        for cell in (self.by_kind[label.kind], self.by_kind_lang[f"{label.kind}/{label.lang}"]):
            cell.n += 1
            cell.hits += hit
        self.answers[f"{label.kind}:{tag}"] += 1
        if not hit:
            self.confusions[(label.kind, tag)] += 1

    def as_dict(self, top: int = 12) -> dict[str, object]:
        return {
            "by_kind": {k: c.as_dict() for k, c in sorted(self.by_kind.items())},
            "by_kind_lang": {k: c.as_dict() for k, c in sorted(self.by_kind_lang.items())},
            "top_wrong_answers": [
                {"kind": k, "tag": t, "count": n} for (k, t), n in self.confusions.most_common(top)
            ],
        }


def score(items: list[tuple[Fragment, Label]], tags: dict[int, str]) -> Score:
    """``tags`` maps ``id(fragment)`` to the tag the tagger gave it."""
    out = Score()
    for frag, label in items:
        out.add(label, tags.get(id(frag), ""))
    return out
