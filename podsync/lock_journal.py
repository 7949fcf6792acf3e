"""podsync.lock.journal: the changes an apply makes to the lock, appended beside it.

Rewriting the whole lock after every step costs time in proportion to the lock, so publishing a
catalogue was quadratic. Instead the store writes the whole lock once, then appends each later
change (a few hundred bytes) to `podsync.lock.journal` and fsyncs it; `read_lock` replays it.
When the journal grows larger than the lock, and when the store is closed at the end of a run,
the lock is compacted: written whole (atomically, as before) and the journal removed. A
successful run therefore leaves only the compacted lock, the file users and the GitHub Action
commit; a killed run leaves a journal that the next read replays and the next apply compacts.

The format (see docs/architecture.md): ASCII JSON lines. The first names the exact lock it
extends, `{"journal": 1, "base": "sha256:<hex of the lock file's bytes>"}`; each later line is
one save, a list of operations on the lock's JSON: `["set", [key, ...], value]` or
`["del", [key, ...]]`. A last line without its newline is a write the run was killed in: that
save never returned, so nothing depended on it, and it is ignored. A journal whose base is not
the lock beside it was already compacted into it (killed between the two steps) and is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from itertools import compress
from operator import is_not
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podsync import failpoints
from podsync.errors import CorruptLock

if TYPE_CHECKING:
    from podsync.lock_model import Lock, LockedShow

JOURNAL_SUFFIX = ".journal"
JOURNAL_VERSION = 1
Op = list[Any]


def journal_path(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + JOURNAL_SUFFIX)


def base_of(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def header(raw_lock: bytes) -> bytes:
    return _line({"journal": JOURNAL_VERSION, "base": base_of(raw_lock)})


def record(ops: list[Op]) -> bytes:
    return _line(ops)


def _line(value: Any) -> bytes:
    # ASCII only: no character in a value can break the line framing or hide in a diff
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"


def changes(old: Lock, new: Lock) -> list[Op]:
    """The operations that turn `old` into `new`. A lock made from `old` by `Lock.with_*`
    says which records it changed, and only those are compared; otherwise every section is,
    by identity first (the `with_*` share the records they did not change)."""
    from podsync.lock_model import entry

    ops: list[Op] = []
    touched = new.touched_since(old)
    if touched is not None:
        for section, key in dict.fromkeys(touched):
            if section == "shows":
                _show(ops, key, old.shows.get(key), new.shows.get(key))
                continue
            encode = _jobs if section == "history" else entry
            before, after = getattr(old, section).get(key), getattr(new, section).get(key)
            _record(ops, [section, key], before, after, encode)
        return ops
    _section(ops, ["audio"], old.audio, new.audio, entry)
    _section(ops, ["unconfirmed"], old.unconfirmed, new.unconfirmed, entry)
    _section(ops, ["applied"], old.applied, new.applied, entry)
    _section(ops, ["history"], old.history, new.history, _jobs)
    ops.extend(["del", ["shows", key]] for key in old.shows.keys() - new.shows.keys())
    for key, show in new.shows.items():
        _show(ops, key, old.shows.get(key), show)
    return ops


def _record(
    ops: list[Op], where: list[str], before: Any, after: Any, encode: Callable[[Any], Any]
) -> None:
    if after is None:
        if before is not None:
            ops.append(["del", where])
    elif before is not after and before != after:
        ops.append(["set", where, encode(after)])


def _show(ops: list[Op], key: str, before: LockedShow | None, show: LockedShow | None) -> None:
    from podsync.lock_model import entry, show_entry  # lock_file imports this module

    if before is show:
        return
    if show is None:
        ops.append(["del", ["shows", key]])
        return
    if before is None:
        ops.append(["set", ["shows", key], show_entry(show)])
        return
    head, head_before = _head(show_entry, show), _head(show_entry, before)
    for name in head.keys() | head_before.keys():
        if name not in head:
            ops.append(["del", ["shows", key, name]])
        elif head[name] != head_before.get(name):
            ops.append(["set", ["shows", key, name], head[name]])
    _section(ops, ["shows", key, "episodes"], before.episodes, show.episodes, entry)
    _section(ops, ["shows", key, "retired"], before.retired, show.retired, str)


def _jobs(jobs: tuple[Any, ...]) -> list[dict[str, Any]]:
    from podsync.lock_model import entry

    return [entry(job) for job in jobs]


def _head(encode: Callable[[Any], dict[str, Any]], show: Any) -> dict[str, Any]:
    """A show's own fields, without its episodes and retired versions (diffed one by one)."""
    fields = encode(type(show)(show.show_id, show.title, show.description, {}, show.protected))
    del fields["episodes"]
    return fields


