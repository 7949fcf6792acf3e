"""An API failure names the request that failed and the show or episode it was for."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from podsync.cli import main
from podsync.emulator.faults import Faults
from podsync.lock import read_lock
from podsync.manifest import load_project
from podsync.operations import Inputs, request_targets
from tests.conftest import TEST_KEY, Cli, StartEmulator


def run(url: str, key: str, *args: str) -> tuple[int, str]:
    env = {"ZENMIC_API_URL": url, "ZENMIC_API_KEY": key, "NO_COLOR": "1"}
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_an_api_that_stays_down_is_named_with_the_request(
    project: Path, start_emulator: StartEmulator
) -> None:
    down = Faults(unavailable=1.0, retry_after=0)
    with start_emulator("state", faults=down) as server:
        code, output = run(server.url, TEST_KEY, "plan", str(project))
    assert code == 1
    assert output.strip() == (
        "Error: GET /api/v2/podcasts -> 503: service unavailable (emulated fault) "
        "(gave up after 9 attempts)"
    )


def test_a_refused_key_is_named_with_the_request(
    project: Path, start_emulator: StartEmulator
) -> None:
    with start_emulator("state", api_key="the-right-key") as server:
        code, output = run(server.url, "a-wrong-key", "apply", str(project), "--auto-approve")
    assert code == 1
    assert output.strip() == "Error: GET /api/v2/podcasts -> 401: invalid API key"
    assert "a-wrong-key" not in output


def test_reads_name_the_manifest_key_of_the_show_and_episode(cli: Cli, project: Path) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    lock = read_lock(project / "podsync.lock")
    targets = request_targets(Inputs(load_project(project), lock, project / "podsync.lock"))
    show_id = lock.shows["tech-weekly"].show_id
    assert targets.show(show_id) == f"show tech-weekly ({show_id})"
    assert targets.show("someone-elses") == "show someone-elses"
    digest, audio = next(iter(lock.audio.items()))
    episode = next(k for k, e in lock.shows["tech-weekly"].episodes.items() if e.digest == digest)
    assert targets.audio(audio.mic_id) == f"audio for tech-weekly/{episode} ({audio.mic_id})"
