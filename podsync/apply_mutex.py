"""One apply at a time per project: a kernel lock (flock) on the project directory itself.

Two applies on one project would each plan from the same podsync.lock and account, so both would
create the same new show, pay for the same audio and publish the same episode. Like Terraform's
state lock, the second one stops at once with a message saying who holds the lock (or, with a
timeout, waits for it first).

The lock is the operating system's, so the kernel releases it when its holder dies, even by
SIGKILL: a crashed apply never blocks the next one. It is taken on the project directory, not on
a file in `.podsync/`: people delete that folder while an apply runs (to reset the local
emulator, or with `git clean -fdx`), and a lock file deleted and made again is a second lock, so
a second apply would start beside the first. The directory cannot be replaced under a running
apply without moving the project away from it. Who holds the lock is recorded in
.podsync/apply.lock.json, only for the message: that file is written after the lock is taken and
removed before it is released, and nothing is ever decided from it, so a stale or missing one is
harmless.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from podsync.errors import ProjectBusy, SetupError

STATE_DIR = ".podsync"
HOLDER_FILE = "apply.lock.json"
WAIT_STEP = 0.05  # seconds between attempts while waiting for another holder


@dataclass(frozen=True)
class Holder:
    """Who holds the apply mutex, as that process recorded it."""

    pid: int
    host: str
    since: str  # ISO 8601, UTC
    command: str = "apply"

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.since}"

    @classmethod
    def me(cls, command: str) -> Holder:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return cls(os.getpid(), socket.gethostname(), now, command)


def holder_path(project_dir: Path) -> Path:
    return project_dir / STATE_DIR / HOLDER_FILE


@contextlib.contextmanager
def hold_project(
    project_dir: Path,
    timeout: float = 0,
    *,
    command: str = "apply",
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Holder]:
    """Hold the apply mutex for the block; raise ProjectBusy if another process keeps it for
    longer than `timeout` seconds (0: do not wait). `command` says what holds it, in others'
    messages; `on_wait` hears once that we wait."""
    directory = project_dir / STATE_DIR
    try:
        directory.mkdir(exist_ok=True)
    except OSError as exc:
        raise SetupError(f"{directory}: cannot create it for the apply lock: {exc}") from None
    try:
        fd = os.open(project_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise SetupError(f"{project_dir}: cannot take the apply lock: {exc}") from None
    try:  # closing the descriptor releases the lock
        if not _try_lock(fd, project_dir):
            if timeout <= 0:
                raise _busy(project_dir)
            if on_wait is not None:
                holder = _describe(project_dir)
                on_wait(f"Waiting up to {timeout:g}s for the lock held by {holder}...")
            deadline = time.monotonic() + timeout
            while not _try_lock(fd, project_dir):
                if time.monotonic() >= deadline:
                    raise _busy(project_dir, waited=timeout)
                time.sleep(WAIT_STEP)
        me = Holder.me(command)
        try:
            with contextlib.suppress(OSError):  # the record is for messages only
                directory.mkdir(exist_ok=True)
                _write_holder(holder_path(project_dir), me)
            yield me
        finally:
            with contextlib.suppress(OSError):
                holder_path(project_dir).unlink()
    finally:
        os.close(fd)


def _try_lock(fd: int, project_dir: Path) -> bool:
    """Take the lock without waiting; False when another process holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        raise SetupError(f"{project_dir}: cannot take the apply lock: {exc}") from None
    return True


def read_holder(project_dir: Path) -> Holder | None:
    """Who says they hold the lock; None when nobody recorded it (or the record is unreadable)."""
    try:
        data = json.loads(holder_path(project_dir).read_text(encoding="utf-8"))
        command = str(data.get("command", "apply"))
        return Holder(int(data["pid"]), str(data["host"]), str(data["since"]), command)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _describe(project_dir: Path) -> str:
    holder = read_holder(project_dir)
    return str(holder) if holder is not None else "another process (it has not said who it is)"


def _busy(project_dir: Path, waited: float = 0) -> ProjectBusy:
    project = project_dir.resolve()
    holder = read_holder(project_dir)
    what = f"podsync {holder.command}" if holder is not None else "podsync apply"
    who = f" ({holder})" if holder is not None else ""
    still = f" (still, after waiting {waited:g}s)" if waited else ""
    return ProjectBusy(
        f"another {what} is running on {project}{who}{still}; wait for it, or re-run with "
        "--lock-timeout SECONDS to wait"
    )


def _write_holder(path: Path, holder: Holder) -> None:
    """Whole or absent: a reader never sees half a record."""
    fd, tmp = tempfile.mkstemp(prefix=f".{HOLDER_FILE}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(holder), handle)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
