"""ZenMicClient's listings, empty successes and unusable audio_urls, against httpx.MockTransport:
the corner cases of every pagination envelope, and each way a listing is refused as incomplete.
The same promises over real HTTP are in tests/test_real_servers_listings.py."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from podsync.client import NO_AUDIO_URL
from podsync.client import listing as client_module
from tests.test_client import (  # noqa: F401 (fresh_process is an autouse fixture)
    BASE,
    KEY,
    Handler,
    Script,
    fail,
    fresh_process,
    ok,
    run,
    run_error,
)

ROOT = "https://zenmic.test"
FIRST = f"{BASE}/podcasts"


def show(n: int) -> dict[str, Any]:
    return {"show_id": f"s{n}", "title": f"Show {n}"}


def pages(answers: dict[str, httpx.Response]) -> Handler:
    """Answer each URL from ``answers``; any other URL is a 404, which fails the test loudly."""
    return lambda request: answers.get(str(request.url), fail(404, f"no page {request.url}"))


def body(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


def test_link_pages_are_followed_with_relative_urls_and_retries_per_page() -> None:
    answer = pages(
        {
            FIRST: ok([show(1)], headers={"Link": '</api/v2/podcasts?page=2>; rel="next"'}),
            f"{FIRST}?page=2": ok([show(2)], headers={"Link": '<?page=3>; rel="next"'}),
            f"{FIRST}?page=3": ok([show(3)]),
        }
    )
    busy = [fail(503, "busy")]  # page 2's first answer

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2" and busy:
            return busy.pop()
        return answer(request)

    recorder = Script(handler)
    sleeps: list[float] = []
    shows, client = run(recorder, lambda c: c.list_shows(), sleeps)
    assert [s.show_id for s in shows] == ["s1", "s2", "s3"]
    assert [str(r.url) for r in recorder.requests] == [
        FIRST,
        f"{FIRST}?page=2",
        f"{FIRST}?page=2",
        f"{FIRST}?page=3",
    ]
    assert len(sleeps) == 1  # the 503 on page 2 was retried, not taken as the end
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in recorder.requests)
    assert len(recorder.requests) == 4


@pytest.mark.parametrize(
    ("first", "second_url"),
    [
        ({"success": True, "data": [show(1)], "next": f"{FIRST}?after=s1"}, f"{FIRST}?after=s1"),
        (
            {"success": True, "data": {"podcasts": [show(1)], "next_url": "/api/v2/podcasts?p=2"}},
            f"{FIRST}?p=2",
        ),
        ({"success": True, "data": [show(1)], "next_page": 2}, f"{FIRST}?page=2"),
        ({"data": [show(1)], "next_page": "2"}, f"{FIRST}?page=2"),
        (
            {"data": [show(1)], "links": {"self": FIRST, "next_page_url": "podcasts?page=2"}},
            f"{FIRST}?page=2",
        ),
        ({"data": [show(1)], "links": {"next": f"{FIRST}?page=2"}}, f"{FIRST}?page=2"),
        ({"data": [show(1)], "links": {"next": {"href": "?page=2"}}}, f"{FIRST}?page=2"),
        (
            {"data": [show(1)], "meta": {"next_cursor": "c2", "has_more": True}},
            f"{FIRST}?cursor=c2",
        ),
        (
            {"data": [show(1)], "pagination": {"cursor": "c2", "has_more": True}},
            f"{FIRST}?cursor=c2",
        ),
        ({"data": [show(1)], "meta": {"page": 1, "total_pages": 2}}, f"{FIRST}?page=2"),
        ({"data": [show(1)], "page": 1, "per_page": 1, "total": 2}, f"{FIRST}?page=2"),
    ],
    ids=[
        "next",
        "next_url-in-data",
        "next_page",
        "next_page-text",
        "next_page_url-in-links",
        "json-api-links",
        "json-api-link-object",
        "next_cursor-in-meta",
        "cursor-has_more",
        "total_pages",
        "page-total",
    ],
)
def test_every_common_envelope_leads_to_the_next_page(first: Any, second_url: str) -> None:
    script = Script(pages({FIRST: body(first), second_url: ok([show(2)])}))
    shows, _ = run(script, lambda c: c.list_shows())
    assert [s.show_id for s in shows] == ["s1", "s2"]
    assert [str(r.url) for r in script.requests] == [FIRST, second_url]


@pytest.mark.parametrize(
    ("first", "ends"),
    [
        ({"data": [show(1)], "next_page": None, "page": 1, "total": 1}, "explicit-null"),
        ({"data": [show(1)], "meta": {"next_cursor": "c2", "has_more": False}}, "has_more-false"),
        ({"data": [show(1)], "pagination": {"cursor": "c1"}}, "echoed-cursor"),
        ({"data": [show(1)], "page": 1, "total_pages": 1}, "last-page"),
        ({"data": [show(1)], "next": False}, "next-false"),
    ],
)
def test_a_last_page_ends_the_listing(first: Any, ends: str) -> None:
    script = Script(pages({FIRST: body(first)}))
    shows, _ = run(script, lambda c: c.list_shows())
    assert [s.show_id for s in shows] == ["s1"]
    assert len(script.requests) == 1, ends


def with_next(items: list[dict[str, Any]], url: str) -> httpx.Response:
    return ok(items, headers={"Link": f'<{url}>; rel="next"'})


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (
            {FIRST: with_next([show(1)], "https://evil.test/api/v2/podcasts?page=2")},
            "the next page is on another origin (https://evil.test)",
        ),
        (
            {FIRST: with_next([show(1)], "http://zenmic.test/api/v2/podcasts?page=2")},
            "the next page is on another origin (http://zenmic.test)",
        ),
        (
            {FIRST: with_next([show(1)], "https://zenmic.test:8443/api/v2/podcasts?page=2")},
            "the next page is on another origin (https://zenmic.test:8443)",
        ),
        (
            {
                FIRST: with_next([show(1)], "?page=2"),
                f"{FIRST}?page=2": with_next([show(2)], FIRST),
            },
            "the next page (/api/v2/podcasts) was read already: loop",
        ),
        (
            {
                FIRST: with_next([show(1)], "?page=2"),
                f"{FIRST}?page=2": with_next([show(1)], "?page=3"),
            },
            "page 2 repeats the items of page 1",
        ),
        (
            {
                FIRST: with_next([show(1)], "?page=2"),
                f"{FIRST}?page=2": ok([show(2), show(1)]),
            },
            "id 's1' is listed twice (pages 1 and 2)",
        ),
        ({FIRST: body({"data": [show(1)], "total": 3})}, "total=3 but 1 items were read"),
        (
            {FIRST: body({"data": [], "page": 1, "per_page": 2, "total": 2})},
            "total=2 but 0 items were read in 1 page(s)",
        ),
        (
            {FIRST: body({"data": [show(1)], "meta": {"has_more": True}})},
            "the listing says has_more but names no next page or cursor",
        ),
        (
            {FIRST: with_next([show(1)], "http://[::1")},
            "unexpected response: the next page's link is not a URL: 'http://[::1'",
        ),
        (
            {FIRST: body({"data": [show(1)], "total": "²", "next_page": "9" * 5000})},
            "the listing names a next page podsync cannot read: '9999",
        ),
    ],
    ids=[
        "other-host",
        "other-scheme",
        "other-port",
        "loop",
        "repeated-page",
        "id-twice",
        "total",
        "empty-page-short-of-total",
        "has_more-alone",
        "bad-link",
        "odd-digits",
    ],
)
def test_a_listing_that_cannot_be_read_completely_is_refused(
    answers: dict[str, httpx.Response], expected: str
) -> None:
    script = Script(pages(answers))
    error = run_error(script, lambda c: c.list_shows())
    assert expected in error.message
    assert error.method == "GET" and error.path.startswith("/api/v2/podcasts")
    assert all(r.url.host == "zenmic.test" and r.url.port is None for r in script.requests)


def test_a_listing_without_end_stops_at_the_page_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_LIST_PAGES", 5)

    def endless(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page", "1"))
        return body({"data": [show(n)], "next_page": n + 1})

    script = Script(endless)
    error = run_error(script, lambda c: c.list_shows())
    assert "the listing goes on past 5 pages; refused" in error.message
    assert len(script.requests) == 5


def test_an_episode_count_other_than_the_listing_is_refused() -> None:
    episodes = [{"id": 1, "mic_id": "m1", "title": "One"}]
    error = run_error(Script(ok(episodes)), lambda c: c.list_episodes("s1", expected=2))
    assert (error.method, error.path) == ("GET", "/api/v2/podcasts/s1/episodes")
    assert "says the show has 2 episode(s) but its episode listing holds 1" in error.message
    listed, _ = run(Script(ok(episodes)), lambda c: c.list_episodes("s1", expected=1))
    assert [e.id for e in listed] == ["1"]


def test_the_show_listing_carries_episode_count_when_given() -> None:
    shows, _ = run(Script(ok([{**show(1), "episode_count": 3}, show(2)])), lambda c: c.list_shows())
    assert [s.episode_count for s in shows] == [3, None]


@pytest.mark.parametrize("status", [200, 202, 204])
def test_an_empty_success_to_delete_is_a_success(status: int) -> None:
    script = Script(httpx.Response(status))
    run(script, lambda c: c.remove_episode("s1", "7"))
    run(script, lambda c: c.delete_show("s1"))
    assert [r.method for r in script.requests] == ["DELETE", "DELETE"]


@pytest.mark.parametrize("status", [200, 202, 204])
def test_an_empty_success_to_patch_keeps_the_values_sent(status: int) -> None:
    updated, _ = run(
        Script(httpx.Response(status)), lambda c: c.update_show("s1", "New title", "New text")
    )
    assert (updated.show_id, updated.title, updated.description) == ("s1", "New title", "New text")


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda c: c.create_show("T", "d"), "/api/v2/podcasts"),
        (lambda c: c.add_episode("s1", "m1", "T", "d"), "/api/v2/podcasts/s1/episodes"),
    ],
    ids=["create_show", "add_episode"],
)
def test_an_empty_answer_to_a_create_is_a_clear_error(call: Any, path: str) -> None:
    error = run_error(Script(httpx.Response(201)), call)
    assert (error.method, error.path, error.status) == ("POST", path, 201)
    assert "the API answered 201 with an empty body, without what it created" in error.message
    assert error.outcome_unknown  # it took effect: the executor looks for it, never re-sends


def test_an_empty_answer_to_a_read_is_a_clear_error() -> None:
    error = run_error(Script(httpx.Response(200)), lambda c: c.get_show("s1"))
    assert (error.method, error.path, error.status) == ("GET", "/api/v2/podcasts/s1", 200)
    assert (
        error.message
        == "the API answered 200 with an empty body; podsync needs the data it asked for"
    )


def test_an_empty_answer_to_an_audio_job_says_it_may_be_billed() -> None:
    from podsync.model import Source

    error = run_error(
        Script(httpx.Response(202)), lambda c: c.submit_audio(Source("topic", topic="t"), "T")
    )
    assert (error.method, error.path, error.status) == ("POST", "/api/v2/audios", 202)
    assert "may have been created (and billed)" in error.message
    assert error.outcome_unknown  # so the executor records the job as unconfirmed


@pytest.mark.parametrize(
    "audio_url",
    [None, "", "   ", "/cdn/m1.mp3", "ftp://cdn.zenmic.com/m1.mp3", "https://"],
    ids=["missing", "empty", "blank", "relative", "ftp", "no-host"],
)
def test_a_succeeded_job_without_a_usable_audio_url_is_failed(audio_url: str | None) -> None:
    data: dict[str, Any] = {"id": "m1", "status": "succeeded"}
    if audio_url is not None:
        data["audio_url"] = audio_url
    status, _ = run(Script(ok(data)), lambda c: c.get_audio("m1"))
    assert (status.status, status.error, status.done) == ("failed", NO_AUDIO_URL, True)


def test_a_succeeded_job_with_an_http_audio_url_stays_succeeded() -> None:
    data = {"id": "m1", "status": "succeeded", "audio_url": "http://cdn.zenmic.test/m1.mp3"}
    status, _ = run(Script(ok(data)), lambda c: c.get_audio("m1"))
    assert (status.status, status.error) == ("succeeded", None)


def test_a_next_link_carrying_the_key_is_shown_redacted() -> None:
    answers = {
        FIRST: with_next([show(1)], f"?page=2&token={KEY}"),
        f"{FIRST}?page=2&token={KEY}": fail(400, "bad page"),
    }
    error = run_error(Script(pages(answers)), lambda c: c.list_shows())
    assert error.path == "/api/v2/podcasts?page=2&token=***"
    assert KEY not in str(error)
