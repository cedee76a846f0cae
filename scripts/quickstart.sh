#!/usr/bin/env bash
# The main job in one command (README "Quickstart"): make the environment, set up the real
# llama.cpp server and default model, and profile this repository's Claude Code / Codex
# history with a managed local server. Without any history on this machine it says so and
# profiles the example sessions in docs/examples/. Prints the path of index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if ! command -v cmake >/dev/null 2>&1 || ! command -v c++ >/dev/null 2>&1; then
  echo "== installing cmake and g++ (needed once to build llama-server)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq cmake g++ >/dev/null
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >&2
.venv/bin/python -m pip install -q -e ".[model]" >&2
.venv/bin/agentpprof setup >&2

PROJECT="${1:-$PWD}"
count=$(.venv/bin/agentpprof sessions --json --project-root "$PROJECT" | .venv/bin/python -c 'import json,sys; print(len(json.load(sys.stdin)))')
if [ "$count" -gt 0 ]; then
  echo "== profiling $count session files of $PROJECT" >&2
  .venv/bin/agentpprof report --start-server --project-root "$PROJECT"
else
  echo "== no Claude Code or Codex history for $PROJECT on this machine:" \
       "profiling the example sessions in docs/examples/ instead" >&2
  args=()
  while IFS= read -r f; do args+=(--session-file "$f"); done < <(find docs/examples -name '*.jsonl' | sort)
  .venv/bin/agentpprof report --start-server --project-name examples \
      --out .agentsight/agentpprof/examples "${args[@]}"
fi
