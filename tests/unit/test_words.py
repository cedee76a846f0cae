"""words.py: what a tag may be (3-12 lowercase letters, no generic word, no copied noun)."""

from __future__ import annotations

import pytest

from agentpprof.tagging.words import copies_fragment, invalid_reason, normalise


@pytest.mark.parametrize(
    ("raw", "word", "reason"),
    [
        (" debugging", "debugging", None),
        ("Debug.", "debug", None),
        ("task", "task", "generic or function word"),
        ("the", "the", "generic or function word"),
        ("two words", "two words", "not one word of 3-12 lowercase ASCII letters"),
        (
            "codingupdateflamegraph",
            "codingupdateflamegraph",
            "not one word of 3-12 lowercase ASCII letters",
        ),
        ("", "", "empty answer"),
        ("héllo", "héllo", "not one word of 3-12 lowercase ASCII letters"),
    ],
)
def test_validation(raw: str, word: str, reason: str | None) -> None:
    assert normalise(raw) == word
    assert invalid_reason(word) == reason


def test_copies_fragment() -> None:
    assert copies_fragment("image", "Reduce memory usage of the image resizer")
    assert not copies_fragment("testing", "run the testing suite")  # a kind of work
    assert not copies_fragment("performance", "Reduce memory usage of the image resizer")
