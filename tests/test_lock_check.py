"""lock_check: the fast yes/no in front of the lock's jsonschema check must never say yes to a
lock the schema refuses, and must say yes to every lock podsync writes."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podsync import lock_file as lock_module
from podsync.applied_source import AppliedDocument, AppliedSource
from podsync.errors import CorruptLock
from podsync.lock import (
    SCHEMA_PATH,
    AppliedApproval,
    CachedAudio,
    Lock,
    LockedEpisode,
    LockedShow,
    UnconfirmedJob,
    read_lock,
    write_lock,
)
from podsync.lock_check import SCHEMA_SHA256, matches_schema
from tests.edits import paths, single_edits

DIGEST = "sha256:" + "a" * 64
ODD = ["", "x", "e1\n", "sha256:" + "A" * 64, DIGEST + "\n", "1", "01", "abc1234", 0, 1, 1.0,
       True, False, None, [], {}]  # fmt: skip
EXTRA = ["x", "1", "protected", "retired", "error", "shows"]


def full_lock() -> Lock:
    """A lock with every optional part the schema knows."""
    document = AppliedDocument("docs/a.md", "d" * 64, 120)
    source = AppliedSource("document", "Topic", 5, "Calm", "mic0", document, 2, DIGEST)
    episode = LockedEpisode("17", "mic1", DIGEST, "Ep", "About", protected=True, source=source)
    show = LockedShow("sho-1", "Show", "Desc", {"ep-1": episode}, True, {"16": "ep-1"})
    audio = CachedAudio("mic1", "succeeded", "https://a/x.mp3", "https://a/x", "none")
    return Lock(
        shows={"show-1": show, "plain": LockedShow("sho-2", "T", "", {})},
        audio={DIGEST: audio, "sha256:" + "b" * 64: CachedAudio("mic2", "queued")},
        unconfirmed={"sha256:" + "c" * 64: UnconfirmedJob("2026-01-01T00:00:00Z", "POST")},
        applied={"12": AppliedApproval(DIGEST, "abc1234")},
    )


def schema_valid(data: object) -> bool:
    return not any(True for _ in lock_module._validator().iter_errors(data))


def test_the_schema_is_the_one_lock_check_mirrors() -> None:
    digest = hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest()
    assert digest == SCHEMA_SHA256, "lock.schema.json changed: bring lock_check.py in line"


def test_every_lock_podsync_writes_passes_the_fast_check() -> None:
    for lock in (Lock(), full_lock()):
        data = json.loads(lock_module.serialize(lock))
        assert matches_schema(data) and schema_valid(data)


def test_the_fast_check_agrees_with_the_schema_on_every_single_edit() -> None:
    verdicts = []
    for make in single_edits(json.loads(lock_module.serialize(full_lock())), ODD, EXTRA):
        data = make()
        verdicts.append(full := schema_valid(data))
        assert matches_schema(data) == full, json.dumps(data)
    assert set(verdicts) == {True, False}  # both kinds were tried


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_the_fast_check_agrees_with_the_schema_on_locks_edited_twice(seed: int) -> None:
    rnd = random.Random(seed)
    once = rnd.choice(single_edits(json.loads(lock_module.serialize(full_lock())), ODD, EXTRA))()
    twice = rnd.choice(single_edits(once, ODD, EXTRA))() if paths(once)[1:] else once
    assert matches_schema(twice) == schema_valid(twice), json.dumps(twice)


def test_a_lock_podsync_wrote_is_read_without_the_schema_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "podsync.lock"
    write_lock(path, full_lock())

    def refuse() -> None:
        raise AssertionError("jsonschema walked a lock podsync wrote")

    monkeypatch.setattr(lock_module, "_validator", refuse)
    assert read_lock(path) == full_lock()


def test_a_hand_edited_lock_is_still_explained_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    write_lock(path, full_lock())
    text = path.read_text().replace('"mic_id": "mic2"', '"mic_id": ""')
    path.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if '"mic_id": ""' in row)
    with pytest.raises(CorruptLock) as caught:
        read_lock(path)
    where = f"{path}:{line}:17: the lock does not match its schema at audio/sha256:{'b' * 64}"
    assert str(caught.value).startswith(f"{where}/mic_id: '' should be non-empty")
