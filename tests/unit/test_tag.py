"""Tagger logic with a scripted backend (unit tests only; e2e uses the real server)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agentpprof.errors import TaggingError
from agentpprof.sources.records import Agent, LlmCall, Prompt, Session, Tokens
from agentpprof.tagging.cache import TagCache
from agentpprof.tagging.prompt import WORK_KINDS, clean_fragment
from agentpprof.tagging.tag import build_prompt, collect_fragments, inherit_llm_tags, tag_fragments
from agentpprof.tagging.tags import Tags
from agentpprof.tagging.words import invalid_reason
from tests.scripted import ScriptedBackend


def _session(n_prompts: int = 2) -> Session:
    s = Session(
        agent=Agent.CLAUDE, file="/x/s.jsonl", session_id="s", cwd="/p/repo", title="Fix tests"
    )
    s.prompts = [
        Prompt(i, 10 + i, None, f"please fix failing test number {i}") for i in range(n_prompts)
    ]
    s.llm_calls = [
        LlmCall(0, 20, None, "m", 0, Tokens(input=5), text="Running tests", tool_names=["Bash"])
    ]
    return s


def test_prompt_shape() -> None:
    p = build_prompt("Fix the login crash")
    assert p.endswith("Request: Fix the login crash\nWork:")
    assert "Work: debugging" in p
    assert build_prompt("x", kind="llm").endswith("Agent step: x\nWork:")
    retry = build_prompt("Fix the login crash", invalid="login")
    assert '"login" does not name the kind of work' in retry


def test_clean_fragment() -> None:
    text = (
        "<command-name>/x</command-name> see https://example.com/a/b and /home/u/p/file.py "
        + "x" * 900
    )
    out = clean_fragment(text)
    assert "<" not in out and "example.com" in out and "file.py" in out and "/home" not in out
    assert len(out) <= 480


def test_tags_cache_and_stats(tmp_path: Path) -> None:
    s = _session()
    backend = ScriptedBackend(default="testing", confidence=0.42)
    cache = TagCache.load(tmp_path / "tags.json")
    frags = collect_fragments([s], tag_llm_calls=True)
    assert [f.kind for f in frags] == ["session", "prompt", "prompt", "llm"]
    tags = asyncio.run(tag_fragments(frags, backend, cache))
    assert tags.session(0) == "testing"
    assert all(tags.prompt(0, p.index) == "testing" for p in s.prompts)
    assert set(tags.provenance.values()) == {"llm"}
    assert len(backend.calls) == 4
    doc = json.loads((tmp_path / "tags.json").read_text())
    assert set(doc) >= {"schema_version", "created_by", "updated_at", "llm", "stats", "tags"}
    assert doc["stats"]["llm_calls"] == 4
    entry = next(iter(doc["tags"].values()))
    assert set(entry) == {"tag", "kind", "source_hash", "created_at", "llm", "confidence"}
    assert entry["confidence"] == 0.42 and set(tags.confidence.values()) == {0.42}
    assert "fix failing" not in (tmp_path / "tags.json").read_text()  # no raw text
    # second run: everything from the cache, no backend call
    again = TagCache.load(tmp_path / "tags.json")
    backend2 = ScriptedBackend(default="docs")
    tags2 = asyncio.run(tag_fragments(collect_fragments([_session()], True), backend2, again))
    assert backend2.calls == [] and again.stats.cache_hits == 4
    assert tags2.words == tags.words and set(tags2.provenance.values()) == {"cache"}
    assert tags2.confidence == tags.confidence  # the confidence is cached with the tag


def test_retry_feeds_back_then_fails(tmp_path: Path) -> None:
    s = _session(1)
    backend = ScriptedBackend(answers=["testing", "stuff", "not valid!"])
    cache = TagCache.load(tmp_path / "tags.json")
    frags = collect_fragments([s], tag_llm_calls=False)
    backend.concurrency = 1
    with pytest.raises(TaggingError) as err:
        asyncio.run(tag_fragments(frags, backend, cache))
    assert "prompt fragment at /x/s.jsonl:10" in err.value.message
    assert backend.calls[-1][1] == "stuff" and backend.calls[-1][2] is True
    # the tag obtained before the failure is kept on disk
    kept = json.loads((tmp_path / "tags.json").read_text())["tags"]
    assert len(kept) == 1


def test_copied_noun_is_retried_closed_in_open_mode(tmp_path: Path) -> None:
    s = _session(0)
    s.title = "Reduce memory usage of the image resizer"
    backend = ScriptedBackend(answers=["image", "performance"])
    tags = asyncio.run(
        tag_fragments(
            collect_fragments([s], False)[:1],
            backend,
            TagCache.load(tmp_path / "t.json"),
            vocabulary="open",
        )
    )
    assert tags.session(0) == "performance"
    assert backend.calls[0][2] is False  # open grammar first
    assert backend.calls[1][1:] == ("image", True)


def test_kinds_mode_asks_once_under_the_closed_grammar(tmp_path: Path) -> None:
    s = _session(0)
    s.title = "Tune the config loader"
    backend = ScriptedBackend(answers=["config"])
    tags = asyncio.run(
        tag_fragments(
            collect_fragments([s], False)[:1], backend, TagCache.load(tmp_path / "t.json")
        )
    )
    # a kind of work named in the text is not sent back: the grammar already chose among kinds
    assert tags.session(0) == "config" and backend.calls == [(backend.calls[0][0], None, True)]


def test_inherit_llm_tags() -> None:
    s = _session(1)
    s.llm_calls.append(LlmCall(1, 30, None, "m", None, Tokens()))
    tags = Tags()
    tags.set(("session", 0, -1), "sess", "llm")
    tags.set(("prompt", 0, 0), "prm", "llm")
    inherit_llm_tags([s], tags)
    assert [tags.call(0, c.index) for c in s.llm_calls] == ["prm", "sess"]
    assert tags.provenance[("llm", 0, 1)] == "inherited"


def test_every_demonstrated_word_is_a_valid_tag() -> None:
    from agentpprof.tagging.prompt import DEMOS

    words = [w for _, _, w in DEMOS] + list(WORK_KINDS)
    assert [w for w in words if invalid_reason(w) is not None] == []
    assert {w for _, _, w in DEMOS} == set(WORK_KINDS)  # every kind is demonstrated
