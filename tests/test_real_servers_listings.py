"""Issue 9, points 1, 3 and 13 over real HTTP: the emulator paginating its listings (Link
header, envelope, cursor), lying about counts, looping, pointing at another host, answering 204
to DELETE and reporting a succeeded job without audio_url. Each test fails on a client that
reads only the first page, takes an empty success for an error, or publishes a job with no file.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml
from click.testing import CliRunner

from podsync.cli import main
from podsync.client import NO_AUDIO_URL, ZenMicClient
from podsync.emulator import Quirks
from podsync.errors import PodsyncError
from podsync.executor import Outcome, PollPolicy
from podsync.lock import read_lock
from podsync.operations import Planned, execute, load_inputs, read_and_plan
from tests.conftest import TEST_KEY, Cli, Emulator, StartEmulator
from tests.stdlib_zenmic import ZenMicFake

SECOND_SHOW = {
    "show": "second",
    "title": "Second Show",
    "description": "Another show, so that shows span pages too.",
    "episodes": [
        {"key": k, "title": f"Second {k}", "description": "d", "source": {"topic": f"Topic {k}"}}
        for k in ("one", "two", "three")
    ],
}
HAND_MADE = ("Hand A", "Hand B", "Hand C")
STYLES = ("link", "envelope", "cursor")


class Served(Protocol):
    def __call__(self, **quirks: Any) -> AbstractContextManager[tuple[Emulator, Cli]]: ...


@pytest.fixture
def served(start_emulator: StartEmulator) -> Served:
    @contextmanager
    def serve(**quirks: Any) -> Iterator[tuple[Emulator, Cli]]:
        """The emulator with these quirks, on one state directory (which outlives it), and a
        CLI bound to it."""
        with start_emulator("state", quirks=Quirks(**quirks)) as emulator:
            yield emulator, Cli(emulator)

    return serve


def add_shows_by_hand(emulator: Emulator, *titles: str) -> None:
    with emulator.api() as api:
        for title in titles:
            assert api.post("/podcasts", json={"title": title}).status_code == 201


def live_titles(emulator: Emulator) -> tuple[list[str], list[str]]:
    """Every show title and every episode title, read with the emulator's own (unpaged) view."""
    store = emulator.server.store
    shows = store.list_shows()
    episodes = [e.title for s in shows for e in store.list_episodes(s.show_id)]
    return sorted(s.title for s in shows), sorted(episodes)


@pytest.mark.parametrize("style", STYLES)
def test_a_paginated_account_converges_and_nothing_is_created_twice(
    served: Served, project: Path, style: str
) -> None:
    (project / "shows" / "second.yaml").write_text(yaml.safe_dump(SECOND_SHOW, sort_keys=False))
    with served(pagination=style, page_size=2) as (emulator, cli):
        add_shows_by_hand(emulator, *HAND_MADE)
        applied = cli("apply", str(project), "--auto-approve")
        assert applied.exit_code == 0, applied.output
        after_first = emulator.account()
        assert after_first == {"shows": 5, "episodes": 7, "audios": 7}

        again = cli("plan", str(project), "--detailed-exitcode")
        assert again.exit_code == 0, again.output
        assert "No changes" in again.output

        reapplied = cli("apply", str(project), "--auto-approve")
        assert reapplied.exit_code == 0, reapplied.output
        assert emulator.account() == after_first
        shows, episodes = live_titles(emulator)
        assert len(shows) == len(set(shows)) and len(episodes) == len(set(episodes))


def test_a_total_that_does_not_match_stops_plan_and_apply_before_any_change(
    served: Served, project: Path
) -> None:
    with served(pagination="envelope", page_size=2, total_skew=1) as (
        emulator,
        cli,
    ):
        add_shows_by_hand(emulator, *HAND_MADE)
        before = emulator.account()
        planned = cli("plan", str(project))
        assert planned.exit_code == 1
        assert "GET /api/v2/podcasts?page=2 -> 200: the listing says total=4 but 3 items" in (
            planned.output
        )
        applied = cli("apply", str(project), "--auto-approve")
        assert applied.exit_code == 1
        assert "the listing says total=4 but 3 items" in applied.output
        assert emulator.account() == before  # no show, episode or paid job created


def test_an_episode_count_that_disagrees_stops_plan_and_apply(
    served: Served, project: Path
) -> None:
    with served() as (_, cli):
        assert cli("apply", str(project), "--auto-approve").exit_code == 0
    with served(episode_count_skew=1) as (emulator, cli):
        before = emulator.account()
        planned = cli("plan", str(project))
        assert planned.exit_code == 1
        show_id = read_lock(project / "podsync.lock").shows["tech-weekly"].show_id
        assert f"GET /api/v2/podcasts/{show_id}/episodes (for show tech-weekly ({show_id}))" in (
            planned.output
        )
        assert "says the show has 5 episode(s) but its episode listing holds 4" in planned.output
        applied = cli("apply", str(project), "--auto-approve")
        assert applied.exit_code == 1
        assert "but its episode listing holds 4" in applied.output
        assert emulator.account() == before


