"""Helpers shared by several test modules: edit the example project's manifest in place, and run
podsync in a process of its own, as a user does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

SHOW = "shows/tech-weekly.yaml"
PODSYNC = (sys.executable, "-m", "podsync")
# apply's first poll waits this long (2 s by default): jobs the emulator finishes at once need
# not keep a test waiting
FAST_POLL = "--poll-interval=0.05"


def edit(project: Path, change: Callable[[dict[str, Any]], object]) -> None:
    """Load the example manifest, let `change` edit the data, and write it back."""
    path = project / SHOW
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def episode(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(e for e in data["episodes"] if e["key"] == key)


def new_topic(item: dict[str, Any], topic: str) -> None:
    """Give an episode a new topic whose words are generated at apply: a script pinned for the
    old topic (the example pins ai-health's) is dropped, as a user would drop it."""
    item["source"].pop("script", None)
    item["source"]["topic"] = topic


def default_sigint() -> None:
    """Give a child process the default Ctrl-C. pytest run as a background job inherits SIGINT
    ignored, and so would every process it starts: Python then never raises KeyboardInterrupt,
    and a test that sends SIGINT would wait for nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_podsync(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 120, **options: Any
) -> subprocess.CompletedProcess[str]:
    """podsync as a user runs it: a separate process, no terminal, its output captured as text.
    `env` is added to this process's environment."""
    options.setdefault("preexec_fn", default_sigint)
    return subprocess.run(
        [*PODSYNC, *args],
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        **options,
    )


def start_podsync(
    *args: str, env: Mapping[str, str] | None = None, **options: Any
) -> subprocess.Popen[str]:
    """podsync started and left running, for a test that reads it as it goes or stops it
    (Ctrl-C, SIGKILL) midway; `options` say where its output goes."""
    return subprocess.Popen(
        [*PODSYNC, *args],
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=default_sigint,
        **options,
    )
