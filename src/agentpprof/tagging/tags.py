"""What the tag stage returns: one word per session, prompt and LLM call, keyed by position.

The records from the parse stage are read, never written: later stages (fold, timeline,
summary) take ``(sessions, tags)``. A key is ``(kind, session index, index)``: the session's
position in the list given to the tag stage, and the prompt's or LLM call's ``index`` (-1 for
the session itself). Provenance says where each word came from: ``llm`` (asked this run),
``cache`` (tags.json) or ``inherited`` (``--tag-llm-calls false``: the call took its prompt's
word).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import msgspec

# what a tag is of: a session, a prompt or an LLM call
FragmentKind = Literal["session", "prompt", "llm"]
Ref = tuple[str, int, int]  # (kind, session index, prompt or call index; -1: the session)


@dataclass(slots=True)
class Tags:
    words: dict[Ref, str] = field(default_factory=dict)
    provenance: dict[Ref, str] = field(default_factory=dict)
    # the model's confidence in a chosen kind of work (see tag.Answer); absent for open words
    # and inherited tags
    confidence: dict[Ref, float] = field(default_factory=dict)

    def set(self, ref: Ref, word: str, how: str, confidence: float | None = None) -> None:
        self.words[ref] = word
        self.provenance[ref] = how
        if confidence is not None:
            self.confidence[ref] = confidence

    def session(self, si: int) -> str:
        return self.words.get(("session", si, -1), "")

    def prompt(self, si: int, index: int | None) -> str:
        return "" if index is None else self.words.get(("prompt", si, index), "")

    def call(self, si: int, index: int) -> str:
        return self.words.get(("llm", si, index), "")

    def confidence_of(self, kind: str, si: int, index: int | None) -> float | None:
        return None if index is None else self.confidence.get((kind, si, index))

    def sources(self) -> Counter[str]:
        return Counter(self.provenance.values())


class TagEntry(msgspec.Struct, forbid_unknown_fields=True):
    """One cached tag in ``tags.json``; no fragment text, only a keyed hash of it."""

    tag: str
    kind: str  # session, prompt or llm
    source_hash: str  # HMAC of the fragment under hash_key
    created_at: str
    llm: dict[str, str]  # provider, base_url, model of the endpoint(s) that answered
    # the chosen kind's share of the calibrated probability of the kinds the model considered
    # (0-1); null for a word the model wrote (--vocabulary open)
    confidence: float | None = None


class TagStats(msgspec.Struct, forbid_unknown_fields=True):
    """What tagging did: fragments asked for, answered from the cache, LLM requests made and
    answered, failures, and the seconds it took (the last run's, in ``tags.json``)."""

    requests: int = 0
    cache_hits: int = 0
    llm_calls: int = 0
    llm_successes: int = 0
    failures: int = 0
    seconds: float = 0.0


class TagsFile(msgspec.Struct, forbid_unknown_fields=True):
    """``tags.json``, the tag cache (docs/tags.schema.json is generated from this)."""

    schema_version: int
    created_by: str
    updated_at: str
    llm: dict[str, str]
    stats: TagStats
    tags: dict[str, TagEntry]  # keyed hash of (prompt version, model, kind, fragment) -> tag
    model_ids: dict[str, str]  # model file fingerprint -> the server's model identity
    hash_key: str  # the secret every hash of this cache and of its report is keyed with
