"""The unit tests' one scripted LLM endpoint (a ``tagging.llama.Client``) and one scripted
tagger backend. Unit tests only: end-to-end tests always run the real llama-server."""

from __future__ import annotations

import asyncio

from agentpprof.errors import EndpointDown
from agentpprof.tagging.tag import Answer

NULL_FRAGMENTS = ("N/A", "[empty]", "…")  # the content-free inputs calibration sends


class ScriptedClient:
    """Answers next-token requests from a table (the calibration's content-free requests from
    ``prior``) and records what it was sent. ``split``: words its tokenizer cuts in pieces;
    ``fail_after``: answers this many requests, then refuses like a server that went down."""

    def __init__(
        self,
        answer: dict[str, float] | None = None,
        prior: dict[str, float] | None = None,
        *,
        base_url: str = "scripted://",
        split: dict[str, list[str]] | None = None,
        fail_after: int | None = None,
        delay: float = 0.0,
    ) -> None:
        self.answer = answer if answer is not None else {" testing": -0.1}
        self.prior = prior if prior is not None else self.answer
        self.base_url = base_url
        self.split = split or {}
        self.fail_after, self.delay = fail_after, delay
        self.prompts: list[str] = []  # every scored request, in order
        self.resets: list[int] = []  # the slots cut back to a prefix
        self.reset_prefixes: list[str] = []
        self.slots: list[int] = []  # the slot of every scored request

    async def pieces(self, text: str) -> list[str]:
        return self.split.get(text, [text])

    async def reset_to(self, prefix: str, slot: int = -1) -> None:
        self.resets.append(slot)
        self.reset_prefixes.append(prefix)

    async def next_token_logprobs(
        self, prompt: str, n_probs: int, slot: int = -1
    ) -> dict[str, float]:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_after is not None and len(self.prompts) >= self.fail_after:
            raise EndpointDown(f"{self.base_url} refused the connection")
        self.prompts.append(prompt)
        self.slots.append(slot)
        null = any(prompt.endswith(f": {x}\nWork:") for x in NULL_FRAGMENTS)
        return self.prior if null else self.answer


class ScriptedBackend:
    """A tagger backend answering from a queue (or a default) that records every request."""

    provider = "scripted"
    base_url = "scripted://"

    def __init__(
        self,
        answers: list[str] | None = None,
        default: str = "testing",
        identity: str = "scripted-model",
        concurrency: int = 2,
        confidence: float | None = None,
    ) -> None:
        self.answers = list(answers or [])
        self.confidence = confidence
        self.default = default
        self.identity = identity
        self.concurrency = concurrency
        self.calls: list[tuple[str, str | None, bool]] = []

    async def answer(
        self, fragment: str, invalid: str | None, closed: bool = False, kind: str = "prompt"
    ) -> Answer:
        self.calls.append((fragment, invalid, closed))
        return Answer(self.answers.pop(0) if self.answers else self.default, self.confidence)
