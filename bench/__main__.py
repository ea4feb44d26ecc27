"""``python -m bench <name>``: run one benchmark (leads, notes, bridge, pipeline, pages, ...)."""

from __future__ import annotations

import importlib
import os
import sys

# Benchmarks need settings like the server; they never touch a real deployment.
os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-not-for-production")

BENCHMARKS = {
    "leads": "bench.leads",
    "notes": "bench.notes",
    "bridge": "bench.bridge",
    "pipeline": "bench.pipeline",
    "pages": "bench.pages",
    "dashboard": "bench.dashboard",
    "alerts": "bench.alerts",
    "calendar": "bench.calendar",
}


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in BENCHMARKS:
        sys.exit(f"usage: python -m bench {{{','.join(BENCHMARKS)}}} [options]")
    importlib.import_module(BENCHMARKS[name]).main(sys.argv[2:])


if __name__ == "__main__":
    main()
