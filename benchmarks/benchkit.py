"""What the benchmarks share: the line each prints, `metric value target PASS|FAIL`, value being
the median of the runs, with their spread (the machines they run on are shared, their figures
noisy), and an emulator in a process of its own."""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

from podsync.emulator import EmulatorServer, Faults
from podsync.emulator.speech import AudioLimits


def verdict(metric: str, values: list[float], target: float | None) -> bool:
    """Print one line for `metric` (median of `values`, lower is better) against `target`
    (None: shown for information, always passes); whether the median meets the target."""
    median = statistics.median(values)
    spread = f"(min {min(values):.3f} max {max(values):.3f}, {len(values)} runs)"
    if target is None:
        print(f"{metric} {median:.3f} - INFO {spread}", flush=True)
        return True
    ok = median <= target
    print(f"{metric} {median:.3f} {target:g} {'PASS' if ok else 'FAIL'} {spread}", flush=True)
    return ok


@contextlib.contextmanager
def emulator_process(
    state_dir: Path,
    *,
    job_seconds: float = 0.0,
    faults: Faults | None = None,
    cpu: list[float] | None = None,
) -> Iterator[str]:
    """An emulator in a process of its own (as a real server is), so that its CPU is not
    counted against podsync's and neither waits on the other's GIL; its MP3s are made only
    when asked for, which an apply never does. Yields the API URL; once it has stopped, the
    CPU seconds it used while serving are appended to `cpu` (on 2 shared cores it competes
    with podsync, so its cost belongs in the figures)."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child, state_dir, job_seconds, faults))
    process.start()
    try:
        yield str(parent.recv())
    finally:
        parent.send("stop")
        if cpu is not None and parent.poll(30):
            cpu.append(float(parent.recv()))
        process.join(30)
        if process.is_alive():
            process.kill()


def _serve(
    pipe: multiprocessing.connection.Connection,
    state_dir: Path,
    job_seconds: float,
    faults: Faults | None,
) -> None:
    limits = AudioLimits(eager=False)
    with EmulatorServer(
        state_dir, job_seconds=job_seconds, faults=faults, audio_limits=limits
    ) as server:
        started = time.process_time()
        pipe.send(server.base_url)
        pipe.recv()
    pipe.send(time.process_time() - started)
