"""Benchmark: `apply` of 40 shows x 25 episodes against a server 25 ms away (issue #14, point 2).

Target: <= 15 s. Each run builds a fresh project and a fresh emulator in a process of its own
that delays every API request by 25 ms (its `latency` fault) and finishes audio jobs at once,
then times one in-process `apply` that creates the shows, pays for the audio and publishes.

    python benchmarks/apply_concurrent.py [--shows 40] [--episodes 25] [--latency 0.025]
                                          [--concurrency 8] [--runs 3]
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

from podsync.emulator import Faults

TARGET = 15.0  # seconds, for the defaults


def apply_once(shows: int, episodes: int, latency: float, concurrency: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        write_project(project, shows, episodes)
        with emulator_process(Path(tmp) / "state", faults=Faults(latency=latency)) as url:
            start = time.perf_counter()
            asyncio.run(apply_all(project, url, concurrency=concurrency))
            return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shows", type=int, default=40)
    parser.add_argument("--episodes", type=int, default=25)
    parser.add_argument("--latency", type=float, default=0.025)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times = []
    for _ in range(args.runs):
        times.append(apply_once(args.shows, args.episodes, args.latency, args.concurrency))
        print(f"# {times[-1]:.2f}s", flush=True)
    metric = f"apply_{args.shows}x{args.episodes}_latency_{args.latency * 1000:g}ms_s"
    return 0 if verdict(metric, times, TARGET) else 1


if __name__ == "__main__":
    sys.exit(main())
