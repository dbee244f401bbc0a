#!/usr/bin/env bash
# The test command (README, `make test`, .ci/run). On a machine with only the toolchains it
# installs everything itself: uv, the locked Python deps, the Kafka jars and FerretDB. Then
# lint, types and tests; the tests start their own Kafka and FerretDB on free ports.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
UV_VERSION=0.13.9
started=$(date +%s)

if ! command -v uv >/dev/null 2>&1; then
  if [ ! -x .local/tools/bin/uv ]; then
    echo "== installing uv $UV_VERSION into .local/tools"
    python3 -m venv .local/tools
    .local/tools/bin/pip install --quiet "uv==$UV_VERSION"
  fi
  export PATH="$ROOT/.local/tools/bin:$PATH"
fi

# Whatever happens, no broker or database started by this run outlives it.
TEST_TMP="$ROOT/.local/test-tmp"
cleanup() { pkill -f -- "$TEST_TMP" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

echo "== python dependencies (uv.lock)"
uv sync --frozen --quiet
echo "== Kafka jars and FerretDB"
uv run --frozen python -m deploy.local.stack fetch
echo "== ruff"
uv run --frozen ruff check .
uv run --frozen ruff format --check .
echo "== mypy"
uv run --frozen mypy .
echo "== pytest"
uv run --frozen pytest --basetemp="$TEST_TMP" "$@"
echo "== done in $(( $(date +%s) - started ))s"
