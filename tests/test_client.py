"""ZenMicClient against httpx.MockTransport (requests, parsing, errors, retries) and against
hand-written vcrpy cassettes that pin the exact response bodies on the ZenMic API page."""

from __future__ import annotations

import asyncio
import email.message
import email.parser
import hashlib
import json
import logging
import random
import traceback
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr

from podsync.client import AudioStatus, ZenMicClient
from podsync.client import transport as client_module
from podsync.endpoint import Endpoint
from podsync.errors import ApiError, PodsyncError
from podsync.model import Document, LiveEpisode, LiveShow, Source
from podsync.retry import RetryPolicy, parse_retry_after
from podsync.timeouts import Timeouts

BASE = "https://zenmic.test/api/v2"
KEY = "zm-live-SECRET-7f3a9c"
CASSETTES = Path(__file__).parent / "cassettes"
Handler = Callable[[httpx.Request], httpx.Response]


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"success": True, "data": data}, headers=headers)


def fail(status: int, error: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"success": False, "error": error}, headers=headers)


class Script:
    """A MockTransport handler that answers from a queue and remembers every request."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


class MaxRng(random.Random):
    """Full jitter always drawing its ceiling, so backoff delays are predictable."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new podsync process would: it has reached no server yet."""
    monkeypatch.setattr(client_module, "_reached_origins", set())


def run(
    script: Script,
    call: Callable[[ZenMicClient], Coroutine[Any, Any, Any]],
    sleeps: list[float] | None = None,
    **options: Any,
) -> tuple[Any, ZenMicClient]:
    async def fake_sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    async def go() -> tuple[Any, ZenMicClient]:
        client = ZenMicClient(
            options.pop("base_url", BASE),
            options.pop("api_key", KEY),
            transport=httpx.MockTransport(script),
            sleep=fake_sleep,
            rng=MaxRng(),
            **options,
        )
        async with client:
            return await call(client), client

    return asyncio.run(go())


def run_error(script: Script, call: Callable[[ZenMicClient], Any], **options: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        run(script, call, **options)
    return info.value


def sent_json(request: httpx.Request) -> Any:
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.content)


