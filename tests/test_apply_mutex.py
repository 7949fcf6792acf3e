"""One apply at a time per project: a second one stops with a clear message, or waits for the first
with --lock-timeout, and a killed holder never blocks anyone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podsync.apply_mutex import hold_project, holder_path, read_holder
from podsync.errors import ProjectBusy
from tests.conftest import TEST_KEY, Cli, Emulator, StartEmulator
from tests.helpers import start_podsync

HOLD_AND_SLEEP = """
import sys, time
from pathlib import Path
from podsync.apply_mutex import hold_project
with hold_project(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def slow_emulator(start_emulator: StartEmulator) -> Iterator[Emulator]:
    with start_emulator("slow-state", job_seconds=2.0) as server:
        yield server


def podsync(project: Path, emulator: Emulator, *args: str) -> subprocess.Popen[str]:
    env = {"ZENMIC_API_URL": emulator.url, "ZENMIC_API_KEY": TEST_KEY}
    return start_podsync(
        *("apply", str(project), "--auto-approve", *args),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def stop_the_jobs(emulator: Emulator) -> Callable[[], None]:
    """Stop the emulator's clock: the audio jobs of the first apply stay queued, so it holds the
    project until the test has seen the others meet it, however slowly a loaded machine starts
    them (a 2 s job was a race). Returns what lets the jobs finish."""
    store = emulator.server.store
    running, stopped = store.clock, store.now()
    store.clock = lambda: stopped

    def release() -> None:
        store.clock = running

    return release


def wait_for_text(path: Path, text: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if text in path.read_text():
            return
        time.sleep(0.02)
    raise AssertionError(f"{text!r} not in {path.name} in time:\n{path.read_text()}")


def wait_for_holder(project: Path, pid: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        holder = read_holder(project)
        if holder is not None and holder.pid == pid:
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} did not take the project lock in time")


def test_a_second_apply_stops_at_once_and_a_patient_one_waits_then_has_nothing_to_do(
    slow_emulator: Emulator, project: Path, tmp_path: Path
) -> None:
    release = stop_the_jobs(slow_emulator)
    first = podsync(project, slow_emulator, "--poll-interval=0.05")
    patient_err = tmp_path / "patient.stderr"
    try:
        wait_for_holder(project, first.pid)
        impatient = podsync(project, slow_emulator)
        with patient_err.open("w") as err:
            patient = start_podsync(
                *("apply", str(project), "--auto-approve", "--lock-timeout=60"),
                "--poll-interval=0.05",
                env={"ZENMIC_API_URL": slow_emulator.url, "ZENMIC_API_KEY": TEST_KEY},
                stdout=subprocess.PIPE,
                stderr=err,
            )
        _, refused = impatient.communicate(timeout=30)
        wait_for_text(patient_err, "Waiting up to 60s")
        release()
        waited_out, _ = patient.communicate(timeout=60)
        waited_err = patient_err.read_text()
        first_out, first_err = first.communicate(timeout=60)
    finally:
        release()
        first.kill()

    assert first.returncode == 0, first_err
    assert "Apply finished: 9 done, 0 failed, 0 not started." in first_out

    assert impatient.returncode == 1
    assert (
        f"another podsync apply is running on {project.resolve()} (pid {first.pid} on " in refused
    )
    assert "re-run with --lock-timeout SECONDS to wait" in refused
    assert "Traceback" not in refused

    assert patient.returncode == 0, waited_err
    assert f"Waiting up to 60s for the lock held by pid {first.pid} on " in waited_err
    assert "No changes" in waited_out  # it planned after the first apply had finished

    counts = slow_emulator.stats()
    assert (counts["shows"], counts["episodes"], counts["audios"]) == (1, 4, 4)  # no duplicate
    assert Cli(slow_emulator)("plan", str(project), "--detailed-exitcode").exit_code == 0
    assert not holder_path(project).exists()  # released and cleaned up


def test_a_sigkilled_holder_does_not_block_the_next_apply(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_SLEEP, str(project)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert cli("apply", str(project), "--auto-approve").exit_code == 1  # really held
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    stale = read_holder(project)
    assert stale is not None and stale.pid == holder.pid  # its record outlived it

    result = cli("apply", str(project), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert emulator.stats()["episodes"] == 4
    assert not holder_path(project).exists()


def test_the_message_copes_with_a_missing_or_unreadable_holder_record(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    with hold_project(project):
        holder_path(project).write_text("{not json", encoding="utf-8")
        garbled = cli("apply", str(project), "--auto-approve")
        holder_path(project).unlink()
        missing = cli("apply", str(project), "--auto-approve")
    for result in (garbled, missing):
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: another podsync apply is running on {project.resolve()}; wait for it, or "
            "re-run with --lock-timeout SECONDS to wait\n"
        )
    assert emulator.stats()["requests"] == 0


def test_waiting_gives_up_after_the_timeout_with_the_same_message(project: Path) -> None:
    heard: list[str] = []
    with hold_project(project, command="lock rebuild") as me:
        started = time.monotonic()
        with pytest.raises(ProjectBusy) as busy, hold_project(project, 0.3, on_wait=heard.append):
            pass
        assert time.monotonic() - started >= 0.3
    assert heard == [f"Waiting up to 0.3s for the lock held by {me}..."]
    assert f"another podsync lock rebuild is running on {project.resolve()} ({me})" in str(
        busy.value
    )
    assert "(still, after waiting 0.3s)" in str(busy.value)
    assert me.pid == os.getpid()


def test_plan_only_reads_so_it_runs_while_an_apply_holds_the_project(
    cli: Cli, project: Path
) -> None:
    with hold_project(project):
        result = cli("plan", str(project))
    assert result.exit_code == 0, result.output


def test_deleting_the_state_folder_mid_apply_does_not_let_a_second_apply_start(
    slow_emulator: Emulator, project: Path
) -> None:
    release = stop_the_jobs(slow_emulator)
    first = podsync(project, slow_emulator, "--poll-interval=0.05")
    try:
        wait_for_holder(project, first.pid)
        shutil.rmtree(project / ".podsync")  # `git clean -fdx`, or resetting the local emulator
        second = podsync(project, slow_emulator)
        _, refused = second.communicate(timeout=30)
        release()
        first_out, first_err = first.communicate(timeout=60)
    finally:
        release()
        first.kill()

    assert second.returncode == 1, refused
    assert f"another podsync apply is running on {project.resolve()}" in refused
    assert "Traceback" not in refused
    assert first.returncode == 0, first_err
    counts = slow_emulator.stats()
    assert (counts["shows"], counts["episodes"], counts["audios"]) == (1, 4, 4)  # no duplicate
