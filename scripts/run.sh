#!/usr/bin/env bash
# `make run`: install, then the database, migrations, a demo when it is empty, a job worker and
# the server on one port (python -m crm_app serve supervises them; Ctrl-C stops everything).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
source scripts/env.sh
[ -f .env ] && { set -a; source .env; set +a; }

export PORT="${PORT:-3000}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://localhost:$PORT}"
local_mailbox
local_outbox
exec python -m crm_app serve