def _section(
    ops: list[Op],
    where: list[str],
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    encode: Callable[[Any], Any],
) -> None:
    """The operations on one section (the audio cache: thousands of records). Every `Lock.with_*`
    shares the records it did not change, so the keys whose record is not the very object it
    was are found by C-level passes (`map`, `compress`), a save costing little per unchanged
    record; only those few are compared by value and encoded."""
    if old is new:
        return
    added = 0
    for key in compress(new, map(is_not, map(old.get, new), new.values())):
        value, before = new[key], old.get(key)
        if before is None:
            added += 1
        elif before == value:
            continue
        ops.append(["set", [*where, key], encode(value)])
    if len(new) - added < len(old):  # some of the old keys are gone
        ops.extend(["del", [*where, key]] for key in old.keys() - new.keys())


def replay(lock_path: Path, raw_lock: bytes, data: dict[str, Any]) -> None:
    """Apply the journal beside `lock_path` (if any, and if it extends `raw_lock`) to `data`,
    the lock's parsed JSON, in place."""
    path = journal_path(lock_path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CorruptLock(f"{path}: cannot read the lock's journal: {exc.strerror}") from None
    lines = raw.split(b"\n")[:-1]  # the part after the last newline is a torn write, or empty
    if not lines:
        return
    first = _parse(path, 1, lines[0])
    if not isinstance(first, dict) or first.get("journal") != JOURNAL_VERSION:
        raise _corrupt(path, 1, "the first line is not a podsync lock journal header")
    if first.get("base") != base_of(raw_lock):
        return  # already compacted into the lock
    for number, line in enumerate(lines[1:], start=2):
        ops = _parse(path, number, line)
        if not isinstance(ops, list):
            raise _corrupt(path, number, "a record is not a list of operations")
        for op in ops:
            if not _apply(data, op):
                raise _corrupt(path, number, f"not an operation on the lock: {op!r:.80}")


def _parse(path: Path, number: int, line: bytes) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise _corrupt(path, number, f"not valid JSON ({exc})") from None


def _corrupt(path: Path, number: int, problem: str) -> CorruptLock:
    return CorruptLock(
        f"{path}:{number}: {problem}. To recover, run `podsync lock rebuild` to rebuild "
        "podsync.lock from the live account, then delete this file"
    )


def _apply(data: dict[str, Any], op: Any) -> bool:
    """One operation applied to `data`; False if it is not one."""
    if not isinstance(op, list) or len(op) not in (2, 3) or op[0] not in ("set", "del"):
        return False
    kind, where = op[0], op[1]
    if not isinstance(where, list) or not where or not all(isinstance(k, str) for k in where):
        return False
    if (kind == "set") != (len(op) == 3):
        return False
    node = data
    for key in where[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            if kind == "del":
                return True
            child = node[key] = {}
        node = child
    if kind == "set":
        node[where[-1]] = op[2]
    else:
        node.pop(where[-1], None)
    return True


class JournalFile:
    """An open journal: each append is durable (fsynced) before it returns."""

    def __init__(self, lock_path: Path, raw_lock: bytes, mode: int):
        self.path = journal_path(lock_path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, mode)
        try:
            os.fchmod(self._fd, mode)
            self.size = 0
            self.unsynced = False
            self._write(header(raw_lock))
            os.fsync(self._fd)
            fsync_dir(self.path.parent)  # the file itself must survive a crash, not only its data
        except BaseException:
            self.close()
            raise

    def append(self, data: bytes) -> None:
        """Append one record, not yet durable (see `sync`); the failpoint is the lock write's,
        at the same moment: half of it written."""
        half = len(data) // 2
        self._write(data[:half])
        failpoints.reached("lock-written-half")
        self._write(data[half:])
        self.unsynced = True

    def sync(self) -> None:
        """Make every record appended so far durable: one fsync for all of them."""
        os.fsync(self._fd)
        self.unsynced = False
        failpoints.reached("lock-renaming")  # as after a lock write: all of it synced

    def _write(self, data: bytes) -> None:
        self.size += write_all(self._fd, data)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)

    def remove(self) -> None:
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        fsync_dir(self.path.parent)


def remove(lock_path: Path) -> None:
    """Remove the journal beside `lock_path` once the lock holds all of it; durable."""
    path = journal_path(lock_path)
    try:
        path.unlink()
    except FileNotFoundError:
        return
    fsync_dir(path.parent)


def write_all(fd: int, data: bytes) -> int:
    """Write all of `data` (os.write may write less than asked); returns its length."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    return len(data)


def fsync_dir(directory: Path) -> None:
    """Make a file created, renamed or removed in `directory` survive a crash (POSIX needs the
    directory itself synced); a system that cannot sync a directory is left as it is."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