@pytest.mark.parametrize(
    ("style", "why"),
    [("link", "was read already: loop"), ("envelope", "is listed twice (pages 1 and 3)")],
)
def test_a_next_page_loop_is_an_error_not_a_hang(
    served: Served, project: Path, style: str, why: str
) -> None:
    with served(pagination=style, page_size=2, next_link="loop") as (
        emulator,
        cli,
    ):
        add_shows_by_hand(emulator, *HAND_MADE)
        sent = emulator.stats()["requests"]
        planned = cli("plan", str(project))
        assert planned.exit_code == 1
        assert why in planned.output
        assert emulator.stats()["requests"] - sent <= 3


class _Recorder(BaseHTTPRequestHandler):
    """Another host: it answers every GET with an empty listing and remembers who asked."""

    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.seen.append((self.path, self.headers.get("Authorization")))
        body = json.dumps({"success": True, "data": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_next_page_on_another_origin_is_not_requested(served: Served, project: Path) -> None:
    other = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.seen = []
    thread = threading.Thread(target=other.serve_forever, daemon=True)
    thread.start()
    elsewhere = f"http://127.0.0.1:{other.server_address[1]}"
    try:
        with served(pagination="link", page_size=2, next_link=elsewhere) as (
            emulator,
            cli,
        ):
            add_shows_by_hand(emulator, *HAND_MADE)
            planned = cli("plan", str(project))
    finally:
        other.shutdown()
        other.server_close()
        thread.join()
    assert planned.exit_code == 1
    assert f"the next page is on another origin ({elsewhere})" in planned.output
    assert _Recorder.seen == []  # the key never left for the other host


def test_204_deletes_let_remove_and_republish_complete(served: Served, project: Path) -> None:
    manifest = project / "shows" / "tech-weekly.yaml"
    with served(delete_no_content=True) as (emulator, cli):
        assert cli("apply", str(project), "--auto-approve").exit_code == 0
        data = yaml.safe_load(manifest.read_text())
        data["episodes"] = [e for e in data["episodes"] if e["key"] != "roadmap"]
        data["episodes"][0]["title"] = "Episode 1 - AI in Medicine, again"
        manifest.write_text(yaml.safe_dump(data, sort_keys=False))

        applied = cli("apply", str(project), "--auto-approve")
        assert applied.exit_code == 0, applied.output
        assert "re-published episode tech-weekly/ai-health" in applied.output
        assert "removed episode tech-weekly/roadmap" in applied.output
        assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0
        _, episodes = live_titles(emulator)
        assert episodes == [
            "Episode 1 - AI in Medicine, again",
            "Episode 2 - Privacy",
            "Episode 3 - Behind the Scenes",
        ]


def test_creates_answered_201_with_an_empty_body_complete_once(
    served: Served, project: Path
) -> None:
    """201 Created needs no body; podsync finds what it made in the account rather than failing
    (and, before, leaving one episode per run behind) or sending the create again."""
    with served(create_no_content=True) as (emulator, cli):
        applied = cli("apply", str(project), "--auto-approve")
        assert applied.exit_code == 0, applied.output
        assert applied.output.count("the API's answer did not say what it made") == 5
        assert emulator.account() == {"shows": 1, "episodes": 4, "audios": 4}
        assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0
        lock = read_lock(project / "podsync.lock").shows["tech-weekly"]
        assert len({e.episode_id for e in lock.episodes.values()}) == 4


def test_an_episode_listing_without_mic_ids_stops_plan_and_lock_rebuild_clearly(
    served: Served, project: Path
) -> None:
    """Read as "no audio", a missing mic_id made every episode look swapped for other audio
    (each apply re-published them all, blaming "outside podsync"), and lock rebuild crashed."""
    with served() as (emulator, cli):
        assert cli("apply", str(project), "--auto-approve").exit_code == 0
    with served(listing_without_mic_id=True) as (emulator, cli):
        account = emulator.account()
        for command in (("plan",), ("apply", "--auto-approve"), ("lock", "rebuild", "--force")):
            result = cli(*command, str(project))
            assert result.exit_code == 1, result.output
            assert "Traceback" not in result.output
            assert "/episodes -> 200 (for show " in result.stderr
            assert "has no mic_id: its audio is unknown" in result.stderr
        assert emulator.account() == account


def test_a_succeeded_job_without_audio_url_is_failed_and_never_published(
    served: Served, project: Path
) -> None:
    with served(empty_audio_url=True) as (emulator, cli):
        applied = cli("apply", str(project), "--auto-approve")
        assert applied.exit_code == 1
        assert "the API reported succeeded but gave no audio_url" in applied.output
        assert emulator.account()["episodes"] == 0
        lock = read_lock(project / "podsync.lock")
        assert {a.status for a in lock.audio.values()} == {"failed"}

        # A lock that took such a job for finished (as podsync used to write it) is not reused.
        raw = json.loads((project / "podsync.lock").read_text())
        for entry in raw["audio"].values():
            entry["status"] = "succeeded"
            entry.pop("error", None)
            assert "audio_url" not in entry
        (project / "podsync.lock").write_text(json.dumps(raw))
        planned = json.loads(cli("plan", str(project), "--format", "json").stdout)
        assert planned["summary"]["audio"] == {"generate": 4, "reuse": 0}


def test_apply_then_plan_against_a_stdlib_zenmic_written_from_the_api_page(
    project: Path,
) -> None:
    """The honest check: a server podsync's authors did not write beside the client (Link pages
    of two, 204 deletes) holds the example project once, and the next plan has nothing to do."""
    fake = ZenMicFake().start()
    env = {"ZENMIC_API_URL": fake.url, "ZENMIC_API_KEY": TEST_KEY, "NO_COLOR": "1"}
    try:
        applied = CliRunner().invoke(
            main, ["apply", str(project), "--auto-approve", "--poll-interval=0.05"], env=env
        )
        planned = CliRunner().invoke(main, ["plan", str(project), "--detailed-exitcode"], env=env)
    finally:
        fake.stop()
    assert applied.exit_code == 0, applied.output
    assert planned.exit_code == 0, planned.output
    assert "No changes" in planned.output
    assert [s["title"] for s in fake.shows.values()] == ["Acme Tech Weekly"]
    (episodes,) = fake.episodes.values()
    titles = [e["title"] for e in episodes]
    assert len(titles) == 4 and len(set(titles)) == 4
    assert len(fake.jobs) == 4


class _LateListing(ZenMicFake):
    """Answers a show create 204 with no body, and lists new shows only some reads later (a
    listing that lags behind writes, as a replicated store's may)."""

    def __init__(self, lag: int) -> None:
        super().__init__()
        self.lag = lag
        self.creates = 0

    def route(
        self, method: str, route: str, body: dict[str, Any], query: dict[str, list[str]]
    ) -> tuple[int, Any, int | None]:
        if (method, route) == ("GET", "/podcasts") and self.lag > 0:
            self.lag -= 1
            return 200, [], None
        status, data, link = super().route(method, route, body, query)
        if (method, route) == ("POST", "/podcasts"):
            self.creates += 1
            return 204, None, None
        return status, data, link


def test_a_create_answered_with_no_body_is_never_sent_again_even_when_not_yet_listed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 2xx took effect: when the account does not list it yet, apply stops with the request
    named rather than create the show a second time, and the next plan adopts it."""
    monkeypatch.setenv("PODSYNC_TIMEOUT", "settle=0.05")
    fake = _LateListing(lag=3)  # the plan's read, then both looks after the create
    fake.start()
    env = {"ZENMIC_API_URL": fake.url, "ZENMIC_API_KEY": TEST_KEY, "NO_COLOR": "1"}
    try:
        applied = CliRunner().invoke(
            main, ["apply", str(project), "--auto-approve", "--poll-interval=0.05"], env=env
        )
        planned = CliRunner().invoke(main, ["plan", str(project)], env=env)
    finally:
        fake.stop()
    assert applied.exit_code == 1, applied.output
    assert fake.creates == 1
    assert "POST /api/v2/podcasts -> 204 (for show tech-weekly): the API answered 204 with an " in (
        applied.output
    )
    assert "adopt live show" in planned.output


def test_the_listing_quirks_parse_and_refuse_nonsense() -> None:
    assert Quirks.parse("pagination=cursor,page-size=3,empty_audio_url=yes") == Quirks(
        pagination="cursor", page_size=3, empty_audio_url=True
    )
    with pytest.raises(PodsyncError, match="one of none, link, envelope, cursor"):
        Quirks.parse("pagination=pages")
    with pytest.raises(PodsyncError, match="page_size=0: at least 1"):
        Quirks.parse("page_size=0")


def test_a_cached_job_without_audio_url_is_asked_about_again_not_published(
    served: Served, project: Path
) -> None:
    """The executor's side: a plan that reuses a cached job (the account said succeeded when
    it was made) whose lock entry has no audio_url asks the account again before publishing."""
    lock_path = project / "podsync.lock"
    with served() as (emulator, cli):
        assert cli("apply", str(project), "--auto-approve").exit_code == 0
        raw = json.loads(lock_path.read_text())
        for entry in raw["audio"].values():
            entry.pop("audio_url")
        lock_path.write_text(json.dumps(raw))
        locked = read_lock(lock_path).shows["tech-weekly"]
        with emulator.api() as api:
            gone = f"/podcasts/{locked.show_id}/episodes/{locked.episodes['ai-health'].episode_id}"
            assert api.delete(gone).status_code == 200

        async def plan_now() -> Planned:
            async with ZenMicClient(emulator.url, TEST_KEY) as client:
                return await read_and_plan(load_inputs(project), client)

        planned = asyncio.run(plan_now())
        assert planned.plan.summary()["audio"] == {"generate": 0, "reuse": 1}
    with served(empty_audio_url=True) as (emulator, _):

        async def apply_now() -> Outcome:
            async with ZenMicClient(emulator.url, TEST_KEY) as client:
                return await execute(planned, client, poll=PollPolicy(first=0.01))

        outcome = asyncio.run(apply_now())
        assert [label for label, _ in outcome.failed] == ["episode tech-weekly/ai-health"]
        assert NO_AUDIO_URL in outcome.failed[0][1]
        assert emulator.account()["episodes"] == 3
