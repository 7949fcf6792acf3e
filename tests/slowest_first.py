"""Where each xdist worker starts: with the slowest tests, dealt out one pile per worker.

With `--dist worksteal`, xdist first hands each of its n workers a contiguous n-th of the
collection, then moves queued tests from the end of a busy worker's share to an idle worker. A
test of a minute sitting late in a share runs last and keeps the whole suite waiting, and two
such tests in one share run one after the other. So the tests tests/durations.txt names are
dealt out, slowest first, each to the head of the share with the least slow time so far; every
other test keeps its collection order (module fixtures stay shared) behind them. A test missing
from the file (new, or renamed) is only a test whose place is not chosen.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

DURATIONS = Path(__file__).with_name("durations.txt")


def read_durations(text: str) -> dict[str, float]:
    """Seconds per test id from `pytest --durations` lines (`12.5s call  tests/x.py::t`), its
    setup, call and teardown added up."""
    seconds: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].endswith("s") and not line.startswith("#"):
            seconds[parts[2]] = seconds.get(parts[2], 0.0) + float(parts[0][:-1])
    return seconds


def shares(total: int, workers: int) -> list[int]:
    """How many tests worksteal sends each worker at the start (xdist's own arithmetic)."""
    sizes: list[int] = []
    for worker in range(workers):
        sizes.append((total - sum(sizes)) // (workers - worker))
    return sizes


def slowest_first(ids: list[str], durations: dict[str, float], workers: int) -> list[int]:
    """The order to run `ids` in, as indices into it."""
    slow = sorted(
        (i for i, test in enumerate(ids) if test in durations), key=lambda i: -durations[ids[i]]
    )
    piles: list[list[int]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for index in slow:
        lightest = loads.index(min(loads))
        piles[lightest].append(index)
        loads[lightest] += durations[ids[index]]
    chosen = set(slow)
    rest = iter([i for i in range(len(ids)) if i not in chosen])
    order: list[int] = []
    for pile, size in zip(piles, shares(len(ids), workers), strict=True):
        order += pile
        order += islice(rest, max(0, size - len(pile)))
    return order + list(rest)
