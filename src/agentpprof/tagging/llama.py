"""llama.cpp server: an async HTTP client and a managed server process (used by tag and bench).

The client retries only what a retry can fix: HTTP 503 while the model loads (with backoff, up to
the timeout), read timeouts and other 5xx (bounded). A refused connection is reported at once with
both remedies.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import math
import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol

import httpx

from agentpprof import defaults
from agentpprof.errors import EndpointDown, LlamaServerError

DEFAULT_URL = defaults.LLAMA_URL
UNREACHABLE_HINT = (
    "start one with `agentpprof serve` (in another terminal), or let this run "
    "manage its own with `--start-server`"
)


@dataclass(frozen=True, slots=True)
class ServerInfo:
    model_id: str  # stable identity of the loaded model (file name + size/params), not the URL
    model_path: str
    total_slots: int
    build: str


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    prompt_n: int
    cache_n: int
    predicted_n: int
    prompt_per_second: float
    predicted_per_second: float


# which routes an endpoint speaks: llama.cpp's own, or an OpenAI-compatible engine's
ApiKind = Literal["llama", "openai"]


class Client(Protocol):
    """What the tagger, the pool and bench ask of an endpoint: LlamaClient, OpenAIClient."""

    base_url: str

    async def info(self) -> ServerInfo: ...

    async def complete(
        self, prompt: str, *, grammar: str | None, n_predict: int = 16
    ) -> Completion: ...

    async def next_token_logprobs(
        self, prompt: str, n_probs: int, slot: int = -1
    ) -> dict[str, float]: ...

    async def reset_to(self, prefix: str, slot: int = -1) -> None: ...

    async def apply_template(self, messages: list[dict[str, str]]) -> str: ...

    async def pieces(self, text: str) -> list[str]: ...

    async def aclose(self) -> None: ...


class LlamaClient:
    def __init__(
        self, base_url: str, timeout: float = defaults.REQUEST_TIMEOUT, retries: int = 3
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=5.0),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> LlamaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _unreachable(self, exc: Exception) -> LlamaServerError:
        return EndpointDown(
            f"no llama.cpp server answers at {self.base_url} ({exc})", hint=UNREACHABLE_HINT
        )

    async def _request(self, method: str, path: str, json: Any = None) -> Any:
        deadline = time.monotonic() + self.timeout
        delay = 0.25
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = await self._client.request(method, path, json=json)
            except httpx.ConnectError as exc:
                raise self._unreachable(exc) from None
            except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if attempt > self.retries:
                    raise EndpointDown(
                        f"llama.cpp server at {self.base_url} did not answer {path} "
                        f"after {attempt} tries ({type(exc).__name__})",
                        hint="the server may have crashed or be overloaded; raise --timeout "
                        "or check the server log",
                    ) from None
                await asyncio.sleep(min(delay, 2.0))
                delay *= 2
                continue
            if resp.status_code == 503 and time.monotonic() < deadline:
                await asyncio.sleep(min(delay, 2.0))  # model still loading
                delay *= 1.5
                continue
            if resp.status_code >= 500 and attempt <= self.retries:
                await asyncio.sleep(min(delay, 2.0))
                delay *= 2
                continue
            if resp.status_code >= 500:
                raise EndpointDown(
                    f"llama.cpp server at {self.base_url} answered {path} with HTTP "
                    f"{resp.status_code} {attempt} times: {resp.text[:200]}",
                    hint="check the server log",
                )
            if resp.status_code >= 400:
                raise LlamaServerError(
                    f"llama.cpp server at {self.base_url} answered {path} with HTTP "
                    f"{resp.status_code}: {resp.text[:200]}",
                    hint="is this a llama.cpp server? check --llama-url",
                )
            try:
                return resp.json()
            except ValueError:
                raise LlamaServerError(
                    f"llama.cpp server at {self.base_url} sent non-JSON for {path}"
                ) from None

    async def info(self) -> ServerInfo:
        props = await self._request("GET", "/props")
        models: Any = {}
        with contextlib.suppress(LlamaServerError):
            models = await self._request("GET", "/v1/models")
        model_path = str(props.get("model_path") or "")
        meta: dict[str, Any] = {}
        if isinstance(models, dict) and isinstance(models.get("data"), list) and models["data"]:
            first = models["data"][0]
            if isinstance(first, dict):
                meta = first.get("meta") or {}
                model_path = model_path or str(first.get("id") or "")
        name = Path(model_path).name or "unknown"
        ident = name
        if meta:
            ident += f":{meta.get('n_params', '')}:{meta.get('size', '')}:{meta.get('n_vocab', '')}"
        slots = props.get("total_slots")
        return ServerInfo(
            model_id=ident,
            model_path=name,
            total_slots=slots if isinstance(slots, int) and slots > 0 else 1,
            build=str(props.get("build_info") or ""),
        )

    async def complete(
        self, prompt: str, *, grammar: str | None, n_predict: int = 16
    ) -> Completion:
        body: dict[str, Any] = {
            "prompt": prompt,
            "n_predict": n_predict,
            "temperature": 0.0,
            "top_k": 1,
            "seed": 42,
            "cache_prompt": True,
            "stream": False,
        }
        if grammar:
            body["grammar"] = grammar
        data = await self._request("POST", "/completion", json=body)
        t = data.get("timings") or {}
        return Completion(
            text=str(data.get("content") or ""),
            prompt_n=int(t.get("prompt_n") or 0),
            cache_n=int(t.get("cache_n") or data.get("tokens_cached") or 0),
            predicted_n=int(t.get("predicted_n") or 0),
            prompt_per_second=float(t.get("prompt_per_second") or 0.0),
            predicted_per_second=float(t.get("predicted_per_second") or 0.0),
        )

    async def next_token_logprobs(
        self, prompt: str, n_probs: int, slot: int = -1
    ) -> dict[str, float]:
        """Log-probabilities of the ``n_probs`` likeliest next tokens (raw softmax of the
        logits, before any sampler), keyed by token text. One request, one token generated;
        ``slot`` pins it to one server slot (-1: any idle slot)."""
        body: dict[str, Any] = {
            "prompt": prompt,
            "n_predict": 1,
            "n_probs": n_probs,
            "temperature": 0.0,
            "top_k": 1,
            "seed": 42,
            "cache_prompt": True,
            "stream": False,
            "id_slot": slot,
        }
        data = await self._request("POST", "/completion", json=body)
        return parse_top_logprobs(data)

    async def reset_to(self, prefix: str, slot: int = -1) -> None:
        """Cut a slot's cached tokens back to ``prefix`` (nothing generated). The next request
        on that slot then computes everything after the prefix afresh, the same way every
        time: without this, the tokens it shares with the request before it are reused and the
        rest is computed in a batch of another size, which moves log-probabilities by ~0.1 and
        flips close choices from one run to the next (measured: 2.7 % of prompts)."""
        await self._request(
            "POST",
            "/completion",
            json={
                "prompt": prefix,
                "n_predict": 0,
                "cache_prompt": True,
                "stream": False,
                "id_slot": slot,
            },
        )

    async def apply_template(self, messages: list[dict[str, str]]) -> str:
        """The model's own chat template applied to ``messages``, ready for the assistant's
        answer (llama-server's ``/apply-template``; nothing is generated)."""
        data = await self._request("POST", "/apply-template", json={"messages": messages})
        prompt = data.get("prompt") if isinstance(data, dict) else None
        if not isinstance(prompt, str):
            raise LlamaServerError(
                f"{self.base_url}/apply-template sent no prompt",
                hint="an instruct model needs a llama.cpp server with /apply-template",
            )
        return prompt

    async def pieces(self, text: str) -> list[str]:
        """The texts of the tokens ``text`` is split into (``/tokenize`` with pieces)."""
        data = await self._request("POST", "/tokenize", json={"content": text, "with_pieces": True})
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, list):
            return []
        out: list[str] = []
        for tok in tokens:
            if isinstance(tok, dict) and isinstance(tok.get("piece"), str):
                out.append(str(tok["piece"]))
            elif isinstance(tok, int):  # a server without pieces: detokenize the id
                back = await self._request("POST", "/detokenize", json={"tokens": [tok]})
                content = back.get("content") if isinstance(back, dict) else None
                out.append(content if isinstance(content, str) else "")
        return out


