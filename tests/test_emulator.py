"""The ZenMic emulator over real HTTP: the API page's shapes and rules, jobs, persistence."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from podsync.emulator import FAIL_MARKER, EmulatorServer
from podsync.emulator.faults import SHARES
from podsync.emulator.jobs import progress
from podsync.errors import StateError

KEY = "emulator-test-key"
JOB_SECONDS = 0.2
DOC_LIMIT = 1024
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
PLAIN_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
AUDIO_ID = re.compile(r"^[a-z0-9]{8}$")


def start(state_dir: Path, **options: Any) -> EmulatorServer:
    defaults: dict[str, Any] = {
        "job_seconds": JOB_SECONDS,
        "api_key": KEY,
        "max_document_bytes": DOC_LIMIT,
    }
    server = EmulatorServer(state_dir, **(defaults | options))
    server.start()
    return server


def client(server: EmulatorServer, token: str = KEY) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"})


def root(server: EmulatorServer) -> str:
    return server.base_url.removesuffix("/api/v2")


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """One server for the module (stopping uvicorn takes ~0.2 s); each test starts from a reset."""
    with start(tmp_path_factory.mktemp("emulator")) as running:
        yield running


@pytest.fixture
def server(shared_server: EmulatorServer) -> EmulatorServer:
    assert httpx.post(f"{root(shared_server)}/_emulator/reset").status_code == 200
    return shared_server


@pytest.fixture
def api(server: EmulatorServer) -> Iterator[httpx.Client]:
    with client(server) as http:
        yield http


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    return body["error"]


def submit_topic(api: httpx.Client, topic: str = "The future of AI", **extra: Any) -> str:
    body = {"source": "topic", "topic": topic, "title": "AI in Medicine", "duration_minutes": 5}
    audio_id: str = ok(api.post("/audios", json=body | extra), 202)["id"]
    return audio_id


def wait_for(api: httpx.Client, audio_id: str) -> tuple[list[str], dict[str, Any]]:
    """Poll until the job ends; returns every status seen and the final data."""
    seen: list[str] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        response = api.get(f"/audios/{audio_id}")
        data = ok(response)
        seen.append(data["status"])
        if data["status"] in ("succeeded", "failed"):
            assert "retry-after" not in response.headers
            return seen, data
        assert int(response.headers["retry-after"]) >= 1
        time.sleep(0.05)
    raise AssertionError(f"job {audio_id} did not finish: {seen}")


def make_show(api: httpx.Client, title: str = "My Podcast") -> dict[str, Any]:
    show: dict[str, Any] = ok(
        api.post("/podcasts", json={"title": title, "description": "About tech"}), 201
    )
    return show


# --- auth, routing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": f"Basic {KEY}"}, {"Authorization": KEY}],
)
def test_requests_without_a_bearer_token_are_refused(
    server: EmulatorServer, headers: dict[str, str]
) -> None:
    response = httpx.get(f"{server.base_url}/podcasts", headers=headers)
    assert "missing API key" in error(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_wrong_key_is_refused_when_one_is_configured(server: EmulatorServer) -> None:
    with client(server, token="not-the-key") as wrong:
        assert error(wrong.get("/podcasts"), 401) == "invalid API key"
        assert error(wrong.post("/podcasts", json={"title": "x"}), 401) == "invalid API key"
    with client(server) as right:
        assert ok(right.get("/podcasts")) == []


def test_any_token_is_accepted_without_a_configured_key(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path, job_seconds=0) as server, client(server, "anything") as api:
        assert ok(api.get("/podcasts")) == []
        assert error(httpx.get(f"{server.base_url}/podcasts"), 401)


def test_unknown_routes_and_methods_answer_in_the_error_envelope(api: httpx.Client) -> None:
    assert error(api.get("/nothing-here"), 404)
    assert error(api.get("/audios/unknown1"), 404) == "audio not found: unknown1"
    response = api.put("/podcasts")
    error(response, 405)
    assert response.headers["allow"] == "GET, POST, HEAD"
    assert "PUT" in error(response, 405)
    error(api.get("/scripts"), 405)
    error(api.delete("/podcasts/abc-123456/episodes/not-a-number"), 404)


# --- scripts ---------------------------------------------------------------------------------


def test_script_from_a_topic_is_a_dialogue_of_two_lines_a_minute(api: httpx.Client) -> None:
    body = {"source": "topic", "topic": "The future of AI in healthcare", "duration_minutes": 3}
    data = ok(api.post("/scripts", json=body))
    assert set(data) == {"title", "style_prompt", "dialogue"}
    assert data["title"] and data["style_prompt"]
    assert len(data["dialogue"]) == 2 + 2 * 3
    assert all(speaker in ("male", "female") and text for speaker, text in data["dialogue"])
    assert "future of AI in healthcare" in data["dialogue"][0][1]
    assert ok(api.post("/scripts", json=body)) == data, "same input, same script"
    other = ok(api.post("/scripts", json=body | {"topic": "Handmade furniture"}))
    assert other["dialogue"] != data["dialogue"]


def test_script_title_is_kept_when_given(api: httpx.Client) -> None:
    data = ok(api.post("/scripts", json={"topic": "Soil health", "title": "Dirt Matters"}))
    assert data["title"] == "Dirt Matters"


def test_script_from_a_document_with_a_topic_focus(api: httpx.Client) -> None:
    notes = b"# Notes\nEncryption protects messages. Metadata still leaks a lot.\n"
    response = api.post(
        "/scripts",
        data={"source": "document", "topic": "Focus on privacy", "title": "My Audio"},
        files={"document": ("notes.md", notes, "text/markdown")},
    )
    data = ok(response)
    assert data["title"] == "My Audio"
    spoken = " ".join(text for _, text in data["dialogue"])
    assert "notes.md" in spoken and "Focus on privacy" in spoken
    assert "encryption protects messages" in spoken.lower() or "metadata" in spoken.lower()


def test_scripts_written_are_counted_in_the_stats_and_reset(
    server: EmulatorServer, api: httpx.Client
) -> None:
    def scripts() -> int:
        count: int = httpx.get(f"{root(server)}/_emulator/stats").json()["scripts"]
        return count

    assert scripts() == 0
    ok(api.post("/scripts", json={"topic": "Soil health"}))
    ok(
        api.post(
            "/scripts",
            data={"source": "document"},
            files={"document": ("notes.txt", b"Compost feeds the soil.", "text/plain")},
        )
    )
    error(api.post("/scripts", json={"title": "no topic"}), 400)
    ok(api.post("/audios", json={"topic": "Soil health"}), 202)
    assert scripts() == 2, "a refused request or an audio job is not a script written"
    httpx.post(f"{root(server)}/_emulator/reset")
    assert scripts() == 0


def test_a_document_script_follows_its_text_and_length_with_both_speakers(
    api: httpx.Client,
) -> None:
    text = b"Tomatoes need sun. Basil grows well beside them. Water in the morning.\n"

    def script(document: bytes, minutes: str) -> Any:
        return ok(
            api.post(
                "/scripts",
                data={"source": "document", "title": "Garden", "duration_minutes": minutes},
                files={"document": ("garden.txt", document, "text/plain")},
            )
        )

    short, long = script(text, "2"), script(text, "6")
    assert (len(short["dialogue"]), len(long["dialogue"])) == (6, 14)
    assert {speaker for speaker, _ in short["dialogue"]} == {"male", "female"}
    spoken = " ".join(line for _, line in long["dialogue"]).lower()
    assert "basil grows well beside them" in spoken
    assert script(text, "2") == short, "same input, same script"
    assert script(text.replace(b"Basil", b"Mint"), "2")["dialogue"] != short["dialogue"]


# --- audio jobs ------------------------------------------------------------------------------


def test_topic_audio_goes_from_queued_to_succeeded(api: httpx.Client) -> None:
    accepted = ok(
        api.post(
            "/audios",
            json={
                "source": "topic",
                "topic": "AI",
                "title": "AI in Medicine",
                "duration_minutes": 5,
            },
        ),
        202,
    )
    audio_id = accepted["id"]
    assert AUDIO_ID.match(audio_id)
    assert accepted == {
        "id": audio_id,
        "status": "queued",
        "poll_url": f"/api/v2/audios/{audio_id}",
        "audio_page_url": accepted["audio_page_url"],
    }
    assert accepted["audio_page_url"].endswith(f"/audio/{audio_id}")

    seen, done = wait_for(api, audio_id)
    order = ["queued", "running", "succeeded"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    assert seen[0] in ("queued", "running") and seen[-1] == "succeeded"
    assert set(done) == {
        "id",
        "status",
        "audio_url",
        "audio_format",
        "title",
        "created_at",
        "audio_page_url",
    }
    assert (done["id"], done["audio_format"], done["title"]) == (audio_id, "mp3", "AI in Medicine")
    assert done["audio_url"].endswith(f"/{audio_id}.mp3")
    assert ISO_UTC.match(done["created_at"])
    assert done["audio_page_url"] == accepted["audio_page_url"]


def test_a_fresh_job_is_queued_with_retry_after(tmp_path: Path) -> None:
    with start(tmp_path, job_seconds=8) as server, client(server) as api:
        audio_id = submit_topic(api)
        response = api.get(f"/audios/{audio_id}")
        data = ok(response)
        assert data["status"] == "queued"
        assert "audio_url" not in data
        assert 1 <= int(response.headers["retry-after"]) <= 8


def test_status_is_a_function_of_elapsed_time() -> None:
    assert progress(100.0, 4.0, False, 100.0).status == "queued"
    assert progress(100.0, 4.0, False, 101.5) == progress(100.0, 4.0, False, 101.5)
    assert progress(100.0, 4.0, False, 101.5).status == "running"
    assert progress(100.0, 4.0, False, 101.5).retry_after == 3
    assert progress(100.0, 4.0, False, 104.0).status == "succeeded"
    assert progress(100.0, 4.0, True, 104.0).status == "failed"
    assert progress(100.0, 0.0, False, 100.0).retry_after is None


def test_audio_from_a_document_and_from_a_dialogue(api: httpx.Client) -> None:
    from_doc = ok(
        api.post(
            "/audios",
            data={"source": "document", "title": "Report"},
            files={"document": ("report.pdf", b"%PDF-1.4 tiny", "application/pdf")},
        ),
        202,
    )
    dialogue = {
        "title": "AI in Medicine",
        "style_prompt": "Conversational, upbeat, informative",
        "dialogue": [["male", "Hello and welcome."], ["female", "Today we discuss AI."]],
    }
    from_dialogue = ok(api.post("/audios", json=dialogue), 202)
    with_source = ok(api.post("/audios", json=dialogue | {"source": "dialogue"}), 202)
    ids = {from_doc["id"], from_dialogue["id"], with_source["id"]}
    assert len(ids) == 3
    for audio_id in ids:
        assert wait_for(api, audio_id)[1]["status"] == "succeeded"
    assert ok(api.get(f"/audios/{from_doc['id']}"))["title"] == "Report"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"source": "topic"}, "topic is required"),
        ({"source": "topic", "topic": "  "}, "topic must not be empty"),
        ({"source": "topic", "topic": 42}, "topic must be a string"),
        ({"source": "topic", "topic": "x", "duration_minutes": 0}, "between 1 and 60"),
        ({"source": "topic", "topic": "x", "duration_minutes": 61}, "between 1 and 60"),
        ({"source": "topic", "topic": "x", "duration_minutes": True}, "must be an integer"),
        ({"source": "topic", "topic": "x", "duration_minutes": 2.5}, "must be an integer"),
        ({"source": "podcast", "topic": "x"}, "source must be"),
        ({"source": "document", "topic": "x"}, "multipart/form-data"),
        ({"dialogue": []}, "non-empty list"),
        ({"dialogue": "hello"}, "non-empty list"),
        ({"dialogue": [["robot", "Beep."]]}, "dialogue[0][0] must be 'male' or 'female'"),
        ({"dialogue": [["male", "Hi."], ["female", " "]]}, "dialogue[1][1] must be a non-empty"),
        ({"dialogue": [["male", "Hi.", "extra"]]}, "dialogue[0] must be a [speaker, text] pair"),
        ({"title": 7, "dialogue": [["male", "Hi."]]}, "title must be a string"),
    ],
)
def test_audio_requests_are_validated(
    server: EmulatorServer, api: httpx.Client, body: dict[str, Any], message: str
) -> None:
    assert message in error(api.post("/audios", json=body), 400)
    assert json.loads(httpx.get(f"{root(server)}/_emulator/stats").text)["audios"] == 0


def test_all_problems_are_reported_at_once(api: httpx.Client) -> None:
    body = {"dialogue": [["robot", "Beep."], ["male", ""]]}
    message = error(api.post("/audios", json=body), 400)
    assert "dialogue[0][0]" in message and "dialogue[1][1]" in message


def test_bodies_must_be_json_objects(api: httpx.Client) -> None:
    json_header = {"content-type": "application/json"}
    assert "not valid JSON" in error(api.post("/audios", content=b"{", headers=json_header), 400)
    assert "JSON object" in error(api.post("/podcasts", json=["title"]), 400)
    assert "application/json" in error(api.post("/podcasts", content=b"title=x"), 415)


@pytest.mark.parametrize("path", ["/scripts", "/audios"])
def test_documents_are_checked_for_type_size_and_presence(api: httpx.Client, path: str) -> None:
    def upload(name: str, content: bytes, media: str = "application/octet-stream") -> Any:
        return api.post(
            path, data={"source": "document"}, files={"document": (name, content, media)}
        )

    assert "unsupported document type" in error(upload("essay.docx", b"PK..."), 415)
    assert "unsupported document type" in error(upload("noext", b"MZ", "application/x-dos"), 415)
    assert "too large" in error(upload("big.txt", b"x" * (DOC_LIMIT + 1)), 413)
    assert "empty" in error(upload("empty.txt", b""), 400)
    assert "document is required" in error(api.post(path, data={"source": "document"}), 400)
    assert "document is required" in error(
        api.post(path, data={"source": "document", "document": "inline text"}, files={"x": b"1"}),
        400,
    )
    assert upload("photo", b"\xff\xd8\xff", "image/jpeg").status_code in (200, 202)
    assert upload("limit.TXT", b"y" * DOC_LIMIT).status_code in (200, 202)


def test_the_failure_marker_ends_a_job_failed(api: httpx.Client) -> None:
    by_topic = submit_topic(api, topic=f"{FAIL_MARKER} privacy")
    by_line = ok(
        api.post("/audios", json={"title": "T", "dialogue": [["male", f"Hi {FAIL_MARKER}"]]}),
        202,
    )["id"]
    healthy = submit_topic(api, topic="privacy")
    for audio_id in (by_topic, by_line):
        seen, data = wait_for(api, audio_id)
        assert seen[-1] == "failed"
        assert "audio_url" not in data
        assert "failure marker" in data["error"]
    assert wait_for(api, healthy)[1]["status"] == "succeeded"


# --- podcasts and episodes -------------------------------------------------------------------


def test_show_lifecycle(api: httpx.Client) -> None:
    created = make_show(api, "My Podcast")
    assert set(created) == {
        "id",
        "show_id",
        "title",
        "description",
        "episode_count",
        "feed_url",
        "created_at",
    }
    assert re.match(r"^myp-[a-z0-9]{6}$", created["show_id"])
    assert (created["title"], created["description"], created["episode_count"]) == (
        "My Podcast",
        "About tech",
        0,
    )
    assert created["feed_url"].endswith(f"/podcast/{created['show_id']}/feed.xml")
    assert PLAIN_TIME.match(created["created_at"])
    second = ok(api.post("/podcasts", json={"title": "A"}), 201)
    assert second["id"] == created["id"] + 1 and second["description"] == ""
    assert re.match(r"^axx-[a-z0-9]{6}$", second["show_id"])

    listed = ok(api.get("/podcasts"))
    assert [s["show_id"] for s in listed] == [created["show_id"], second["show_id"]]
    show_url = f"/podcasts/{created['show_id']}"
    assert ok(api.get(show_url)) == created

    renamed = ok(api.patch(show_url, json={"title": "New Title"}))
    assert (renamed["title"], renamed["description"]) == ("New Title", "About tech")
    described = ok(api.patch(show_url, json={"description": ""}))
    assert (described["title"], described["description"]) == ("New Title", "")
    assert renamed["show_id"] == created["show_id"] == described["show_id"]

    assert ok(api.delete(show_url)) == {"deleted": True}
    assert error(api.get(show_url), 404).startswith("podcast not found")
    assert error(api.delete(show_url), 404)
    assert error(api.patch(show_url, json={"title": "x"}), 404)
    assert [s["show_id"] for s in ok(api.get("/podcasts"))] == [second["show_id"]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "title is required"),
        ({"title": ""}, "title must not be empty"),
        ({"title": 3}, "title must be a string"),
        ({"title": "x", "description": 3}, "description must be a string"),
        ({"title": "x" * 256}, "longer than 255"),
    ],
)
def test_show_creation_is_validated(api: httpx.Client, body: dict[str, Any], message: str) -> None:
    assert message in error(api.post("/podcasts", json=body), 400)
    assert ok(api.get("/podcasts")) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "at least one of title, description"),
        ({"other": 1}, "at least one of title, description"),
        ({"title": ""}, "title must not be empty"),
        ({"description": None, "title": 5}, "title must be a string"),
    ],
)
def test_show_updates_are_validated(api: httpx.Client, body: dict[str, Any], message: str) -> None:
    show = make_show(api)
    assert message in error(api.patch(f"/podcasts/{show['show_id']}", json=body), 400)
    assert ok(api.get(f"/podcasts/{show['show_id']}")) == show


def test_episode_lifecycle(api: httpx.Client) -> None:
    show = make_show(api)
    audio_id = submit_topic(api)
    wait_for(api, audio_id)
    episodes_url = f"/podcasts/{show['show_id']}/episodes"
    body = {
        "mic_id": audio_id,
        "title": "Episode 1 – Getting Started",
        "description": "In this episode we cover the basics.",
    }
    first = ok(api.post(episodes_url, json=body), 201)
    assert set(first) == {"id", "mic_id", "title", "description", "audio_url", "created_at"}
    assert (first["mic_id"], first["title"]) == (audio_id, "Episode 1 – Getting Started")
    assert first["audio_url"] == ok(api.get(f"/audios/{audio_id}"))["audio_url"]
    assert PLAIN_TIME.match(first["created_at"])

    again = ok(api.post(episodes_url, json=body | {"title": "Rerun", "description": None}), 201)
    assert again["id"] == first["id"] + 1 and again["description"] == ""
    other_show = make_show(api, "Other")
    ok(api.post(f"/podcasts/{other_show['show_id']}/episodes", json=body), 201)

    assert [e["title"] for e in ok(api.get(episodes_url))] == [first["title"], "Rerun"]
    assert ok(api.get(f"/podcasts/{show['show_id']}"))["episode_count"] == 2

    assert ok(api.delete(f"{episodes_url}/{first['id']}")) == {"deleted": True}
    assert [e["id"] for e in ok(api.get(episodes_url))] == [again["id"]]
    assert error(api.delete(f"{episodes_url}/{first['id']}"), 404)
    assert error(api.delete(f"/podcasts/{other_show['show_id']}/episodes/{again['id']}"), 404)

    ok(api.delete(f"/podcasts/{show['show_id']}"))
    assert error(api.get(episodes_url), 404)
    assert len(ok(api.get(f"/podcasts/{other_show['show_id']}/episodes"))) == 1


def test_episodes_need_a_succeeded_job(tmp_path: Path) -> None:
    with start(tmp_path, job_seconds=8) as server, client(server) as api:
        show = make_show(api)
        url = f"/podcasts/{show['show_id']}/episodes"
        unfinished = submit_topic(api)
        message = error(api.post(url, json={"mic_id": unfinished, "title": "E1"}), 409)
        assert unfinished in message and "wait until it has succeeded" in message
        assert error(api.post(url, json={"mic_id": "nosuchid", "title": "E1"}), 404)
        assert "mic_id is required" in error(api.post(url, json={"title": "E1"}), 400)
        assert "title is required" in error(api.post(url, json={"mic_id": unfinished}), 400)
        assert error(api.post("/podcasts/zzz-000000/episodes", json={"title": "E"}), 404)
        assert ok(api.get(url)) == []


def test_episodes_refuse_a_failed_job(api: httpx.Client) -> None:
    show = make_show(api)
    failed = submit_topic(api, topic=FAIL_MARKER)
    wait_for(api, failed)
    url = f"/podcasts/{show['show_id']}/episodes"
    assert "failed" in error(api.post(url, json={"mic_id": failed, "title": "E1"}), 409)


def test_public_links_are_served(server: EmulatorServer, api: httpx.Client) -> None:
    show = make_show(api, "Feed & Co")
    audio_id = submit_topic(api)
    assert api.get(f"{root(server)}/cdn/{audio_id}.mp3").status_code == 404
    wait_for(api, audio_id)
    episode = {"mic_id": audio_id, "title": "E"}
    ok(api.post(f"/podcasts/{show['show_id']}/episodes", json=episode), 201)
    mp3 = httpx.get(f"{root(server)}/cdn/{audio_id}.mp3")
    assert (mp3.status_code, mp3.headers["content-type"]) == (200, "audio/mpeg")
    assert mp3.content[:3] == b"ID3" and len(mp3.content) > 10_000  # tagged, not a stub
    feed = httpx.get(f"{root(server)}/cdn/podcast/{show['show_id']}/feed.xml").text
    assert "<title>Feed &amp; Co</title>" in feed and f"/cdn/{audio_id}.mp3" in feed


# --- persistence, counting, serving ----------------------------------------------------------


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with start(state, job_seconds=5) as first, client(first) as api:
        show = make_show(api)
        audio = ok(api.get(f"/audios/{submit_topic(api)}"))
    assert json.loads((state / "state.json").read_text())["shows"][0]["show_id"] == show["show_id"]

    with start(state, job_seconds=0) as second, client(second) as api:
        moved = root(second) + show["feed_url"].removeprefix(root(first))  # links follow the port
        assert ok(api.get("/podcasts")) == [show | {"feed_url": moved}]
        resumed = ok(api.get(f"/audios/{audio['id']}"))
        assert resumed["created_at"] == audio["created_at"]
        assert resumed["status"] in ("queued", "running"), "the job keeps its own 5 s"
        assert ok(api.post("/podcasts", json={"title": "Next"}), 201)["id"] == show["id"] + 1


def test_state_file_is_replaced_whole(server: EmulatorServer, api: httpx.Client) -> None:
    make_show(api)
    files = sorted(p.name for p in server.store.state_dir.iterdir() if p.name != "audio")
    assert files == ["state.json"], "no temporary files are left behind"


def test_corrupt_state_is_refused_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(StateError, match="cannot read emulator state"):
        EmulatorServer(tmp_path)
    assert (tmp_path / "state.json").read_text() == "{not json"


def test_requests_are_counted_and_reset_clears_state(
    server: EmulatorServer, api: httpx.Client
) -> None:
    before = server.request_count
    make_show(api)
    api.get("/podcasts")
    httpx.get(f"{server.base_url}/podcasts")
    assert server.request_count == before + 3
    stats = httpx.get(f"{root(server)}/_emulator/stats").json()
    faults = dict.fromkeys(SHARES, 0)
    assert stats == {
        "requests": before + 3,
        "writes": 1,
        "scripts": 0,
        "audios": 0,
        "shows": 1,
        "episodes": 0,
        "faults": faults,
    }
    assert server.request_count == before + 3, "stats are not counted"

    assert ok(httpx.post(f"{root(server)}/_emulator/reset")) == {"reset": True}
    assert server.request_count == 0
    assert ok(api.get("/podcasts")) == []
    assert ok(api.post("/podcasts", json={"title": "Again"}), 201)["id"] == 1


def test_servers_pick_free_ports_and_stop_cleanly(tmp_path: Path) -> None:
    a = start(tmp_path / "a")
    b = start(tmp_path / "b")
    try:
        assert a.base_url != b.base_url
        assert re.match(r"^http://127\.0\.0\.1:\d+/api/v2$", a.base_url)
        assert KEY not in repr(a) and KEY not in repr(a.app.user_middleware)
    finally:
        a.stop()
        b.stop()
    a.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{a.base_url}/podcasts")


def test_serve_forever_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from podsync.emulator import serve_forever\n"
        "serve_forever(Path(sys.argv[1]), host='127.0.0.1', port=0, job_seconds=0, api_key=None,"
        " on_ready=lambda url: print(url, flush=True))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        with httpx.Client(base_url=url, headers={"Authorization": "Bearer x"}) as api:
            ok(api.post("/podcasts", json={"title": "Served"}), 201)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert json.loads((tmp_path / "state.json").read_text())["shows"][0]["title"] == "Served"
