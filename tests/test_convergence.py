"""apply converges through faults: throttling, outages, lost answers, dropped connections and
failed jobs, injected by the emulator under a fixed seed, with nothing created or paid twice
except what the API makes unknowable, and that reported."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import yaml

from podsync.emulator.faults import JOB_FAILURE_REASON, Faults
from podsync.lock import read_lock
from podsync.retry import RetryPolicy
from tests.conftest import Cli, Emulator, StartEmulator

SHOWS, EPISODES = 3, 6
FAILED_LINE = re.compile(r"^  (failed|not started)\s+(show|episode|audio for) (\S+): (.+)$")
REQUEST = re.compile(r"^(GET|POST|PATCH|DELETE) /api/v2/\S+( -> \d{3})? \(for \S+\): .+")


def many_shows(root: Path) -> Path:
    """SHOWS shows of EPISODES topic episodes each: enough requests for shares to matter."""
    (root / "shows").mkdir(parents=True)
    for s in range(SHOWS):
        episodes = [
            {"key": f"e{e}", "title": f"Show {s} episode {e}", "source": {"topic": f"T{s}.{e}"}}
            for e in range(EPISODES)
        ]
        manifest = {"show": f"show-{s}", "title": f"Show {s}", "episodes": episodes}
        (root / "shows" / f"show-{s}.yaml").write_text(yaml.safe_dump(manifest))
    return root


@pytest.fixture
def faulty(request: pytest.FixtureRequest, start_emulator: StartEmulator) -> Iterator[Emulator]:
    faults: Faults = request.param
    with start_emulator("state", faults=faults) as server:
        yield server


def assert_account_matches(emulator: Emulator, project: Path) -> None:
    """One live show per manifest, one live episode per manifest entry, all in the lock."""
    lock = read_lock(project / "podsync.lock")
    with emulator.api() as api:
        shows = read_through_faults(api, "/podcasts")
        assert sorted(s["title"] for s in shows) == [f"Show {s}" for s in range(SHOWS)]
        for show in shows:
            episodes = read_through_faults(api, f"/podcasts/{show['show_id']}/episodes")
            titles = sorted(e["title"] for e in episodes)
            number = show["title"].split()[-1]
            assert titles == [f"Show {number} episode {e}" for e in range(EPISODES)]
            key = f"show-{number}"
            managed = {e.episode_id for e in lock.shows[key].episodes.values()}
            assert managed == {str(e["id"]) for e in episodes}


def read_through_faults(api: httpx.Client, path: str) -> list[dict[str, Any]]:
    """The test's own reads meet the injected faults too; ask until a clean answer comes."""
    for _ in range(100):
        try:
            response = api.get(path)
        except httpx.TransportError:
            continue
        if response.status_code == 200:
            data: list[dict[str, Any]] = response.json()["data"]
            return data
    raise AssertionError(f"GET {path} never answered cleanly")


def failure_lines(output: str) -> list[tuple[str, str, str, str]]:
    matches = [m for line in output.splitlines() if (m := FAILED_LINE.match(line))]
    return [cast(tuple[str, str, str, str], m.groups()) for m in matches]


TRANSIENT = Faults(throttle=0.1, unavailable=0.1, retry_after=0, latency=0.002, seed=20)


@pytest.mark.parametrize("faulty", [TRANSIENT], indirect=True)
def test_one_apply_converges_through_twenty_percent_transient_faults(
    faulty: Emulator, tmp_path: Path
) -> None:
    project = many_shows(tmp_path / "project")
    cli = Cli(faulty)
    result = cli("apply", str(project), "--auto-approve")
    assert result.exit_code == 0, result.output
    stats = faulty.stats()
    assert stats["faults"]["throttle"] + stats["faults"]["unavailable"] >= 5
    assert stats["audios"] == SHOWS * EPISODES  # not one job paid twice
    assert stats["shows"] == SHOWS and stats["episodes"] == SHOWS * EPISODES
    assert_account_matches(faulty, project)
    replan = cli("plan", str(project), "--detailed-exitcode")
    assert replan.exit_code == 0, replan.output


LOST_ANSWERS = Faults(ambiguous=0.25, drop=0.05, drop_after=0.05, retry_after=0, seed=3)


@pytest.mark.parametrize("faulty", [LOST_ANSWERS], indirect=True)
def test_lost_answers_never_create_a_show_or_episode_twice(
    faulty: Emulator, tmp_path: Path
) -> None:
    project = many_shows(tmp_path / "project")
    cli = Cli(faulty)
    unknown_jobs = 0
    for _ in range(6):
        unconfirmed = len(read_lock(project / "podsync.lock").unconfirmed) if unknown_jobs else 0
        result = cli("apply", str(project), "--auto-approve")
        # a job that may have been billed is named in the plan before it is paid again
        assert result.output.count("pays for the audio a second time") == unconfirmed
        failures = failure_lines(result.output)
        assert (result.exit_code == 0) == (not failures), result.output
        for _state, _kind, _target, reason in failures:
            assert REQUEST.match(reason) or reason.startswith("waits on"), reason
            if reason.startswith("POST /api/v2/audios") and "outcome unknown" in reason:
                assert "may have been created (and billed)" in reason
                unknown_jobs += 1
        if result.exit_code == 0:
            break
    else:
        pytest.fail("apply did not converge in 6 runs")
    stats = faulty.stats()
    assert stats["faults"]["ambiguous"] > 0 and stats["faults"]["drop_after"] > 0
    assert stats["shows"] == SHOWS and stats["episodes"] == SHOWS * EPISODES
    assert_account_matches(faulty, project)
    # Every job paid beyond one per source was reported as possibly billed when it happened (a
    # connection dropped before the server acted is reported the same way but costs nothing).
    assert SHOWS * EPISODES <= stats["audios"] <= SHOWS * EPISODES + unknown_jobs
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0


