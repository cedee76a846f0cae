"""Golden folded stacks: the synthetic sessions (fixed tags) fold byte for byte into the files
under tests/data/golden/. After an intended change: pytest tests/unit/test_golden.py
--update-golden, then review the diff."""

from __future__ import annotations

from pathlib import Path

from agentpprof.pipeline import folded_files
from agentpprof.profile.fold import fold_sessions, folded_text
from agentpprof.profile.outcome import all_outcomes
from agentpprof.profile.timeline import build_timeline
from agentpprof.sources.parse import parse_session
from tests.conftest import fixed_tags
from tests.synth import sessions

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
WORDS = ("debugging", "testing", "docs", "git", "frontend", "performance", "refactor")


def test_folded_stacks_match_the_golden_files(tmp_path: Path, update_golden: bool) -> None:
    parsed = [parse_session(f) for f in sessions(tmp_path)]
    tags = fixed_tags(
        parsed,
        lambda i: WORDS[i % len(WORDS)],
        lambda i, j: WORDS[(i + j) % len(WORDS)],
        lambda i, j: WORDS[(2 * i + j) % len(WORDS)],
    )
    outcomes = all_outcomes(parsed)
    timeline = build_timeline(parsed, tags, "invoicer", outcomes=outcomes)
    profiles = fold_sessions(parsed, tags, "invoicer", outcomes=outcomes, time=timeline.profile)
    files = {name: folded_text(counter) for name, counter in folded_files(profiles).items()}
    if update_golden:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for old in GOLDEN.glob("*.folded.txt"):
            old.unlink()
        for name, text in files.items():
            (GOLDEN / name).write_text(text)
    assert sorted(p.name for p in GOLDEN.glob("*.folded.txt")) == sorted(files)
    for name, text in files.items():
        assert (GOLDEN / name).read_text() == text, (
            f"{name} differs from tests/data/golden: if intended, rerun with --update-golden"
        )
