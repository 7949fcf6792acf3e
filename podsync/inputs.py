"""The local inputs of every command: the manifests, validated, and podsync.lock.

Apart from podsync.operations, so that `podsync validate` reads them without loading the HTTP
client, the event loop and the executor that a plan or an apply needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from podsync.errors import ConfigError
from podsync.gc_pause import gc_paused
from podsync.lock import LOCK_NAME, Lock, read_lock
from podsync.manifest import load_project
from podsync.model import Desired


@dataclass(frozen=True)
class Inputs:
    desired: Desired
    lock: Lock
    lock_path: Path


def load_inputs(project_dir: Path) -> Inputs:
    """Everything local: manifests validated and the lock read, before any request is sent."""
    with gc_paused():
        desired = load_desired(project_dir)
        lock_path = project_dir / LOCK_NAME
        return Inputs(desired, read_lock(lock_path), lock_path)


def load_desired(project_dir: Path) -> Desired:
    """The manifests alone, validated; `lock rebuild` needs them when the lock is unreadable."""
    markers = ("shows", "podsync.yaml", LOCK_NAME)
    if not any((project_dir / name).exists() for name in markers):
        raise ConfigError(
            f"{project_dir} is not a podsync project: it has no shows/ folder, podsync.yaml "
            "or podsync.lock (run podsync in your project folder, or name it: podsync plan DIR)"
        )
    return load_project(project_dir)


def reread_lock(inputs: Inputs) -> Inputs:
    """The same manifests with the lock as it is now: read again once the apply mutex is held,
    so that what another apply recorded while this one waited counts."""
    return replace(inputs, lock=read_lock(inputs.lock_path))
