"""Benchmark: a no-change `podsync plan` (issue 14, point 3), as the command a user runs.

Targets on a 2-core machine against the emulator server: 100 shows x 50 episodes <= 1.0 s,
200 x 100 <= 3 s, and 40 x 25 with 25 ms of network latency <= 0.6 s.

Each project is written in a temporary directory by plan_benchmark.write_project; instead of a
real apply (minutes at these sizes), the emulator's state file and podsync.lock are written
directly as an apply would have left them, so the first plan must already say "No changes".
Then `podsync plan --detailed-exitcode` runs --runs times in a subprocess (start-up included);
each line printed is `metric value target PASS|FAIL`, the value being the median wall-clock
time, with the spread (min..max) and the median CPU time of the command after it (on a shared
machine the CPU time says what podsync costs when the wall-clock time says what else runs).
`PYTHONPATH=/path/to/other/checkout python benchmarks/plan_no_change.py` times another version.

    python benchmarks/plan_no_change.py [--runs 5] [--only 100x50]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from plan_benchmark import KEY, served, write_project

from podsync.emulator import EmulatorServer
from podsync.emulator.faults import Faults
from podsync.lock import LOCK_NAME, CachedAudio, Lock, LockedEpisode, LockedShow, write_lock
from podsync.manifest import load_project
from podsync.model import AUDIO_SUCCEEDED


@dataclass(frozen=True)
class Case:
    shows: int
    episodes: int
    latency: float  # seconds the emulator adds to every answer
    target: float  # seconds

    @property
    def name(self) -> str:
        lag = f"+{self.latency * 1000:g}ms" if self.latency else ""
        return f"plan_no_change_{self.shows}x{self.episodes}{lag}"


CASES = (Case(100, 50, 0.0, 1.0), Case(200, 100, 0.0, 3.0), Case(40, 25, 0.025, 0.6))


def seed(project: Path, state_dir: Path) -> None:
    """The emulator's state.json and the project's lock, as a finished apply leaves them."""
    desired = load_project(project)
    audios: list[dict[str, object]] = []
    shows: list[dict[str, object]] = []
    episodes: list[dict[str, object]] = []
    lock = Lock()
    now = time.time() - 3600
    for number, show in enumerate(desired.shows, start=1):
        show_id = f"bench-{number:06d}"
        shows.append(
            {
                "id": number,
                "show_id": show_id,
                "title": show.title,
                "description": show.description,
                "created_at": now,
            }
        )
        locked: dict[str, LockedEpisode] = {}
        for episode in show.episodes:
            mic_id = f"m{len(audios):07d}"
            audios.append({"id": mic_id, "title": episode.title, "created_at": now, "seconds": 0.0})
            episode_id = len(episodes) + 1
            episodes.append(
                {
                    "id": episode_id,
                    "show_id": show_id,
                    "mic_id": mic_id,
                    "title": episode.title,
                    "description": episode.description,
                    "created_at": now,
                }
            )
            digest = episode.source.digest
            locked[episode.key] = LockedEpisode(
                str(episode_id), mic_id, digest, episode.title, episode.description
            )
            lock = lock if digest in lock.audio else _with_audio(lock, digest, mic_id)
        lock = lock.with_show(show.key, LockedShow(show_id, show.title, show.description, locked))
    state = {
        "version": 1,
        "next_show_id": len(shows) + 1,
        "next_episode_id": len(episodes) + 1,
        "audios": audios,
        "shows": shows,
        "episodes": episodes,
    }
    state_dir.mkdir(parents=True)
    (state_dir / "state.json").write_text(json.dumps(state), encoding="utf-8")
    write_lock(project / LOCK_NAME, lock)


def _with_audio(lock: Lock, digest: str, mic_id: str) -> Lock:
    return lock.with_audio(digest, CachedAudio(mic_id, AUDIO_SUCCEEDED))


@contextmanager
def seeded(case: Case, tmp: Path) -> Iterator[tuple[Path, EmulatorServer]]:
    project = tmp / "project"
    write_project(project, case.shows, case.episodes)
    seed(project, tmp / "state")
    faults = Faults(latency=case.latency) if case.latency else None
    with EmulatorServer(tmp / "state", job_seconds=0.0, faults=faults) as server:
        yield project, server


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def time_plan(
    project: Path, server: EmulatorServer, runs: int
) -> tuple[list[float], list[float], int]:
    """Wall-clock and CPU seconds of each run, and the most requests one run sent."""
    env = {**os.environ, "ZENMIC_API_URL": server.base_url, "ZENMIC_API_KEY": KEY}
    command = [sys.executable, "-m", "podsync", "plan", str(project), "--detailed-exitcode"]
    times: list[float] = []
    cpu: list[float] = []
    requests = 0
    for _ in range(runs):
        before = served(server)
        start, cpu_start = time.perf_counter(), _cpu()
        # run from the temp dir: `python -m` puts the working directory first on sys.path
        result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=project)
        times.append(time.perf_counter() - start)
        cpu.append(_cpu() - cpu_start)
        requests = max(requests, served(server) - before)
        if result.returncode != 0:  # 2 would mean changes: the seeding is wrong
            raise SystemExit(f"podsync plan exited {result.returncode}:\n{result.stdout}")
    return times, cpu, requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="one case, such as 100x50 (the latency case: 40x25)")
    args = parser.parse_args()
    ok = True
    for case in CASES:
        if args.only and args.only != f"{case.shows}x{case.episodes}":
            continue
        with tempfile.TemporaryDirectory() as tmp, seeded(case, Path(tmp)) as (project, server):
            times, cpu, requests = time_plan(project, server, args.runs)
        median = statistics.median(times)
        passed = median <= case.target and requests <= 1 + case.shows
        ok = ok and passed
        print(
            f"{case.name} {median:.3f}s <={case.target:g}s {'PASS' if passed else 'FAIL'}"
            f"  (spread {min(times):.3f}..{max(times):.3f}s over {len(times)} runs, "
            f"CPU {statistics.median(cpu):.3f}s, {requests} requests, limit {1 + case.shows})"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
