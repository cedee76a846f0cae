"""The llama client's retry, 503-while-loading and error paths (respx, no server)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from agentpprof.errors import LlamaServerError
from agentpprof.tagging.llama import LlamaClient, LlamaServer

URL = "http://127.0.0.1:18099"


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_connection_refused_names_url_and_remedies() -> None:
    async def go() -> None:
        async with LlamaClient("http://127.0.0.1:9", timeout=2) as c:
            await c.info()

    with pytest.raises(LlamaServerError) as err:
        _run(go())
    assert "http://127.0.0.1:9" in err.value.message
    assert (
        err.value.hint
        and "agentpprof serve" in err.value.hint
        and "--start-server" in err.value.hint
    )
    assert err.value.exit_code == 3


@respx.mock
def test_503_loading_then_ok() -> None:
    route = respx.post(f"{URL}/completion").mock(
        side_effect=[
            httpx.Response(503, json={"error": {"message": "Loading model"}}),
            httpx.Response(503, json={"error": {"message": "Loading model"}}),
            httpx.Response(200, json={"content": " testing", "timings": {"prompt_n": 3}}),
        ]
    )

    async def go() -> str:
        async with LlamaClient(URL, timeout=10) as c:
            return (await c.complete("p", grammar=None)).text

    assert _run(go()) == " testing"
    assert route.call_count == 3


@respx.mock
def test_5xx_bounded_retries() -> None:
    route = respx.post(f"{URL}/completion").mock(return_value=httpx.Response(500, text="boom"))

    async def go() -> None:
        async with LlamaClient(URL, timeout=5, retries=2) as c:
            await c.complete("p", grammar=None)

    with pytest.raises(LlamaServerError) as err:
        _run(go())
    assert "HTTP 500" in err.value.message
    assert route.call_count == 3


@respx.mock
def test_timeouts_retry_then_fail() -> None:
    route = respx.post(f"{URL}/completion").mock(side_effect=httpx.ReadTimeout("slow"))

    async def go() -> None:
        async with LlamaClient(URL, timeout=5, retries=1) as c:
            await c.complete("p", grammar=None)

    with pytest.raises(LlamaServerError, match="did not answer"):
        _run(go())
    assert route.call_count == 2


@respx.mock
def test_info_model_identity_is_not_the_url() -> None:
    respx.get(f"{URL}/props").mock(
        return_value=httpx.Response(
            200, json={"total_slots": 3, "model_path": "/models/m.gguf", "build_info": "b1"}
        )
    )
    respx.get(f"{URL}/v1/models").mock(
        return_value=httpx.Response(
            200,
            json={
                "data": [{"id": "/models/m.gguf", "meta": {"n_params": 5, "size": 6, "n_vocab": 7}}]
            },
        )
    )

    async def go():  # type: ignore[no-untyped-def]
        async with LlamaClient(URL) as c:
            return await c.info()

    info = _run(go())
    assert info.total_slots == 3
    assert info.model_id == "m.gguf:5:6:7"


def test_server_command_defaults() -> None:
    from pathlib import Path

    cmd = LlamaServer(
        Path("/bin/llama-server"), Path("/m.gguf"), port=1234, extra_args=["-t", "2"]
    ).command()
    assert cmd[:7] == [
        "/bin/llama-server",
        "-m",
        "/m.gguf",
        "--host",
        "127.0.0.1",
        "--port",
        "1234",
    ]
    assert "--swa-full" in cmd and cmd[-2:] == ["-t", "2"]
