"""Process-parallel map for file-sized work (parsing, probing): every core, little IPC.

Plain ``fork`` + one pipe per child: the parent computes a share itself, each child computes
its share and sends the pickled results back once. Measured against ``ProcessPoolExecutor``
on the 216 MB benchmark tree: 0.41 s vs 0.46 s, and ~20 ms less start-up (no
``concurrent.futures``/``multiprocessing`` import). Without ``os.fork`` (Windows) it runs serially.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# below this much input, a fork costs more than it saves
MIN_PARALLEL_BYTES = 24 * 1024 * 1024


class WorkerError(RuntimeError):
    """A child process failed; carries its traceback text."""


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def shares(sizes: Sequence[int], n: int) -> list[list[int]]:
    """Item indexes split into ``n`` shares of about equal bytes (largest first)."""
    out: list[list[int]] = [[] for _ in range(n)]
    loads = [0] * n
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        k = loads.index(min(loads))
        out[k].append(i)
        loads[k] += sizes[i] + 4096
    for share in out:
        share.sort()
    return out


def pmap(
    fn: Callable[[T], R],
    items: Sequence[T],
    sizes: Sequence[int],
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[R]:
    """``[fn(item) for item in items]``, in forked processes when the items are big enough.

    ``fn``'s results cross a pipe (pickled), so they should be small. ``sizes`` (bytes per
    item) balance the shares. A child's exception is raised here as :class:`WorkerError`.
    """
    n = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if n <= 1 or len(items) < 2 or sum(sizes) < MIN_PARALLEL_BYTES or not hasattr(os, "fork"):
        out: list[R] = []
        for item in items:
            out.append(fn(item))
            if progress:
                progress(1)
        return out
    parts = [s for s in shares(sizes, n) if s]
    children: list[tuple[int, int, list[int]]] = []
    unread: set[int] = set()  # pipe ends still open (closed by _collect or on the way out)
    results: dict[int, R] = {}
    try:
        for share in parts[1:]:
            child = _spawn(fn, items, share)
            children.append(child)
            unread.add(child[1])
        for i in parts[0]:
            results[i] = fn(items[i])
            if progress:
                progress(1)
        for _pid, fd, share in children:
            unread.discard(fd)
            status, payload = _collect(fd)
            if status != "ok":
                raise WorkerError(f"a worker process failed:\n{payload}")
            results.update(zip(share, payload, strict=True))
            if progress:
                progress(len(share))
    finally:
        for fd in unread:
            os.close(fd)
        for pid, _fd, _share in children:
            _reap(pid)
    return [results[i] for i in range(len(items))]


def _spawn(
    fn: Callable[[T], R], items: Sequence[T], share: list[int]
) -> tuple[int, int, list[int]]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, never return into the parent's code
        code = 0
        try:
            os.close(read_fd)
            try:
                message: tuple[str, Any] = ("ok", [fn(items[i]) for i in share])
            except BaseException:
                import traceback

                message = ("error", traceback.format_exc())
                code = 1
            with os.fdopen(write_fd, "wb") as pipe:
                pickle.dump(message, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            code = 2
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd, share


def _collect(fd: int) -> tuple[str, Any]:
    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read()
    try:
        status, payload = pickle.loads(data)
    except (pickle.UnpicklingError, EOFError, ValueError) as exc:
        return "error", f"no result from the worker ({exc})"
    return str(status), payload


def _reap(pid: int) -> None:
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done == 0:  # still running: we are leaving early (error or Ctrl-C)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except OSError:  # already reaped (ChildProcessError) or gone
        pass
