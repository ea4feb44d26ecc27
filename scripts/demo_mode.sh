# Sourced by run.sh and simulate_call.sh: demo mode only for the embedded SQLite database, and
# only when it is empty (we seed it) or holds the demo we seeded before. DEMO_MODE=0 turns it off.
if [ -z "${DATABASE_URL:-}" ] && [ -z "${SECRET_KEY:-}" ] && [ "${DEMO_MODE:-}" != "0" ]; then
  state="$(DEMO_MODE=1 python -m crm_app database-state)"
  case "$state" in
    empty|demo) export DEMO_MODE=1 ;;
    *) echo "data/crm.db holds real data: set SECRET_KEY (see README)" >&2; exit 1 ;;
  esac
fi
