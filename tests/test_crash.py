"""A killed apply resumes the audio jobs it submitted instead of paying for them twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from podsync.emulator import EmulatorServer
from podsync.lock import read_lock
from tests.conftest import TEST_KEY, Cli, Emulator


@pytest.fixture
def slow_emulator(tmp_path: Path) -> Iterator[Emulator]:
    with EmulatorServer(tmp_path / "slow-state", job_seconds=3.0) as server:
        yield Emulator(server)


def wait_for_submitted_jobs(lock_path: Path, count: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        if lock_path.exists() and len(read_lock(lock_path).audio) == count:
            return
        time.sleep(0.02)
    raise AssertionError(f"apply did not record {count} audio jobs in time")


def test_lock_records_jobs_before_waiting_and_a_rerun_resumes_them(
    slow_emulator: Emulator, project: Path
) -> None:
    env = {**os.environ, "ZENMIC_API_URL": slow_emulator.url, "ZENMIC_API_KEY": TEST_KEY}
    apply = subprocess.Popen(
        [sys.executable, "-m", "podsync", "apply", str(project), "--auto-approve"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_submitted_jobs(project / "podsync.lock", 4, time.monotonic() + 30)
    finally:
        apply.send_signal(signal.SIGKILL)
        apply.wait()

    lock = read_lock(project / "podsync.lock")
    assert {a.status for a in lock.audio.values()} <= {"queued", "running"}
    assert slow_emulator.stats()["audios"] == 4
    assert slow_emulator.stats()["episodes"] == 0

    cli = Cli(slow_emulator)
    plan = json.loads(cli("plan", str(project), "--format", "json").stdout)
    audio = [c for c in plan["changes"] if c["type"] == "audio"]
    assert [c["action"] for c in audio] == ["resume"] * 4
    assert {c["mic_id"] for c in audio} == {a.mic_id for a in lock.audio.values()}

    result = cli("apply", str(project), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert slow_emulator.stats()["audios"] == 4  # nothing paid twice
    assert slow_emulator.stats()["episodes"] == 4
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0
