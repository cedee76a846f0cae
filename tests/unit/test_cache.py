"""cache.py: tags.json, keyed by (prompt version, vocabulary, model identity, kind, fragment)."""

from __future__ import annotations

from pathlib import Path

from agentpprof.tagging.cache import TagCache


def test_cache_key_ignores_url_but_not_model() -> None:
    cache = TagCache(Path("unused"), persist=False)
    a = cache.key("model-a", "prompt", "x")
    assert a == cache.key("model-a", "prompt", "x")
    assert a != cache.key("model-b", "prompt", "x")
    assert a != cache.key("model-a", "session", "x")
    # keyed: another cache (another secret) gives another key for the same fragment
    assert a != TagCache(Path("unused"), persist=False).key("model-a", "prompt", "x")


def test_vocabulary_is_part_of_the_cache_key() -> None:
    cache = TagCache(Path("unused"), persist=False)
    assert cache.key("m", "prompt", "x", "kinds") != cache.key("m", "prompt", "x", "open")


def test_corrupt_cache_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "tags.json"
    path.write_text("{broken")
    cache = TagCache.load(path)
    assert cache.entries == {} and "moved aside" in cache.warnings[0]
    assert list(tmp_path.glob("tags.json.corrupt-*"))
