#!/usr/bin/env bash
# Install what the app needs: the venv with pinned deps, and bun from the npm registry.
# Usage: scripts/setup.sh [requirements-file]   (default requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
requirements="${1:-requirements.txt}"
stamp=".venv/.installed-$(basename "$requirements")"
[ -x .venv/bin/python ] || python3 -m venv .venv
if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ] \
   || [ requirements.txt -nt "$stamp" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements" -c constraints.txt 2>&1 \
    | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import reflex, sqlmodel, alembic" # fail loudly if the install failed
  touch "$stamp"
fi
# bun builds the frontend; axe-core is what the browser suite's accessibility checks inject.
if [ ! -x tools/node_modules/@oven/bun-linux-x64/bin/bun ] \
   || [ ! -f tools/node_modules/axe-core/axe.min.js ]; then
  npm ci --prefix tools --no-audit --no-fund --loglevel=error
fi
source scripts/env.sh   # again, now that bun exists
