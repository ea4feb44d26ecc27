#!/usr/bin/env bash
# `make run`: install, migrate, seed a demo when the embedded database is empty, serve on one port.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
source scripts/env.sh
[ -f .env ] && { set -a; source .env; set +a; }

export PORT="${PORT:-3000}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://localhost:$PORT}"

# Demo mode only for the embedded SQLite database, and only when it is empty
# (we seed it) or holds the demo we seeded before. DEMO_MODE=0 turns it off.
if [ -z "${DATABASE_URL:-}" ] && [ -z "${SECRET_KEY:-}" ] && [ "${DEMO_MODE:-}" != "0" ]; then
  state="$(DEMO_MODE=1 python -m crm_app database-state)"
  case "$state" in
    empty|demo) export DEMO_MODE=1 ;;
    *) echo "data/crm.db holds real data: set SECRET_KEY (see README)" >&2; exit 1 ;;
  esac
fi

python -m crm_app migrate
if [ "${DEMO_MODE:-0}" = "1" ]; then
  python -m crm_app seed-demo --if-empty >/dev/null
fi

echo
echo "  CRM: http://localhost:$PORT"
if [ "${DEMO_MODE:-0}" = "1" ]; then
  python -m crm_app demo-login
fi
echo
exec reflex run --env prod --frontend-port "$PORT" --loglevel warning
