#!/usr/bin/env bash
# `make call`: place one simulated call (bundled fakes, no keys) into the database `make run` uses.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
source scripts/env.sh
[ -f .env ] && { set -a; source .env; set +a; }
local_mailbox  # the call's alerts are e-mailed by this process's pipeline
exec python -m crm_app simulate-call "$@"
