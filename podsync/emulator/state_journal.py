"""state.journal: the emulator's mutations, appended beside state.json.

Rewriting the whole state.json after every request cost time in proportion to the account, so
publishing a catalogue against the emulator was quadratic, and the emulator's CPU competed with
podsync's. Instead each mutation appends one line here; the store writes state.json whole
(atomically, as before) only when this file outgrows it, on `Store.close()` (the server
stopping) and when a restarted emulator finds a journal to replay. The idea is podsync's own
lock journal (podsync.lock_journal), and so is the way a journal names the state it extends.

The format: UTF-8 JSON lines. The first, `{"journal": 1, "base": "sha256:<hex>"}`, names the
exact state.json bytes it extends; each later line is one mutation: `["audio", row]`,
`["show", row]` (created or updated), `["del_show", show_id]`, `["episode", row]` and
`["del_episode", show_id, episode_id]`. A last line without its newline is a write the process
was killed in: that request never answered, and it is ignored. A journal whose base is not the
state.json beside it was already compacted into it (killed between the two steps) and is ignored.
Nothing is fsynced, as state.json never was: the promise is about a killed process, not a lost
machine.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from podsync.errors import StateError
from podsync.lock_journal import base_of, write_all

JOURNAL_FILE = "state.journal"
JOURNAL_VERSION = 1


def header(base: str) -> bytes:
    """The first line: the journal extends the state.json whose `base_of` is `base`."""
    text = json.dumps({"journal": JOURNAL_VERSION, "base": base})
    return text.encode("ascii") + b"\n"


HEADER_SIZE = len(header(base_of(b"")))


def read(path: Path, raw_state: bytes) -> list[list[Any]]:
    """The mutations the journal at `path` adds to the state whose file is `raw_state` (none
    when there is no journal, or when it was already compacted into that state)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StateError(f"cannot read emulator state {path}: {exc.strerror}") from None
    lines = raw.split(b"\n")[:-1]  # the part after the last newline is a torn write, or empty
    if not lines:
        return []
    first = _parse(path, 1, lines[0])
    if not isinstance(first, dict) or first.get("journal") != JOURNAL_VERSION:
        raise _corrupt(path, 1, "the first line is not an emulator state journal header")
    if first.get("base") != base_of(raw_state):
        return []
    ops = [_parse(path, number, line) for number, line in enumerate(lines[1:], start=2)]
    for number, op in enumerate(ops, start=2):
        if not isinstance(op, list) or not op or not isinstance(op[0], str):
            raise _corrupt(path, number, "not a mutation")
    return ops


def _parse(path: Path, number: int, line: bytes) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise _corrupt(path, number, f"not valid JSON ({exc})") from None


def _corrupt(path: Path, number: int, problem: str) -> StateError:
    return StateError(f"cannot read emulator state {path}:{number}: {problem}")


class JournalFile:
    """An open journal, appended to with one write per mutation."""

    def __init__(self, path: Path, base: str):
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        self.size = 0
        try:
            self.append(header(base))
        except BaseException:
            self.close()
            raise

    def append(self, data: bytes) -> None:
        self.size += write_all(self._fd, data)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