class OpenAIClient(LlamaClient):
    """An OpenAI-compatible completions engine (vLLM, SGLang, llama.cpp's own ``/v1`` routes):
    ``/v1/models`` for the identity, ``/v1/completions`` with ``logprobs`` for the scored choice
    and with a grammar (llama.cpp ``grammar``, vLLM ``guided_regex``) for open words. The kinds
    of work's tokens come from ``/tokenize`` (llama.cpp's, else vLLM's with ``/detokenize``)."""

    # vLLM's default --max-logprobs; asked for more, it answers HTTP 400 and we step down
    FALLBACK_LOGPROBS = 20

    def __init__(
        self, base_url: str, timeout: float = defaults.REQUEST_TIMEOUT, retries: int = 3
    ) -> None:
        super().__init__(base_url, timeout, retries)
        self.model_name = ""
        self.max_logprobs = 1 << 16

    async def info(self) -> ServerInfo:
        models = await self._request("GET", "/v1/models")
        data = models.get("data") if isinstance(models, dict) else None
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise LlamaServerError(
                f"{self.base_url}/v1/models lists no model",
                hint="is this an OpenAI-compatible completions server?",
            )
        first = data[0]
        self.model_name = str(first.get("id") or "")
        meta = first.get("meta") if isinstance(first.get("meta"), dict) else {}
        ident = Path(self.model_name).name or "unknown"
        if meta:
            ident += f":{meta.get('n_params', '')}:{meta.get('size', '')}:{meta.get('n_vocab', '')}"
        slots: Any = 0
        with contextlib.suppress(LlamaServerError):  # llama.cpp tells its slots; others do not
            props = await self._request("GET", "/props")
            slots = props.get("total_slots") if isinstance(props, dict) else 0
        return ServerInfo(
            model_id=ident,
            model_path=Path(self.model_name).name,
            total_slots=slots if isinstance(slots, int) and slots > 0 else 0,
            build="openai",
        )

    def _body(self, prompt: str, max_tokens: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "prompt": prompt,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "seed": 42,
            "stream": False,
        }
        if self.model_name:
            body["model"] = self.model_name
        return body

    async def complete(
        self, prompt: str, *, grammar: str | None, n_predict: int = 16
    ) -> Completion:
        body = self._body(prompt, n_predict)
        if grammar:
            body["grammar"] = grammar  # llama.cpp
            body["guided_regex"] = OPEN_WORD_REGEX  # vLLM guided decoding
        data = await self._request("POST", "/v1/completions", json=body)
        choices = data.get("choices") if isinstance(data, dict) else None
        text = (
            choices[0].get("text")
            if isinstance(choices, list) and choices and isinstance(choices[0], dict)
            else ""
        )
        usage = data.get("usage") or {}
        return Completion(
            text=str(text or ""),
            prompt_n=int(usage.get("prompt_tokens") or 0),
            cache_n=0,
            predicted_n=int(usage.get("completion_tokens") or 0),
            prompt_per_second=0.0,
            predicted_per_second=0.0,
        )

    async def next_token_logprobs(
        self, prompt: str, n_probs: int, slot: int = -1
    ) -> dict[str, float]:
        while True:
            body = self._body(prompt, 1)
            body["logprobs"] = min(n_probs, self.max_logprobs)
            try:
                data = await self._request("POST", "/v1/completions", json=body)
            except EndpointDown:
                raise
            except LlamaServerError as exc:
                if "logprob" in exc.message.lower() and body["logprobs"] > self.FALLBACK_LOGPROBS:
                    self.max_logprobs = self.FALLBACK_LOGPROBS
                    continue
                raise
            return parse_openai_logprobs(data)

    async def reset_to(self, prefix: str, slot: int = -1) -> None:
        raise LlamaServerError("--reproducible needs llama.cpp's slots (--api llama)")

    async def pieces(self, text: str) -> list[str]:
        try:
            return await super().pieces(text)  # llama.cpp's /tokenize
        except EndpointDown:
            raise
        except LlamaServerError:
            pass
        body: dict[str, Any] = {"prompt": text, "add_special_tokens": False}
        if self.model_name:
            body["model"] = self.model_name
        data = await self._request("POST", "/tokenize", json=body)
        out: list[str] = []
        for tok in data.get("tokens") or [] if isinstance(data, dict) else []:
            back = await self._request(
                "POST", "/detokenize", json={"model": self.model_name, "tokens": [tok]}
            )
            piece = back.get("prompt") if isinstance(back, dict) else None
            out.append(piece if isinstance(piece, str) else "")
        return out


