"""e2e fixtures: the real llama-server and models that `scripts/test.sh` provisions.

Most e2e tests tag with ``catalog.TEST_MODEL`` (gemma-3-270m: fast enough for CI on 2 cores);
the tests marked ``default_model`` run the real default model (``catalog.DEFAULT_MODEL``).

A missing binary, model, browser or Go toolchain is a failure, never a skip: the test command
(scripts/test.sh, which CI runs) installs them all. For a quick run without them, deselect the
e2e tests: `pytest tests/unit` or `-m 'not llama'`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from agentpprof.tagging.catalog import DEFAULT_MODEL, TEST_MODEL, KnownModel
from agentpprof.tagging.llama import LlamaServer
from agentpprof.tagging.provision import ensure_model, find_llama_server

AGENTPPROF = [sys.executable, "-m", "agentpprof"]


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``agentpprof ARGS`` in a subprocess, output captured."""
    return subprocess.run([*AGENTPPROF, *args], capture_output=True, text=True, timeout=timeout)


def report_args(out: Path, files: Iterable[Path], *extra: str) -> list[str]:
    """``report -q --out OUT EXTRA --session-file F …`` (EXTRA: the server options)."""
    args = ["report", "-q", "--out", str(out), *extra]
    for f in files:
        args += ["--session-file", str(f)]
    return args


def missing(what: str) -> NoReturn:
    pytest.fail(f"{what} is required for e2e tests (scripts/test.sh installs it)")


@pytest.fixture(scope="session")
def llama_binary() -> Path:
    binary = find_llama_server()
    if binary is None:
        missing("llama-server (agentpprof setup)")
    return binary


def _assembled(model: KnownModel, role: str) -> Path:
    try:
        return ensure_model(model)
    except Exception as exc:
        missing(f"{role} {model.name} ({exc})")


@pytest.fixture(scope="session")
def test_model() -> Path:
    """The fast model most e2e tests tag with."""
    return _assembled(TEST_MODEL, "the test model")


@pytest.fixture(scope="session")
def default_model() -> Path:
    """The real default model (what a user gets without --model)."""
    return _assembled(DEFAULT_MODEL, "the default model")


# ``--model`` for the managed-server tests that tag with the fast test model
TEST_MODEL_ARGS = ("--model", TEST_MODEL.name)


@pytest.fixture(scope="session")
def llama_url(llama_binary: Path, test_model: Path) -> Iterator[str]:
    server = LlamaServer(llama_binary, test_model)
    with server:
        yield server.url


def _tool(what: str, *names: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    missing(what)


def npm_file(relative: str) -> Path:
    """A file of an npm package that scripts/test.sh installs (speedscope)."""
    base = Path(os.environ.get("AGENTPPROF_NPM_DIR", Path.home() / ".cache/agentpprof/npm"))
    path = base / "node_modules" / relative
    if not path.is_file():
        missing(f"{relative} (npm)")
    return path


@pytest.fixture(scope="session")
def chromium() -> str:
    return _tool("Debian chromium", "chromium", "chromium-browser")


@pytest.fixture(scope="session")
def go_binary() -> str:
    return _tool("go (golang-go)", "go")


def count_servers() -> int:
    """llama-server processes now running (to prove none is left behind)."""
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return sum(1 for ln in ps.splitlines() if "llama-server" in ln and " -m " in ln)
