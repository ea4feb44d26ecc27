#!/usr/bin/env bash
# `make text`: a customer's text (1 confirms, 2 cancels) through the real webhook, into the
# database `make run` uses; prints what the business texts back.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
source scripts/env.sh
[ -f .env ] && { set -a; source .env; set +a; }
exec python -m crm_app simulate-text "$@"