OPEN_WORD_REGEX = " ?[a-z]{3,12}"


def parse_openai_logprobs(data: Any) -> dict[str, float]:
    """The first generated position's top tokens from ``/v1/completions``: the legacy OpenAI
    shape (``top_logprobs: [{token: logprob}]``, vLLM) or llama.cpp's (``content[0]
    .top_logprobs: [{token, logprob}]``)."""
    choices = data.get("choices") if isinstance(data, dict) else None
    lp = (
        choices[0].get("logprobs")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict)
        else None
    )
    out: dict[str, float] = {}
    if isinstance(lp, dict) and isinstance(lp.get("content"), list) and lp["content"]:
        for entry in lp["content"][0].get("top_logprobs") or []:
            if isinstance(entry, dict) and isinstance(entry.get("token"), str):
                out.setdefault(entry["token"], float(entry.get("logprob", -1e9)))
    elif isinstance(lp, dict) and isinstance(lp.get("top_logprobs"), list) and lp["top_logprobs"]:
        first = lp["top_logprobs"][0]
        if isinstance(first, dict):
            for tok, value in first.items():
                out.setdefault(str(tok), float(value))
    if not out:
        raise LlamaServerError(
            "the completions server sent no token log-probabilities",
            hint="the kinds vocabulary needs `logprobs`; try --vocabulary open",
        )
    return out


