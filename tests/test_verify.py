"""`podsync verify`: the feed and audio listeners get, checked against the manifests, over HTTP
against the emulator (and its files in local mode); each failure names the URL that disagreed."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from podsync.cli import main
from podsync.emulator.quirks import Quirks
from podsync.emulator.speech import AudioLimits
from tests.conftest import TEST_KEY, Cli, Emulator, StartEmulator
from tests.helpers import edit, episode

EPISODE = re.compile(r"^  tech-weekly/([a-z-]+) \"[^\"]+\": (\S+)$", re.MULTILINE)


SHORT = AudioLimits(eager=False, max_seconds=20)  # feed-only tests: no minutes of audio to make


def shortened(data: dict[str, Any]) -> None:
    """The example with short audio only: a one-minute topic (its pinned script dropped, as
    it was written for five minutes), no five-minute document."""
    data["episodes"] = [e for e in data["episodes"] if e["key"] != "privacy"]
    source = episode(data, "ai-health")["source"]
    source.pop("script", None)
    source["duration_minutes"] = 1


def applied(cli: Cli, project: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The example applied: its show, and its episodes by title."""
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    with cli.emulator.api() as api:
        (show,) = api.get("/podcasts").json()["data"]
        listed = api.get(f"/podcasts/{show['show_id']}/episodes").json()["data"]
    return show, {e["title"]: e for e in listed}


LOCAL = {"ZENMIC_API_URL": "local", "ZENMIC_API_KEY": "", "ZENMIC_EMULATOR_JOB_SECONDS": "0"}


def local(*args: str) -> Result:
    """podsync in local mode, in this process (each command runs the embedded emulator)."""
    return CliRunner().invoke(
        main, list(args), env={**LOCAL, "NO_COLOR": "1"}, catch_exceptions=False
    )


def verified(cli: Cli, project: Path, *options: str) -> Result:
    return cli("verify", str(project), *options)


def audio_file(emulator: Emulator, mic_id: str) -> Path:
    return emulator.server.store.state_dir / "audio" / f"{mic_id}.mp3"


def test_verify_passes_then_names_the_audio_deleted_or_cut_to_a_silent_stub(
    cli: Cli, project: Path
) -> None:
    show, episodes = applied(cli, project)
    passed = verified(cli, project)
    assert passed.exit_code == 0, passed.output
    assert "Verify passed: 4 episode(s) in 1 show(s), feeds and decoded audio." in passed.output
    assert passed.output.count("  ok      ") == 4 and show["feed_url"] in passed.output

    gone, stub = episodes["Episode 3 - Behind the Scenes"], episodes["Episode 4 - The Roadmap"]
    audio_file(cli.emulator, gone["mic_id"]).unlink()
    audio_file(cli.emulator, gone["mic_id"]).with_suffix(".json").unlink()  # not made again
    audio_file(cli.emulator, stub["mic_id"]).write_bytes(b"\xff\xfb\x90\x00" + bytes(256))
    failed = verified(cli, project)
    assert failed.exit_code == 1, failed.output
    lines = failed.output.splitlines()
    assert f"          the audio does not answer (HTTP 404): {gone['audio_url']}" in lines
    stub_lines = [
        "the audio is 260 B, less than the 4.0 KiB of even a second of sound (a silent stub?)",
        "the audio is not an MP3 that decodes (can't sync to MPEG frame)",
    ]
    assert [f"          {text}: {stub['audio_url']}" for text in stub_lines] == lines[-4:-2]
    assert lines.count('  FAILED  handmade "Episode 3 - Behind the Scenes"') == 1
    assert lines[-1] == "Verify failed: 2 of 4 episode(s) in 1 show(s), feeds and decoded audio."


def test_verify_fails_on_a_duplicate_added_out_of_band_and_says_so_in_json(
    start_emulator: StartEmulator, project: Path
) -> None:
    with start_emulator(audio_limits=SHORT) as emulator:
        check_duplicates(Cli(emulator), project)


def check_duplicates(cli: Cli, project: Path) -> None:
    show, episodes = applied(cli, project)
    first = episodes["Episode 1 - AI in Medicine"]
    with cli.emulator.api() as api:
        again = {"mic_id": first["mic_id"], "title": first["title"]}
        assert api.post(f"/podcasts/{show['show_id']}/episodes", json=again).status_code == 201
    failed = verified(cli, project, "--no-audio", "--format", "json")
    assert failed.exit_code == 1
    report = json.loads(failed.output)
    assert report["ok"] is False and report["audio"] is False
    (checked,) = report["shows"]
    by_key = {e["key"]: e for e in checked["episodes"]}
    (repeated,) = by_key["ai-health"]["findings"]
    assert (repeated["code"], repeated["url"]) == ("repeated", first["audio_url"])
    assert repeated["params"] == {"times": 2} and not repeated["warning"]
    assert all(by_key[k]["ok"] for k in ("privacy", "handmade", "roadmap"))

    with cli.emulator.api() as api:  # another job under a managed title: someone else's copy
        audio = api.post("/audios", json={"title": "x", "dialogue": [["male", "Hi there."]]})
        mic = audio.json()["data"]["id"]
        copy = {"mic_id": mic, "title": "Episode 2 - Privacy"}
        assert api.post(f"/podcasts/{show['show_id']}/episodes", json=copy).status_code == 201
    text = verified(cli, project, "--no-audio")
    assert text.exit_code == 1
    assert "another item in the feed, not published by podsync, has this title: " in text.output
    assert f"/cdn/{mic}.mp3" in text.output


