"""What listeners get from the emulator: spoken MP3s, a podcast feed apps read, links that open.

Speech is checked on the samples before encoding (no MP3 decoder is needed): two voices, not
silence; the MP3s themselves are read back with mutagen (duration, tags) and the feed with
feedparser, as a podcast app would.
"""

from __future__ import annotations

import array
import asyncio
import logging
import math
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import feedparser
import httpx
import numpy
import pytest
import soundfile
from mutagen.easyid3 import EasyID3
from mutagen.mp3 import MP3

from podsync.emulator import EmulatorServer
from podsync.emulator.jobs import write_script
from podsync.emulator.speech import (
    NEEDS_ESPEAK,
    PAUSE_SECONDS,
    SAMPLE_RATE,
    WORDS_PER_SECOND,
    AudioLimits,
    AudioMaker,
)
from tests.conftest import TEST_KEY, Cli, Emulator
from tests.helpers import FAST_POLL, run_podsync

SLOW = 60.0  # seconds: on a loaded machine, making minutes of speech outlasts httpx's 5 s
HOST = "Hello and welcome to the show, I am your host for today."
GUEST = "Thanks for having me, it is a pleasure to be speaking with you."
DIALOGUE = {
    "source": "dialogue",
    "title": "Two voices",
    "dialogue": [["male", HOST], ["female", GUEST]],
}


def _mp3_info(path: Path) -> Any:
    """The MP3's stream info (length in seconds); mutagen always finds one in a valid file."""
    info = MP3(path).info
    assert info is not None
    return info


def root(emulator: Emulator) -> str:
    return emulator.url.removesuffix("/api/v2")


