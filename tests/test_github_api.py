"""The GitHub REST client against the fake GitHub over HTTP (MockTransport only where a real
server cannot misbehave on cue)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from podsync.errors import GitHubError
from podsync.github.api import GitHubApi
from tests.fake_github import FakeGitHub

REPO = "acme/podcasts"
TOKEN = "ghs_unit0123456789"
HUMAN = {"login": "bob", "id": 2, "type": "User"}


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub(token=TOKEN, max_per_page=2)
    server = fake.serve()
    try:
        yield fake
    finally:
        server.stop()


def client(github: FakeGitHub, token: str = TOKEN) -> GitHubApi:
    return GitHubApi(token, api_url=github.url + "/")


def test_comments_are_read_across_pages_in_order(github: FakeGitHub) -> None:
    for n in range(5):
        github.add_comment(REPO, 7, f"comment {n}", user=HUMAN)
    with client(github) as api:
        comments = api.list_issue_comments(REPO, 7)
    assert [c.body for c in comments] == [f"comment {n}" for n in range(5)]
    assert comments[0].author == "bob" and not comments[0].author_is_bot
    gets = github.calls("GET")
    assert len(gets) == 3
    assert gets[0].query == "per_page=100"
    assert all(r.headers["x-github-api-version"] == "2022-11-28" for r in gets)


def test_create_then_update_a_comment(github: FakeGitHub) -> None:
    with client(github) as api:
        created = api.create_issue_comment(REPO, 7, "first")
        assert created.author_is_bot and created.url.endswith(f"#issuecomment-{created.id}")
        updated = api.update_issue_comment(REPO, created.id, "second")
    assert updated.id == created.id
    assert github.bodies(REPO, 7) == ["second"]
    assert [r.body for r in github.calls("PATCH")] == [{"body": "second"}]


def test_the_pull_request_a_commit_was_merged_by(github: FakeGitHub) -> None:
    github.merged(REPO, "a" * 40, 7, "feature")
    with client(github) as api:
        (pull,) = api.pulls_for_commit(REPO, "a" * 40)
        assert api.pulls_for_commit(REPO, "b" * 40) == []
    assert (pull.number, pull.merged, pull.merge_commit_sha, pull.head_ref, pull.base_ref) == (
        7,
        True,
        "a" * 40,
        "feature",
        "main",
    )


def test_errors_name_the_request_and_githubs_message_never_the_token(github: FakeGitHub) -> None:
    with client(github, token="ghs_wrong_token_value") as api, pytest.raises(GitHubError) as bad:
        api.list_issue_comments(REPO, 7)
    assert str(bad.value) == (
        "GitHub GET /repos/acme/podcasts/issues/7/comments -> 401: Bad credentials"
    )
    github.read_only = True
    with client(github) as api, pytest.raises(GitHubError) as refused:
        api.create_issue_comment(REPO, 7, "hello")
    assert refused.value.status == 403
    assert "POST /repos/acme/podcasts/issues/7/comments" in str(refused.value)
    assert "Resource not accessible by integration" in str(refused.value)
    assert TOKEN not in str(refused.value) and TOKEN not in repr(api)


def test_a_next_page_on_another_host_is_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        link = '<https://evil.example/repos/acme/podcasts/issues/7/comments?page=2>; rel="next"'
        return httpx.Response(200, json=[], headers={"Link": link})

    api = GitHubApi(TOKEN, transport=httpx.MockTransport(handler))
    with api, pytest.raises(GitHubError, match="another host; not followed"):
        api.list_issue_comments(REPO, 7)


def test_a_get_is_tried_again_after_a_5xx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("podsync.github.api.time.sleep", lambda seconds: None)
    answers = [httpx.Response(502, text="bad gateway"), httpx.Response(200, json=[])]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return answers.pop(0)

    with GitHubApi(TOKEN, transport=httpx.MockTransport(handler)) as api:
        assert api.list_issue_comments(REPO, 7) == []
    assert seen == ["GET", "GET"]


def test_a_post_is_not_sent_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("podsync.github.api.time.sleep", lambda seconds: None)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return httpx.Response(502, json={"message": "Server Error"})

    api = GitHubApi(TOKEN, transport=httpx.MockTransport(handler))
    with api, pytest.raises(GitHubError, match="-> 502: Server Error"):
        api.create_issue_comment(REPO, 7, "body")
    assert seen == ["POST"]
