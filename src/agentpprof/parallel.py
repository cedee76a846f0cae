"""Process-parallel map for file-sized work (parsing, probing): both cores, little IPC."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# below this much input, worker start-up costs more than it saves
MIN_PARALLEL_BYTES = 24 * 1024 * 1024


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def pmap(fn: Callable[[T], R], items: Sequence[T], sizes: Sequence[int], *,
         workers: int | None = None, progress: Callable[[int], None] | None = None) -> list[R]:
    """``[fn(item) for item in items]``, in worker processes when the items are big enough.

    ``fn`` must be picklable (a module-level function or a ``functools.partial`` of one); its
    results cross the process boundary, so they should be small. ``sizes`` (bytes per item)
    balance the work: a few size-balanced chunks per worker, biggest first, no straggler.
    """
    n = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if n <= 1 or len(items) < 2 or sum(sizes) < MIN_PARALLEL_BYTES:
        out: list[R] = []
        for item in items:
            out.append(fn(item))
            if progress:
                progress(1)
        return out
    chunks: list[list[int]] = [[] for _ in range(n * 3)]
    loads = [0] * len(chunks)
    for i in sorted(range(len(items)), key=lambda i: -sizes[i]):
        k = loads.index(min(loads))
        chunks[k].append(i)
        loads[k] += sizes[i] + 4096
    results: dict[int, R] = {}
    ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
        futures = {pool.submit(_run_chunk, fn, [items[i] for i in chunk]): chunk
                   for chunk in sorted(chunks, key=lambda c: -sum(sizes[i] for i in c)) if chunk}
        for fut in as_completed(futures):
            for i, res in zip(futures[fut], fut.result(), strict=True):
                results[i] = res
            if progress:
                progress(len(futures[fut]))
    return [results[i] for i in range(len(items))]


def _run_chunk(fn: Callable[[T], R], items: list[T]) -> list[R]:
    return [fn(item) for item in items]