def finished(api: httpx.Client, audio_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        data: dict[str, Any] = api.get(f"/audios/{audio_id}").json()["data"]
        if data["status"] in ("succeeded", "failed"):
            return data
        time.sleep(0.02)
    raise AssertionError(f"audio {audio_id} did not finish")


def pitch(samples: array.array[int]) -> float:
    """Median fundamental frequency (Hz) of a dozen voiced frames, by autocorrelation."""
    frame, found = 600, []
    for start in range(0, len(samples) - frame - 300, len(samples) // 12):
        chunk = samples[start : start + frame + 300]
        if max(chunk) < 2000:
            continue  # a pause

        def similarity(lag: int, chunk: array.array[int] = chunk) -> int:
            return sum(chunk[i] * chunk[i + lag] for i in range(0, frame, 2))

        found.append(SAMPLE_RATE / max(range(45, 230), key=similarity))  # 96-490 Hz
    return sorted(found)[len(found) // 2]


def rms(samples: array.array[int]) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def test_espeak_speaks_each_speaker_in_a_distinct_voice(tmp_path: Path) -> None:
    maker = AudioMaker(tmp_path)
    assert maker.espeak is not None, "espeak-ng is not installed (.ci/run installs it)"
    male, female = maker._speak("male", GUEST), maker._speak("female", GUEST)
    assert male is not None and female is not None
    assert rms(male) > 500 and rms(female) > 500  # speech, not silence
    assert pitch(female) > 1.2 * pitch(male)


def test_a_dialogue_job_becomes_a_tagged_mp3_made_off_the_request_path(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "state", job_seconds=0) as server:  # the worker, as embedded
        check_dialogue_job(Emulator(server))


def check_dialogue_job(emulator: Emulator) -> None:
    with emulator.api() as api:
        audio_id = api.post("/audios", json=DIALOGUE).json()["data"]["id"]
        mp3_path = emulator.server.store.state_dir / "audio" / f"{audio_id}.mp3"
        deadline = time.monotonic() + 10
        while not mp3_path.exists() and time.monotonic() < deadline:
            time.sleep(0.02)  # the worker makes it without anyone asking for the file
        assert mp3_path.exists()
        job = finished(api, audio_id)
        show = api.post("/podcasts", json={"title": "Voices"}).json()["data"]
        episode = {"mic_id": audio_id, "title": "Ep 1"}
        assert api.post(f"/podcasts/{show['show_id']}/episodes", json=episode).status_code == 201
    body = httpx.get(job["audio_url"])
    assert (body.status_code, body.headers["content-type"]) == (200, "audio/mpeg")
    downloaded = emulator.server.store.state_dir.parent / "download.mp3"
    downloaded.write_bytes(body.content)
    info = _mp3_info(downloaded)
    words = len(HOST.split()) + len(GUEST.split())
    assert 0.5 * words / WORDS_PER_SECOND < info.length < 2 * words / WORDS_PER_SECOND
    tags = EasyID3(downloaded)
    assert (tags["title"], tags["album"]) == (["Two voices"], ["Voices"])


def test_without_espeak_each_line_is_a_tone_and_the_emulator_says_so_once(
    tmp_path: Path,
) -> None:
    told: list[str] = []
    maker = AudioMaker(tmp_path, espeak=None, notice=told.append)
    lines = [("male", HOST), ("female", GUEST)]
    maker.submit("tone1", "Tones", lines)
    maker.submit("tone2", "Tones", lines)
    assert told == [NEEDS_ESPEAK]
    made = maker.file("tone1")
    assert made is not None
    stated = sum(len(t.split()) / WORDS_PER_SECOND + PAUSE_SECONDS for _, t in lines)
    assert abs(made.seconds - stated) < 0.2 * stated
    assert abs(_mp3_info(made.path).length - made.seconds) < 0.01
    samples = maker._pcm(lines)
    assert 300 < rms(samples) < 5000  # audible, soft
    maker.submit("tone3", "Tones", lines, 60)
    asked = maker.file("tone3")
    assert asked is not None and abs(_mp3_info(asked.path).length - 60) < 3


def test_audio_is_bounded_per_job_and_on_disk(tmp_path: Path) -> None:
    lines = [("male", HOST), ("female", GUEST)] * 10
    maker = AudioMaker(tmp_path, AudioLimits(max_seconds=3, max_disk_bytes=25_000))
    for name in ("a", "b", "c"):
        maker.submit(name, name, lines)
    made = [maker.file(name) for name in ("a", "b", "c")]
    assert all(m is not None and m.seconds <= 3.1 for m in made)
    on_disk = sum(p.stat().st_size for p in tmp_path.glob("*.mp3"))
    assert on_disk <= 25_000 and len(list(tmp_path.glob("*.mp3"))) < 3  # the oldest went
    again = maker.file("a")  # an evicted MP3 is made again from its script
    assert again is not None and again.path.exists()


def test_topic_jobs_speak_the_script_that_post_scripts_writes_for_as_long_as_asked(
    emulator: Emulator,
) -> None:
    topic = {"source": "topic", "topic": "Bees in winter", "duration_minutes": 2}
    with emulator.api() as api:
        script = api.post("/scripts", json=topic).json()["data"]
        audio_id = api.post("/audios", json=topic).json()["data"]["id"]
    maker: AudioMaker = emulator.server.app.state.api.audio
    spoken = maker._script(audio_id)
    assert spoken is not None and spoken["lines"] == script["dialogue"]
    expected = write_script(topic="Bees in winter", title=None, duration_minutes=2)
    assert [list(line) for line in expected.dialogue] == script["dialogue"]
    made = maker.file(audio_id)
    assert made is not None and abs(made.seconds - 120) < 0.05 * 120  # as long as asked


def test_links_are_built_from_the_address_the_emulator_serves(tmp_path: Path) -> None:
    for public, expected in ((None, ""), ("https://pods.example.org", "https://pods.example.org")):
        with EmulatorServer(tmp_path / str(bool(public)), job_seconds=0, public_url=public) as s:
            base = expected or s.base_url.removesuffix("/api/v2")
            headers = {"Authorization": f"Bearer {TEST_KEY}"}
            with httpx.Client(base_url=s.base_url, headers=headers) as api:
                accepted = api.post("/audios", json=DIALOGUE).json()["data"]
                show = api.post("/podcasts", json={"title": "Links"}).json()["data"]
                job = finished(api, accepted["id"])
        assert accepted["audio_page_url"] == f"{base}/audio/{accepted['id']}"
        assert job["audio_url"] == f"{base}/cdn/{accepted['id']}.mp3"
        assert show["feed_url"] == f"{base}/cdn/podcast/{show['show_id']}/feed.xml"
        assert base.startswith(("http://127.0.0.1:", "https://pods.example.org"))


def test_the_example_project_feed_is_what_podcast_apps_read(cli: Cli, project: Path) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    with cli.emulator.api() as api:
        (show,) = api.get("/podcasts").json()["data"]
        listed = api.get(f"/podcasts/{show['show_id']}/episodes").json()["data"]
    xml = httpx.get(show["feed_url"], timeout=SLOW).content  # the feed makes every MP3 first
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20" and "itunes" in feed.namespaces
    channel = feed.feed
    assert channel.title == show["title"] and channel.description == show["description"]
    assert channel.language == "en" and channel.author and channel.image.href
    assert httpx.get(channel.image.href).headers["content-type"] == "image/png"
    newest_first = sorted(listed, key=lambda e: e["id"], reverse=True)
    assert [e.title for e in feed.entries] == [e["title"] for e in newest_first]
    assert len({e.id for e in feed.entries}) == len(listed) == 4
    dates = [e.published_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    for entry, episode in zip(feed.entries, newest_first, strict=True):
        (enclosure,) = entry.enclosures
        assert enclosure.href == episode["audio_url"] and enclosure.type == "audio/mpeg"
        mp3 = httpx.get(enclosure.href, timeout=SLOW)
        assert mp3.status_code == 200 and int(enclosure.length) == len(mp3.content)
        path = project / f"{episode['id']}.mp3"
        path.write_bytes(mp3.content)
        assert int(entry.itunes_duration) == round(_mp3_info(path).length) > 0
        samples, rate = soundfile.read(path, dtype="int16")  # decoded, as a player would
        stated = int(entry.itunes_duration)
        assert abs(len(samples) / rate - stated) <= 0.2 * stated
        assert float(numpy.sqrt(numpy.mean(samples.astype(numpy.float64) ** 2))) > 500  # speech
        assert entry.description == episode["description"]
    again = feedparser.parse(httpx.get(show["feed_url"], timeout=SLOW).content)
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]  # guids are stable


def test_local_mode_writes_the_audio_and_feed_under_podsync_emulator(project: Path) -> None:
    env = {"ZENMIC_API_URL": "local", "ZENMIC_API_KEY": "", "ZENMIC_EMULATOR_JOB_SECONDS": "0"}
    applied = run_podsync("apply", str(project), "--auto-approve", FAST_POLL, env=env)
    assert applied.returncode == 0, applied.stderr
    state = project / ".podsync" / "emulator"
    (feed_file,) = (state / "feeds").glob("*.xml")
    feed = feedparser.parse(feed_file.read_bytes())
    assert not feed.bozo and len(feed.entries) == 4
    for entry in feed.entries:
        (enclosure,) = entry.enclosures
        assert enclosure.href.startswith(f"file://{state / 'audio'}/")
        local = Path(enclosure.href.removeprefix("file://"))
        assert local.stat().st_size == int(enclosure.length) > 1000


def test_the_audio_page_plays_the_mp3_in_a_browser(emulator: Emulator, tmp_path: Path) -> None:
    browser = shutil.which("chromium")
    assert browser, "chromium is not installed (.ci/run installs it)"
    with emulator.api() as api:
        audio_id = api.post("/audios", json=DIALOGUE).json()["data"]["id"]
        page = finished(api, audio_id)["audio_page_url"]
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=5000",
        "--dump-dom",
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    dom = subprocess.run(
        [browser, *flags, page], capture_output=True, text=True, timeout=60, env=env
    ).stdout
    shown = dom.split('<output id="duration">', 1)[1].split("<", 1)[0]
    assert float(shown) > 0, dom


def test_odd_live_text_still_gives_a_well_formed_feed_and_tagged_mp3(emulator: Emulator) -> None:
    odd = '"\\ud83d \\u001b[31mred\\u0007 \\u202eevil"'  # JSON escapes: lone surrogate, controls
    headers = {"Content-Type": "application/json"}
    with emulator.api() as api:
        dialogue = '{"title": ' + odd + ', "dialogue": [["male", ' + odd + "]]}"
        audio_id = api.post("/audios", content=dialogue, headers=headers).json()["data"]["id"]
        show = api.post("/podcasts", content='{"title": ' + odd + "}", headers=headers)
        show_id = show.json()["data"]["show_id"]
        episode = '{"mic_id": "' + audio_id + '", "title": ' + odd + "}"
        added = api.post(f"/podcasts/{show_id}/episodes", content=episode, headers=headers)
        assert added.status_code == 201, added.text
    feed = feedparser.parse(httpx.get(show.json()["data"]["feed_url"]).content)
    assert not feed.bozo and "red" in feed.entries[0].title
    mp3 = emulator.server.store.state_dir / "audio" / f"{audio_id}.mp3"
    assert "\ufffd" in EasyID3(mp3)["title"][0]


def test_feed_files_written_side_by_side_end_with_every_episode_and_no_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Publishes to one show answer at once and write the feed file after the answer, in
    threads: they once shared one temporary file (a traceback, in local mode, on the
    user's terminal) and an older feed could be the last one written."""
    episodes = 40
    with EmulatorServer(tmp_path / "state", job_seconds=0, write_files=True) as server:
        headers = {"Authorization": f"Bearer {TEST_KEY}"}
        with httpx.Client(base_url=server.base_url, headers=headers) as api:
            show_id = api.post("/podcasts", json={"title": "Side by side"}).json()["data"][
                "show_id"
            ]
            body = {"source": "topic", "topic": "Soil", "title": "Soil", "duration_minutes": 1}
            mic_id = api.post("/audios", json=body).json()["data"]["id"]
            finished(api, mic_id)

        async def publish_all() -> list[int]:
            async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as client:
                answers = await asyncio.gather(
                    *(
                        client.post(
                            f"/podcasts/{show_id}/episodes",
                            json={"mic_id": mic_id, "title": f"Episode {number}"},
                        )
                        for number in range(episodes)
                    )
                )
            return [answer.status_code for answer in answers]

        with caplog.at_level(logging.ERROR):
            assert set(asyncio.run(publish_all())) == {201}
            feed_file = tmp_path / "state" / "feeds" / f"{show_id}.xml"
            deadline = time.monotonic() + 10
            while not feed_file.exists() or len(_entries(feed_file)) < episodes:
                assert time.monotonic() < deadline, "the feed file lacks published episodes"
                time.sleep(0.05)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not list((tmp_path / "state" / "feeds").glob("*.tmp"))


def _entries(feed_file: Path) -> list[Any]:
    entries: list[Any] = feedparser.parse(feed_file.read_bytes()).entries
    return entries
