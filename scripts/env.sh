# Sourced by the other scripts: the venv, bun from npm, and Reflex kept offline.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/.venv/bin:$PATH"
_bun="$ROOT/tools/node_modules/@oven/bun-linux-x64/bin/bun"
# Never point REFLEX_BUN_PATH at a missing file: every reflex command would crash.
if [ -x "$_bun" ]; then export REFLEX_BUN_PATH="$_bun"; fi
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
export NPM_CONFIG_REGISTRY="${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org}"
export PYTHONDONTWRITEBYTECODE=1

# `make run` and `make call` without a mail server: e-mails (alerts, invitations) are written to
# data/mail as .eml files. Call after reading .env, which may name a real server.
local_mailbox() {
    export SMTP_URL="${SMTP_URL:-file://$ROOT/data/mail}"
}

# Without a Twilio account, texts to customers (confirmations, reminders) are written to
# data/texts as JSON files instead of being sent.
local_outbox() {
    if [ -z "${TWILIO_ACCOUNT_SID:-}" ]; then
        export TWILIO_API_BASE_URL="${TWILIO_API_BASE_URL:-file://$ROOT/data/texts}"
    fi
}
