"""Servers that are legally slow, throttle polls with extreme Retry-After values, or hang
(issue 9, points 4-6), over real HTTP: the emulator with timing quirks, and a socket that
accepts and never answers. Limits are set small (PODSYNC_TIMEOUT, PollPolicy) so each test
takes a second or two."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import cast

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result

from podsync.cli import main
from podsync.client import AudioStatus, ZenMicClient
from podsync.emulator.quirks import Quirks
from podsync.executor import Outcome, PollPolicy
from podsync.lock import read_lock
from podsync.operations import execute, load_inputs, read_and_plan
from podsync.timeouts import Timeouts
from tests.conftest import TEST_KEY, Emulator, StartEmulator
from tests.helpers import run_podsync

TITLE = "Slow Show"


def one_show(root: Path, episodes: int = 2) -> Path:
    """A project of one show with `episodes` topic episodes."""
    (root / "shows").mkdir(parents=True)
    manifest = {
        "show": "slow",
        "title": TITLE,
        "episodes": [
            {"key": f"e{n}", "title": f"Part {n}", "source": {"topic": f"Topic {n}"}}
            for n in range(episodes)
        ],
    }
    (root / "shows" / "slow.yaml").write_text(yaml.safe_dump(manifest))
    return root


def run_cli(emulator: Emulator, timeouts: str, *args: str) -> Result:
    env = {
        "ZENMIC_API_URL": emulator.url,
        "ZENMIC_API_KEY": TEST_KEY,
        "NO_COLOR": "1",
        "PODSYNC_TIMEOUT": timeouts,
    }
    argv = list(args)
    if argv[0] == "apply":
        argv.insert(1, "--poll-interval=0.05")
    return CliRunner().invoke(main, argv, env=env, catch_exceptions=False)


@pytest.fixture
def slow(request: pytest.FixtureRequest, start_emulator: StartEmulator) -> Iterator[Emulator]:
    quirks: Quirks = request.param
    with start_emulator("state", quirks=quirks) as server:
        yield server


# --- point 4: a create whose answer is slow is not sent twice ----------------------------------


def test_the_slow_create_quirk_lands_after_the_client_gave_up(
    start_emulator: StartEmulator,
) -> None:
    """The scenario the next tests rely on: the answer is late and the effect later still
    than a short read timeout, so a look at once finds nothing."""
    quirks = Quirks(slow_create=0.6, slow_create_effect=0.3)
    with (
        start_emulator("state", quirks=quirks) as server,
        server.api() as api,
    ):
        with pytest.raises(httpx.ReadTimeout):
            api.post("/podcasts", json={"title": TITLE}, timeout=0.1)
        assert api.get("/podcasts").json()["data"] == []
        time.sleep(0.4)
        assert [s["title"] for s in api.get("/podcasts").json()["data"]] == [TITLE]


@pytest.mark.parametrize("slow", [Quirks(slow_create=0.4)], indirect=True)
def test_a_create_slower_than_a_read_is_waited_for_once(slow: Emulator, tmp_path: Path) -> None:
    """A POST keeps its connection for the first answer longer than a GET would."""
    project = one_show(tmp_path / "project")
    applied = run_cli(
        slow, "read=0.2,create=3,deadline=3,settle=0.1", "apply", str(project), "--auto-approve"
    )
    assert applied.exit_code == 0, applied.output
    assert "no answer in time" not in applied.output
    assert slow.account() == {"shows": 1, "episodes": 2, "audios": 2}


@pytest.mark.parametrize("slow", [Quirks(slow_create=0.6, slow_create_effect=0.3)], indirect=True)
def test_a_create_with_no_answer_is_looked_for_after_a_settle_delay_not_sent_again(
    slow: Emulator, tmp_path: Path
) -> None:
    project = one_show(tmp_path / "project")
    applied = run_cli(
        slow, "read=2,create=0.15,deadline=3,settle=0.4", "apply", str(project), "--auto-approve"
    )
    assert applied.exit_code == 0, applied.output
    assert slow.account() == {"shows": 1, "episodes": 2, "audios": 2}
    assert applied.output.count("no answer in time; looking for it in the account in 0.4s") == 3
    assert applied.output.count("was created although its request got no answer") == 3
    assert "reported a failure" not in applied.output  # it reported nothing
    assert "a duplicate may exist" not in applied.output
    replan = run_cli(slow, "", "plan", str(project), "--detailed-exitcode")
    assert replan.exit_code == 0, replan.output
    assert "possible duplicate" not in replan.output


@pytest.mark.parametrize("slow", [Quirks(slow_create=1.2, slow_create_effect=0.75)], indirect=True)
def test_a_create_still_missing_after_the_settle_delay_is_resent_and_reported(
    slow: Emulator, tmp_path: Path
) -> None:
    """The settle delay is shorter than the server's: the first look (at 0.5 s) misses the show
    that lands at 0.75 s, the re-send says a duplicate may exist, the second look (at 1 s)
    finds the first show, and the next plan names the second copy with its id."""
    project = one_show(tmp_path / "project", episodes=0)
    applied = run_cli(
        slow, "read=2,create=0.2,deadline=3,settle=0.3", "apply", str(project), "--auto-approve"
    )
    assert applied.exit_code == 0, applied.output
    assert applied.output.count("a duplicate may exist, and the next plan names it") == 1
    assert applied.output.endswith(
        "Apply finished: 1 done, 0 failed, 0 not started.\n  warning      show 'Slow Show' was "
        "sent again after a request that got no answer: if that request took effect late, a "
        "duplicate exists; the next plan names it\n"
    )
    with slow.api() as api:
        for _ in range(50):  # until the re-sent request has landed too
            shows = api.get("/podcasts").json()["data"]
            if len(shows) == 2:
                break
            time.sleep(0.05)
    assert [s["title"] for s in shows] == [TITLE, TITLE]
    managed = read_lock(project / "podsync.lock").shows["slow"].show_id
    [extra] = [s["show_id"] for s in shows if s["show_id"] != managed]
    replan = run_cli(slow, "", "plan", str(project))
    assert replan.exit_code == 0, replan.output
    assert f"id {extra}, not managed by podsync" in " ".join(replan.output.split())


def test_a_duplicate_made_anyway_is_a_warning_with_its_id_in_the_next_plan(
    emulator: Emulator, tmp_path: Path
) -> None:
    project = one_show(tmp_path / "project")
    assert run_cli(emulator, "", "apply", str(project), "--auto-approve").exit_code == 0
    lock = read_lock(project / "podsync.lock").shows["slow"]
    first = lock.episodes["e0"]
    with emulator.api() as api:
        show = api.post("/podcasts", json={"title": TITLE, "description": ""}).json()["data"]
        body = {"mic_id": first.mic_id, "title": "Part 0", "description": ""}
        episode = api.post(f"/podcasts/{lock.show_id}/episodes", json=body).json()["data"]
    text = run_cli(emulator, "", "plan", str(project))
    assert text.exit_code == 0, text.output
    assert (
        f"possible duplicate of show 'slow': live show '{TITLE}', id {show['show_id']}, not "
        "managed by podsync" in " ".join(text.output.split())
    )
    assert (
        f"possible duplicate in show 'slow': live episode 'Part 0', id {episode['id']}, not "
        "managed by podsync" in " ".join(text.output.split())
    )
    as_json = run_cli(emulator, "", "plan", str(project), "--format", "json")
    warnings = json.loads(as_json.output)["warnings"]
    assert sorted(w["code"] for w in warnings) == ["duplicate_episode", "duplicate_show"]
    assert any(w["params"].get("episode_id") == str(episode["id"]) for w in warnings)


def test_a_live_episode_with_the_audio_the_plan_publishes_is_a_warning_with_its_id(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A lost lock record (here: `lock rebuild` after the title was edited in the manifest)
    makes the plan publish cached audio that a live episode it no longer manages already has:
    the feed would carry it twice, and the plan must say so."""
    project = one_show(tmp_path / "project")
    assert run_cli(emulator, "", "apply", str(project), "--auto-approve").exit_code == 0
    live = read_lock(project / "podsync.lock").shows["slow"].episodes["e0"]
    manifest = project / "shows" / "slow.yaml"
    manifest.write_text(manifest.read_text().replace("Part 0", "Part Zero"))
    assert run_cli(emulator, "", "lock", "rebuild", str(project), "--force").exit_code == 0
    plan = run_cli(emulator, "", "plan", str(project), "--format", "json")
    assert plan.exit_code == 0, plan.output
    warnings = [w for w in json.loads(plan.output)["warnings"] if w["code"] == "duplicate_audio"]
    assert warnings == [
        {
            "code": "duplicate_audio",
            "show": "slow",
            "episode": "e0",
            "params": {"title": "Part 0", "episode_id": live.episode_id, "mic_id": live.mic_id},
            "acknowledged": False,
        }
    ]
    text = run_cli(emulator, "", "plan", str(project))
    assert (
        f"possible duplicate in show 'slow': live episode 'Part 0', id {live.episode_id}, not "
        f"managed by podsync, has the audio ({live.mic_id}) this plan publishes for 'slow/e0', "
        "so apply would put it on the feed twice; if it is that episode, give 'e0' its live "
        "title to adopt it, or remove it"
    ) in " ".join(text.output.split())
    manifest.write_text(manifest.read_text().replace("Part Zero", "Part 0"))
    adopted = run_cli(emulator, "", "plan", str(project))
    assert "adopt episode e0" in adopted.output and "possible duplicate" not in adopted.output


