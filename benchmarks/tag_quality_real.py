"""Tag quality on the real labelled set, the product tagger beside a simple baseline.

Usage:
  python benchmarks/tag_quality_real.py --url http://127.0.0.1:8080 \\
      --corpus ../shared/corpus-eval --split dev [--tagger kinds,open,baseline] [--json F]

Both taggers run against the same llama.cpp server in the same run, over the same fragments
(the labelled prompts, sessions and LLM calls of the split, built by the product's parser).
- baseline: one fixed 15-shot completion prompt with generic demonstrations, the open grammar
  ``[a-z]{3,12}``, the fragment's own text and nothing else (no context, no retry, no
  calibration): the anchor named in issue #11.
- kinds / open: the product's tagger (``agentpprof report --vocabulary kinds|open``), uncached.
Prints per kind (prompt, session, llm) the acceptable share with its 95 % Wilson interval, per
language, the most frequent wrong answers, and tags/s. Tune on ``dev``; report ``test``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from agentpprof.sources.records import LlmCall, Prompt, Session
from agentpprof.tagging.eval import tag_uncached
from agentpprof.tagging.evalset import SPLITS, load_labels, resolve, score, split_sha256
from agentpprof.tagging.llama import LlamaClient
from agentpprof.tagging.prompt import clean_fragment
from agentpprof.tagging.tag import GRAMMAR, LlamaBackend
from agentpprof.tagging.words import normalise

BASELINE_SHOTS = (
    ("Fix the failing unit tests in the parser module", "testing"),
    ("The app crashes when I click save, find out why", "debugging"),
    ("Update the README with installation steps", "docs"),
    ("Rename the helpers and split the big module into smaller files", "refactor"),
    ("Commit these changes and push the branch", "git"),
    ("Deploy the service to production", "deploy"),
    ("Make the settings page responsive and fix the button colours", "frontend"),
    ("The report endpoint is slow, make it faster", "performance"),
    ("Sanitize user input to prevent injection attacks", "security"),
    ("Add a migration for the orders table", "database"),
    ("Set the default port in the config file", "config"),
    ("Plan the steps for the new export feature", "planning"),
    ("Compare three logging libraries and recommend one", "research"),
    ("The build fails with a linker error", "build"),
    ("Review this pull request and point out problems", "review"),
)
BASELINE_PREFIX = "".join(f"Activity: {t}\nTopic: {w}\n\n" for t, w in BASELINE_SHOTS)


def baseline_text(kind: str, record: object) -> str:
    """The fragment's own text, nothing else."""
    if kind == "prompt" and isinstance(record, Prompt):
        return clean_fragment(record.text)
    if kind == "session" and isinstance(record, Session):
        return clean_fragment(" ".join([record.title] + [p.text for p in record.prompts[:3]]))
    if isinstance(record, LlmCall):
        tools = " ".join(dict.fromkeys(record.tool_hints or record.tool_names))
        return clean_fragment((record.text[:300] + " tools: " + tools).strip())
    return "(empty)"


async def run_baseline(client: LlamaClient, items: list[Any], conc: int) -> dict[int, str]:
    sem = asyncio.Semaphore(conc)
    out: dict[int, str] = {}

    async def one(frag: Any) -> None:
        async with sem:
            comp = await client.complete(
                BASELINE_PREFIX + f"Activity: {baseline_text(frag.kind, frag.record)}\nTopic:",
                grammar=GRAMMAR,
                n_predict=12,
            )
        out[id(frag)] = normalise(comp.text)

    await asyncio.gather(*(one(f) for f, _ in items))
    return out


# how often a tag is acceptable at each confidence (bands fixed before the test split was
# scored with them)
BANDS = ((0.0, 0.2), (0.2, 0.35), (0.35, 0.5), (0.5, 1.01))


