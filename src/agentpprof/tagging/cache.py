"""``tags.json``: every tag obtained, keyed by a keyed hash of (prompt version and vocabulary,
model identity, fragment kind, fragment), written as tags arrive (atomically), so a failed or
interrupted run keeps what it paid for. The file's shape is ``tags.TagsFile``."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from agentpprof.fsutil import write_atomic
from agentpprof.privacy import keyed_hash
from agentpprof.tagging.prompt import Vocabulary, version_for
from agentpprof.tagging.tags import FragmentKind, TagEntry, TagsFile, TagStats
from agentpprof.tagging.words import invalid_reason


@dataclass(slots=True)
class TagCache:
    """``tags.json``: tags keyed by a hash of (prompt version, model identity, kind, fragment)."""

    path: Path
    entries: dict[str, TagEntry] = field(default_factory=dict)
    llm: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    stats: TagStats = field(default_factory=TagStats)
    persist: bool = True
    # model file fingerprint -> server-reported identity, so a fully cached rerun with a
    # managed server does not have to start one
    model_ids: dict[str, str] = field(default_factory=dict)
    # every hash this cache writes (its keys, the source hashes, the report's prompt hashes) is
    # keyed with this random secret, kept in tags.json: without the file, a short prompt such as
    # "commit" cannot be recovered by hashing guesses
    hash_key: str = field(default_factory=lambda: secrets.token_hex(16))
    _dirty: int = 0
    _last_write: float = 0.0

    @classmethod
    def load(cls, path: Path) -> TagCache:
        cache = cls(path)
        if not path.exists():
            return cache
        try:
            data = json.loads(path.read_text())
            tags = data["tags"]
            if not isinstance(tags, dict):
                raise ValueError("tags is not an object")
            cache.entries = {
                k: _entry(v)
                for k, v in tags.items()
                if isinstance(v, dict) and isinstance(v.get("tag"), str)
            }
            ids = data.get("model_ids")
            if isinstance(ids, dict):
                cache.model_ids = {k: v for k, v in ids.items() if isinstance(v, str)}
            secret = data.get("hash_key")
            if isinstance(secret, str) and re.fullmatch(r"[0-9a-f]{32,128}", secret):
                cache.hash_key = secret
            else:  # a cache written before keyed hashes: its keys cannot match, start afresh
                cache.entries = {}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            aside = path.with_name(f"{path.name}.corrupt-{stamp}")
            try:
                os.replace(path, aside)
                cache.warnings.append(
                    f"{path}: unreadable tag cache ({exc}); moved aside to "
                    f"{aside.name} and starting empty"
                )
            except OSError:
                cache.warnings.append(f"{path}: unreadable tag cache ({exc}); starting empty")
        return cache

    def key(
        self, identity: str, kind: FragmentKind, fragment: str, vocabulary: Vocabulary = "kinds"
    ) -> str:
        return keyed_hash(
            self.hash_key,
            f"{version_for(identity)}-{vocabulary}\n{identity}\n{kind}\n{fragment}",
            32,
        )

    def get(self, key: str) -> str | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        return entry.tag if invalid_reason(entry.tag) is None else None

    def confidence(self, key: str) -> float | None:
        """The cached tag's confidence (None: an open word, or written without one)."""
        entry = self.entries.get(key)
        value = entry.confidence if entry is not None else None
        return float(value) if value is not None and 0 <= value <= 1 else None

    def put(
        self, key: str, tag: str, kind: FragmentKind, fragment: str, confidence: float | None = None
    ) -> None:
        self.entries[key] = TagEntry(
            tag=tag,
            kind=kind,
            source_hash=keyed_hash(self.hash_key, fragment, 24),
            created_at=_now(),
            llm=dict(self.llm),
            confidence=confidence,
        )
        self._dirty += 1
        if self._dirty >= 16 or time.monotonic() - self._last_write > 2.0:
            self.save()

    def save(self) -> None:
        if not self.persist:
            return
        doc = TagsFile(
            schema_version=1,
            created_by="agentpprof",
            updated_at=_now(),
            llm=dict(self.llm),
            stats=self.stats,
            tags=dict(sorted(self.entries.items())),
            model_ids=dict(sorted(self.model_ids.items())),
            hash_key=self.hash_key,
        )
        write_atomic(
            self.path, json.dumps(msgspec.to_builtins(doc), indent=1, sort_keys=True) + "\n"
        )
        self._dirty = 0
        self._last_write = time.monotonic()


def _entry(v: dict[str, Any]) -> TagEntry:
    """A cache entry as read from the file, typed (fields an older version wrote are dropped)."""
    llm = v.get("llm")
    return TagEntry(
        tag=str(v["tag"]),
        kind=str(v.get("kind", "")),
        source_hash=str(v.get("source_hash", "")),
        created_at=str(v.get("created_at", "")),
        llm={str(a): str(b) for a, b in llm.items()} if isinstance(llm, dict) else {},
        confidence=conf if isinstance(conf := v.get("confidence"), int | float) else None,
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