# --- point 5: polling bounded both ways, by wall time, and never silent -----------------------


class Polls(ZenMicClient):
    """Counts polls and notes when each was sent, relative to the last submission."""

    polls: list[float]
    submitted_at: float

    async def submit_audio(self, *args: object, **kwargs: object) -> AudioStatus:
        status = await super().submit_audio(*args, **kwargs)  # type: ignore[arg-type]
        self.submitted_at = time.monotonic()
        return status

    async def get_audio(self, mic_id: str) -> AudioStatus:
        self.polls.append(time.monotonic() - self.submitted_at)
        return await super().get_audio(mic_id)


def apply_polling(
    url: str, project: Path, poll: PollPolicy, lines: list[str], limit: float = 10.0
) -> tuple[Outcome, list[float], float]:
    """Apply with `poll`; returns the outcome, when each poll was sent, and the wall time."""

    async def scenario() -> tuple[Outcome, list[float]]:
        async with Polls(url, TEST_KEY, timeouts=Timeouts()) as opened:
            client = cast(Polls, opened)
            client.polls = []
            planned = await read_and_plan(load_inputs(project), client)
            outcome = await execute(planned, client, poll=poll, report=lines.append)
            return outcome, client.polls

    started = time.monotonic()
    outcome, polls = asyncio.run(asyncio.wait_for(scenario(), limit))
    return outcome, polls, time.monotonic() - started


