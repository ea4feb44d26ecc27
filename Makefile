# The two commands (see README.md). Everything else lives in scripts/.
SHELL := /bin/bash
.PHONY: run test lint bench call text worker

run:
	@scripts/run.sh

test:
	@scripts/test.sh

call:
	@scripts/simulate_call.sh $(ARGS)

text:
	@scripts/simulate_text.sh $(ARGS)

worker:
	@scripts/setup.sh requirements.txt
	@. scripts/env.sh && python -m crm_app worker

lint:
	@scripts/setup.sh requirements-dev.txt
	@. scripts/env.sh && ruff check . && ruff format --check . && mypy crm_app voice_bridge bench && lint-imports --no-cache

bench:
	@scripts/setup.sh requirements-dev.txt
	@. scripts/env.sh && python -m bench
