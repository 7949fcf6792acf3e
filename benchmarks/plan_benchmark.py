"""Benchmark: `podsync plan` on a project of 40 shows x 25 episodes against the emulator.

Target (issue #2): a plan makes no more than 1 + 40 requests and returns in under 2 seconds.
It builds the project in a temporary directory, publishes it with a real `apply` (the emulator's
audio jobs finish at once), then times `plan` both in-process and as the `podsync` command a
user runs, and counts the requests the emulator served for each.

    python benchmarks/plan_benchmark.py [--shows 40] [--episodes 25] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

from podsync.client import ZenMicClient
from podsync.emulator import EmulatorServer
from podsync.executor import PollPolicy
from podsync.operations import execute, load_inputs, read_and_plan

KEY = "benchmark-key"


def write_project(root: Path, shows: int, episodes: int) -> None:
    (root / "shows").mkdir(parents=True)
    for s in range(shows):
        manifest = {
            "show": f"show-{s:02d}",
            "title": f"Show {s:02d}",
            "description": f"Benchmark show number {s}.",
            "episodes": [
                {
                    "key": f"ep-{e:02d}",
                    "title": f"Show {s:02d} episode {e:02d}",
                    "description": "A benchmark episode.",
                    "source": {"topic": f"Topic {s}-{e}", "duration_minutes": 5},
                }
                for e in range(episodes)
            ],
        }
        path = root / "shows" / f"show-{s:02d}.yaml"
        path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")


def served(server: EmulatorServer) -> int:
    stats = httpx.get(server.base_url.removesuffix("/api/v2") + "/_emulator/stats").json()
    return int(stats["requests"])


async def apply_all(project: Path, url: str, concurrency: int = 8) -> int:
    async with ZenMicClient(url, KEY) as client:
        planned = await read_and_plan(load_inputs(project), client)
        poll = PollPolicy(first=0.01)
        outcome = await execute(planned, client, poll=poll, concurrency=concurrency)
        if not outcome.ok:
            raise SystemExit(f"apply failed: {outcome.failed[:3]}")
        return len(outcome.done)


async def plan_once(project: Path, url: str) -> bool:
    async with ZenMicClient(url, KEY) as client:
        planned = await read_and_plan(load_inputs(project), client)
        return planned.plan.has_changes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shows", type=int, default=40)
    parser.add_argument("--episodes", type=int, default=25)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    max_requests = 1 + args.shows

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        write_project(project, args.shows, args.episodes)
        with EmulatorServer(Path(tmp) / "state", job_seconds=0.0) as server:
            start = time.perf_counter()
            steps = asyncio.run(apply_all(project, server.base_url))
            print(
                f"setup: apply of {args.shows}x{args.episodes} took "
                f"{time.perf_counter() - start:.1f}s ({steps} steps, {served(server)} requests)"
            )

            inproc, inproc_requests = [], []
            for _ in range(args.runs):
                before = served(server)
                start = time.perf_counter()
                changed = asyncio.run(plan_once(project, server.base_url))
                inproc.append(time.perf_counter() - start)
                inproc_requests.append(served(server) - before)
                if changed:
                    raise SystemExit("plan after apply still has changes")

            env = {**os.environ, "ZENMIC_API_URL": server.base_url, "ZENMIC_API_KEY": KEY}
            command = [sys.executable, "-m", "podsync", "plan", str(project), "--detailed-exitcode"]
            cli, cli_requests = [], []
            for _ in range(args.runs):
                before = served(server)
                start = time.perf_counter()
                result = subprocess.run(command, env=env, capture_output=True, text=True)
                cli.append(time.perf_counter() - start)
                cli_requests.append(served(server) - before)
                if result.returncode != 0:
                    raise SystemExit(f"podsync plan exited {result.returncode}: {result.stderr}")

    def line(name: str, times: list[float], requests: list[int]) -> str:
        return (
            f"{name:<22} median {statistics.median(times):.3f}s  max {max(times):.3f}s  "
            f"requests {max(requests)} (limit {max_requests})"
        )

    print(line("plan (in-process)", inproc, inproc_requests))
    print(line("podsync plan (CLI)", cli, cli_requests))
    ok = max(cli) < 2.0 and max(inproc_requests + cli_requests) <= max_requests
    print("PASS" if ok else "FAIL", f"(targets: < 2 s and <= {max_requests} requests)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
