"""A pool of tagging endpoints: several llama.cpp servers or OpenAI-compatible engines.

Every endpoint gets as many requests in flight as it has capacity (its slots from ``/props``,
or ``--concurrency`` per endpoint); a request goes to whichever endpoint has a free place
first. An endpoint that stops answering (refused, reset, timed out, or 5xx after retries) is
taken out of the pool and the request is sent again to the others, so nothing in flight is
lost; the run fails only when no endpoint is left. All endpoints must serve the same model
identity, since it is part of the cache key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from agentpprof import defaults
from agentpprof.errors import EndpointDown, LlamaServerError
from agentpprof.models import EndpointStats
from agentpprof.tagging.llama import ApiKind, Client, LlamaClient, ServerInfo, make_client

T = TypeVar("T")
log = logging.getLogger("agentpprof")
# in-flight requests per endpoint when the server does not say (OpenAI engines batch)
OPENAI_DEFAULT_CONCURRENCY = 8


@dataclass(slots=True)
class Endpoint:
    client: Client  # LlamaClient, OpenAIClient (or a test's scripted one)
    capacity: int
    model: str = ""
    requests: int = 0  # requests answered
    failures: int = 0
    alive: bool = True
    error: str = ""

    @property
    def url(self) -> str:
        return str(self.client.base_url)


class Pool:
    """Hands each request to an endpoint with a free place; see the module docstring.

    ``slots``: each place is one server slot id (0..capacity-1) instead of "any" (-1), for
    ``--reproducible``, where a request is pinned to a slot of its own."""

    def __init__(self, endpoints: Sequence[Endpoint], slots: bool = False) -> None:
        if not endpoints:
            raise ValueError("a pool needs at least one endpoint")
        self.endpoints = list(endpoints)
        self.started = time.monotonic()
        self._free: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue()
        for i, ep in enumerate(self.endpoints):
            for place in range(max(1, ep.capacity)):
                self._free.put_nowait((i, place if slots else -1))

    @property
    def base_url(self) -> str:
        return ", ".join(ep.url for ep in self.endpoints)

    @property
    def capacity(self) -> int:
        return sum(max(1, ep.capacity) for ep in self.endpoints if ep.alive)

    def alive(self) -> list[Endpoint]:
        return [ep for ep in self.endpoints if ep.alive]

    async def run(self, fn: Callable[[Any, int], Awaitable[T]]) -> T:
        """``fn(client, slot)`` on an endpoint with a free place; on another one if that
        endpoint goes down meanwhile."""
        while True:
            token = await self._free.get()
            if token is None:  # every endpoint is down: wake the next waiter too
                self._free.put_nowait(None)
                raise self._all_down()
            i, slot = token
            ep = self.endpoints[i]
            if not ep.alive:
                continue  # a place of a dead endpoint: dropped
            try:
                result = await fn(ep.client, slot)
            except EndpointDown as exc:
                ep.failures += 1
                if ep.alive:
                    ep.alive, ep.error = False, exc.message
                    log.warning(
                        "tagging endpoint %s stopped answering (%s); its requests go "
                        "to the other endpoints",
                        ep.url,
                        exc.message,
                    )
                    if not self.alive():
                        self._free.put_nowait(None)
                        raise self._all_down() from None
                continue  # the request goes to another endpoint
            except BaseException:
                self._free.put_nowait(token)
                raise
            ep.requests += 1
            self._free.put_nowait(token)
            return result

    def _all_down(self) -> LlamaServerError:
        detail = "; ".join(f"{ep.url}: {ep.error}" for ep in self.endpoints)
        if len(self.endpoints) == 1:
            ep = self.endpoints[0]
            return LlamaServerError(
                ep.error or f"{ep.url} stopped answering",
                hint="check the server; every tag obtained so far is kept in tags.json",
            )
        return LlamaServerError(
            f"every tagging endpoint stopped answering ({detail})"[:600],
            hint="every tag obtained so far is kept in tags.json; start "
            "the servers again and rerun",
        )

    def stats(self) -> list[EndpointStats]:
        seconds = max(time.monotonic() - self.started, 1e-6)
        return [
            EndpointStats(
                base_url=ep.url,
                model=ep.model,
                capacity=ep.capacity,
                requests=ep.requests,
                failures=ep.failures,
                requests_per_second=round(ep.requests / seconds, 3),
                alive=ep.alive,
                error=ep.error[:200],
            )
            for ep in self.endpoints
        ]

    async def aclose(self) -> None:
        for ep in self.endpoints:
            close = getattr(ep.client, "aclose", None)
            if close is not None:
                await close()


async def open_pool(
    urls: Sequence[str],
    *,
    api: ApiKind = "llama",
    timeout: float = defaults.REQUEST_TIMEOUT,
    concurrency: int | None = None,
    reproducible: bool = False,
    warn: Callable[[str], None] | None = None,
) -> tuple[Pool, ServerInfo]:
    """Connect to every endpoint and check they serve one model. An endpoint that does not
    answer at the start is left out with a warning (the run needs one); endpoints serving
    different models stop the run."""
    clients: list[LlamaClient] = [make_client(u, api, timeout=timeout) for u in urls]
    results = await asyncio.gather(*(c.info() for c in clients), return_exceptions=True)
    endpoints: list[Endpoint] = []
    infos: list[ServerInfo] = []
    errors: list[BaseException] = []
    for client, res in zip(clients, results, strict=True):
        if isinstance(res, ServerInfo):
            if reproducible:
                cap = max(1, res.total_slots)
            elif concurrency:
                cap = concurrency
            else:
                cap = res.total_slots or OPENAI_DEFAULT_CONCURRENCY
            endpoints.append(Endpoint(client, cap, model=res.model_id))
            infos.append(res)
            continue
        await client.aclose()
        if not isinstance(res, EndpointDown):
            for c in clients:
                await c.aclose()
            raise res
        errors.append(res)
        if warn:
            warn(
                f"tagging endpoint {client.base_url} does not answer and is left out: "
                f"{getattr(res, 'message', res)}"
            )
    if not endpoints:
        raise errors[0]
    models = {ep.model for ep in endpoints}
    if len(models) > 1:
        listing = ", ".join(f"{ep.url} serves {ep.model}" for ep in endpoints)
        for ep in endpoints:
            await ep.client.aclose()
        raise LlamaServerError(
            f"the tagging endpoints serve different models: {listing}",
            hint="every endpoint must serve the same model file (the tag "
            "cache is keyed by it); remove the odd one out",
        )
    return Pool(endpoints, slots=reproducible), infos[0]
