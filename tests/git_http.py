"""A git server over real HTTP for tests: `git http-backend` (git's own smart-HTTP server)
behind a token check shaped like GitHub's, so fetches and pushes authenticate the way they do
on a runner.

Like a private repository on GitHub, every request needs HTTP basic auth as
`x-access-token:<token>`: none, or a token it does not know, gets 401 (git then asks for a
user name, which fails without a terminal); a read-only token gets 403 on the push service
(GitHub's answer to a GITHUB_TOKEN without `contents: write`), and that includes the ref
advertisement `git push --dry-run` asks for. Each request's Authorization headers are recorded.
"""

from __future__ import annotations

import asyncio
import base64
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podsync.emulator.background import BackgroundServer

Scope = dict[str, Any]


@dataclass
class GitHttp:
    root: Path  # repositories are served from here: {url}/origin.git is root/origin.git
    tokens: dict[str, str]  # token -> "write" or "read"
    authorizations: list[list[str]] = field(default_factory=list)  # per request
    pushes: int = 0  # requests to the push service that were let through
    url: str = ""

    def serve(self) -> BackgroundServer:
        server = BackgroundServer(self, name="the git HTTP server")
        self.url = server.start()
        return server

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        given = [v.decode() for k, v in scope["headers"] if k.lower() == b"authorization"]
        self.authorizations.append(given)
        query = scope.get("query_string", b"").decode()
        pushing = "service=git-receive-pack" in query or scope["path"].endswith("/git-receive-pack")
        access = self.tokens.get(_token(given[0])) if len(given) == 1 else None
        if access is None:
            await _answer(
                send, 401, b"Bad credentials\n", [(b"www-authenticate", b'Basic realm="GitHub"')]
            )
            return
        if pushing and access != "write":
            await _answer(send, 403, b"Write access to repository not granted.\n")
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.pushes += pushing and scope["method"] == "POST"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": scope["path"],
            "QUERY_STRING": query,
            "REQUEST_METHOD": scope["method"],
            "CONTENT_TYPE": headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "x-access-token",
            "REMOTE_ADDR": "127.0.0.1",
        }
        if "content-encoding" in headers:
            env["HTTP_CONTENT_ENCODING"] = headers["content-encoding"]
        if "git-protocol" in headers:
            env["GIT_PROTOCOL"] = headers["git-protocol"]
        process = await asyncio.create_subprocess_exec(
            "git",
            "http-backend",
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate(body)
        head, _, content = out.partition(b"\r\n\r\n")
        if not content and b"\n\n" in out and b"\r\n\r\n" not in out:
            head, _, content = out.partition(b"\n\n")
        status, extra = 200, []
        for line in head.splitlines():
            name, _, value = line.decode().partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                extra.append((name.strip().lower().encode(), value.strip().encode()))
        await _answer(send, status, content, extra)


def _token(authorization: str) -> str:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        user, _, token = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return ""
    return token if user == "x-access-token" else ""


async def _answer(
    send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [h for h in headers or [] if h[0] != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
