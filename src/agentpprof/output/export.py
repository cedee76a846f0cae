"""Exports of folded stacks to the profilers users know: pprof (profile.proto) and speedscope.

The pprof writer is a small hand-written protobuf encoder (no runtime dependency): one function
and one location per distinct frame, samples leaf-first, values as integers, gzip on disk.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections import Counter
from collections.abc import Iterable

from agentpprof.profile.fold import Labels, Stack, sorted_items

SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"
LABEL_FRAMES = frozenset(("session", "prompt", "agent", "model", "kind", "effect", "status"))


_SMALL = [bytes([i]) for i in range(128)]


def _varint(value: int) -> bytes:
    if 0 <= value < 128:  # most ids, lengths and keys
        return _SMALL[value]
    if 0 < value < 16384:
        return bytes((value & 0x7F | 0x80, value >> 7))
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


@functools.lru_cache(maxsize=256)
def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _len(field: int, payload: bytes) -> bytes:
    return _key(field, 2) + _varint(len(payload)) + payload


def _int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value) if value else b""


def _packed(field: int, values: list[int]) -> bytes:
    return _len(field, b"".join(_varint(v) for v in values))


_IDS_KEY, _VALUE_KEY, _SAMPLE_KEY = _key(1, 2), _key(2, 2), _key(2, 2)


class _Strings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {"": 0}
        self.table: list[str] = [""]

    def __call__(self, text: str) -> int:
        idx = self.index.get(text)
        if idx is None:
            idx = len(self.table)
            self.index[text] = idx
            self.table.append(text)
        return idx


def pprof_bytes(
    counter: Counter[Stack],
    sample_type: str,
    unit: str = "count",
    comment: str = "",
    labelled: tuple[Counter[tuple[Stack, int]], list[Labels]] | None = None,
) -> bytes:
    """A gzip-compressed profile.proto with one sample per folded stack, or, given the
    labelled samples (fold.Profiles.*_labelled and their label sets), one per (stack, labels):
    the same totals, with ``branch``, ``subagent``, ``confidence`` and ``outcome`` labels for
    ``-tagfocus``/``-tagignore``/``-tags``."""
    if labelled is None:
        items: list[tuple[Stack, int, bool, Labels]] = [
            (stack, weight, False, ()) for stack, weight in sorted_items(counter)
        ]
    else:
        samples, sets = labelled
        items = sorted(
            ((stack, weight, False, sets[lab]) for (stack, lab), weight in samples.items()),
            key=lambda it: (-it[1], it[0], it[3]),
        )
    return _profile(items, sample_type, unit, comment)


def pprof_diff_bytes(
    base: Counter[Stack],
    new: Counter[Stack],
    sample_type: str,
    unit: str = "count",
    comment: str = "",
) -> bytes:
    """What ``go tool pprof -diff_base BASE NEW`` builds: NEW's samples as they are, BASE's with
    negated values and the label ``pprof::base=true``, so every total is NEW - BASE. Samples
    keep the counters' order (the folded files' order), so the same inputs give the same bytes."""
    samples = [(stack, -weight, True, ()) for stack, weight in base.items() if weight > 0]
    samples += [(stack, weight, False, ()) for stack, weight in new.items() if weight > 0]
    return _profile(samples, sample_type, unit, comment)


class _Encoder:
    """profile.proto built sample by sample. The string table grows in a fixed order (sample
    type, unit, file, then each new frame's name and label, sample labels as met), so the
    same samples give the same bytes."""

    def __init__(self, sample_type: str, unit: str) -> None:
        self.strings = _Strings()
        self.sample_type = _len(1, _int(1, self.strings(sample_type)) + _int(2, self.strings(unit)))
        # frame -> (varint of its function/location id, its encoded sample label or b"")
        self.known: dict[str, tuple[bytes, bytes]] = {}
        self.functions: list[bytes] = []
        self.locations: list[bytes] = []
        self.samples: list[bytes] = []
        self.file_idx = self.strings("agentpprof://semantic-profile")
        self.base_label = b""
        self.extra_memo: dict[Labels, bytes] = {}

    def register(self, frames: Stack) -> None:
        # names first, then labels, in stack order: the string table's order never changes
        strings, known = self.strings, self.known
        new = [f for f in dict.fromkeys(frames) if f not in known]
        fids: dict[str, int] = {}
        for frame in new:
            fid = len(known) + len(fids) + 1
            fids[frame] = fid
            name = strings(frame)
            self.functions.append(
                _len(5, _int(1, fid) + _int(2, name) + _int(3, name) + _int(4, self.file_idx))
            )
            line = _len(4, _int(1, fid) + _int(2, 1))
            self.locations.append(_len(4, _int(1, fid) + line))
        for frame in new:
            prefix, _, value = frame.partition(":")
            label = b""
            if prefix in LABEL_FRAMES:
                label = _len(3, _int(1, strings(prefix)) + _int(2, strings(value)))
            known[frame] = (_varint(fids[frame]), label)

    def extra(self, labels: Labels) -> bytes:
        """A sample's labels that are not frames: text, or a number in percent."""
        out = self.extra_memo.get(labels)
        if out is None:
            strings = self.strings
            parts = []
            for key, value in labels:
                if isinstance(value, int):  # a numeric label: num (3) and num_unit (4)
                    body = _int(1, strings(key)) + _key(3, 0) + _varint(value)
                    parts.append(_len(3, body + _int(4, strings("percent"))))
                else:
                    parts.append(_len(3, _int(1, strings(key)) + _int(2, strings(value))))
            out = self.extra_memo[labels] = b"".join(parts)
        return out

    def sample(self, stack: Stack, weight: int, is_base: bool, sample_labels: Labels) -> None:
        known = self.known
        try:
            info = [known[f] for f in stack]
        except KeyError:
            self.register(stack)
            info = [known[f] for f in stack]
        packed = b"".join([i[0] for i in reversed(info)])  # pprof: leaf first
        labels = b"".join([i[1] for i in info])
        if sample_labels:
            labels += self.extra(sample_labels)
        if is_base:
            if not self.base_label:
                strings = self.strings
                self.base_label = _len(
                    3, _int(1, strings("pprof::base")) + _int(2, strings("true"))
                )
            labels = self.base_label + labels
        wb = _varint(weight)
        payload = b"".join(
            (_IDS_KEY, _varint(len(packed)), packed, _VALUE_KEY, _varint(len(wb)), wb, labels)
        )
        self.samples.append(_SAMPLE_KEY + _varint(len(payload)) + payload)

    def finish(self, sample_type: str, comment: str) -> bytes:
        body = bytearray(self.sample_type)
        for part in (*self.samples, *self.locations, *self.functions):
            body += part
        comment_idx = self.strings(comment) if comment else 0
        default_idx = self.strings(sample_type)
        for text in self.strings.table:
            body += _len(6, text.encode("utf-8"))
        if comment_idx:
            body += _packed(13, [comment_idx])
        body += _int(14, default_idx)
        return gzip.compress(bytes(body), compresslevel=6, mtime=0)  # as Go's pprof writes


def _profile(
    items: Iterable[tuple[Stack, int, bool, Labels]], sample_type: str, unit: str, comment: str
) -> bytes:
    enc = _Encoder(sample_type, unit)
    for stack, weight, is_base, labels in items:
        enc.sample(stack, weight, is_base, labels)
    return enc.finish(sample_type, comment)


def speedscope_json(counter: Counter[Stack], name: str, unit: str = "none") -> str:
    """A speedscope ``sampled`` profile; stacks root first, integer weights."""
    frames: dict[str, int] = {}
    samples: list[list[int]] = []
    weights: list[int] = []
    for stack, weight in sorted_items(counter):
        idxs = []
        for frame in stack:
            idx = frames.get(frame)
            if idx is None:
                idx = len(frames)
                frames[frame] = idx
            idxs.append(idx)
        samples.append(idxs)
        weights.append(weight)
    total = sum(weights)
    doc = {
        "$schema": SPEEDSCOPE_SCHEMA,
        "exporter": "agentpprof",
        "name": name,
        "activeProfileIndex": 0,
        "shared": {"frames": [{"name": f} for f in frames]},
        "profiles": [
            {
                "type": "sampled",
                "name": name,
                "unit": unit,
                "startValue": 0,
                "endValue": total,
                "samples": samples,
                "weights": weights,
            }
        ],
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
