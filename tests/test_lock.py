"""podsync.lock: deterministic text, atomic replacement, and clear errors when it is damaged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from podsync.errors import LockError
from podsync.lock import (
    CachedAudio,
    Lock,
    LockedEpisode,
    LockedShow,
    LockStore,
    UnconfirmedJob,
    read_lock,
    serialize,
    write_lock,
)

DIGEST = "sha256:" + "ab" * 32


def sample() -> Lock:
    return (
        Lock()
        .with_show("tw", LockedShow("tw-1", "Tech Weekly", "d"))
        .with_episode("tw", "a", LockedEpisode("7", "m1", DIGEST, "A", ""))
        .with_audio(DIGEST, CachedAudio("m1", "succeeded", "https://cdn/m1.mp3"))
    )


def test_round_trip_and_missing_lock_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    assert read_lock(path) == Lock()
    write_lock(path, sample())
    assert read_lock(path) == sample()


def test_an_unconfirmed_submission_is_kept_until_a_job_for_it_is_on_record(
    tmp_path: Path,
) -> None:
    path = tmp_path / "podsync.lock"
    other = "sha256:" + "cd" * 32
    unsure = UnconfirmedJob("2026-11-24T12:00:00+00:00", "POST /api/v2/audios -> 500")
    lock = sample().with_unconfirmed(other, unsure)
    write_lock(path, lock)
    assert read_lock(path).unconfirmed == {other: unsure}
    settled = lock.with_audio(other, CachedAudio("m2", "queued"))
    assert settled.unconfirmed == {}
    assert "unconfirmed" not in serialize(settled)  # older locks stay byte-identical


def test_serialization_is_deterministic_whatever_the_insertion_order() -> None:
    a = Lock().with_show("b", LockedShow("2", "B", "")).with_show("a", LockedShow("1", "A", ""))
    b = Lock().with_show("a", LockedShow("1", "A", "")).with_show("b", LockedShow("2", "B", ""))
    assert serialize(a) == serialize(b)
    assert serialize(a).index('"a"') < serialize(a).index('"b"')


def test_write_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    write_lock(path, Lock())
    inode_before = os.stat(path).st_ino
    write_lock(path, sample())
    assert os.stat(path).st_ino != inode_before  # a new file renamed over the old one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["podsync.lock"]


def test_lock_store_writes_every_change_to_disk(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    store = LockStore(path, Lock())
    store.save(sample())
    assert read_lock(path) == sample()
    assert json.loads(path.read_text())["version"] == 1


def test_corrupt_lock_is_a_clear_error_with_position(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    path.write_text('{"version": 1,\n  "shows": {', encoding="utf-8")
    with pytest.raises(LockError, match=r"podsync.lock:2:\d+: the lock is not valid JSON"):
        read_lock(path)


def test_lock_that_breaks_its_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    data = json.loads(serialize(sample()))
    data["shows"]["tw"]["episodes"]["a"]["digest"] = "md5:123"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LockError, match="shows/tw/episodes/a/digest"):
        read_lock(path)


def test_lock_never_holds_secrets_or_unknown_fields() -> None:
    text = serialize(sample())
    assert "key" not in json.loads(text)
    assert set(json.loads(text)) == {"version", "shows", "audio"}


def test_a_new_lock_is_readable_like_any_file_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    umask = os.umask(0o022)
    try:
        write_lock(path, Lock())
    finally:
        os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o644
    os.chmod(path, 0o640)
    write_lock(path, sample())
    assert os.stat(path).st_mode & 0o777 == 0o640
