"""Benchmark: start-up of the `podsync` command (issue #14, point 4).

Targets: `podsync --help` <= 0.08 s and `podsync validate examples` <= 0.15 s, wall time of a
fresh interpreter each run; `python -c pass` is shown as the floor.

    python benchmarks/startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchkit import verdict

ROOT = Path(__file__).resolve().parent.parent


def timed(name: str, argv: list[str], runs: int, target: float | None) -> bool:
    """Run `argv` `runs` times: the verdict on wall time, and the CPU time it used shown
    beside it (steadier than wall time on a busy machine)."""
    times, cpu = [], []
    for _ in range(runs):
        used = _children_cpu()
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - used)
    verdict(f"{name}_cpu_s", cpu, None)
    return verdict(f"{name}_s", times, target)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    python = [sys.executable]
    timed("python_c_pass", [*python, "-c", "pass"], args.runs, None)
    ok = timed("podsync_help", [*python, "-m", "podsync", "--help"], args.runs, 0.08)
    validate = [*python, "-m", "podsync", "validate", "examples"]
    ok &= timed("podsync_validate_examples", validate, args.runs, 0.15)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
