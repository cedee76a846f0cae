"""privacy.py: home folders shown as ~, keyed hashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentpprof.privacy import display_path
from tests.conftest import needs_corpus

pytestmark = needs_corpus


def test_display_path_hides_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert display_path(tmp_path / ".claude" / "x.jsonl") == "~/.claude/x.jsonl"
    assert display_path(Path("/etc/passwd")) == "/etc/passwd"
