"""Tag stage: one lowercase word per session, per prompt and per LLM call, from a real LLM.

There is no heuristic label path: a tag is the model's own choice — by default the kind of
work (WORK_KINDS) its calibrated next-token log-probabilities rank first; with ``--vocabulary
open`` a 3-12 letter word it generates under a grammar — and it must pass validation (3-12
lowercase ASCII letters, not a generic or function word). An invalid answer is asked again
once; a second invalid answer fails the run (exit 3) naming the fragment. Every tag obtained
is written to ``tags.json`` as it arrives, atomically, so a failed or interrupted run keeps
what it paid for.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from agentpprof.errors import LlamaServerError, TaggingError
from agentpprof.sources.records import Session
from agentpprof.tagging.cache import TagCache
from agentpprof.tagging.llama import Client
from agentpprof.tagging.pool import Endpoint, Pool
from agentpprof.tagging.prompt import (
    CHAT_PLACEHOLDER,
    COMPLETION,
    HEADERS,
    NULL_FRAGMENTS,
    PREFIX,
    SYNONYMS,
    WORK_KINDS,
    Template,
    Vocabulary,
    chat_messages,
    chat_template,
    fragments_of,
    render,
    style_for,
    vocabulary_for,
)
from agentpprof.tagging.tags import FragmentKind, Ref, Tags, TagStats
from agentpprof.tagging.words import copies_fragment, invalid_reason, normalise

Kind = FragmentKind

GRAMMAR = 'root ::= " "? [a-z]{3,12}'


N_PREDICT = 12
# next-token candidates read per scored request (the kinds of work are near the top)
N_PROBS = 256
# weight of the content-free prior subtracted from each kind's log-probability (chosen on the
# dev split; 1.0 over-corrects: rare words win on any input)
CALIBRATION = 0.6


def build_prompt(fragment: str, invalid: str | None = None, kind: Kind = "prompt") -> str:
    """The open-vocabulary prompt: the fixed prefix, then the fragment (and, on a retry, the
    rejected answer fed back)."""
    if not invalid:
        return render(kind, fragment)
    head = HEADERS.get(kind, "Request")
    return (
        f"{PREFIX}{head}: {fragment}\nWork: {invalid}\n"
        f'("{invalid}" does not name the kind of work; answer with the kind of work)\n'
        f"{head}: {fragment}\nWork:"
    )


@dataclass(slots=True)
class Fragment:
    kind: Kind
    file: str
    line: int
    text: str
    record: Any  # the record it was built from (read, never written; evalset hashes it)
    key: str = ""
    ref: Ref = ("", -1, -1)  # where its tag goes in the returned Tags


class Answer(NamedTuple):
    """One raw answer, and for a choice among the kinds of work its confidence: the chosen
    kind's share of the calibrated probability of every kind the model considered (0-1;
    None for a word the model wrote)."""

    text: str
    confidence: float | None = None


class Backend(Protocol):
    """Answers one fragment. The real one is llama.cpp; unit tests may script one."""

    identity: str
    provider: str
    base_url: str
    concurrency: int

    async def answer(
        self, fragment: str, invalid: str | None, closed: bool = False, kind: Kind = "prompt"
    ) -> Answer:
        """One raw answer; ``closed`` narrows the choice to WORK_KINDS."""
        ...


def collect_fragments(sessions: list[Session], tag_llm_calls: bool) -> list[Fragment]:
    frags: list[Fragment] = []
    for si, s in enumerate(sessions):
        for kind, line, text, record in fragments_of(s, tag_llm_calls):
            index = -1 if kind == "session" else int(getattr(record, "index", -1))
            frags.append(
                Fragment(
                    kind,  # type: ignore[arg-type]
                    s.file,
                    line,
                    text,
                    record,
                    ref=(kind, si, index),
                )
            )
    return frags


async def tag_one(
    backend: Backend, cache: TagCache, frag: Fragment, vocabulary: Vocabulary = "kinds"
) -> str:
    stats = cache.stats
    stats.requests += 1
    hit = cache.get(frag.key)
    if hit is not None:
        stats.cache_hits += 1
        return hit
    invalid: str | None = None
    closed = vocabulary == "kinds"
    raw = ""
    for attempt in range(2):
        stats.llm_calls += 1
        raw, confidence = await backend.answer(frag.text, invalid, closed, frag.kind)
        word = normalise(raw)
        if invalid_reason(word) is None:
            if attempt == 0 and not closed and copies_fragment(word, frag.text):
                invalid, closed = word, True
                continue
            stats.llm_successes += 1
            cache.put(frag.key, word, frag.kind, frag.text, confidence)
            return word
        # fed back, and the second answer is chosen among the kinds of work
        invalid, closed = word or raw.strip()[:40] or "(empty)", True
    stats.failures += 1
    raise TaggingError(
        f"the model gave no valid tag for a {frag.kind} fragment at {frag.file}:{frag.line} "
        f"after a retry (last answer: {raw.strip()[:60]!r}: "
        f"{invalid_reason(normalise(raw))})",
        hint="try a larger model with --model, or check that the server runs a text model",
    )


async def tag_fragments(
    fragments: list[Fragment],
    backend: Backend,
    cache: TagCache,
    progress: Callable[[int, TagStats], None] | None = None,
    vocabulary: Vocabulary = "kinds",
) -> Tags:
    """Tag every fragment (cache first), as many in flight as the backend allows; the words,
    keyed by each fragment's ``ref``."""
    started = time.monotonic()
    for frag in fragments:
        frag.key = cache.key(backend.identity, frag.kind, frag.text, vocabulary)
    cache.llm = {
        "provider": backend.provider,
        "base_url": backend.base_url,
        "model": backend.identity,
    }
    # identical fragments are asked once
    unique: dict[str, Fragment] = {}
    for frag in fragments:
        unique.setdefault(frag.key, frag)
    results: dict[str, str] = {}
    sem = asyncio.Semaphore(max(1, backend.concurrency))
    failure: list[BaseException] = []

    async def worker(frag: Fragment) -> None:
        if failure:
            return
        async with sem:
            if failure:
                return
            try:
                results[frag.key] = await tag_one(backend, cache, frag, vocabulary)
            except (TaggingError, LlamaServerError) as exc:
                failure.append(exc)
                return
        if progress:
            progress(1, cache.stats)

    # cached ones first: instant progress, and only misses reach the server
    cached = {f.key for f in unique.values() if cache.get(f.key) is not None}
    ordered = sorted(unique.values(), key=lambda f: f.key not in cached)
    try:
        await asyncio.gather(*(worker(f) for f in ordered))
    finally:
        cache.stats.seconds += time.monotonic() - started
        cache.save()
    if failure:
        raise failure[0]
    dup = len(fragments) - len(unique)
    if dup:
        cache.stats.requests += dup
        cache.stats.cache_hits += dup
    tags = Tags()
    for frag in fragments:
        tags.set(
            frag.ref,
            results[frag.key],
            "cache" if frag.key in cached else "llm",
            cache.confidence(frag.key),
        )
    return tags


