"""The emulator's state on disk costs what changed (state.journal beside state.json), and keeps
its promise: a restart, even after a kill, carries on where the account stopped, and a torn or
already compacted journal never corrupts it."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from podsync.emulator.state_journal import JOURNAL_FILE
from podsync.emulator.store import STATE_FILE, Store
from podsync.errors import StateError


def snapshot(store: Store) -> object:
    """Everything a client can see of the account, and the counters of the next ids."""
    shows = store.list_shows()
    return (
        store.counts(),
        shows,
        {s.show_id: store.list_episodes(s.show_id) for s in shows},
        sorted((j.id, j.created_at) for j in (store.get_audio(i) for i in audio_ids(store))),
        (store._next_show_id, store._next_episode_id),
    )


def audio_ids(store: Store) -> list[str]:
    return sorted(store._audios)


def fill(store: Store, shows: int, episodes: int) -> None:
    for s in range(shows):
        show = store.create_show(f"Show {s}", "about")
        for e in range(episodes):
            job = store.create_audio(f"Episode {e}")
            store.add_episode(show.show_id, mic_id=job.id, title=f"E{e}", description="d")


def files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_a_mutation_appends_to_the_journal_instead_of_rewriting_the_state(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path, job_seconds=0)
    fill(store, 20, 10)
    store.close()
    state = (tmp_path / STATE_FILE).read_bytes()

    show = store.list_shows()[3]
    job = store.create_audio("One more")
    store.add_episode(show.show_id, mic_id=job.id, title="New", description="d")

    assert (tmp_path / STATE_FILE).read_bytes() == state, "state.json is not rewritten"
    lines = (tmp_path / JOURNAL_FILE).read_bytes().splitlines()
    assert len(lines) == 3 and max(len(line) for line in lines) < 300, "one short line each"
    assert json.loads(lines[2])[1]["title"] == "New"


def test_the_journal_is_compacted_before_it_outgrows_the_state(tmp_path: Path) -> None:
    store = Store(tmp_path, job_seconds=0)
    fill(store, 5, 40)
    sizes = []
    for n in range(800):
        store.update_show(store.list_shows()[n % 5].show_id, description=f"about {n}")
        journal = tmp_path / JOURNAL_FILE
        sizes.append((journal.stat().st_size if journal.exists() else 0, store.path.stat().st_size))
    assert all(journal <= state for journal, state in sizes)
    journals = [journal for journal, _ in sizes]
    compacted = any(b < a for a, b in itertools.pairwise(journals))
    assert compacted, "written whole again, then journalled again"


def test_a_killed_store_is_restored_from_state_and_journal(tmp_path: Path) -> None:
    store = Store(tmp_path, job_seconds=0)
    fill(store, 4, 6)
    store.close()
    first, second, *_ = store.list_shows()
    store.update_show(first.show_id, title="Renamed")
    store.delete_episode(first.show_id, store.list_episodes(first.show_id)[2].id)
    store.delete_show(second.show_id)
    fill(store, 1, 3)
    assert (tmp_path / JOURNAL_FILE).exists()

    restored = Store(tmp_path, job_seconds=0)  # `store` never closed: as if killed

    assert snapshot(restored) == snapshot(store)
    assert files(tmp_path) == [STATE_FILE], "the replayed journal is compacted at once"
    assert restored.create_show("Next", "d").id == store.create_show("Next", "d").id


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    store = Store(tmp_path, job_seconds=0)
    fill(store, 3, 5)
    store.close()
    store.create_audio("Kept")
    before = snapshot(store)
    with (tmp_path / JOURNAL_FILE).open("ab") as journal:
        journal.write(b'["audio",{"id":"zzzzzzzz","title":"Torn","crea')

    assert snapshot(Store(tmp_path, job_seconds=0)) == before


def test_a_journal_already_compacted_into_the_state_is_not_replayed_twice(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path, job_seconds=0)
    fill(store, 3, 5)
    store.close()
    fill(store, 1, 2)
    journal = (tmp_path / JOURNAL_FILE).read_bytes()
    store.close()
    (tmp_path / JOURNAL_FILE).write_bytes(journal)  # killed between the rename and the unlink

    assert snapshot(Store(tmp_path, job_seconds=0)) == snapshot(store)


def test_a_corrupt_journal_is_refused_not_overwritten(tmp_path: Path) -> None:
    store = Store(tmp_path, job_seconds=0)
    fill(store, 3, 5)
    store.close()
    store.create_audio("A")
    store.create_audio("B")
    path = tmp_path / JOURNAL_FILE
    lines = path.read_bytes().split(b"\n")
    lines[1] = b"{not json"
    path.write_bytes(b"\n".join(lines))

    with pytest.raises(StateError, match=rf"cannot read emulator state .*{JOURNAL_FILE}:2: "):
        Store(tmp_path)
    assert path.read_bytes() == b"\n".join(lines)


def test_state_survives_a_killed_emulator_process(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from podsync.emulator import serve_forever\n"
        "serve_forever(Path(sys.argv[1]), host='127.0.0.1', port=0, job_seconds=0, api_key=None,"
        " on_ready=lambda url: print(url, flush=True))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        with httpx.Client(base_url=url, headers={"Authorization": "Bearer x"}) as api:
            for n in range(30):
                assert api.post("/podcasts", json={"title": f"Show {n}"}).status_code == 201
            listed = api.get("/podcasts").json()["data"]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert (tmp_path / JOURNAL_FILE).exists(), "the last shows were only journalled"

    store = Store(tmp_path)
    assert [s.show_id for s in store.list_shows()] == [s["show_id"] for s in listed]
    assert store.create_show("Next", "d").id == 31
