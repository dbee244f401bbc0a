# shellcheck shell=bash
# Makes this checkout ready to run, on a machine with only Python 3.11, Java 17 + Maven and Go:
# uv (pinned, into .local/tools, unless a `uv` is on PATH), the locked Python deps (.venv from
# uv.lock), Kafka's jars and FerretDB (.local/). Idempotent; about a second when all is there.
#
#   bash scripts/bootstrap.sh     # from the Makefile: then "$(UV)" is the uv it made sure of
#   . scripts/bootstrap.sh        # from a bash script: the same, and UV is set to that uv
#
# Sourcing changes nothing in the caller but UV; a failure makes the source (or run) non-zero,
# which stops a caller under `set -e`. The rule for UV is repeated once, in the Makefile.
UV=$(command -v uv 2>/dev/null || echo "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.local/tools/bin/uv")
(
  set -euo pipefail
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  UV_VERSION=0.13.9
  if [ ! -x "$UV" ]; then
    echo "== installing uv $UV_VERSION into .local/tools"
    python3 -m venv .local/tools
    .local/tools/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  fi
  echo "== python dependencies (uv.lock)"
  "$UV" sync --frozen --quiet
  echo "== Kafka jars and FerretDB"
  "$UV" run --frozen python -m deploy.local.stack fetch
)
