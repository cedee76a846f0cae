"""The endpoint pool and the OpenAI-compatible answer shapes, with stub clients (no server).

The e2e suite runs the same against two real llama-servers (tests/e2e/test_pool_llama.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agentpprof.errors import LlamaServerError
from agentpprof.tagging.llama import parse_openai_logprobs
from agentpprof.tagging.pool import Endpoint, Pool
from tests.scripted import ScriptedClient


def Stub(url: str, fail_after: int | None = None, delay: float = 0.001) -> ScriptedClient:
    return ScriptedClient(base_url=url, fail_after=fail_after, delay=delay)


def _run_all(pool: Pool, n: int) -> list[dict[str, float]]:
    async def go() -> list[dict[str, float]]:
        async def one(i: int) -> dict[str, float]:
            async def call(client: Any, slot: int) -> dict[str, float]:
                top: dict[str, float] = await client.next_token_logprobs(f"p{i}", 5, slot)
                return top

            return await pool.run(call)

        return await asyncio.gather(*(one(i) for i in range(n)))

    return asyncio.run(go())


def test_both_endpoints_get_work() -> None:
    a, b = Stub("http://a"), Stub("http://b")
    pool = Pool([Endpoint(a, 2, "m"), Endpoint(b, 2, "m")])
    assert pool.capacity == 4 and pool.base_url == "http://a, http://b"
    assert len(_run_all(pool, 40)) == 40
    assert a.prompts and b.prompts and len(a.prompts) + len(b.prompts) == 40
    stats = pool.stats()
    assert [s.requests for s in stats] == [len(a.prompts), len(b.prompts)]
    assert all(s.alive and s.failures == 0 for s in stats)


def test_an_endpoint_that_goes_down_loses_no_request() -> None:
    a, b = Stub("http://a", fail_after=5), Stub("http://b", delay=0.003)
    pool = Pool([Endpoint(a, 2, "m"), Endpoint(b, 1, "m")])
    assert len(_run_all(pool, 30)) == 30
    assert len(a.prompts) == 5 and len(b.prompts) == 25  # every prompt answered exactly once
    assert sorted(a.prompts + b.prompts) == sorted(f"p{i}" for i in range(30))
    down = pool.stats()[0]
    assert down.alive is False and down.failures >= 1 and "refused" in down.error
    assert pool.capacity == 1


def test_every_endpoint_down_fails_the_run_with_both_reasons() -> None:
    pool = Pool(
        [
            Endpoint(Stub("http://a", fail_after=0), 1, "m"),
            Endpoint(Stub("http://b", fail_after=1), 1, "m"),
        ]
    )
    with pytest.raises(LlamaServerError) as info:
        _run_all(pool, 10)
    assert "every tagging endpoint stopped answering" in info.value.message
    assert "http://a" in info.value.message and "http://b" in info.value.message


def test_reproducible_places_are_slot_ids() -> None:
    client = Stub("http://a")
    pool = Pool([Endpoint(client, 3, "m")], slots=True)
    _run_all(pool, 12)
    assert set(client.slots) == {0, 1, 2}


def test_openai_logprob_shapes() -> None:
    legacy = {
        "choices": [
            {
                "text": " docs",
                "logprobs": {
                    "tokens": [" docs"],
                    "token_logprobs": [-0.2],
                    "top_logprobs": [{" docs": -0.2, " testing": -1.5}],
                },
            }
        ]
    }
    assert parse_openai_logprobs(legacy) == {" docs": -0.2, " testing": -1.5}
    llama = {
        "choices": [
            {
                "text": " git",
                "logprobs": {
                    "content": [
                        {
                            "token": " git",
                            "logprob": -0.1,
                            "top_logprobs": [
                                {"id": 1, "token": " git", "logprob": -0.1},
                                {"id": 2, "token": " docs", "logprob": -2.0},
                            ],
                        }
                    ]
                },
            }
        ]
    }
    assert parse_openai_logprobs(llama) == {" git": -0.1, " docs": -2.0}
    with pytest.raises(LlamaServerError):
        parse_openai_logprobs({"choices": [{"text": "x", "logprobs": None}]})
