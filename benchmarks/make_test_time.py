"""Wall time of ``make test`` (ruff check, ruff format --check, mypy, pytest) on this machine.

Runs ``make test`` once from the repository root, lets its output through, and prints the wall time measured
with ``time.perf_counter()``, its exit status, the machine and the load average before and after. With
``--no-setup`` it runs ``make -o setup-dev test``: the same recipe without checking the virtual environment
and node_modules stamps (no pip or npm run even if a requirements file is newer than its stamp), so only the
checks and the tests are timed. No test asserts on this number. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _load() -> str:
    if not hasattr(os, "getloadavg"):
        return "n/a"
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    """Run and time ``make test``; return its exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--no-setup",
        action="store_true",
        help="run `make -o setup-dev test`: skip the venv/node_modules setup prerequisites",
    )
    args = parser.parse_args(argv)
    command = ["make", "-o", "setup-dev", "test"] if args.no_setup else ["make", "test"]
    load_before = _load()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, check=False)
    wall = time.perf_counter() - start
    print()
    print(
        f"machine: {_cpus()} CPUs, {platform.system()} {platform.machine()} | Python {platform.python_version()}"
    )
    print(f"load average (1/5/15 min) before: {load_before}, after: {_load()} (other work skews timings)")
    print(f"`{' '.join(command)}`: {wall:.1f} s wall ({wall / 60:.1f} min), exit status {done.returncode}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