FAILING_JOBS = Faults(job_failure=0.3, seed=11)


@pytest.mark.parametrize("faulty", [FAILING_JOBS], indirect=True)
def test_failed_jobs_end_in_a_table_and_a_rerun_picks_up_from_there(
    faulty: Emulator, tmp_path: Path
) -> None:
    project = many_shows(tmp_path / "project")
    cli = Cli(faulty)
    first = cli("apply", str(project), "--auto-approve")
    assert first.exit_code == 1
    finished = r"Apply finished: (\d+) done, (\d+) failed, (\d+) not started"
    summary = re.search(finished, first.output)
    assert summary is not None, first.output
    failures = failure_lines(first.output)
    failed = [f for f in failures if f[0] == "failed"]
    assert len(failed) == int(summary.group(2)) > 0
    assert len(failures) - len(failed) == int(summary.group(3))
    for _state, _kind, target, reason in failed:
        assert re.match(r"^show-\d/e\d$", target)
        assert re.match(rf"^audio job \w+ failed: {re.escape(JOB_FAILURE_REASON)}$", reason)
    assert "run `podsync apply` again: it picks up from here" in first.output
    published = faulty.stats()["episodes"]
    assert 0 < published < SHOWS * EPISODES

    for _ in range(8):
        again = cli("apply", str(project), "--auto-approve")
        if again.exit_code == 0:
            break
    assert again.exit_code == 0, again.output
    assert_account_matches(faulty, project)
    lock = read_lock(project / "podsync.lock")
    jobs = faulty.stats()["audios"]
    assert jobs - faulty.stats()["faults"]["job_failure"] == SHOWS * EPISODES
    assert all(a.status == "succeeded" for a in lock.audio.values())


def test_a_lost_create_answer_never_takes_over_a_show_another_manifest_names(
    tmp_path: Path, start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two manifests with one title, one pinned to an existing show by show_id: when the
    other's create is cut off, the show found by title must not be the pinned one."""
    _short_backoff(monkeypatch)

    def fate(seed: int, method: str, path: str, n: int) -> str | None:
        return Faults(drop=0.5, seed=seed).decide(method, f"/api/v2/{path}", n).before

    def fits(seed: int) -> bool:
        """The hand-made show passes, manifest a's create is dropped and its retry passes;
        listings and audio submissions pass (a dropped one only costs the test time)."""
        creates = [fate(seed, "POST", "podcasts", n) for n in (1, 2, 3)]
        listings = [fate(seed, "GET", "podcasts", n) for n in range(1, 6)]
        audio = [fate(seed, "POST", "audios", n) for n in (1, 2, 3)]
        return creates == [None, "drop", None] and not any(listings + audio)

    seed = next(s for s in range(100_000) if fits(s))
    faults = Faults(drop=0.5, seed=seed, retry_after=0)
    with start_emulator("state", faults=faults) as emulator:
        with emulator.api() as api:
            pinned = api.post("/podcasts", json={"title": "Same", "description": "b"})
        project = tmp_path / "project"
        (project / "shows").mkdir(parents=True)
        for key, extra in (("a", {}), ("b", {"show_id": pinned.json()["data"]["show_id"]})):
            episodes = [{"key": f"{key}1", "title": f"{key} one", "source": {"topic": key}}]
            manifest = {"show": key, "title": "Same", **extra, "episodes": episodes}
            (project / "shows" / f"{key}.yaml").write_text(yaml.safe_dump(manifest))
        cli = Cli(emulator)
        for _ in range(5):
            if cli("apply", str(project), "--auto-approve").exit_code == 0:
                break
        assert faulty_count(emulator, "drop") >= 1
        lock = read_lock(project / "podsync.lock")
        assert lock.shows["a"].show_id != lock.shows["b"].show_id
        assert emulator.stats()["shows"] == 2
        assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0


def _short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry as often as ever, with waits of at most 50 ms: with half of all requests dropped,
    the client's random backoff (up to 30 s a wait) made one test take 6 s or 40 s by luck;
    what it proves is which show is adopted, not how long the waits are."""
    delay = RetryPolicy.delay

    def short(
        policy: RetryPolicy, retry: int, retry_after: float | None, *, reached: bool = True
    ) -> float | None:
        wait = delay(policy, retry, retry_after, reached=reached)
        return None if wait is None else min(wait, 0.05)

    monkeypatch.setattr(RetryPolicy, "delay", short)


def faulty_count(emulator: Emulator, kind: str) -> int:
    return int(emulator.stats()["faults"][kind])
