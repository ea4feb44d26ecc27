#!/usr/bin/env bash
# `make run`: install, migrate, seed a demo when the embedded database is empty, serve on one port.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
source scripts/env.sh
[ -f .env ] && { set -a; source .env; set +a; }

export PORT="${PORT:-3000}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://localhost:$PORT}"

source scripts/demo_mode.sh

python -m crm_app migrate
if [ "${DEMO_MODE:-0}" = "1" ]; then
  python -m crm_app seed-demo --if-empty >/dev/null
fi

echo
echo "  CRM: http://localhost:$PORT"
if [ "${DEMO_MODE:-0}" = "1" ]; then
  python -m crm_app demo-login
fi
echo "  place a simulated call (another shell): make call"
echo
exec reflex run --env prod --frontend-port "$PORT" --loglevel warning
