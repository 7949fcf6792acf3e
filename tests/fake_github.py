"""A local fake of the few GitHub REST endpoints podsync's action uses, served over real HTTP.

    GET   /repos/{owner}/{repo}/issues/{number}/comments   paginated, with Link: rel="next"
    POST  /repos/{owner}/{repo}/issues/{number}/comments
    PATCH /repos/{owner}/{repo}/issues/comments/{id}
    GET   /repos/{owner}/{repo}/commits/{sha}/pulls
    GET   /repos/{owner}/{repo}/pulls/{number}
    POST  /graphql    an IssueComment node: body, author, editor, lastEditedAt, updatedAt

Response shapes follow GitHub's REST docs (the fields podsync reads, and a few more). Every
token stands for a user (`token` for github-actions[bot], `users` for more, people's personal
tokens say), who authors the comments posted with it; any other token gets 401 "Bad
credentials". It answers writes with 403 "Resource not accessible by integration" when
`read_only` (a fork's token), refuses an edit of a comment by anyone but its author or a
`collaborators` login (so a test sees at once if the action tries to take over someone else's
comment; a collaborator with write access may edit any comment on GitHub, and `edit_comment` is
one doing so in the web page),
keeps who last edited a comment and when (`updated_at` moves on every write, by a clock that
ticks a second a write), refuses bodies over 65,536 characters as GitHub does, answers the
comment listing with `comments_status` when set (a 502, a 403 for a token without
`pull-requests: read`), and records every request so tests can see what was sent.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from podsync.emulator.background import BackgroundServer

MAX_BODY = 65_536
BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    """State and behaviour; `serve()` puts it on a real socket."""

    token: str
    read_only: bool = False
    max_per_page: int = 100
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> user
    comments: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    pulls: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    open_pulls: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    collaborators: set[str] = field(default_factory=set)  # logins that may edit any comment
    comments_status: int | None = None  # the listing of comments fails with this status
    url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))
    _ticks: itertools.count[int] = field(default_factory=itertools.count)
    _mutex: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.users.setdefault(self.token, BOT)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(
                    "/repos/{owner}/{repo}/issues/{number:int}/comments",
                    self._comments,
                    methods=["GET", "POST"],
                ),
                Route(
                    "/repos/{owner}/{repo}/issues/comments/{comment_id:int}",
                    self._update,
                    methods=["PATCH"],
                ),
                Route("/repos/{owner}/{repo}/commits/{sha}/pulls", self._pulls, methods=["GET"]),
                Route("/repos/{owner}/{repo}/pulls/{number:int}", self._pull, methods=["GET"]),
                Route("/graphql", self._graphql, methods=["POST"]),
            ]
        )

    def serve(self) -> BackgroundServer:
        server = BackgroundServer(self.app(), name="the fake GitHub API")
        self.url = server.start()
        return server

    # what tests set up and read

    def add_comment(self, repo: str, number: int, body: str, *, user: dict[str, Any]) -> int:
        return int(self._new_comment(repo, number, body, user)["id"])

    def edit_comment(self, repo: str, number: int, body: str, *, user: dict[str, Any]) -> None:
        """Someone (a collaborator with write access) edits the action's comment on `number` in
        the web page: GitHub keeps the bot as its author and records the editor."""
        comment = self.comments[(repo, number)][0]
        self._edit(comment, body, user)

    def bodies(self, repo: str, number: int) -> list[str]:
        return [c["body"] for c in self.comments.get((repo, number), [])]

    def merged(
        self,
        repo: str,
        sha: str,
        number: int,
        head: str,
        base: str = "main",
        head_repo: str | None = None,
    ) -> None:
        """Record that `sha` is the merge of pull request `number`, as GitHub does on merge;
        `head_repo` is the fork it came from, if it did ("" for a fork since deleted, whose
        repo GitHub gives as null)."""
        self.pulls.setdefault((repo, sha), []).append(
            {
                "number": number,
                "state": "closed",
                "merged_at": "2026-01-02T03:04:05Z",
                "merge_commit_sha": sha,
                "html_url": f"https://github.com/{repo}/pull/{number}",
                "head": {
                    "ref": head,
                    "sha": "0" * 40,
                    "repo": None if head_repo == "" else {"full_name": head_repo or repo},
                },
                "base": {"ref": base, "sha": "1" * 40, "repo": {"full_name": repo}},
            }
        )

    def opened(self, repo: str, number: int, head_sha: str, head: str, base: str = "main") -> None:
        """Record pull request `number` as open with `head_sha` at its head (a push moves it)."""
        self.open_pulls[(repo, number)] = {
            "number": number,
            "state": "open",
            "merged_at": None,
            "merge_commit_sha": None,
            "html_url": f"https://github.com/{repo}/pull/{number}",
            "head": {"ref": head, "sha": head_sha, "repo": {"full_name": repo}},
            "base": {"ref": base, "sha": "1" * 40, "repo": {"full_name": repo}},
        }

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    # the endpoints

    async def _comments(self, request: Request) -> JSONResponse:
        refused, user = await self._record(request)
        if refused is not None:
            return refused
        repo = f"{request.path_params['owner']}/{request.path_params['repo']}"
        number = request.path_params["number"]
        if request.method == "GET" and self.comments_status is not None:
            if self.comments_status == 403:
                return _forbidden()
            return JSONResponse({"message": "Server Error"}, status_code=self.comments_status)
        if request.method == "POST":
            if self.read_only:
                return _forbidden()
            body = (await request.json()).get("body", "")
            if len(body) > MAX_BODY:
                return _too_long()
            return JSONResponse(self._new_comment(repo, number, body, user), status_code=201)
        return self._page(request, self.comments.get((repo, number), []))

    async def _update(self, request: Request) -> JSONResponse:
        refused, user = await self._record(request)
        if refused is not None:
            return refused
        if self.read_only:
            return _forbidden()
        body = (await request.json()).get("body", "")
        if len(body) > MAX_BODY:
            return _too_long()
        wanted = request.path_params["comment_id"]
        repo = f"{request.path_params['owner']}/{request.path_params['repo']}"
        for (owner_repo, _), items in self.comments.items():
            for comment in items:
                if comment["id"] == wanted and owner_repo == repo:
                    mine = comment["user"]["id"] == user["id"]
                    if not mine and user.get("login") not in self.collaborators:
                        return _forbidden("only the comment's author may edit it")
                    self._edit(comment, body, user)
                    return JSONResponse(comment)
        return JSONResponse({"message": "Not Found"}, status_code=404)

    async def _pulls(self, request: Request) -> JSONResponse:
        refused, _ = await self._record(request)
        if refused is not None:
            return refused
        repo = f"{request.path_params['owner']}/{request.path_params['repo']}"
        return self._page(request, self.pulls.get((repo, request.path_params["sha"]), []))

    async def _pull(self, request: Request) -> JSONResponse:
        refused, _ = await self._record(request)
        if refused is not None:
            return refused
        repo = f"{request.path_params['owner']}/{request.path_params['repo']}"
        pull = self.open_pulls.get((repo, request.path_params["number"]))
        if pull is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return JSONResponse(pull)

    async def _graphql(self, request: Request) -> JSONResponse:
        """`node(id:)` for an IssueComment, with the fields GitHub's schema gives it (the
        query must ask for each, as GitHub returns only what is asked); anything else is a
        GraphQL error, as GitHub answers it (status 200, `errors`)."""
        refused, _ = await self._record(request)
        if refused is not None:
            return refused
        payload = await request.json()
        query = str(payload.get("query", ""))
        node_id = (payload.get("variables") or {}).get("id")
        comment = next(
            (c for items in self.comments.values() for c in items if c["node_id"] == node_id),
            None,
        )
        if comment is None or not re.search(r"\bnode\s*\(\s*id:", query):
            message = f"Could not resolve to a node with the global id of '{node_id}'"
            return JSONResponse({"data": {"node": None}, "errors": [{"message": message}]})
        fields = {
            "body": comment["body"],
            "updatedAt": comment["updated_at"],
            "lastEditedAt": comment.get("last_edited_at"),
            "author": _actor(comment["user"]),
            "editor": _actor(comment["editor"]) if comment.get("editor") else None,
        }
        node = {name: value for name, value in fields.items() if re.search(rf"\b{name}\b", query)}
        return JSONResponse({"data": {"node": node}})

    async def _record(self, request: Request) -> tuple[JSONResponse | None, dict[str, Any]]:
        """Record the request; the refusal for a bad token, else None and the token's user."""
        raw = await request.body()
        body: Any = None
        if raw:
            body = (await request.json()) if raw.strip().startswith(b"{") else raw.decode()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(
            Recorded(request.method, request.url.path, request.url.query, headers, body)
        )
        token = headers.get("authorization", "").removeprefix("Bearer ")
        user = self.users.get(token)
        if user is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401), {}
        return None, user

    def _page(self, request: Request, items: list[dict[str, Any]]) -> JSONResponse:
        per_page = min(int(request.query_params.get("per_page", 30)), self.max_per_page)
        page = int(request.query_params.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            base = f"{self.url}{request.url.path}"
            headers["Link"] = (
                f'<{base}?per_page={per_page}&page={page + 1}>; rel="next", '
                f'<{base}?per_page={per_page}&page={-(-len(items) // per_page)}>; rel="last"'
            )
        return JSONResponse(chunk, headers=headers)

    def _new_comment(
        self, repo: str, number: int, body: str, user: dict[str, Any]
    ) -> dict[str, Any]:
        with self._mutex:
            comment_id = next(self._ids)
        now = self._now()
        comment = {
            "id": comment_id,
            "node_id": f"IC_{comment_id}",
            "html_url": f"https://github.com/{repo}/pull/{number}#issuecomment-{comment_id}",
            "body": body,
            "user": user,
            "created_at": now,
            "updated_at": now,
            "author_association": "NONE" if user.get("type") == "Bot" else "MEMBER",
        }
        self.comments.setdefault((repo, number), []).append(comment)
        return comment

    def _edit(self, comment: dict[str, Any], body: str, user: dict[str, Any]) -> None:
        now = self._now()
        comment["body"] = body
        comment["updated_at"] = comment["last_edited_at"] = now
        comment["editor"] = user

    def _now(self) -> str:
        with self._mutex:
            tick = next(self._ticks)
        moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc) + timedelta(seconds=tick)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _actor(user: dict[str, Any]) -> dict[str, Any]:
    """A user as GraphQL names it: a bot's login without the `[bot]` REST adds."""
    bot = user.get("type") == "Bot"
    login = str(user["login"])
    return {"__typename": "Bot" if bot else "User", "login": login.removesuffix("[bot]")}


def _forbidden(message: str = "Resource not accessible by integration") -> JSONResponse:
    return JSONResponse(
        {
            "message": message,
            "documentation_url": "https://docs.github.com/rest/issues/comments",
            "status": "403",
        },
        status_code=403,
    )


def _too_long() -> JSONResponse:
    return JSONResponse(
        {
            "message": "Validation Failed",
            "errors": [
                {
                    "resource": "IssueComment",
                    "code": "custom",
                    "field": "body",
                    "message": "body is too long (maximum is 65536 characters)",
                }
            ],
        },
        status_code=422,
    )
