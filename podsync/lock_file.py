"""The lock file on disk: deterministic text, an atomic replace, and a reader that refuses
anything that is not a whole lock (naming the line and column) rather than read it as empty."""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import podsync
from podsync import failpoints, lock_journal
from podsync.errors import CorruptLock, LockError
from podsync.file_modes import file_mode
from podsync.lock_check import matches_schema
from podsync.lock_model import LOCK_VERSION, Lock
from podsync.safe_text import escape_json
from podsync.schema import new_validator

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

LOCK_NAME = "podsync.lock"
TEMP_PREFIX = ".podsync.lock."
SCHEMA_PATH = Path(podsync.__file__).parent / "schemas" / "lock.schema.json"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def serialize(lock: Lock) -> str:
    """Deterministic text: the same lock always gives the same bytes. Control and bidi
    characters (in an error message from the API, say) are written as escapes, so a diff of
    the lock in a review shows them rather than being reordered by them."""
    text = json.dumps(lock.to_dict(), indent=2, sort_keys=True, ensure_ascii=False)
    return escape_json(text) + "\n"


def read_lock(path: Path) -> Lock:
    """Read the lock; a missing file is an empty lock (a fresh project).

    Anything else that is not a lock (truncated, not text, not JSON, the wrong shape) is a
    CorruptLock naming the file, and the line and column where it goes wrong, and saying how
    to recover. Never an empty lock: that would make apply create every show again."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Lock()
    except IsADirectoryError:
        raise _corrupt(f"{path}", "is a directory, not a lock file") from None
    except OSError as exc:
        raise LockError(f"{path}: cannot read the lock: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(raw, exc.start)
        bad = raw[exc.start : exc.start + 1].hex()
        problem = f"the lock is not UTF-8 text (byte 0x{bad})"
        raise _corrupt(f"{path}:{line}:{col}", problem) from None
    if not text.strip():
        raise _corrupt(f"{path}:1:1", "the lock is empty") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{path}:{exc.lineno}:{exc.colno}"
        raise _corrupt(where, f"the lock is not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise _corrupt(f"{path}", "the lock is not valid JSON (nested too deeply)") from None
    except ValueError as exc:
        raise _corrupt(f"{path}", f"the lock is not valid JSON ({exc})") from None
    if isinstance(data, dict):
        lock_journal.replay(path, raw, data)  # the changes of a run that was killed
    version = data.get("version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > LOCK_VERSION:
        raise LockError(
            f"{path}: the lock was written by a newer podsync (lock version {version}; this one "
            f"reads version {LOCK_VERSION}): upgrade podsync"
        )
    # the full schema walk (and jsonschema's import) only for a lock the fast check refuses, to
    # say what is wrong, where
    error = None if matches_schema(data) else _schema_error(data)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
        raise _corrupt(
            f"{path}{_json_position(text, list(error.absolute_path))}",
            f"the lock does not match its schema at {where}: {message}",
        )
    lock = Lock.from_dict(data)
    try:
        if _SURROGATE_ESCAPE.search(text):  # only an escape can put one in valid UTF-8 text
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        problem = "the lock holds a string that is not valid Unicode (a lone surrogate)"
        raise _corrupt(f"{path}", problem) from None
    return lock


REBUILD_HINT = (
    "run `podsync lock rebuild` to rebuild it from the live account "
    f"(the unreadable file is kept as {LOCK_NAME}.corrupt-<time>)"
)


def _schema_error(data: object) -> ValidationError | None:
    from jsonschema.exceptions import best_match

    error: ValidationError | None = best_match(_validator().iter_errors(data))
    return error


def _corrupt(where: str, problem: str) -> CorruptLock:
    return CorruptLock(f"{where}: {problem}. To recover, {REBUILD_HINT}")


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset, as an editor shows it."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


def _json_position(text: str, path: list[str | int]) -> str:
    """':LINE:COL' of the value at `path` in JSON text already known to be valid, or ''.

    Walks only the path, skipping siblings with the stdlib decoder, so it is linear and needs
    no recursion; with duplicate keys the last one counts, as in json.loads."""
    decoder = json.JSONDecoder()
    whitespace = " \t\n\r"

    def skip(i: int) -> int:
        while i < len(text) and text[i] in whitespace:
            i += 1
        return i

    i = skip(0)
    try:
        for step in path:
            opener = text[i]
            if opener not in "{[":
                return ""
            i, index = skip(i + 1), 0
            found: int | None = None
            key: str | int
            while text[i] not in "}]":
                if opener == "{":
                    key, i = decoder.raw_decode(text, i)
                    i = skip(skip(i) + 1)  # past the colon
                else:
                    key, index = index, index + 1
                if key == step:
                    found = i
                _, i = decoder.raw_decode(text, i)
                i = skip(i)
                if text[i] == ",":
                    i = skip(i + 1)
            if found is None:
                return ""
            i = found
    except (IndexError, ValueError, RecursionError):
        return ""
    line, column = text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i)
    return f":{line}:{column}"


def write_lock(path: Path, lock: Lock) -> None:
    """Replace the lock atomically: temp file in the same directory, fsync, rename, fsync dir."""
    import tempfile  # only a command that writes the lock needs it (and shutil, bz2, lzma)

    text = serialize(lock)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        os.fchmod(fd, file_mode(path))
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            half = len(text) // 2
            handle.write(text[:half])
            handle.flush()
            failpoints.reached("lock-written-half")
            handle.write(text[half:])
            handle.flush()
            os.fsync(handle.fileno())
        failpoints.reached("lock-renaming")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    lock_journal.fsync_dir(path.parent)


def remove_stale_temp_files(directory: Path) -> None:
    """Temp files left by a run killed mid-write; the lock itself is whole, these are litter."""
    for leftover in directory.glob(TEMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            leftover.unlink()


_VALIDATOR: Draft202012Validator | None = None


def _validator() -> Draft202012Validator:
    global _VALIDATOR
    if _VALIDATOR is None:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        _VALIDATOR = new_validator(schema)  # `$` in a pattern is the end: "e1\n" is no key
    return _VALIDATOR
