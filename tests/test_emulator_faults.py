"""Fault injection in the emulator, over real HTTP: each fault at its share, with the right
status, headers and effect; dropped connections; determinism under a seed; flags and local mode."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from podsync.cli import main
from podsync.emulator import FAIL_MARKER, JOB_FAILURE_REASON, Faults
from podsync.emulator.faults import SHARES
from podsync.errors import PodsyncError
from tests.conftest import StartEmulator
from tests.helpers import start_podsync

KEY = "faults-test-key"
N = 200
LOW, HIGH = 0.15, 0.45  # where a 0.3 share must land over N requests


@contextmanager
def serving(
    start_emulator: StartEmulator, faults: Faults, job_seconds: float = 0.0
) -> Iterator[httpx.Client]:
    state = f"state-{faults.seed}-{time.monotonic_ns()}"
    with (
        start_emulator(state, job_seconds=job_seconds, api_key=KEY, faults=faults) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as api,
    ):
        yield api


def root(api: httpx.Client) -> str:
    return str(api.base_url).rstrip("/").removesuffix("/api/v2")


def stats(api: httpx.Client) -> dict[str, Any]:
    counts: dict[str, Any] = httpx.get(f"{root(api)}/_emulator/stats").json()
    return counts


def create_shows(api: httpx.Client, count: int = N) -> Counter[int | str]:
    """POST /podcasts ``count`` times; tally statuses, and dropped connections as "dropped"."""
    outcomes: Counter[int | str] = Counter()
    for i in range(count):
        try:
            outcomes[api.post("/podcasts", json={"title": f"Show {i}"}).status_code] += 1
        except httpx.RemoteProtocolError:
            outcomes["dropped"] += 1
    return outcomes


def within_share(count: int, total: int = N) -> bool:
    return LOW * total <= count <= HIGH * total


def test_throttle_and_unavailable_answer_with_retry_after_before_any_effect(
    start_emulator: StartEmulator,
) -> None:
    with serving(
        start_emulator, Faults(throttle=0.3, unavailable=0.3, retry_after=1, seed=1)
    ) as api:
        statuses: list[httpx.Response] = [
            api.post("/podcasts", json={"title": f"Show {i}"}) for i in range(N)
        ]
        tally = Counter(r.status_code for r in statuses)
        assert within_share(tally[429]) and within_share(tally[503]), tally
        for response in statuses:
            if response.status_code in (429, 503):
                assert response.headers["Retry-After"] == "1"
                assert response.json()["success"] is False
                assert "emulated fault" in response.json()["error"]
        counts = stats(api)
        assert counts["shows"] == tally[201], "a refused request must not have created a show"
        assert counts["faults"]["throttle"] == tally[429]
        assert counts["faults"]["unavailable"] == tally[503]


def test_ambiguous_500_comes_after_the_show_was_created(start_emulator: StartEmulator) -> None:
    with serving(start_emulator, Faults(ambiguous=0.3, seed=2)) as api:
        responses = [api.post("/podcasts", json={"title": f"Show {i}"}) for i in range(N)]
        failed = [r for r in responses if r.status_code == 500]
        assert within_share(len(failed)), len(failed)
        assert {r.status_code for r in responses} == {201, 500}
        assert failed[0].json() == {"success": False, "error": "internal error (emulated fault)"}
        listing = api.get("/podcasts")
        assert listing.status_code == 200, "reads are never ambiguous"
        assert {show["title"] for show in listing.json()["data"]} == {f"Show {i}" for i in range(N)}
        assert stats(api)["faults"]["ambiguous"] == len(failed)


def test_drop_before_the_effect_cuts_the_connection_and_creates_nothing(
    start_emulator: StartEmulator,
) -> None:
    with serving(start_emulator, Faults(drop=0.3, seed=3)) as api:
        outcomes = create_shows(api)
        assert within_share(outcomes["dropped"]), outcomes
        assert stats(api)["shows"] == outcomes[201]
        assert stats(api)["faults"]["drop"] == outcomes["dropped"]


def test_drop_after_the_effect_cuts_the_answer_of_a_request_that_was_applied(
    start_emulator: StartEmulator,
) -> None:
    with serving(start_emulator, Faults(drop_after=0.3, seed=4)) as api:
        outcomes = create_shows(api)
        assert within_share(outcomes["dropped"]), outcomes
        assert stats(api)["shows"] == N
        assert stats(api)["faults"]["drop_after"] == outcomes["dropped"]


def test_a_dropped_response_is_a_protocol_error_not_a_response(
    start_emulator: StartEmulator,
) -> None:
    with serving(start_emulator, Faults(drop=1.0)) as api:
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            api.get("/podcasts")
        with pytest.raises(httpx.RemoteProtocolError):
            api.post("/podcasts", json={"title": "Lost"})
        assert stats(api)["shows"] == 0


def test_faults_spare_unauthenticated_requests_and_paths_outside_the_api(
    start_emulator: StartEmulator,
) -> None:
    with serving(start_emulator, Faults(throttle=1.0)) as api:
        assert api.get("/podcasts").status_code == 429
        assert httpx.get(f"{api.base_url}podcasts").status_code == 401
        assert httpx.get(f"{root(api)}/cdn/podcast/nope/feed.xml").status_code == 404
        assert httpx.get(f"{root(api)}/audio/nope").status_code == 404
        assert httpx.post(f"{root(api)}/_emulator/reset").status_code == 200
        assert stats(api)["faults"] == dict.fromkeys(SHARES, 0), "reset zeroes the counters"


def test_latency_is_added_to_every_api_request(start_emulator: StartEmulator) -> None:
    with serving(start_emulator, Faults(latency=0.05, latency_jitter=0.02)) as api:
        for _ in range(4):
            started = time.monotonic()
            assert api.get("/podcasts").status_code == 200
            assert time.monotonic() - started >= 0.05


def test_job_failure_ends_a_share_of_audio_jobs_failed_with_a_reason(
    start_emulator: StartEmulator,
) -> None:
    with serving(start_emulator, Faults(job_failure=0.3, seed=5)) as api:
        count = 100
        ids = [
            api.post("/audios", json={"topic": f"Topic {i}"}).json()["data"]["id"]
            for i in range(count)
        ]
        jobs = [api.get(f"/audios/{mic_id}").json()["data"] for mic_id in ids]
        failed = [job for job in jobs if job["status"] == "failed"]
        assert within_share(len(failed), count), len(failed)
        assert {job["error"] for job in failed} == {JOB_FAILURE_REASON}
        assert {job["status"] for job in jobs} == {"succeeded", "failed"}
        assert stats(api)["faults"]["job_failure"] == len(failed)
        marked = api.post("/audios", json={"topic": f"Broken {FAIL_MARKER}"}).json()["data"]
        job = api.get(f"/audios/{marked['id']}").json()["data"]
        assert job["status"] == "failed" and "failure marker" in job["error"]


def mixed_sequence(api: httpx.Client) -> list[int | str]:
    outcomes: list[int | str] = []
    requests = [
        api.build_request("GET", "/podcasts"),
        api.build_request("POST", "/podcasts", json={"title": "Show"}),
        api.build_request("GET", "/audios/missing1"),
    ]
    for i in range(60):
        try:
            outcomes.append(api.send(requests[i % 3]).status_code)
        except httpx.RemoteProtocolError:
            outcomes.append("dropped")
    return outcomes


def test_the_same_seed_gives_the_same_faults_and_another_seed_others(
    start_emulator: StartEmulator,
) -> None:
    chaos: dict[str, Any] = {"throttle": 0.2, "unavailable": 0.1, "ambiguous": 0.2, "drop": 0.1}
    with serving(start_emulator, Faults(**chaos, seed=7)) as api:
        first = mixed_sequence(api)
        httpx.post(f"{root(api)}/_emulator/reset")
        again = mixed_sequence(api)
    with serving(start_emulator, Faults(**chaos, seed=8)) as api:
        other = mixed_sequence(api)
    assert first == again
    assert first != other
    assert len(set(first)) >= 4, "the sequence should meet several kinds of fault"


def test_a_request_meets_the_same_fault_however_concurrent_requests_interleave(
    start_emulator: StartEmulator,
) -> None:
    paths = [f"/podcasts/show-{i}" for i in range(40)]

    def fates(api: httpx.Client) -> dict[str, int]:
        with ThreadPoolExecutor(8) as pool:
            return dict(zip(paths, pool.map(lambda p: api.get(p).status_code, paths), strict=True))

    with serving(start_emulator, Faults(throttle=0.3, unavailable=0.3, seed=9)) as api:
        first = fates(api)
        httpx.post(f"{root(api)}/_emulator/reset")
        paths.reverse()
        second = fates(api)
    assert first == second
    assert set(first.values()) == {404, 429, 503}


def test_decisions_are_a_pure_function_of_seed_request_and_occurrence() -> None:
    faults = Faults(throttle=0.5, seed=11)
    first = [faults.decide("GET", "/api/v2/podcasts", n).before for n in range(1, 50)]
    assert first == [faults.decide("GET", "/api/v2/podcasts", n).before for n in range(1, 50)]
    assert set(first) == {"throttle", None}
    reseeded = Faults(throttle=0.5, seed=12)
    assert first != [reseeded.decide("GET", "/api/v2/podcasts", n).before for n in range(1, 50)]
    assert Faults(drop=1.0).decide("HEAD", "/api/v2/podcasts", 1).before is None
    ambiguous = Faults(ambiguous=1.0)
    assert ambiguous.decide("GET", "/api/v2/podcasts", 1).after is None
    assert ambiguous.decide("DELETE", "/api/v2/podcasts/x", 1).after == "ambiguous"


def test_parse_reads_a_spec_and_describe_summarises_it() -> None:
    faults = Faults.parse(
        "throttle=0.1, unavailable=0.1,ambiguous=0.05,drop=0.02,drop-after=0.01,"
        "latency=0.01,latency_jitter=0.02,job_failure=0.1,retry_after=0,seed=7"
    )
    assert faults == Faults(
        throttle=0.1,
        unavailable=0.1,
        ambiguous=0.05,
        drop=0.02,
        drop_after=0.01,
        latency=0.01,
        latency_jitter=0.02,
        job_failure=0.1,
        retry_after=0,
        seed=7,
    )
    assert Faults.parse("") == Faults() and not Faults().active
    assert Faults().describe() == "no faults"
    summary = faults.describe()
    assert "throttle 10%" in summary and "drop 2%" in summary and summary.endswith("seed 7")
    assert "\n" not in summary


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bogus=1", r"bad fault 'bogus=1': unknown name 'bogus' \(names: throttle, unavailable"),
        ("throttle", r"bad fault 'throttle': write NAME=VALUE"),
        ("throttle=lots", r"throttle must be a number"),
        ("throttle=1.5", r"throttle must be a share between 0 and 1"),
        ("seed=1.5", r"seed must be a whole number"),
        ("latency=-1", r"latency must be a number of seconds >= 0"),
        ("latency=inf", r"latency must be a finite number"),
        ("retry_after=-1", r"retry_after must not be negative"),
        ("throttle=0.1,throttle=0.2", r"throttle is given twice"),
        ("throttle=0.6,drop=0.6", r"must add up to at most 1, not 1.2"),
    ],
)
def test_parse_errors_name_the_bad_item(spec: str, message: str) -> None:
    with pytest.raises(PodsyncError, match=message):
        Faults.parse(spec)


def test_emulator_help_lists_the_fault_flags() -> None:
    result = CliRunner().invoke(main, ["emulator", "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    for flag in (
        "--fault-throttle",
        "--fault-unavailable",
        "--fault-ambiguous",
        "--fault-drop",
        "--fault-drop-after",
        "--fault-latency",
        "--fault-job-failure",
        "--fault-seed",
    ):
        assert flag in result.output


def test_emulator_refuses_faults_that_cannot_add_up() -> None:
    argv = ["emulator", "--port", "0", "--fault-throttle", "0.7", "--fault-unavailable", "0.7"]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 1
    assert "at most 1, not 1.4" in result.output
    assert "ZenMic emulator on" not in result.output


def test_emulator_command_prints_and_injects_its_faults(tmp_path: Path) -> None:
    argv = ["emulator", "--port", "0", "--state-dir", str(tmp_path), "--fault-throttle", "1"]
    process = start_podsync(*argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        url = re.search(r"on (http://\S+)", lines[0])
        assert url is not None, lines
        assert "Injecting faults: throttle 100% 429 (Retry-After 1s); seed 0" in lines[2], lines
        answer = httpx.get(f"{url.group(1)}/podcasts", headers={"Authorization": "Bearer k"})
        assert (answer.status_code, answer.headers["Retry-After"]) == (429, "1")
    finally:
        process.terminate()
        process.communicate(timeout=10)


def local_env(faults: str) -> dict[str, str]:
    return {
        "ZENMIC_API_URL": "local",
        "ZENMIC_API_KEY": "",
        "ZENMIC_EMULATOR_JOB_SECONDS": "0",
        "ZENMIC_EMULATOR_FAULTS": faults,
        "NO_COLOR": "1",
    }


def test_local_mode_rejects_a_bad_fault_spec(project: Path) -> None:
    env = local_env("throttle=often")
    result = CliRunner().invoke(main, ["plan", str(project)], env=env, catch_exceptions=False)
    assert result.exit_code == 1
    assert "ZENMIC_EMULATOR_FAULTS: bad fault 'throttle=often'" in result.output
    assert not (project / ".podsync" / "emulator").exists(), "no emulator started"


def test_local_mode_injects_the_faults_from_the_environment(project: Path) -> None:
    env = local_env("unavailable=1,retry_after=0")
    result = CliRunner().invoke(main, ["plan", str(project)], env=env, catch_exceptions=False)
    assert result.exit_code == 1
    assert "503" in result.output or "service unavailable" in result.output, result.output
    assert "Traceback" not in result.output
    assert os.environ.get("ZENMIC_EMULATOR_FAULTS") is None, "the test env did not leak"
