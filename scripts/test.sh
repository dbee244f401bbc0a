#!/usr/bin/env bash
# The test command (README, `make test`, .ci/run). On a machine with only the toolchains it
# installs everything itself: uv, the locked Python deps, the Kafka jars and FerretDB. Then
# lint, types and tests; the tests start their own Kafka and FerretDB on free ports.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
started=$(date +%s)

# Whatever happens, no broker or database started by this run outlives it.
TEST_TMP="$ROOT/.local/test-tmp"
cleanup() { pkill -f -- "$TEST_TMP" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# uv, the locked Python deps, the Kafka jars and FerretDB; sets UV.
# shellcheck source-path=SCRIPTDIR/..
. scripts/bootstrap.sh
echo "== ruff"
"$UV" run --frozen ruff check .
"$UV" run --frozen ruff format --check .
echo "== mypy"
"$UV" run --frozen mypy .
echo "== pytest"
"$UV" run --frozen pytest --basetemp="$TEST_TMP" "$@"
echo "== done in $(( $(date +%s) - started ))s"
