"""Benchmark: start-up of the `podsync` command (issue #14, point 4).

Targets: `podsync --help` <= 0.08 s and `podsync validate examples` <= 0.15 s, wall time of a
fresh interpreter each run; `python -c pass` is shown as the floor. For information, the fixed
cost of a plan: `podsync plan` of the example, applied beforehand, against an emulator in a
process of its own (no changes: start-up, reading the project and 1 + 1 requests).

    python benchmarks/startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from benchkit import emulator_process, verdict

ROOT = Path(__file__).resolve().parent.parent


def timed(
    name: str,
    argv: list[str],
    runs: int,
    target: float | None,
    env: Mapping[str, str] | None = None,
) -> bool:
    """Run `argv` `runs` times: the verdict on wall time, and the CPU time it used shown
    beside it (steadier than wall time on a busy machine)."""
    times, cpu = [], []
    for _ in range(runs):
        used = _children_cpu()
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, env=env)
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
    no_change_plan(python, args.runs)
    return 0 if ok else 1


def no_change_plan(python: list[str], runs: int) -> None:
    """`podsync plan` of the example once an apply has published it: exit 0, no changes."""
    with tempfile.TemporaryDirectory() as tmp, emulator_process(Path(tmp) / "state") as url:
        project = Path(tmp) / "project"
        skip = shutil.ignore_patterns(".podsync", "podsync.lock")
        shutil.copytree(ROOT / "examples", project, ignore=skip)
        env = {**os.environ, "ZENMIC_API_URL": url, "ZENMIC_API_KEY": "benchmark-key"}
        apply = ["apply", str(project), "--auto-approve", "--poll-interval=0.05"]
        subprocess.run([*python, "-m", "podsync", *apply], env=env, check=True, capture_output=True)
        plan = [*python, "-m", "podsync", "plan", str(project), "--detailed-exitcode"]
        timed("podsync_plan_no_change_example", plan, runs, None, env)


if __name__ == "__main__":
    sys.exit(main())