def never_finishing(
    start_emulator: StartEmulator, retry_after: int
) -> AbstractContextManager[Emulator]:
    quirks = Quirks(poll_retry_after=retry_after)
    return start_emulator("state", job_seconds=1e9, quirks=quirks)


def test_retry_after_0_on_a_job_that_never_ends_is_bounded_in_requests_and_time(
    tmp_path: Path, start_emulator: StartEmulator
) -> None:
    project = one_show(tmp_path / "project", episodes=1)
    poll = PollPolicy(first=0.05, floor=0.05, ceiling=0.2, give_up_after=0.6)
    lines: list[str] = []
    with never_finishing(start_emulator, 0) as server:
        outcome, polls, took = apply_polling(server.url, project, poll, lines)
    assert took < 5
    assert 3 <= len(polls) <= 0.6 / 0.05 + 2
    [(label, reason)] = outcome.failed
    assert label == "episode slow/e0"
    assert re.fullmatch(r"audio job \S+ is still queued after 1s; it stays recorded .*", reason)


def test_retry_after_a_day_on_a_quick_job_waits_at_most_the_ceiling(
    tmp_path: Path, start_emulator: StartEmulator
) -> None:
    project = one_show(tmp_path / "project", episodes=1)
    poll = PollPolicy(first=0.05, floor=0.05, ceiling=0.2)
    quirks = Quirks(poll_retry_after=86400)
    with start_emulator("state", job_seconds=0.3, quirks=quirks) as server:
        outcome, polls, took = apply_polling(server.url, project, poll, [])
        assert server.account() == {"shows": 1, "episodes": 1, "audios": 1}
    assert outcome.ok, outcome.failed
    assert took < 5
    assert 2 <= len(polls) <= 4


def test_a_job_just_submitted_is_first_given_a_pause(
    tmp_path: Path, start_emulator: StartEmulator
) -> None:
    project = one_show(tmp_path / "project", episodes=1)
    poll = PollPolicy(first=0.3, floor=0.05)
    with start_emulator("state") as server:
        outcome, polls, _ = apply_polling(server.url, project, poll, [])
    assert outcome.ok, outcome.failed
    assert len(polls) == 1 and polls[0] >= 0.3


# --- point 6: a server that accepts and never answers -----------------------------------------


@pytest.fixture
def hanging() -> Iterator[str]:
    """A server that accepts every connection and never answers; yields its API URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/v2"
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for conn in held:
            conn.close()


def test_a_hanging_server_fails_plan_within_the_deadline_saying_what_it_waited_for(
    hanging: str, tmp_path: Path
) -> None:
    project = one_show(tmp_path / "project")
    env = {
        "ZENMIC_API_URL": hanging,
        "ZENMIC_API_KEY": TEST_KEY,
        "PODSYNC_TIMEOUT": "connect=0.5,read=0.3,deadline=1.5",
    }
    started = time.monotonic()
    done = run_podsync("plan", str(project), env=env, timeout=30)
    took = time.monotonic() - started
    assert done.returncode == 1
    assert took < 1.5 + 4, took  # the deadline, plus starting Python
    assert "Traceback" not in done.stderr
    assert re.search(
        r"GET /api/v2/podcasts: timed out \(ReadTimeout\): no answer within [\d.]+s \(gave "
        r"up after \d attempts in [01](\.\d)?s: one request may take 1\.5s, each attempt "
        r"waiting up to 0\.3s for an answer; set PODSYNC_TIMEOUT=SECONDS to wait longer\)",
        done.stderr,
    ), done.stderr


@pytest.mark.parametrize("value", ["soon", "read=-1", "deadline=0", "wait=5"])
def test_a_bad_podsync_timeout_is_a_clear_error_before_any_request(
    emulator: Emulator, tmp_path: Path, value: str
) -> None:
    project = one_show(tmp_path / "project")
    result = run_cli(emulator, value, "plan", str(project))
    assert result.exit_code == 1
    assert result.output.startswith("Error: bad PODSYNC_TIMEOUT"), result.output
    assert emulator.stats()["requests"] == 0
