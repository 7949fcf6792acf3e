"""Pausing Python's cyclic garbage collector while a project is read and planned.

Reading and planning allocate a handful of container objects per episode (YAML events, dicts,
paths, models, JSON objects) and keep most of them until the command ends: garbage that
reference counting does not free is rare there. The collector still runs a pass every 700
allocations and a full pass over everything alive whenever the heap grew by a quarter, finding
nothing; on a large project that was a quarter of a no-change plan's CPU. Paused for these
phases (as mypy raises its thresholds while it parses), it resumes once they end.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside; nested pauses and an already disabled collector are left
    as they were."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
