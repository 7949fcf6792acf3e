"""Benchmark: publishing a whole catalogue with one `apply` (issue #14, point 1).

Targets: 1,000 episodes in <= 6 s, 5,000 in <= 40 s, and the time per episode flat (within
1.5x) from 100 to 5,000. Each run builds a fresh project of shows of 50 episodes and a fresh
emulator (its audio jobs finish at once), and times one in-process `apply` that creates every
show, pays for every audio job and publishes every episode, writing podsync.lock as it goes.
The emulator runs in a process of its own, as a server would.

    python benchmarks/apply_catalogue.py [--sizes 100,1000,5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from benchkit import emulator_process, verdict
from plan_benchmark import apply_all, write_project

PER_SHOW = 50
TARGETS = {1000: 6.0, 5000: 40.0}  # episodes -> seconds
FLAT = 1.5  # largest / smallest time per episode


def publish_once(episodes: int) -> tuple[float, float, float]:
    """Seconds one apply takes to publish a fresh catalogue of `episodes` episodes: wall time,
    the CPU time podsync used (steadier on a busy machine), and the CPU time of the emulator
    (until it stopped, its state compacted)."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        shows, rest = divmod(episodes, PER_SHOW)
        if rest:
            raise SystemExit(f"--sizes: {episodes} is not a multiple of {PER_SHOW}")
        write_project(project, shows, PER_SHOW)
        server_cpu: list[float] = []
        with emulator_process(Path(tmp) / "state", cpu=server_cpu) as url:
            start, cpu = time.perf_counter(), time.process_time()
            asyncio.run(apply_all(project, url))
            wall, used = time.perf_counter() - start, time.process_time() - cpu
        return wall, used, server_cpu[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    times: dict[int, list[float]] = {n: [] for n in sizes}
    cpu: dict[int, list[float]] = {n: [] for n in sizes}
    server: dict[int, list[float]] = {n: [] for n in sizes}
    for n in sizes:
        for _ in range(args.runs):
            wall, used, served = publish_once(n)
            times[n].append(wall)
            cpu[n].append(used)
            server[n].append(served)
            print(
                f"# {n} episodes: {wall:.2f}s ({used:.2f}s CPU, emulator {served:.2f}s CPU)",
                flush=True,
            )
    ok = True
    for n in sizes:
        if n in TARGETS:
            ok &= verdict(f"apply_{n}_episodes_s", times[n], TARGETS[n])
        else:
            verdict(f"apply_{n}_episodes_s", times[n], None)
    per_episode = {n: [t / n * 1000 for t in times[n]] for n in sizes}
    for n in sizes:
        verdict(f"apply_{n}_cpu_s", cpu[n], None)
        verdict(f"apply_{n}_emulator_cpu_s", server[n], None)
        verdict(f"apply_{n}_cpu_ms_per_episode", [t / n * 1000 for t in cpu[n]], None)
        verdict(f"apply_{n}_ms_per_episode", per_episode[n], None)
    if len(sizes) > 1:
        low, high = min(sizes), max(sizes)
        ratios = [
            b / a for a, b in zip(sorted(per_episode[low]), sorted(per_episode[high]), strict=True)
        ]
        ok &= verdict(f"ms_per_episode_{high}_over_{low}", ratios, FLAT)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
