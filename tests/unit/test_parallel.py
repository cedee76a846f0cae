"""The fork-based parallel map: order, progress, failures."""

from __future__ import annotations

import os

import pytest

from agentpprof import parallel


def _square_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def _fail_on_seven(x: int) -> int:
    if x == 7:
        raise ValueError("seven")
    return x


def test_results_in_order_from_several_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    items = list(range(40))
    seen: list[int] = []
    out = parallel.pmap(_square_pid, items, [i + 1 for i in items], workers=3, progress=seen.append)
    assert [v for v, _pid in out] == [i * i for i in items]
    assert len({pid for _v, pid in out}) == 3 and sum(seen) == 40


def test_shares_balance_bytes() -> None:
    parts = parallel.shares([100, 1, 1, 1, 50, 50], 2)
    loads = [sum([100, 1, 1, 1, 50, 50][i] for i in p) for p in parts]
    assert abs(loads[0] - loads[1]) <= 2 and sorted(i for p in parts for i in p) == list(range(6))


def test_a_child_failure_is_raised_with_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    items = list(range(12))
    with pytest.raises(parallel.WorkerError, match="ValueError: seven"):
        # one item per share: item 7 is computed in a child process
        parallel.pmap(_fail_on_seven, items, [1] * 12, workers=12)
    with pytest.raises(ValueError, match="seven"):  # in the parent's own share
        parallel.pmap(_fail_on_seven, [7, 1], [5, 1], workers=2)


def test_small_input_stays_in_process() -> None:
    out = parallel.pmap(_square_pid, [1, 2], [1, 1], workers=4)
    assert {pid for _v, pid in out} == {os.getpid()}