def inherit_llm_tags(sessions: list[Session], tags: Tags) -> None:
    """``--tag-llm-calls false``: each LLM call takes its prompt's tag, else the session's."""
    for si, s in enumerate(sessions):
        for c in s.llm_calls:
            word = tags.prompt(si, c.prompt_index) or tags.session(si)
            tags.set(("llm", si, c.index), word, "inherited")


class CachedOnly:
    """Backend for a rerun whose every fragment is cached: it is never asked."""

    provider = "llama.cpp"
    base_url = "(not started: every tag was cached)"

    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.concurrency = 1

    async def answer(
        self, fragment: str, invalid: str | None, closed: bool = False, kind: Kind = "prompt"
    ) -> Answer:
        raise LlamaServerError("a cache miss needs the llama.cpp server")


def all_cached(
    fragments: list[Fragment], cache: TagCache, identity: str, vocabulary: Vocabulary = "kinds"
) -> bool:
    return all(
        cache.get(cache.key(identity, f.kind, f.text, vocabulary)) is not None for f in fragments
    )


class LlamaBackend:
    """The real backend: the fixed few-shot completion prompt on a llama.cpp server.

    Closed choice (``kinds``): one request per fragment that generates a single token and
    returns the log-probabilities of the likeliest next tokens; each kind of work is scored by
    the log-probability of its first token, and of its one-token synonyms (``SYNONYMS``), each
    minus the same log-probability after a content-free fragment (contextual calibration),
    summed as probabilities; the best-scored kind is the answer.
    Where the model's tokenizer starts several kinds with the same token (not the default
    model's), one more request reads the token after it to tell them apart.
    Open choice: a word generated under the ``[a-z]{3,12}`` grammar.
    """

    provider = "llama.cpp"

    def __init__(
        self,
        client: Client | Pool,
        identity: str,
        concurrency: int,
        n_probs: int = N_PROBS,
        calibrate: bool = True,
        slots: int | None = None,
        reproducible: bool = False,
    ) -> None:
        # ``client``: a Pool of endpoints, or one client (wrapped in a pool of one)
        if isinstance(client, Pool):
            self.pool = client
        else:
            places = (slots or 1) if reproducible else max(1, concurrency)
            self.pool = Pool(
                [Endpoint(client, places, model=identity)], slots=reproducible and bool(slots)
            )
        self.base_url: str = self.pool.base_url
        self.identity = identity
        self.concurrency = self.pool.capacity if isinstance(client, Pool) else concurrency
        self.n_probs = n_probs
        self.calibrate = calibrate
        # reproducible: each scored request takes a server slot of its own (id_slot), cut back
        # to the fixed prefix first, so a fragment is always computed the same way and two cold
        # runs give identical tags (measured 608/608); it costs one extra token per request,
        # ~30 % of the speed. Otherwise ~2-3 % of close choices can differ from run to run.
        self.reproducible = reproducible
        self._pieces: dict[str, list[str]] | None = None  # kind of work -> its token texts
        self._groups: dict[str, tuple[str, ...]] = {}  # first token text -> kinds of work
        self._votes: dict[str, tuple[str, ...]] = {}  # + one-token synonyms -> their kind
        self._prior: dict[str, dict[str, float]] = {}  # fragment kind -> first token -> lp
        self._lock = asyncio.Lock()
        # how requests are phrased: the plain few-shot document, or (an instruct model) the
        # same demonstrations as turns of the model's own chat template (set up on first use)
        self.template: Template | None = COMPLETION if style_for(identity) != "chat" else None

    async def phrasing(self) -> Template:
        """How requests are phrased for this model (set up on first use)."""
        if self.template is None:

            async def one(client: Client, slot: int) -> str:
                return str(await client.apply_template(chat_messages(CHAT_PLACEHOLDER)))

            formatted = await self.pool.run(one)
            try:
                self.template = chat_template(formatted)
            except ValueError:
                raise LlamaServerError(
                    f"the server's chat template for {self.identity} lost the request text",
                    hint="pass a base (non-instruct) GGUF or a model with a standard chat template",
                ) from None
        return self.template

    async def answer(
        self, fragment: str, invalid: str | None, closed: bool = False, kind: Kind = "prompt"
    ) -> Answer:
        template = await self.phrasing()
        if closed:
            return await self.scored_choice(kind, fragment, retry=invalid is not None)
        prompt = (
            build_prompt(fragment, invalid, kind)
            if template is COMPLETION
            else template.render(kind, fragment)
        )

        async def one(client: Client, slot: int) -> str:
            completion = await client.complete(prompt, grammar=GRAMMAR, n_predict=N_PREDICT)
            return str(completion.text)

        return Answer(await self.pool.run(one))

    async def _scored(self, prompt: str, n_probs: int) -> dict[str, float]:
        """Top next-token log-probabilities from a free endpoint; when reproducible, computed
        from the cached prefix on a slot of its own (see ``LlamaClient.reset_to``)."""

        head = (await self.phrasing()).head

        async def one(client: Client, slot: int) -> dict[str, float]:
            if self.reproducible:
                await client.reset_to(head, slot)
            top: dict[str, float] = await client.next_token_logprobs(prompt, n_probs, slot)
            return top

        return await self.pool.run(one)

    async def _pieces_of(self, text: str) -> list[str]:
        async def one(client: Client, slot: int) -> list[str]:
            return list(await client.pieces(text))

        return await self.pool.run(one)

    async def _setup(self, kind: Kind) -> dict[str, float]:
        template = await self.phrasing()
        lead = template.lead
        async with self._lock:
            if self._pieces is None:
                self._pieces = {
                    w: (await self._pieces_of(lead + w)) or [lead + w] for w in WORK_KINDS
                }
                self._groups = first_token_groups(self._pieces)
                synonyms = {
                    w: [await self._pieces_of(lead + x) for x in SYNONYMS.get(w, ())]
                    for w in WORK_KINDS
                }
                self._votes = vote_tokens(self._groups, synonyms)
            if kind not in self._prior:
                prior: dict[str, float] = dict.fromkeys(self._votes, 0.0)
                if self.calibrate:
                    for null in NULL_FRAGMENTS:
                        top = await self._scored(template.render(kind, null), self.n_probs)
                        for piece, lp in kind_logprobs(top, self._votes, fill=True).items():
                            prior[piece] += lp / len(NULL_FRAGMENTS)
                self._prior[kind] = prior
            return self._prior[kind]

    async def choose(self, kind: Kind, fragment: str, retry: bool = False) -> str:
        """The kind of work the model finds likeliest for the fragment ("" when none)."""
        return (await self.scored_choice(kind, fragment, retry)).text

    async def scored_choice(self, kind: Kind, fragment: str, retry: bool = False) -> Answer:
        prior = await self._setup(kind)
        n = self.n_probs * (4 if retry else 1)
        prompt = (await self.phrasing()).render(kind, fragment)
        top = await self._scored(prompt, n)
        allowed = set(vocabulary_for(kind))
        scores = kind_scores(top, prior, self._votes, allowed, CALIBRATION)
        if not scores:
            return Answer("")  # no kind of work among the likeliest tokens: invalid, retried
        best = max(scores, key=lambda w: (scores[w], w))
        confidence = share_of(scores, best)
        assert self._pieces is not None
        first = self._pieces[best][0]
        words = tuple(w for w in self._groups[first] if w in allowed)
        if len(words) == 1:
            return Answer(best, confidence)
        # several kinds start with this token: the next token decides (uncalibrated)
        nxt = await self._scored(prompt + first, n * 4)
        second = {w: nxt.get("".join(self._pieces[w][1:2]) or "\n") for w in words}
        found = {w: lp for w, lp in second.items() if lp is not None}
        if not found:
            return Answer("")
        return Answer(max(found, key=lambda w: (found[w], w)), confidence)