def multipart_fields(request: httpx.Request) -> dict[str, tuple[str | None, str, bytes]]:
    """name -> (filename, content type, bytes) of each part of a multipart request."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser().parsebytes(head + request.content)
    assert message.is_multipart()
    fields: dict[str, tuple[str | None, str, bytes]] = {}
    for part in message.get_payload():
        assert isinstance(part, email.message.Message)
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(content, bytes)
        fields[name] = (part.get_filename(), part.get_content_type(), content)
    return fields


SHOW: dict[str, Any] = {
    "id": 1,
    "show_id": "myp-abc123",
    "title": "My Podcast",
    "description": "A great show about tech",
    "episode_count": 0,
    "feed_url": "https://cdn.zenmic.com/podcast/myp-abc123/feed.xml",
    "created_at": "2026-03-01 10:00:00",
}
BARE_SHOW = {"id": 2, "show_id": 42, "title": "Bare", "created_at": "2026-03-01T10:00:00Z"}
EXPECTED_SHOWS = [
    LiveShow("myp-abc123", "My Podcast", "A great show about tech", SHOW["feed_url"]),
    LiveShow("42", "Bare", "", None),
]


# --- reading and tolerant shapes -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"success": True, "data": [SHOW, BARE_SHOW]},
        {"success": True, "data": {"podcasts": [SHOW, BARE_SHOW]}},
        {"success": True, "data": {"shows": [SHOW, BARE_SHOW], "total": 2}},
        {"success": True, "data": {"whatever": [SHOW, BARE_SHOW], "count": 2}},
        {"data": [SHOW, BARE_SHOW]},
        [SHOW, BARE_SHOW],
    ],
    ids=["list", "podcasts", "shows", "single-list-key", "no-success-flag", "bare-list"],
)
def test_list_shows_accepts_every_list_shape(body: Any) -> None:
    script = Script(httpx.Response(200, json=body))
    shows, client = run(script, lambda c: c.list_shows())
    assert shows == EXPECTED_SHOWS
    assert all(show.episodes is None for show in shows)
    request = script.requests[0]
    assert (request.method, request.url.path) == ("GET", "/api/v2/podcasts")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, "expected a list, got null"),
        ({"a": [], "b": []}, "expected a list, got dict"),
        ({"podcasts": [SHOW], "next_page_url": "/api/v2/podcasts?page=2"}, "repeats the items"),
        ({"podcasts": [SHOW], "meta": {"has_more": True}}, "has_more but names no next page"),
        (["not a show"], "expected a show object, got str"),
        ([{"title": "no id"}], "a show has no show_id"),
    ],
)
def test_list_shows_refuses_what_it_cannot_read_completely(data: Any, expected: str) -> None:
    error = run_error(Script(ok(data)), lambda c: c.list_shows())
    assert expected in error.message
    assert (error.method, error.status) == ("GET", 200)
    assert error.path.startswith("/api/v2/podcasts")  # the page that showed the problem


def test_list_episodes_reads_ids_as_strings_and_ignores_unknown_fields() -> None:
    episodes = [
        {
            "id": 7,
            "mic_id": "abc12345",
            "title": "One",
            "description": "d",
            "audio_url": "u",
            "created_at": "2026-03-01 10:05:00",
            "plays": 9,
        },
        {"id": "8", "mic_id": "m2", "title": "Two", "created_at": "2026-03-01T10:05:00Z"},
    ]
    script = Script(ok({"episodes": episodes}))
    result, _ = run(script, lambda c: c.list_episodes("myp-abc123"))
    assert result == [
        LiveEpisode("7", "abc12345", "One", "d", "u"),
        LiveEpisode("8", "m2", "Two", "", None),
    ]
    assert script.requests[0].url.path == "/api/v2/podcasts/myp-abc123/episodes"


def test_get_show_escapes_the_id_into_one_path_segment() -> None:
    script = Script(ok(SHOW))
    show, _ = run(script, lambda c: c.get_show("a/b?c"))
    assert show == EXPECTED_SHOWS[0]
    assert script.requests[0].url.raw_path == b"/api/v2/podcasts/a%2Fb%3Fc"


# --- writing: every method's request ---------------------------------------------------------


def test_create_show_posts_title_and_description() -> None:
    script = Script(ok(SHOW, 201))
    show, _ = run(script, lambda c: c.create_show("My Podcast", "A great show about tech"))
    assert show == EXPECTED_SHOWS[0]
    request = script.requests[0]
    assert (request.method, request.url.path) == ("POST", "/api/v2/podcasts")
    assert sent_json(request) == {"title": "My Podcast", "description": "A great show about tech"}


def test_update_show_patches_and_tolerates_a_terse_answer() -> None:
    script = Script(ok({"updated": True}))
    show, _ = run(script, lambda c: c.update_show("myp-abc123", "New Title", "Updated"))
    assert show == LiveShow("myp-abc123", "New Title", "Updated")
    request = script.requests[0]
    assert (request.method, request.url.path) == ("PATCH", "/api/v2/podcasts/myp-abc123")
    assert sent_json(request) == {"title": "New Title", "description": "Updated"}


def test_update_show_prefers_what_the_api_answers() -> None:
    script = Script(ok({**SHOW, "title": "Trimmed"}))
    show, _ = run(script, lambda c: c.update_show("myp-abc123", " Trimmed ", "x"))
    assert (show.title, show.description) == ("Trimmed", SHOW["description"])


def test_delete_show_and_remove_episode_send_deletes() -> None:
    script = Script(ok({"deleted": True}))

    async def both(client: ZenMicClient) -> None:
        await client.remove_episode("myp-abc123", "7")
        await client.delete_show("myp-abc123")

    run(script, both)
    assert [(r.method, r.url.path) for r in script.requests] == [
        ("DELETE", "/api/v2/podcasts/myp-abc123/episodes/7"),
        ("DELETE", "/api/v2/podcasts/myp-abc123"),
    ]


def test_delete_answered_deleted_false_is_an_error() -> None:
    error = run_error(Script(ok({"deleted": False})), lambda c: c.delete_show("s1"))
    assert "deleted: false" in error.message
    assert (error.method, error.path) == ("DELETE", "/api/v2/podcasts/s1")


def test_add_episode_posts_mic_id_title_description() -> None:
    answer = {"id": 7, "mic_id": "abc12345", "title": "Ep 1", "audio_url": "https://a/b.mp3"}
    script = Script(ok(answer, 201))
    episode, _ = run(script, lambda c: c.add_episode("myp-abc123", "abc12345", "Ep 1", "Basics"))
    assert episode == LiveEpisode("7", "abc12345", "Ep 1", "Basics", "https://a/b.mp3")
    request = script.requests[0]
    assert (request.method, request.url.path) == ("POST", "/api/v2/podcasts/myp-abc123/episodes")
    assert sent_json(request) == {"mic_id": "abc12345", "title": "Ep 1", "description": "Basics"}


QUEUED = {"id": "abcd", "status": "queued", "poll_url": "/api/v2/audios/abcd"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            Source(kind="topic", topic="AI in healthcare", duration_minutes=5),
            {"source": "topic", "topic": "AI in healthcare", "title": "T", "duration_minutes": 5},
        ),
        (
            Source(kind="topic", topic="AI in healthcare"),
            {"source": "topic", "topic": "AI in healthcare", "title": "T"},
        ),
        (
            Source(
                kind="dialogue",
                dialogue=(("male", "Hi."), ("female", "Hello.")),
                style_prompt="Calm",
            ),
            {
                "title": "T",
                "style_prompt": "Calm",
                "dialogue": [["male", "Hi."], ["female", "Hello."]],
            },
        ),
        (
            Source(kind="dialogue", dialogue=(("male", "Hi."),)),
            {"title": "T", "dialogue": [["male", "Hi."]]},
        ),
    ],
    ids=["topic", "topic-no-duration", "dialogue", "dialogue-no-style"],
)
def test_submit_audio_sends_json_sources(source: Source, expected: dict[str, Any]) -> None:
    script = Script(ok(QUEUED, 202))
    status, _ = run(script, lambda c: c.submit_audio(source, "T"))
    assert status == AudioStatus("abcd", "queued", None, None, None, None)
    assert not status.done
    request = script.requests[0]
    assert (request.method, request.url.path) == ("POST", "/api/v2/audios")
    assert sent_json(request) == expected


def document_source(tmp_path: Path, topic: str | None) -> tuple[Source, bytes]:
    content = b"%PDF-1.4 fake but bytes are bytes\x00\xff"
    path = tmp_path / "notes.pdf"
    path.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    document = Document(str(path), "docs/notes.pdf", digest, len(content), "application/pdf")
    return Source(kind="document", document=document, topic=topic), content


@pytest.mark.parametrize("topic", ["Focus on privacy", None])
def test_submit_audio_uploads_a_document_as_multipart(tmp_path: Path, topic: str | None) -> None:
    source, content = document_source(tmp_path, topic)
    script = Script(ok(QUEUED, 202))
    status, _ = run(script, lambda c: c.submit_audio(source, "My Audio"))
    assert status.id == "abcd"
    fields = multipart_fields(script.requests[0])
    expected = {
        "source": (None, "text/plain", b"document"),
        "title": (None, "text/plain", b"My Audio"),
        "document": ("notes.pdf", "application/pdf", content),
    }
    if topic:
        expected["topic"] = (None, "text/plain", topic.encode())
    assert fields == expected


def test_submit_audio_with_an_unreadable_document_says_which(tmp_path: Path) -> None:
    source, _ = document_source(tmp_path, None)
    Path(source.document.path).unlink()  # type: ignore[union-attr]
    with pytest.raises(PodsyncError, match="document docs/notes.pdf cannot be read"):
        run(Script(ok(QUEUED, 202)), lambda c: c.submit_audio(source, "T"))


@pytest.mark.parametrize(
    ("data", "headers", "expected"),
    [
        (
            {
                "id": "abcd",
                "status": "succeeded",
                "audio_url": "https://cdn/abcd.mp3",
                "audio_page_url": "https://zenmic.com/audio/abcd",
            },
            {},
            AudioStatus(
                "abcd",
                "succeeded",
                "https://cdn/abcd.mp3",
                "https://zenmic.com/audio/abcd",
                None,
                None,
            ),
        ),
        (
            {"id": "abcd", "status": "failed", "error": "text too short"},
            {},
            AudioStatus("abcd", "failed", None, None, "text too short", None),
        ),
        (
            {"status": "RUNNING"},
            {"Retry-After": "5"},
            AudioStatus("abcd", "running", None, None, None, 5.0),
        ),
    ],
    ids=["succeeded", "failed", "running"],
)
def test_get_audio_polls_the_job(
    data: dict[str, Any], headers: dict[str, str], expected: AudioStatus
) -> None:
    script = Script(ok(data, headers=headers))
    status, _ = run(script, lambda c: c.get_audio("abcd"))
    assert status == expected
    assert status.done == (expected.status in {"succeeded", "failed"})
    assert (script.requests[0].method, script.requests[0].url.path) == (
        "GET",
        "/api/v2/audios/abcd",
    )


def test_generate_script_from_a_topic_and_from_a_document(tmp_path: Path) -> None:
    lines = [["male", "Hello."], {"speaker": "female", "text": "Hi."}]
    script = Script(ok({"title": "G", "style_prompt": "s", "dialogue": lines}))
    source, content = document_source(tmp_path, "Focus")

    async def both(client: ZenMicClient) -> list[Any]:
        return [
            await client.generate_script(Source(kind="topic", topic="AI"), "T"),
            await client.generate_script(source, "T"),
        ]

    results, _ = run(script, both)
    assert results == [
        (("male", "Hello."), ("female", "Hi.")),
        (("male", "Hello."), ("female", "Hi.")),
    ]
    topic_request, document_request = script.requests
    assert topic_request.url.path == document_request.url.path == "/api/v2/scripts"
    assert sent_json(topic_request) == {"source": "topic", "topic": "AI", "title": "T"}
    assert multipart_fields(document_request)["document"] == (
        "notes.pdf",
        "application/pdf",
        content,
    )


def test_generate_script_refuses_a_dialogue_without_a_request() -> None:
    script = Script(ok({}))
    with pytest.raises(ValueError, match="already a script"):
        run(script, lambda c: c.generate_script(Source(kind="dialogue"), "T"))
    assert script.requests == []


# --- errors ------------------------------------------------------------------------------------


def test_an_api_error_carries_the_apis_own_words() -> None:
    error = run_error(Script(fail(404, "Show not found")), lambda c: c.get_show("nope"))
    assert (error.method, error.path, error.status) == ("GET", "/api/v2/podcasts/nope", 404)
    assert error.message == "Show not found"
    assert str(error) == "GET /api/v2/podcasts/nope -> 404: Show not found"


@pytest.mark.parametrize(
    "body",
    [{"success": False, "error": "Quota exceeded"}, {"error": "Quota exceeded"}],
    ids=["success-false", "bare-error"],
)
def test_an_error_inside_a_2xx_is_an_error(body: dict[str, Any]) -> None:
    error = run_error(Script(httpx.Response(200, json=body)), lambda c: c.create_show("t", "d"))
    assert (error.status, error.message) == (200, "Quota exceeded")


def test_an_html_error_page_becomes_a_short_clear_error() -> None:
    page = "<html><body><h1>500 Internal Server Error</h1>" + "x" * 1000 + "</body></html>"
    error = run_error(Script(httpx.Response(500, html=page)), lambda c: c.list_shows())
    assert error.status == 500
    assert error.message.startswith("HTTP 500 Internal Server Error: <html><body><h1>500")
    assert len(error.message) < 300


def test_a_non_json_success_body_is_an_error_not_a_traceback() -> None:
    error = run_error(Script(httpx.Response(200, text="OK")), lambda c: c.list_shows())
    assert (error.status, error.message) == (200, "response is not JSON: OK")


def test_a_non_transient_failure_is_not_retried() -> None:
    script = Script(fail(400, "bad title"), ok([]))
    error = run_error(script, lambda c: c.list_shows())
    assert (error.status, error.message, len(script.requests)) == (400, "bad title", 1)
    assert not error.outcome_unknown


def test_a_500_on_a_get_is_retried() -> None:
    script = Script(fail(500, "boom"), ok([]))
    shows, client = run(script, lambda c: c.list_shows())
    assert (shows, len(script.requests)) == ([], 2)


# --- retries -----------------------------------------------------------------------------------


def test_429_honours_retry_after_in_seconds_and_as_a_date() -> None:
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    script = Script(
        fail(429, "slow down", {"Retry-After": "2"}),
        fail(429, "slow down", {"Retry-After": soon}),
        ok([SHOW]),
    )
    sleeps: list[float] = []
    shows, client = run(script, lambda c: c.list_shows(), sleeps)
    assert shows == EXPECTED_SHOWS[:1]
    assert sleeps[0] == 2.0
    assert 25.0 <= sleeps[1] <= 30.0
    assert len(script.requests) == 3


def test_503_then_success_backs_off_exponentially() -> None:
    script = Script(fail(503, "busy"), fail(503, "busy"), fail(503, "busy"), ok([]))
    sleeps: list[float] = []
    shows, client = run(script, lambda c: c.list_shows(), sleeps, backoff_base=0.5)
    assert shows == []
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(script.requests) == 4


@pytest.mark.parametrize(
    "answer",
    [
        fail(502, "bad gateway"),
        fail(504, "gateway timeout"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected"),
        httpx.ConnectError("refused"),
    ],
    ids=["502", "504", "read-timeout", "reset", "connect"],
)
def test_idempotent_requests_retry_every_transient_failure(answer: Any) -> None:
    script = Script(answer, ok({"deleted": True}))
    _, client = run(script, lambda c: c.delete_show("s1"))
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    "answer",
    [
        fail(429, "slow down"),
        fail(503, "busy"),
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("no route"),
    ],
    ids=["429", "503", "connect-error", "connect-timeout"],
)
def test_post_retries_only_when_the_server_certainly_did_nothing(answer: Any) -> None:
    script = Script(answer, ok(SHOW, 201))
    show, client = run(script, lambda c: c.create_show("t", "d"))
    assert show == EXPECTED_SHOWS[0]
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (fail(500, "internal error"), 500),
        (fail(502, "bad gateway"), 502),
        (fail(504, "gateway timeout"), 504),
        (httpx.ReadTimeout("slow"), None),
        (httpx.RemoteProtocolError("reset"), None),
    ],
    ids=["500", "502", "504", "read-timeout", "reset"],
)
def test_post_with_an_unknown_outcome_is_never_retried(answer: Any, status: int | None) -> None:
    script = Script(answer, ok(QUEUED, 202))
    source = Source(kind="topic", topic="x")
    error = run_error(script, lambda c: c.submit_audio(source, "T"))
    assert len(script.requests) == 1
    assert error.status == status
    assert error.outcome_unknown
    assert "outcome unknown" in error.message
    assert "may have been created (and billed)" in error.message
    script = Script(answer, ok(SHOW, 201))
    error = run_error(script, lambda c: c.create_show("t", "d"))
    assert len(script.requests) == 1
    assert error.outcome_unknown
    assert "podsync checks the account before trying again" in error.message


def test_retry_exhaustion_keeps_the_apis_message() -> None:
    script = Script(fail(503, "maintenance"))
    sleeps: list[float] = []
    error = run_error(script, lambda c: c.list_shows(), sleeps=sleeps, max_retries=3)
    assert len(script.requests) == 4
    assert len(sleeps) == 3
    assert (error.status, error.message) == (503, "maintenance (gave up after 4 attempts)")


def test_network_failure_after_retries_has_no_status() -> None:
    script = Script(httpx.ConnectError("[Errno 111] Connection refused"))
    error = run_error(script, lambda c: c.list_shows(), max_retries=2)
    assert len(script.requests) == 3
    assert error.status is None
    assert error.message.startswith("connection failed (ConnectError): [Errno 111]")


def test_a_server_that_never_answered_gets_a_few_tries_and_a_hint() -> None:
    """A refused connection at the start of a run is likelier a wrong URL than an outage."""
    script = Script(httpx.ConnectError("[Errno 111] Connection refused"))
    sleeps: list[float] = []
    error = run_error(script, lambda c: c.list_shows(), sleeps=sleeps)
    assert len(script.requests) == 4 and sleeps == [0.5, 1.0, 2.0]
    assert error.message.endswith(
        "(gave up after 4 attempts; https://zenmic.test could not be reached: "
        "is the API URL right?)"
    )


def test_once_the_server_has_answered_a_lost_connection_gets_every_retry() -> None:
    """A server that answered and then went away is restarting: ride it out."""
    script = Script(ok([]), httpx.ConnectError("[Errno 111] Connection refused"))

    async def list_twice(client: ZenMicClient) -> None:
        await client.list_shows()
        await client.list_shows()

    sleeps: list[float] = []
    error = run_error(script, list_twice, sleeps=sleeps)
    assert len(script.requests) == 1 + 9 and len(sleeps) == 8
    assert error.message.endswith("(gave up after 9 attempts)")


def test_a_server_that_answered_an_earlier_client_gets_every_retry() -> None:
    """Plan and apply use separate clients: a refusal after the plan is a restart, not a typo."""
    run(Script(ok([])), lambda c: c.list_shows())
    script = Script(httpx.ConnectError("[Errno 111] Connection refused"))
    error = run_error(script, lambda c: c.list_shows())
    assert len(script.requests) == 9
    assert error.message.endswith("(gave up after 9 attempts)")


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("Server disconnected")],
    ids=["read-timeout", "disconnected"],
)
def test_only_a_failure_to_connect_counts_as_unreached(failure: Exception) -> None:
    """A server that accepted the connection exists: a slow or dropped answer is an outage."""
    script = Script(failure)
    error = run_error(script, lambda c: c.list_shows())
    assert len(script.requests) == 9
    assert error.message.endswith("(gave up after 9 attempts)")


def test_a_server_reached_but_silent_then_refusing_gets_every_retry() -> None:
    """A read timeout proves the server was there: a refusal after it is a restart."""
    script = Script(httpx.ReadTimeout("slow"), httpx.ConnectError("refused"))
    error = run_error(script, lambda c: c.list_shows())
    assert len(script.requests) == 9
    assert error.message.endswith("(gave up after 9 attempts)")


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://zenmic.com/api/v2", "https://zenmic.com"),
        ("https://me:p@ss@zenmic.test:8443/api/v2", "https://zenmic.test:8443"),
        ("http://[::1]:9000/api", "http://[::1]:9000"),
    ],
    ids=["plain", "userinfo", "ipv6"],
)
def test_the_origin_in_the_hint_never_holds_a_password(url: str, origin: str) -> None:
    script = Script(httpx.ConnectError("refused"))
    error = run_error(script, lambda c: c.list_shows(), base_url=url)
    assert f"; {origin} could not be reached: is the API URL right?)" in error.message
    assert "p@ss" not in error.message


def test_a_connect_timeout_counts_as_unreached() -> None:
    script = Script(httpx.ConnectTimeout("timed out"))
    error = run_error(script, lambda c: c.list_shows())
    assert len(script.requests) == 4
    assert "could not be reached: is the API URL right?" in error.message


def test_a_retry_after_beyond_reason_is_not_waited_for() -> None:
    script = Script(fail(429, "daily quota", {"Retry-After": "86400"}), ok([]))
    sleeps: list[float] = []
    error = run_error(script, lambda c: c.list_shows(), sleeps=sleeps)
    assert sleeps == []
    assert len(script.requests) == 1
    assert "daily quota" in error.message and "86400s" in error.message


def test_backoff_is_full_jitter_capped_by_backoff_max() -> None:
    policy = RetryPolicy(max_retries=10, backoff_base=0.5, backoff_max=4.0, rng=random.Random(7))
    for retry in range(10):
        ceiling = min(4.0, 0.5 * 2**retry)
        delays = [policy.delay(retry, None) for _ in range(50)]
        assert all(d is not None and 0.0 <= d <= ceiling for d in delays)
    assert policy.delay(10, None) is None
    assert policy.delay(0, 12.5) == 12.5


@pytest.mark.parametrize(
    ("method", "outcome", "transient", "repeatable"),
    [
        ("GET", 502, True, True),
        ("PATCH", httpx.ReadTimeout("t"), True, True),
        ("DELETE", 504, True, True),
        ("GET", 500, True, True),
        ("POST", 500, True, False),
        ("POST", 429, True, True),
        ("POST", 503, True, True),
        ("POST", 502, True, False),
        ("POST", 504, True, False),
        ("POST", httpx.ConnectError("c"), True, True),
        ("POST", httpx.ReadTimeout("t"), True, False),
        ("POST", httpx.WriteError("w"), True, False),
        ("GET", httpx.UnsupportedProtocol("ftp"), False, True),
    ],
)
def test_retry_policy_table(method: str, outcome: Any, transient: bool, repeatable: bool) -> None:
    assert RetryPolicy.transient(outcome) is transient
    assert RetryPolicy.safe_to_repeat(method, outcome) is repeatable


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 3, 1, 10, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Sun, 01 Mar 2026 10:00:45 GMT", now) == 45.0
    assert parse_retry_after("Sun, 01 Mar 2026 09:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


# --- the key -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "   "])
def test_a_missing_key_fails_at_the_first_request_not_before(key: str | None) -> None:
    script = Script(ok([]))
    client = ZenMicClient(BASE, key, transport=httpx.MockTransport(script))
    with pytest.raises(PodsyncError, match="ZENMIC_API_KEY is not set") as info:
        asyncio.run(client.list_shows())
    assert not isinstance(info.value, ApiError)
    assert script.requests == []


def test_a_key_unfit_for_a_header_is_refused_without_echoing_it() -> None:
    script = Script(ok([]))
    with pytest.raises(PodsyncError, match="cannot go in an HTTP header") as info:
        run(script, lambda c: c.list_shows(), api_key="zm-\u00e9t\u00e9-key")
    assert "t\u00e9-key" not in str(info.value)
    assert script.requests == []


def echo_authorization(request: httpx.Request) -> httpx.Response:
    """A misbehaving proxy that reflects the request headers into its error page."""
    return httpx.Response(502, html=f"<pre>{request.headers['authorization']}</pre>")


@pytest.mark.parametrize(
    "answer",
    [echo_authorization, fail(401, "Invalid API key"), httpx.ConnectError("refused")],
    ids=["echoing-proxy", "401", "network"],
)
def test_the_key_never_shows_in_errors_reprs_or_logs(
    answer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    script = Script(answer)
    holder: list[ZenMicClient] = []

    async def call(client: ZenMicClient) -> None:
        holder.append(client)
        await client.list_shows()

    error = run_error(script, call, max_retries=1)
    assert script.requests[0].headers["authorization"] == f"Bearer {KEY}"
    shown = [
        str(error),
        repr(error),
        error.message,
        "".join(traceback.format_exception(type(error), error, error.__traceback__)),
        repr(holder[0]),
        repr(vars(holder[0])),
        caplog.text,
    ]
    assert caplog.records
    assert all(KEY not in text for text in shown)


def test_reprs_never_show_a_password_in_the_api_url() -> None:
    url = "https://me:hunter2@zenmic.test/api/v2"
    shown = [repr(Endpoint(url, KEY))]
    _, client = run(Script(ok([])), lambda c: c.list_shows(), base_url=url)
    shown.append(repr(client))
    assert shown == [
        "Endpoint(url='https://***@zenmic.test/api/v2')",
        "ZenMicClient(base_url='https://***@zenmic.test/api/v2')",
    ]


# --- cassettes: the exact documented bodies ----------------------------------------------------

tape = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    filter_headers=["authorization"],
    match_on=("method", "scheme", "host", "port", "path", "query", "body"),
)
DOCS = "https://zenmic.com/api/v2"


def replay(cassette: str, call: Callable[[ZenMicClient], Coroutine[Any, Any, Any]]) -> Any:
    """Run ``call`` against a real httpx transport whose answers come from ``cassette``."""

    async def go() -> Any:
        async with ZenMicClient(DOCS, KEY) as client:
            return await call(client)

    with tape.use_cassette(cassette) as played:
        result = asyncio.run(go())
    assert played.all_played
    return result


def test_cassette_post_audios_202_is_a_queued_job() -> None:
    source = Source(kind="topic", topic="The future of AI in healthcare", duration_minutes=5)
    status = replay(
        "audios_submit_topic_202.yaml", lambda c: c.submit_audio(source, "AI in Medicine")
    )
    assert status == AudioStatus(
        "abcd", "queued", None, "https://zenmic.com/audio/abcd", None, None
    )
    assert not status.done


def test_cassette_get_audio_succeeded() -> None:
    status = replay("audios_get_succeeded_200.yaml", lambda c: c.get_audio("abcd"))
    assert status == AudioStatus(
        "abcd",
        "succeeded",
        "https://cdn.zenmic.com/abcd.mp3",
        "https://zenmic.com/audio/abcd",
        None,
        None,
        title="AI in Medicine",
        created_at="2026-03-01T10:00:00Z",
    )
    assert status.done


def test_cassette_post_podcasts_201_is_a_show() -> None:
    show = replay(
        "podcasts_create_201.yaml", lambda c: c.create_show("My Podcast", "A great show about tech")
    )
    assert show == EXPECTED_SHOWS[0]


def test_cassette_deletes_answer_deleted_true() -> None:
    async def both(client: ZenMicClient) -> list[None]:
        return [
            await client.remove_episode("myp-abc123", "7"),  # type: ignore[func-returns-value]
            await client.delete_show("myp-abc123"),  # type: ignore[func-returns-value]
        ]

    assert replay("podcasts_delete_200.yaml", both) == [None, None]


def test_cassette_post_episodes_201_is_an_episode() -> None:
    title = "Episode 1 \u2013 Getting Started"
    episode = replay(
        "episodes_create_201.yaml",
        lambda c: c.add_episode(
            "myp-abc123", "abc12345", title, "In this episode we cover the basics."
        ),
    )
    assert episode == LiveEpisode(
        "7",
        "abc12345",
        title,
        "In this episode we cover the basics.",
        "https://cdn.zenmic.com/abc12345.mp3",
    )


def test_cassette_post_scripts_200_is_a_dialogue() -> None:
    source = Source(kind="topic", topic="The future of AI in healthcare", duration_minutes=5)
    dialogue = replay(
        "scripts_topic_200.yaml", lambda c: c.generate_script(source, "AI in Medicine")
    )
    assert dialogue == (
        ("male", "Hello and welcome to our audio."),
        ("female", "Today we're discussing an interesting topic..."),
    )


def test_cassettes_hold_no_credentials() -> None:
    for cassette in CASSETTES.glob("*.yaml"):
        text = cassette.read_text(encoding="utf-8").lower()
        assert "authorization" not in text
        assert "bearer" not in text
        assert KEY.lower() not in text


# --- time limits (issue 9) -------------------------------------------------------------------


def test_a_hang_ends_at_the_requests_deadline_counted_in_wall_time() -> None:
    """Each attempt that hangs costs its read timeout: the deadline, not the attempt count,
    ends the request, and the error says what was waited for."""
    now = [0.0]

    def hang(request: httpx.Request) -> httpx.Response:
        now[0] += request.extensions["timeout"]["read"]
        raise httpx.ReadTimeout("slow")

    async def tick(seconds: float) -> None:
        now[0] += seconds

    async def go() -> None:
        async with ZenMicClient(
            BASE,
            KEY,
            transport=httpx.MockTransport(Script(hang)),
            timeouts=Timeouts(read=15, deadline=90),
            sleep=tick,
            clock=lambda: now[0],
            rng=MaxRng(),
        ) as client:
            await client.list_shows()

    with pytest.raises(ApiError) as info:
        asyncio.run(go())
    assert info.value.message == (
        "timed out (ReadTimeout): no answer within 15s (gave up after 5 attempts in 82.5s: one "
        "request may take 90s, each attempt waiting up to 15s for an answer; set "
        "PODSYNC_TIMEOUT=SECONDS to wait longer)"
    )


def test_each_request_gets_the_read_timeout_that_suits_it() -> None:
    seen: dict[str, float] = {}

    def record(request: httpx.Request) -> httpx.Response:
        seen[f"{request.method} {request.url.path}"] = request.extensions["timeout"]["read"]
        if request.url.path.endswith("/audios"):
            return ok(QUEUED, 202)
        return ok(SHOW, 201) if request.method == "POST" else ok([])

    async def calls(client: ZenMicClient) -> None:
        await client.list_shows()
        await client.create_show("t", "d")
        await client.submit_audio(Source(kind="topic", topic="x"), "T")

    run(Script(record), calls, timeouts=Timeouts(read=1, create=2, work=3))
    assert seen == {
        "GET /api/v2/podcasts": 1,
        "POST /api/v2/podcasts": 2,
        "POST /api/v2/audios": 3,
    }


@pytest.mark.parametrize(
    ("answer", "unanswered"),
    [(httpx.ReadTimeout("slow"), True), (fail(504, "gateway timeout"), True)]
    + [(fail(500, "boom"), False), (httpx.RemoteProtocolError("reset"), False)],
    ids=["read-timeout", "504", "500", "reset"],
)
def test_a_post_with_no_answer_yet_is_marked_as_possibly_still_at_work(
    answer: Any, unanswered: bool
) -> None:
    error = run_error(Script(answer), lambda c: c.create_show("t", "d"))
    assert error.outcome_unknown and error.unanswered is unanswered


def test_a_plain_http_api_loads_no_certificate_store_and_trusts_no_certificate() -> None:
    """Loading the CA bundle costs every command against a plain-HTTP server (the emulator)
    some 40 ms; the context used instead must fail any https request, never pass it unchecked."""
    import ssl

    plain = client_module._tls_for("http://127.0.0.1:8080/api/v2")
    assert isinstance(plain, ssl.SSLContext)
    assert plain.verify_mode == ssl.CERT_REQUIRED and plain.check_hostname
    assert plain.get_ca_certs() == [] and plain.cert_store_stats()["x509_ca"] == 0
    assert client_module._tls_for("https://zenmic.com/api/v2") is True
