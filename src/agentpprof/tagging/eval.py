"""Tag quality on a labelled set: the share of fragments whose tag is an acceptable word.

Shared by ``agentpprof bench`` (quality score) and ``benchmarks/tag_quality.py``.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentpprof.errors import AgentpprofError, TaggingError
from agentpprof.tagging.cache import TagCache
from agentpprof.tagging.evalset import load_labels, resolve, score
from agentpprof.tagging.llama import Client
from agentpprof.tagging.prompt import Vocabulary, clean_fragment
from agentpprof.tagging.tag import Fragment, LlamaBackend, tag_one


@dataclass(slots=True)
class EvalResult:
    items: int = 0
    hits: int = 0
    invalid: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def hit_rate(self) -> float:
        return self.hits / self.items if self.items else 0.0


def load_eval(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AgentpprofError(f"cannot read eval file {path}: {exc.strerror}") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if not (
            isinstance(row, dict)
            and isinstance(row.get("text"), str)
            and isinstance(row.get("accept"), list)
        ):
            raise AgentpprofError(f'{path}:{n}: expected {{"text": …, "accept": [...]}}')
        rows.append(row)
    return rows


async def tag_uncached(
    backend: LlamaBackend,
    fragments: list[Fragment],
    concurrency: int,
    vocabulary: Vocabulary = "kinds",
    confidences: dict[int, float] | None = None,
) -> dict[int, str | None]:
    """Every fragment through the product's ``tag_one``, the cache bypassed, as many in flight
    as ``concurrency``; ``id(fragment)`` -> its tag, or None where the model gave no valid tag
    after the retry (a miss). A server error is raised, not counted. ``confidences``, when
    given, receives each chosen kind's confidence by ``id(fragment)``."""
    cache = TagCache(Path("unused"), persist=False)
    sem = asyncio.Semaphore(max(concurrency, 1))
    out: dict[int, str | None] = {}

    async def one(i: int, frag: Fragment) -> None:
        frag.key = f"eval-{i}"
        async with sem:
            try:
                out[id(frag)] = await tag_one(backend, cache, frag, vocabulary)
            except TaggingError:
                out[id(frag)] = None
            conf = cache.confidence(frag.key)
            if confidences is not None and conf is not None:
                confidences[id(frag)] = conf

    await asyncio.gather(*(one(i, f) for i, f in enumerate(fragments)))
    return out


async def evaluate(
    client: Client, identity: str, path: Path, concurrency: int, vocabulary: Vocabulary = "kinds"
) -> EvalResult:
    rows = load_eval(path)
    backend = LlamaBackend(client, identity, concurrency, slots=max(concurrency, 1))
    frags = [
        Fragment(row.get("kind", "prompt"), str(path), i, clean_fragment(row["text"]), None)
        for i, row in enumerate(rows, 1)
    ]
    tags = await tag_uncached(backend, frags, concurrency, vocabulary)
    res = EvalResult(items=len(rows))
    for frag, row in zip(frags, rows, strict=True):
        tag = tags[id(frag)]
        res.invalid += tag is None
        if tag is not None and tag in row["accept"]:
            res.hits += 1
        else:
            res.misses.append(
                {"text": row["text"], "tag": tag or "", "category": row.get("category", "")}
            )
    return res


@dataclass(slots=True)
class RealScore:
    by_kind: dict[str, dict[str, Any]]
    by_kind_lang: dict[str, dict[str, Any]]
    tags_per_second: float


async def evaluate_real(
    client: Client,
    identity: str,
    corpus: Path,
    concurrency: int,
    vocabulary: Vocabulary = "kinds",
    split: str = "test",
) -> RealScore:
    """The acceptable share per fragment kind (and per kind and language) on the real
    labelled split, uncached, and the tagging speed over it."""
    res = resolve(load_labels(split), corpus)  # type: ignore[arg-type]
    backend = LlamaBackend(client, identity, concurrency, slots=max(concurrency, 1))
    started = time.monotonic()
    tags = await tag_uncached(backend, [f for f, _lab in res.items], concurrency, vocabulary)
    secs = max(time.monotonic() - started, 1e-9)
    sc = score(res.items, {k: v or "" for k, v in tags.items()})
    return RealScore(
        {k: dict(c.as_dict()) for k, c in sc.by_kind.items()},
        {k: dict(c.as_dict()) for k, c in sc.by_kind_lang.items()},
        round(len(res.items) / secs, 2),
    )