def first_token_groups(pieces: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """First token text -> the kinds of work whose tokens start with it."""
    out: dict[str, list[str]] = {}
    for word, toks in pieces.items():
        out.setdefault(toks[0], []).append(word)
    return {k: tuple(v) for k, v in out.items()}


def vote_tokens(
    groups: Mapping[str, tuple[str, ...]], synonyms: Mapping[str, list[list[str]]]
) -> dict[str, tuple[str, ...]]:
    """Token text -> the kinds of work it votes for: each kind's first token, and each
    synonym that is one token of its own, not a kind's first token and not claimed twice."""
    votes = dict(groups)
    seen: dict[str, int] = {}
    for pieces_list in synonyms.values():
        for pieces in pieces_list:
            if len(pieces) == 1:
                seen[pieces[0]] = seen.get(pieces[0], 0) + 1
    for word, pieces_list in synonyms.items():
        for pieces in pieces_list:
            if len(pieces) == 1 and pieces[0] not in groups and seen[pieces[0]] == 1:
                votes[pieces[0]] = (word,)
    return votes


def kind_scores(
    top: Mapping[str, float],
    prior: Mapping[str, float],
    votes: Mapping[str, tuple[str, ...]],
    allowed: set[str],
    weight: float,
) -> dict[str, float]:
    """Each allowed kind of work found among the top tokens: the log of the summed
    probabilities of its voting tokens, each divided by its content-free prior to the power
    ``weight``."""
    parts: dict[str, list[float]] = {}
    for tok, lp in top.items():
        for word in votes.get(tok, ()):
            if word in allowed:
                parts.setdefault(word, []).append(lp - weight * prior.get(tok, 0.0))
    return {w: _logsumexp(v) for w, v in parts.items()}


def share_of(scores: Mapping[str, float], word: str) -> float:
    """``word``'s share of the summed exp(score) of all scored kinds (a softmax), rounded."""
    top = max(scores.values())
    total = sum(math.exp(v - top) for v in scores.values())
    return round(math.exp(scores[word] - top) / total, 4)


def _logsumexp(values: list[float]) -> float:
    m = max(values)
    return m + math.log(sum(math.exp(v - m) for v in values))


def kind_logprobs(
    top: dict[str, float], groups: Mapping[str, object], fill: bool = False
) -> dict[str, float]:
    """The log-probabilities of the first tokens of kinds of work found among the top
    tokens. With ``fill`` (for the content-free prior) a first token not among them gets the
    lowest log-probability seen."""
    found = {tok: lp for tok, lp in top.items() if tok in groups}
    if not fill or not found:
        return found
    floor = min(top.values())
    return {p: found.get(p, floor) for p in groups}
