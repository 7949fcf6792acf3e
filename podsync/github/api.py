"""The few GitHub REST endpoints the action uses, over httpx (sync: the action makes a handful of
calls, one after another).

Base URL from GITHUB_API_URL, so GitHub Enterprise works and tests run against a local fake. Every
failure becomes a GitHubError naming the request (method and path, never the token) and GitHub's
own message; the caller decides what a 403 means (a fork's read-only token is not fatal for a
plan comment).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from podsync.errors import GitHubError

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
PER_PAGE = 100
MAX_PAGES = 50  # 5,000 comments: far beyond any PR, and a bound on a Link loop
GET_ATTEMPTS = 3
TIMEOUT = 30.0


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author: str
    author_is_bot: bool
    url: str
    node_id: str = ""  # the GraphQL id, to ask who last edited it


@dataclass(frozen=True)
class Edited:
    """A comment as GraphQL gives it, with GitHub's own record of its last edit: `editor` is
    None when nobody edited it since it was posted; GraphQL spells a bot's login without the
    `[bot]` that REST adds."""

    body: str
    editor: str | None
    editor_is_bot: bool = False
    last_edited_at: str | None = None


_EDITED = """
query($id: ID!) {
  node(id: $id) {
    ... on IssueComment { body lastEditedAt editor { __typename login } }
  }
}
"""


@dataclass(frozen=True)
class PullRequest:
    number: int
    state: str
    merged: bool
    merge_commit_sha: str | None
    head_ref: str
    base_ref: str
    url: str
    head_sha: str = ""
    head_repo: str = ""  # owner/name; empty when the fork it came from was deleted
    base_repo: str = ""

    @property
    def from_fork(self) -> bool:
        return bool(self.base_repo) and self.head_repo != self.base_repo


class GitHubApi:
    """A GitHub REST client for one repository's issues and pulls; use as a context manager."""

    def __init__(
        self,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "podsync",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self._origin = _origin(self.api_url)
        self._http = httpx.Client(
            base_url=self.api_url, headers=headers, timeout=TIMEOUT, transport=transport
        )

    def __repr__(self) -> str:
        return f"GitHubApi(api_url={self.api_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubApi:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def list_issue_comments(self, repo: str, number: int) -> list[Comment]:
        """Every comment on issue or pull request `number`, oldest first, all pages."""
        path = f"/repos/{repo}/issues/{number}/comments"
        items = self._get_all(path, {"per_page": PER_PAGE})
        return [_comment(item, path) for item in items]

    def create_issue_comment(self, repo: str, number: int, body: str) -> Comment:
        path = f"/repos/{repo}/issues/{number}/comments"
        return _comment(self._send("POST", path, json={"body": body}), path)

    def update_issue_comment(self, repo: str, comment_id: int, body: str) -> Comment:
        path = f"/repos/{repo}/issues/comments/{comment_id}"
        return _comment(self._send("PATCH", path, json={"body": body}), path)

    def edited(self, comment: Comment) -> Edited:
        """Who last edited `comment`, and its body as of that answer (REST does not say who
        edited a comment: GraphQL's `editor` is GitHub's record of it)."""
        path = "/graphql"
        if not comment.node_id:
            raise GitHubError("GET", f"comment {comment.id}", None, "the comment has no node_id")
        response = self._request(
            "POST",
            self.graphql_url,
            path,
            reads=True,
            json={"query": _EDITED, "variables": {"id": comment.node_id}},
        )
        data = _json(response, "POST", path)
        node = (data.get("data") or {}).get("node") if isinstance(data, dict) else None
        if not isinstance(node, dict) or not isinstance(node.get("body"), str):
            errors = data.get("errors") if isinstance(data, dict) else None
            said = errors[0].get("message") if isinstance(errors, list) and errors else None
            raise GitHubError("POST", path, response.status_code, str(said or "no comment"))
        editor = node.get("editor")
        if not isinstance(editor, dict):
            return Edited(node["body"], None, last_edited_at=node.get("lastEditedAt"))
        return Edited(
            node["body"],
            str(editor.get("login", "")),
            editor.get("__typename") == "Bot",
            node.get("lastEditedAt"),
        )

    @property
    def graphql_url(self) -> str:
        """GitHub's GraphQL endpoint beside the REST one: /graphql on github.com, /api/graphql
        on GitHub Enterprise Server (whose REST API is /api/v3)."""
        if self.api_url.endswith("/api/v3"):
            return self.api_url.removesuffix("/v3") + "/graphql"
        return self.api_url + "/graphql"

    def get_pull(self, repo: str, number: int) -> PullRequest:
        """The pull request as it is now (its head commit moves with every push)."""
        path = f"/repos/{repo}/pulls/{number}"
        response = self._request("GET", path, path)
        data = _json(response, "GET", path)
        if not isinstance(data, dict):
            raise GitHubError("GET", path, response.status_code, "expected a JSON object")
        return _pull(data, path)

    def pulls_for_commit(self, repo: str, sha: str) -> list[PullRequest]:
        """The pull requests a commit belongs to; for a commit pushed by merging, the merged one."""
        path = f"/repos/{repo}/commits/{sha}/pulls"
        return [_pull(item, path) for item in self._get_all(path, {"per_page": PER_PAGE})]

    def _get_all(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Follow `Link: <...>; rel="next"` until the last page."""
        items: list[dict[str, Any]] = []
        url: str | None = path
        query: dict[str, Any] | None = params
        for _ in range(MAX_PAGES):
            if url is None:
                return items
            response = self._request("GET", url, path, params=query)
            page = _json(response, "GET", path)
            if not isinstance(page, list) or not all(isinstance(i, dict) for i in page):
                raise GitHubError("GET", path, response.status_code, "expected a JSON list")
            items.extend(page)
            url = self._next_page(response, path)
            query = None  # the next link carries its own query
        raise GitHubError("GET", path, None, f"more than {MAX_PAGES} pages; stopped following")

    def _next_page(self, response: httpx.Response, path: str) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        if _origin(link) != self._origin:  # never send the token to another host
            raise GitHubError("GET", path, None, "the next page is on another host; not followed")
        return link

    def _send(self, method: str, path: str, *, json: dict[str, Any]) -> dict[str, Any]:
        response = self._request(method, path, path, json=json)
        data = _json(response, method, path)
        if not isinstance(data, dict):
            raise GitHubError(method, path, response.status_code, "expected a JSON object")
        return data

    def _request(
        self, method: str, url: str, path: str, *, reads: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """One request; a GET (or a query that `reads` only) is tried again after a network
        failure or a 5xx. `path` names it in errors (`url` may be a full next-page link)."""
        attempts = GET_ATTEMPTS if method == "GET" or reads else 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                if attempt < attempts:
                    time.sleep(0.5 * attempt)
                    continue
                raise GitHubError(method, path, None, f"no answer ({type(exc).__name__})") from None
            if response.status_code >= 500 and attempt < attempts:
                time.sleep(0.5 * attempt)
                continue
            if response.is_error:
                raise GitHubError(method, path, response.status_code, _message(response))
            return response
        raise AssertionError("unreachable")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _json(response: httpx.Response, method: str, path: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise GitHubError(method, path, response.status_code, "the answer is not JSON") from None


def _message(response: httpx.Response) -> str:
    """GitHub's own explanation ({"message": ...}), else the status's reason."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return response.reason_phrase or "request failed"


def _comment(item: dict[str, Any], path: str) -> Comment:
    try:
        user = item.get("user") or {}
        return Comment(
            id=int(item["id"]),
            body=str(item.get("body") or ""),
            author=str(user.get("login", "")),
            author_is_bot=user.get("type") == "Bot",
            url=str(item.get("html_url", "")),
            node_id=str(item.get("node_id") or ""),
        )
    except (KeyError, TypeError, ValueError):
        raise GitHubError("GET", path, None, "a comment without an id") from None


def _repo_name(side: Any) -> str:
    """`head.repo.full_name` or `base.repo.full_name`; a deleted fork has a null repo."""
    repo = side.get("repo") if isinstance(side, dict) else None
    return str(repo.get("full_name", "")) if isinstance(repo, dict) else ""


def _pull(item: dict[str, Any], path: str) -> PullRequest:
    try:
        return PullRequest(
            number=int(item["number"]),
            state=str(item.get("state", "")),
            merged=bool(item.get("merged_at")),
            merge_commit_sha=item.get("merge_commit_sha"),
            head_ref=str((item.get("head") or {}).get("ref", "")),
            head_sha=str((item.get("head") or {}).get("sha", "")),
            base_ref=str((item.get("base") or {}).get("ref", "")),
            url=str(item.get("html_url", "")),
            head_repo=_repo_name(item.get("head")),
            base_repo=_repo_name(item.get("base")),
        )
    except (KeyError, TypeError, ValueError):
        raise GitHubError("GET", path, None, "a pull request without a number") from None
