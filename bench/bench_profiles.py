"""Profile-stage benchmark: events/s, next to a raw consume in the same run, and memory.

    .venv/bin/python bench/bench_profiles.py [--events N] [--users N] [--no-kafka]

Same as ``copyflow profiles bench``. The broker is KAFKA_BOOTSTRAP (default the dev broker).
"""

from __future__ import annotations

import sys

from workers.profiles.cli import bench_main

if __name__ == "__main__":
    sys.exit(bench_main(sys.argv[1:]))
