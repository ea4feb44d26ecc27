#!/usr/bin/env bash
# `make test`: dev deps, chromium, lint and types, then the whole suite once, on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-dev.txt
source scripts/env.sh

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    echo "installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing and we are not root: browser tests will be skipped" >&2
  fi
fi

echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy"
mypy crm_app voice_bridge bench
echo "== import contracts"
lint-imports --no-cache

echo "== pytest"
set +e
python -m pytest "$@"
status=$?
set -e
if [ "$status" = "5" ]; then
  echo "pytest collected no tests: treating that as a failure" >&2
  exit 1
fi
exit "$status"