def test_a_feed_the_api_lists_but_that_cannot_be_fetched_is_a_warning(
    start_emulator: StartEmulator, project: Path
) -> None:
    with start_emulator(public_url="http://127.0.0.1:9") as emulator:  # nothing listens there
        cli = Cli(emulator)
        assert cli("apply", str(project), "--auto-approve").exit_code == 0
        result = verified(cli, project)
    assert result.exit_code == 0, result.output
    assert "  ! warning: the feed could not be fetched (ConnectError" in result.output
    assert "its episodes were not checked: http://127.0.0.1:9/cdn/podcast/" in result.output
    assert "Traceback" not in result.output and "1 warning(s)" in result.output


def test_in_local_mode_preview_apply_and_verify_name_files_that_open_without_a_server(
    project: Path,
) -> None:
    edit(project, shortened)
    previewed = local("apply", str(project), "--preview", "--auto-approve")
    assert previewed.exit_code == 0, previewed.output
    heading = "Listen before publishing (files the local emulator wrote; no server needed):\n"
    files = dict(EPISODE.findall(previewed.output.split(heading, 1)[1]))
    assert list(files) == ["ai-health", "handmade", "roadmap"]
    assert all(Path(f).is_file() and f.endswith(".mp3") for f in files.values()), files

    ran = local("apply", str(project), "--auto-approve", "--verify", "--poll-interval=0.05")
    assert ran.exit_code == 0, ran.output
    state = project / ".podsync" / "emulator"
    heading = "Listen to what was published (files the local emulator wrote; no server needed):\n"
    listen = ran.output.split(heading, 1)[1]
    (feed,) = (state / "feeds").glob("*.xml")
    assert f"  feed of tech-weekly: {feed}\n" in listen
    assert dict(EPISODE.findall(listen)) == files  # the previewed audio, published
    uri = state.resolve().as_uri()
    assert f"show tech-weekly: feed {uri}/feeds/" in ran.output
    assert ran.output.count(f": {uri}/audio/") == 3
    assert "Verify passed: 3 episode(s) in 1 show(s), feeds and decoded audio." in ran.output

    feed.write_text(feed.read_text("utf-8").replace("Episode 4 - The Roadmap", "Ep 4"), "utf-8")
    again = local("verify", str(project), "--no-audio")
    assert again.exit_code == 1
    assert "  FAILED  roadmap" in again.output
    assert 'the feed lists it as "Ep 4"' in again.output


def test_verify_without_a_published_project_says_to_apply(cli: Cli, project: Path) -> None:
    result = verified(cli, project, "--no-audio")
    assert result.exit_code == 1
    assert result.output.count("not published: podsync.lock has no record of it") == 4


def test_audio_that_refuses_head_is_checked_with_a_ranged_get_within_the_time_given(
    start_emulator: StartEmulator, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = Quirks(audio_head_refused=True)
    with start_emulator(quirks=refused, audio_limits=SHORT) as emulator:
        cli = Cli(emulator)
        show, episodes = applied(cli, project)
        url = episodes["Episode 3 - Behind the Scenes"]["audio_url"]
        assert httpx.head(url).status_code == 405
        result = verified(cli, project, "--no-audio")
    assert result.exit_code == 0, result.output
    assert "Verify passed: 4 episode(s) in 1 show(s), feeds and audio headers." in result.output
    monkeypatch.setenv("PODSYNC_TIMEOUT", "verify=0.001")  # the whole check's time
    with start_emulator(quirks=refused, audio_limits=SHORT) as emulator:
        late = verified(Cli(emulator), project, "--no-audio")
    assert late.exit_code == 1
    assert "  ! not checked: verify ran out of its 0.001 seconds (PODSYNC_TIMEOUT" in late.output
    handmade = next(line for line in result.output.splitlines() if "  ok      handmade" in line)
    assert handmade.endswith(f"KiB): {url}")  # its length, from the ranged GET


class _Relay(BaseHTTPRequestHandler):
    """A feed and audio host in front of the emulator's public paths, recording what it was
    sent: where podsync's feed and audio requests go when ZenMic's CDN is another host."""

    upstream = ""
    seen: list[dict[str, str]] = []

    def _relay(self) -> None:
        self.seen.append(dict(self.headers.items()))
        answer = httpx.request(self.command, self.upstream + self.path)
        self.send_response(answer.status_code)
        for name in ("content-type", "content-length"):
            if name in answer.headers:
                self.send_header(name, answer.headers[name])
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(answer.content)

    do_GET = do_HEAD = _relay

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet."""


def test_the_api_key_is_never_sent_to_the_feed_or_audio_host(
    start_emulator: StartEmulator, project: Path
) -> None:
    relay = ThreadingHTTPServer(("127.0.0.1", 0), _Relay)
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    public = f"http://127.0.0.1:{relay.server_address[1]}"
    try:
        with start_emulator(public_url=public, api_key=TEST_KEY, audio_limits=SHORT) as emulator:
            _Relay.upstream = emulator.url.removesuffix("/api/v2")
            cli = Cli(emulator)
            show, _ = applied(cli, project)
            result = verified(cli, project, "--no-audio")
    finally:
        relay.shutdown()
        relay.server_close()
    assert result.exit_code == 0, result.output
    assert show["feed_url"].startswith(public) and f"feed {show['feed_url']}" in result.output
    assert len(_Relay.seen) == 5  # the feed, then a HEAD for each of the four MP3s
    assert all("authorization" not in {k.lower() for k in h} for h in _Relay.seen)
    assert TEST_KEY not in json.dumps(_Relay.seen) and TEST_KEY not in result.output