def by_band(items: list[Any], tags: dict[int, str], conf: dict[int, float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for frag, lab in items:
        c = conf.get(id(frag))
        if c is None:
            continue
        lo, hi = next(b for b in BANDS if b[0] <= c < b[1])
        cell = out.setdefault(lab.kind, {}).setdefault(f"{lo:.2f}-{min(hi, 1):.2f}", [0, 0])
        cell[0] += tags.get(id(frag)) in lab.accept
        cell[1] += 1
    return {
        kind: {
            band: {"hits": h, "n": n, "rate": round(h / n, 4)} for band, (h, n) in sorted(b.items())
        }
        for kind, b in out.items()
    }


async def run_product(
    client: LlamaClient,
    identity: str,
    items: list[Any],
    conc: int,
    vocabulary: str,
    confidences: dict[int, float] | None = None,
    **kw: Any,
) -> dict[int, str]:
    backend = LlamaBackend(client, identity, conc, slots=conc, **kw)
    # the calibration requests happen once, before the clock
    if vocabulary == "kinds":
        await backend.choose("prompt", "warm-up")
    for kind in ("session", "llm"):
        await backend._setup(kind)
    tags = await tag_uncached(
        backend,
        [f for f, _ in items],
        conc,
        vocabulary,  # type: ignore[arg-type]
        confidences,
    )
    return {k: v or "(no valid tag)" for k, v in tags.items()}


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--split", choices=SPLITS, default="dev")
    ap.add_argument("--tagger", default="baseline,kinds")
    ap.add_argument("--kinds", default="prompt,session,llm")
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--show", type=int, default=0, help="print N wrong answers per tagger")
    args = ap.parse_args()
    labels = [lab for lab in load_labels(args.split) if lab.kind in args.kinds.split(",")]
    res = resolve(labels, args.corpus)
    if res.missing_files or res.unmatched:
        print(
            f"warning: {len(res.missing_files)} labelled files missing, "
            f"{res.unmatched} labels unmatched",
            file=sys.stderr,
        )
    report: dict[str, Any] = {
        "split": args.split,
        "split_sha256": split_sha256(args.split),
        "labels": len(labels),
        "matched": len(res.items),
        "taggers": {},
    }
    async with LlamaClient(args.url, timeout=300) as client:
        info = await client.info()
        report["model"] = info.model_id
        for name in args.tagger.split(","):
            t = time.perf_counter()
            conf: dict[int, float] = {}
            if name == "baseline":
                tags = await run_baseline(client, res.items, args.concurrency)
            else:
                tags = await run_product(
                    client, info.model_id, res.items, args.concurrency, name, conf
                )
            secs = time.perf_counter() - t
            sc = score(res.items, tags)
            entry = sc.as_dict()
            if conf:
                entry["by_confidence"] = by_band(res.items, tags, conf)
            entry["seconds"] = round(secs, 2)
            entry["tags_per_second"] = round(len(res.items) / secs, 2)
            report["taggers"][name] = entry
            cells = "  ".join(
                f"{k} {c['rate']:.3f} [{c['ci95'][0]:.3f}-{c['ci95'][1]:.3f}] n={c['n']}"
                for k, c in entry["by_kind"].items()
            )
            print(f"{name:9} {cells}  {entry['tags_per_second']} tags/s")
            langs = "  ".join(
                f"{k} {c['rate']:.2f}/{c['n']}" for k, c in entry["by_kind_lang"].items()
            )
            print(f"{'':9} {langs}")
            for kind, bands in entry.get("by_confidence", {}).items():
                print(
                    f"{'':9} {kind} by confidence: "
                    + "  ".join(f"{b} {c['hits']}/{c['n']}" for b, c in bands.items())
                )
            print(
                f"{'':9} wrong: "
                + ", ".join(
                    f"{w['kind']}:{w['tag']}×{w['count']}" for w in entry["top_wrong_answers"]
                )
            )
            if args.show:
                shown = 0
                for frag, lab in res.items:
                    tag = tags.get(id(frag), "")
                    if tag not in lab.accept and shown < args.show:
                        shown += 1
                        print(f"   MISS {lab.kind:7} {tag!r:14} {frag.text[:110]!r}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
