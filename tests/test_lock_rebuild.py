"""A corrupt podsync.lock is a clear error that sends nothing, and `podsync lock rebuild` recovers
it from the live account without changing anything there."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from podsync.errors import CorruptLock, LockError
from podsync.lock import read_lock
from podsync.lock_rebuild import salvage_show_ids
from tests.conftest import TEST_KEY, Cli, Emulator, StartEmulator
from tests.helpers import edit, episode, new_topic, run_podsync

RECOVER = (
    "To recover, run `podsync lock rebuild` to rebuild it from the live account (the unreadable "
    "file is kept as podsync.lock.corrupt-<time>)\n"
)
GOOD = '{\n  "audio": {},\n  "shows": {\n    "tech-weekly": {\n      "show_id": "x",\n'


def write(data: bytes) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(data)


def make_directory(path: Path) -> None:
    path.mkdir()


CORRUPT: dict[str, tuple[Callable[[Path], object], str]] = {
    "truncated": (write(GOOD.encode()), "podsync.lock:6:1: the lock is not valid JSON"),
    "not utf-8": (
        write(b'{"version": 1,\n  "x": "caf\xe9"}'),
        "podsync.lock:2:12: the lock is not UTF-8 text (byte 0xe9)",
    ),
    "binary": (write(bytes(range(256)) * 4), "podsync.lock:2:118: the lock is not UTF-8 text"),
    "wrong shape": (write(b"[1, 2, 3]\n"), "podsync.lock:1:1: the lock does not match its schema"),
    "schema": (
        write(b'{"version": 1,\n "shows": {"Bad Key": {}},\n "audio": {}}'),
        "podsync.lock:2:11: the lock does not match its schema at shows",
    ),
    "empty": (write(b""), "podsync.lock:1:1: the lock is empty"),
    "directory": (make_directory, "podsync.lock: is a directory, not a lock file"),
}


@pytest.mark.parametrize("form", CORRUPT)
def test_a_corrupt_lock_is_a_clear_error_and_nothing_is_sent(
    form: str, cli: Cli, emulator: Emulator, project: Path
) -> None:
    corrupt, message = CORRUPT[form]
    corrupt(project / "podsync.lock")
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = cli(*command, str(project))
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(f"Error: {project / 'podsync.lock'}"), result.stderr
        assert message in result.stderr
        assert result.stderr.endswith(RECOVER)
        assert "Traceback" not in result.output
    assert emulator.stats()["requests"] == 0


def account(emulator: Emulator) -> tuple[int, int, int]:
    stats = emulator.stats()
    return stats["shows"], stats["episodes"], stats["audios"]


@pytest.mark.parametrize("form", ["truncated", "binary", "directory"])
def test_rebuild_recovers_the_lock_from_the_account_and_changes_nothing_there(
    form: str, cli: Cli, emulator: Emulator, project: Path
) -> None:
    path = project / "podsync.lock"
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    applied = read_lock(path)
    before = account(emulator)
    path.unlink()
    CORRUPT[form][0](path)
    damaged = sorted(project.iterdir())

    result = cli("lock", "rebuild", str(project))
    assert result.exit_code == 0, result.output
    assert "1 show and 4 episodes recovered" in result.stdout
    kept = [p for p in project.iterdir() if p.name.startswith("podsync.lock.corrupt-")]
    assert len(kept) == 1
    assert sorted(project.iterdir()) == sorted([*damaged, kept[0]])
    if form != "directory":
        assert kept[0].read_bytes() == b"".join(  # the unreadable file, byte for byte
            [GOOD.encode()] if form == "truncated" else [bytes(range(256)) * 4]
        )
    rebuilt = read_lock(path)
    assert rebuilt.shows == applied.shows  # the same ids, digests and applied values
    assert account(emulator) == before

    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0
    again = cli("apply", str(project), "--auto-approve")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout
    assert account(emulator) == before  # no duplicate show, episode or audio


def test_rebuild_says_what_it_could_not_recover_and_the_next_apply_creates_only_that(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    lock = read_lock(project / "podsync.lock")
    show = lock.shows["tech-weekly"]
    with emulator.api() as api:
        gone = show.episodes["roadmap"].episode_id
        assert api.delete(f"/podcasts/{show.show_id}/episodes/{gone}").status_code < 300
    (project / "podsync.lock").unlink()  # lost, not corrupt: nothing to keep

    result = cli("lock", "rebuild", str(project))
    assert result.exit_code == 0, result.output
    assert "1 show and 3 episodes recovered" in result.stdout
    assert "No live episode of their show has their title, so the next apply publishes:\n" in (
        result.stdout
    )
    assert "  episode tech-weekly/roadmap\n" in result.stdout
    assert "cannot be recovered (ZenMic cannot list jobs)" in result.stdout
    assert "kept as" not in result.stdout
    assert not list(project.glob("podsync.lock.*"))

    shows, episodes, audios = account(emulator)
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert account(emulator) == (shows, episodes + 1, audios + 1)


def test_rebuild_leaves_a_good_lock_alone_unless_forced(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    path = project / "podsync.lock"
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    good = path.read_bytes()
    requests = emulator.stats()["requests"]

    refused = cli("lock", "rebuild", str(project))
    assert refused.exit_code == 1
    assert "reads fine, so there is nothing to rebuild" in refused.stderr
    assert "pass --force" in refused.stderr
    assert path.read_bytes() == good
    assert emulator.stats()["requests"] == requests

    forced = cli("lock", "rebuild", str(project), "--force")
    assert forced.exit_code == 0, forced.output
    (old,) = project.glob("podsync.lock.old-*")
    assert old.read_bytes() == good
    assert json.loads(path.read_text())["shows"] == json.loads(good)["shows"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "the lock is not valid JSON (nested too deeply)"),
        (b'{"version": ' + b"9" * 5000 + b"}", "the lock is not valid JSON (Exceeds the limit"),
        (
            b'{"version": 1, "audio": {}, "shows": {"tw": {"show_id": "s", "title": "\\ud800",'
            b' "description": "", "episodes": {}}}}',
            "holds a string that is not valid Unicode",
        ),
        (b'{"version": 1,\n "audio": [],\n "shows": {}}', ":2:11: the lock does not match"),
    ],
    ids=["deep", "huge number", "lone surrogate", "schema position"],
)
def test_hostile_locks_are_corrupt_locks_not_crashes(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "podsync.lock"
    path.write_bytes(data)
    with pytest.raises(CorruptLock) as error:
        read_lock(path)
    assert message in str(error.value)
    assert str(error.value).endswith(RECOVER.strip())


def test_a_lock_from_a_newer_podsync_asks_for_an_upgrade_not_a_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    path.write_text('{"version": 2, "shows": {}, "audio": {}, "owners": {}}', encoding="utf-8")
    with pytest.raises(LockError, match="written by a newer podsync .* upgrade podsync$") as error:
        read_lock(path)
    assert not isinstance(error.value, CorruptLock)


# --- what the old lock still knows ------------------------------------------------------------

RENAMED = "Acme Tech Weekly (new name)"


def rename_show(project: Path) -> None:
    edit(project, lambda data: data.update(title=RENAMED))


def plan_changes(cli: Cli, project: Path) -> list[tuple[str, str, str]]:
    result = cli("plan", str(project), "--format", "json")
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    return [(c["type"], c["action"], c.get("episode") or c["show"]) for c in changes]


def test_a_pending_title_edit_is_not_called_missing_and_the_live_show_is_named(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    path = project / "podsync.lock"
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    show_id = read_lock(path).shows["tech-weekly"].show_id
    before = account(emulator)
    rename_show(project)
    path.write_text(path.read_text()[:40])  # truncated before any show id

    result = cli("lock", "rebuild", str(project))
    assert result.exit_code == 0, result.output
    assert "Not found in the account" not in result.stdout
    assert (
        "No live show has the title these manifests give, so the next apply creates them:\n"
        "  show tech-weekly (with 4 episodes)\n"
        "Live shows that no manifest matched:\n"
        f'  "Acme Tech Weekly" (show_id {show_id}, 4 episodes)\n'
        "If one of them is one of these shows (its title edited in the manifest since the last "
        "apply, say), add `show_id: <its id>` to that show's manifest and run `podsync lock "
        "rebuild --force` again"
    ) in result.stdout

    # Following the hint adopts the live show: only the title changes, nothing is paid for.
    edit(project, lambda data: data.update(show_id=show_id))
    again = cli("lock", "rebuild", str(project), "--force")
    assert again.exit_code == 0, again.output
    assert "1 show and 4 episodes recovered" in again.stdout
    assert plan_changes(cli, project) == [("show", "update", "tech-weekly")]
    assert account(emulator) == before


def test_a_show_id_salvaged_from_a_conflicted_lock_is_adopted(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    path = project / "podsync.lock"
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    applied = read_lock(path)
    show_id = applied.shows["tech-weekly"].show_id
    before = account(emulator)
    rename_show(project)
    text = path.read_text()  # a merge conflict in the middle of the title change
    path.write_text(text.replace('"shows"', '<<<<<<< HEAD\n"shows"', 1) + ">>>>>>> theirs\n")

    result = cli("lock", "rebuild", str(project))
    assert result.exit_code == 0, result.output
    assert "1 show and 4 episodes recovered" in result.stdout
    assert (
        f"Adopted by the show id found in the unreadable lock (and live):\n"
        f"  show tech-weekly ({show_id})\n"
    ) in result.stdout
    assert "creates" not in result.stdout
    assert read_lock(path).shows == applied.shows

    assert plan_changes(cli, project) == [("show", "update", "tech-weekly")]
    applied_again = cli("apply", str(project), "--auto-approve")
    assert applied_again.exit_code == 0, applied_again.output
    assert account(emulator) == before  # no second show, no new audio job
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0


def test_a_salvaged_show_id_the_account_does_not_have_is_not_trusted(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    path = project / "podsync.lock"
    path.write_text(GOOD)  # names show id "x", which is not in the account
    result = cli("lock", "rebuild", str(project))
    assert result.exit_code == 0, result.output
    assert "names show ids that the account does not have:\n  show tech-weekly (x)\n" in (
        result.stdout
    )
    assert read_lock(path).shows["tech-weekly"].show_id != "x"  # adopted by its title


def test_salvage_reads_only_unambiguous_show_ids_at_a_shows_depth() -> None:
    text = """{
  "audio": {
    "sha256:1": {
      "mic_id": "m1",
      "status": "queued"
    }
  },
  "shows": {
<<<<<<< HEAD
    "conflicted": {
      "show_id": "c1",
=======
    "conflicted": {
      "show_id": "c2",
>>>>>>> theirs
      "title": "C"
    },
    "kept": {
      "episodes": {
        "inner": {
          "episode_id": "e1",
          "show_id": "not-a-show-field"
        }
      },
<<<<<<< HEAD
      "show_id": "k1",
=======
      "show_id": "k1",
>>>>>>> theirs
      "title": "K"
    },
    "one": {
      "show_id": "twice"
    },
    "two": {
      "show_id": "twice"
    },
    "truncated": {
      "episodes": {
        "cut": {"""
    assert salvage_show_ids(text) == {"kept": "k1"}
    assert salvage_show_ids(text.replace("\n", "\r\n")) == {"kept": "k1"}
    assert salvage_show_ids("") == {}


def test_force_keeps_what_a_readable_lock_knew_and_a_pending_source_edit_stays_planned(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    path = project / "podsync.lock"
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    edit(project, lambda data: new_topic(episode(data, "ai-health"), "Other"))
    old = read_lock(path)

    result = cli("lock", "rebuild", str(project), "--force")
    assert result.exit_code == 0, result.output
    assert "Kept from the old lock: its audio cache (4 jobs)" in result.stdout
    assert read_lock(path) == old  # digests, applied values and the audio cache, all of it

    changes = plan_changes(cli, project)
    assert [c for c in changes if c[1] != "reuse"] == [
        ("audio", "generate", "ai-health"),
        ("episode", "replace", "ai-health"),
    ]


def test_force_keeps_a_running_job_and_the_next_apply_resumes_it(
    start_emulator: StartEmulator, project: Path
) -> None:
    with start_emulator("account") as fast:
        assert Cli(fast)("apply", str(project), "--auto-approve").exit_code == 0
    edit(project, lambda data: new_topic(episode(data, "ai-health"), "Other"))
    with start_emulator("account", job_seconds=3.0) as emulator:
        env = {
            "ZENMIC_API_URL": emulator.url,
            "ZENMIC_API_KEY": TEST_KEY,
            "PODSYNC_FAILPOINTS": "audio-recorded=1",  # killed once the job is in the lock
        }
        killed = run_podsync("apply", str(project), "--auto-approve", env=env, timeout=60)
        assert killed.returncode == -9, killed.stderr
        running = {a.mic_id for a in read_lock(project / "podsync.lock").audio.values()}
        paid = account(emulator)
        cli = Cli(emulator)

        result = cli("lock", "rebuild", str(project), "--force")
        assert result.exit_code == 0, result.output
        assert "cannot be recovered" not in result.stdout
        plan = json.loads(cli("plan", str(project), "--format", "json").stdout)
        waits = [c for c in plan["changes"] if c["type"] == "audio" and c["action"] != "reuse"]
        assert [(c["action"], c["episode"]) for c in waits] == [("resume", "ai-health")]
        assert waits[0]["mic_id"] in running

        resumed = cli("apply", str(project), "--auto-approve")
        assert resumed.exit_code == 0, resumed.output
        assert account(emulator) == paid  # the running job was waited for, not paid again
        assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0