def make_client(
    url: str, api: ApiKind, timeout: float = defaults.REQUEST_TIMEOUT, retries: int = 3
) -> LlamaClient:
    """The client for ``--api llama`` (llama.cpp's native routes) or ``--api openai``."""
    if api == "openai":
        return OpenAIClient(url, timeout=timeout, retries=retries)
    return LlamaClient(url, timeout=timeout, retries=retries)


def parse_top_logprobs(data: Any) -> dict[str, float]:
    """The first generated position's top tokens from a llama.cpp ``/completion`` answer, in
    both the current (``top_logprobs``/``logprob``) and the older (``probs``/``prob``) shape."""
    out: dict[str, float] = {}
    probs = data.get("completion_probabilities") if isinstance(data, dict) else None
    if not isinstance(probs, list) or not probs or not isinstance(probs[0], dict):
        raise LlamaServerError(
            "llama.cpp server sent no token probabilities",
            hint="use a llama.cpp server recent enough to support n_probs",
        )
    first = probs[0]
    for entry in first.get("top_logprobs") or first.get("probs") or []:
        if not isinstance(entry, dict):
            continue
        tok = entry.get("token", entry.get("tok_str"))
        if not isinstance(tok, str):
            continue
        if "logprob" in entry:
            lp = float(entry["logprob"])
        else:
            prob = float(entry.get("prob") or 0.0)
            lp = math.log(prob) if prob > 0 else -1e9
        out.setdefault(tok, lp)
    return out


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the server gets SIGTERM if this process dies, so no orphan is left."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LlamaServer:
    """A llama-server child process on a loopback port; always stopped on exit."""

    def __init__(
        self,
        binary: Path,
        model: Path,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        extra_args: list[str] | None = None,
        parallel: int | None = None,
        ctx_size: int = 8192,
    ) -> None:
        self.binary = binary
        self.model = model
        self.host = host
        self.port = port or free_port()
        self.extra_args = list(extra_args or [])
        # measured on 2 cores: one slot tags fastest (2.75 tags/s vs 2.3 with 2 slots and 1.7
        # with 4); more cores can feed more slots
        self.parallel = parallel or (1 if (os.cpu_count() or 1) <= 2 else 2)
        self.ctx_size = ctx_size
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.gettempdir()) / f"agentpprof-llama-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        args = [
            str(self.binary),
            "-m",
            str(self.model),
            "--host",
            self.host,
            "--port",
            str(self.port),
        ]
        given = set(self.extra_args)
        if not given & {"-np", "--parallel"}:
            args += ["-np", str(self.parallel)]
        if not given & {"-c", "--ctx-size"}:
            args += ["-c", str(self.ctx_size)]
        if "--swa-full" not in given:
            # sliding-window models (Gemma 3) otherwise cannot reuse the cached shared prefix:
            # measured 1.1 s -> 0.17 s per tag with the default model
            args.append("--swa-full")
        return args + self.extra_args

    def start(self) -> None:
        if not self.model.is_file():
            raise LlamaServerError(
                f"model file not found: {self.model}",
                hint="run `agentpprof setup` or pass --model PATH.gguf",
            )
        log = self.log_path.open("wb")
        try:
            self.proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if os.name == "posix" else None,
            )
        except OSError as exc:
            raise LlamaServerError(
                f"cannot start {self.binary}: {exc}",
                hint="run `agentpprof setup` or pass --llama-server PATH",
            ) from None
        finally:
            log.close()

    def log_tail(self, n: int = 12) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def wait_ready(self, timeout: float = defaults.LOAD_TIMEOUT) -> float:
        """Poll /health until 200; fail fast if the process exits. Returns seconds waited."""
        assert self.proc is not None
        start = time.monotonic()
        deadline = start + timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                code = self.proc.poll()
                if code is not None:
                    raise LlamaServerError(
                        f"llama-server exited with code {code} before it was ready\n"
                        f"{self.log_tail()}",
                        hint=f"is {self.model.name} a GGUF model? full log: {self.log_path}",
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.url}/health").status_code == 200:
                        return time.monotonic() - start
                if time.monotonic() >= deadline:
                    self.stop()
                    raise LlamaServerError(
                        f"llama-server was not ready within {timeout:.0f} s",
                        hint=f"log: {self.log_path}",
                    )
                time.sleep(0.2)

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> LlamaServer:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
