"""Shared test fixtures. The corpus lives in ../shared (tests that need it skip without it)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("AGENTPPROF_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus"
EVAL_CORPUS = SHARED / "corpus-eval"
DATA = Path(__file__).resolve().parent / "data"


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for sub in ("claude", "codex") for p in (CORPUS / sub).glob("*.jsonl"))


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) \
        -> None:
    """Never read the developer's real ~/.claude or ~/.codex from unit tests."""
    fake = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(fake / ".claude"))
    monkeypatch.setenv("CODEX_HOME", str(fake / ".codex"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture(scope="session")
def oracle() -> dict[str, dict[str, dict[str, int]]]:
    data: dict[str, dict[str, dict[str, int]]] = json.loads(
        (CORPUS / "ccusage-oracle.json").read_text())
    return data


class ScriptedBackend:
    """Unit tests only: answers from a queue (or a function) and records every request."""

    provider = "scripted"
    base_url = "scripted://"

    def __init__(self, answers: list[str] | None = None, default: str = "testing",
                 identity: str = "scripted-model", concurrency: int = 2) -> None:
        self.answers = list(answers or [])
        self.default = default
        self.identity = identity
        self.concurrency = concurrency
        self.calls: list[tuple[str, str | None, bool]] = []

    async def answer(self, fragment: str, invalid: str | None, closed: bool = False,
                     kind: str = "prompt") -> str:
        self.calls.append((fragment, invalid, closed))
        return self.answers.pop(0) if self.answers else self.default


@pytest.fixture
def scripted() -> Iterator[ScriptedBackend]:
    yield ScriptedBackend()
