"""Shared test fixtures. The corpus lives in ../shared (tests that need it skip without it)."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agentpprof.models import Inputs, Project, Report, TaggerStats
from agentpprof.profile.fold import Stack, fold_sessions, parse_stack, stack_text
from agentpprof.profile.outcome import SessionOutcomes, all_outcomes
from agentpprof.profile.summary import build_report
from agentpprof.sources.records import Session
from agentpprof.tagging.tags import Tags
from tests.scripted import ScriptedBackend

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("AGENTPPROF_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus"
EVAL_CORPUS = SHARED / "corpus-eval"
REFERENCE = SHARED / "reference"
RECENT = SHARED / "corpus-recent"
DATA = Path(__file__).resolve().parent / "data"


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for sub in ("claude", "codex") for p in (CORPUS / sub).glob("*.jsonl"))


# The shared corpus is an extra layer on top of the tests' own synthetic sessions: its tests
# carry this marker and are deselected (reported as such, not skipped) where ../shared is absent.
needs_corpus = pytest.mark.corpus("corpus")
needs_eval_corpus = pytest.mark.corpus("corpus-eval")
needs_reference = pytest.mark.corpus("reference")
needs_recent = pytest.mark.corpus("corpus-recent")


def pytest_report_header(config: pytest.Config) -> str:
    there = [d.name for d in (CORPUS, EVAL_CORPUS, REFERENCE, RECENT) if d.is_dir()]
    return f"shared corpus layer: {', '.join(there) or 'absent'} (under {SHARED})" + (
        "" if len(there) == 4 else "; tests that need the rest are deselected"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    present = {d.name for d in (CORPUS, EVAL_CORPUS, REFERENCE, RECENT) if d.is_dir()}
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        mark = item.get_closest_marker("corpus")
        needed = mark.args[0] if mark is not None and mark.args else None
        (drop if needed is not None and needed not in present else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never read the developer's real ~/.claude or ~/.codex from unit tests."""
    fake = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(fake / ".claude"))
    monkeypatch.setenv("CODEX_HOME", str(fake / ".codex"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture(scope="session")
def oracle() -> dict[str, dict[str, dict[str, int]]]:
    data: dict[str, dict[str, dict[str, int]]] = json.loads(
        (CORPUS / "ccusage-oracle.json").read_text()
    )
    return data


@pytest.fixture
def scripted() -> Iterator[ScriptedBackend]:
    yield ScriptedBackend()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/data/golden/ from the current output instead of comparing with it",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


Word = str | Callable[[int, int], str]


def fixed_tags(
    sessions: list[Session],
    session: str | Callable[[int], str] = "",
    prompt: Word = "",
    call: Word = "",
) -> Tags:
    """Tags chosen by a test (the words, or functions of (session index, index)), in the shape
    the tag stage returns. Unit tests only."""
    tags = Tags()
    for si, s in enumerate(sessions):
        tags.set(("session", si, -1), session(si) if callable(session) else session, "test")
        for p in s.prompts:
            tags.set(
                ("prompt", si, p.index), prompt(si, p.index) if callable(prompt) else prompt, "test"
            )
        for c in s.llm_calls:
            tags.set(("llm", si, c.index), call(si, c.index) if callable(call) else call, "test")
    return tags


def stacks(weights: dict[str, int]) -> Counter[Stack]:
    """Folded-text stacks (``a;b;c``) as the tuples the pipeline carries."""
    return Counter({parse_stack(k): v for k, v in weights.items()})


def texts(counter: Counter[Stack]) -> dict[str, int]:
    return {stack_text(k): v for k, v in counter.items()}


def report_of(
    sessions: list[Session],
    tags: Tags,
    outcomes: list[SessionOutcomes] | None = None,
    **extra: Any,
) -> Report:
    """build_report with the outcomes and profiles of these sessions and empty run metadata
    (no discovery, no tagger run): what the unit tests read back."""
    outcomes = all_outcomes(sessions) if outcomes is None else outcomes
    profiles = extra.pop("profiles", None) or fold_sessions(sessions, tags, "p", outcomes=outcomes)
    return build_report(
        sessions=sessions,
        tags=tags,
        profiles=profiles,
        project=Project(name="p", root="~/p"),
        inputs=Inputs.none(len(sessions)),
        tagger=TaggerStats.none(),
        artifacts={},
        warnings=[],
        include_previews=False,
        outcomes=outcomes,
        **extra,
    )
