"""A tiny ZenMic written from the API page alone, with the standard library only.

podsync's emulator was written by the same hands as its client, so the two may agree on things
the API page never says. This fake shares no code with podsync (it imports nothing from it) and
fills the page's gaps the other legal way: listings come two items a page behind a
``Link: <...>; rel="next"`` header, DELETE answers ``204 No Content``, and audio jobs succeed at
once. State is in memory; ``ZenMicFake().start()`` serves on 127.0.0.1 at a free port.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE_SIZE = 2
CDN = "https://cdn.zenmic.invalid"


class ZenMicFake:
    def __init__(self) -> None:
        self.shows: dict[str, dict[str, Any]] = {}
        self.episodes: dict[str, list[dict[str, Any]]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.counter = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                fake.handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                fake.handle(self, "POST")

            def do_PATCH(self) -> None:  # noqa: N802
                fake.handle(self, "PATCH")

            def do_DELETE(self) -> None:  # noqa: N802
                fake.handle(self, "DELETE")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v2"

    def start(self) -> ZenMicFake:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return send(request, 401, {"success": False, "error": "missing API key"})
        url = urlsplit(request.path)
        route = url.path.removeprefix("/api/v2")
        is_json = request.headers.get("Content-Type", "").startswith("application/json")
        body = json.loads(raw) if raw and is_json else {}
        with self.lock:
            status, data, link = self.route(method, route, body, parse_qs(url.query))
        if status == 204:
            return send(request, 204, None)
        headers = {"Link": f'<{url.path}?page={link}>; rel="next"'} if link else {}
        payload = {"success": status < 400, "data" if status < 400 else "error": data}
        send(request, status, payload, headers)

    def route(
        self, method: str, route: str, body: dict[str, Any], query: dict[str, list[str]]
    ) -> tuple[int, Any, int | None]:
        """(status, data or error message, next page number or None)."""
        page = int(query.get("page", ["1"])[0])
        if (method, route) == ("POST", "/audios"):
            job = {"id": f"job{self.next_id()}", "title": body.get("title", "Upload")}
            self.jobs[job["id"]] = job
            return 202, {**job, "status": "queued", "poll_url": f"/api/v2/audios/{job['id']}"}, None
        if method == "GET" and (m := re.fullmatch(r"/audios/([^/]+)", route)):
            if m[1] not in self.jobs:
                return 404, "no such audio", None
            url = f"{CDN}/{m[1]}.mp3"
            return 200, {**self.jobs[m[1]], "status": "succeeded", "audio_url": url}, None
        if route == "/podcasts" and method == "GET":
            return paged([self.show(s) for s in self.shows], page)
        if route == "/podcasts" and method == "POST":
            show_id = f"show-{self.next_id()}"
            self.shows[show_id] = {"show_id": show_id, "title": body["title"]}
            self.shows[show_id]["description"] = body.get("description", "")
            self.episodes[show_id] = []
            return 201, self.show(show_id), None
        m = re.fullmatch(r"/podcasts/([^/]+)(/episodes)?(?:/(\d+))?", route)
        if not m or m[1] not in self.shows:
            return 404, "not found", None
        show_id, listing, episode_id = m[1], m[2], m[3]
        if not listing and method in ("GET", "PATCH"):
            self.shows[show_id].update({k: body[k] for k in ("title", "description") if k in body})
            return 200, self.show(show_id), None
        if not listing and method == "DELETE":
            del self.shows[show_id], self.episodes[show_id]
            return 204, None, None
        if episode_id is None and method == "GET":
            return paged(self.episodes[show_id], page)
        if episode_id is None and method == "POST":
            if body.get("mic_id") not in self.jobs:
                return 400, "unknown mic_id", None
            episode = {"id": self.next_id(), **body, "audio_url": f"{CDN}/{body['mic_id']}.mp3"}
            self.episodes[show_id].append(episode)
            return 201, episode, None
        if episode_id is not None and method == "DELETE":
            kept = [e for e in self.episodes[show_id] if e["id"] != int(episode_id)]
            if len(kept) == len(self.episodes[show_id]):
                return 404, "no such episode", None
            self.episodes[show_id] = kept
            return 204, None, None
        return 405, "method not allowed", None

    def show(self, show_id: str) -> dict[str, Any]:
        feed = f"{CDN}/podcast/{show_id}/feed.xml"
        count = len(self.episodes[show_id])
        return {"id": show_id, **self.shows[show_id], "episode_count": count, "feed_url": feed}


def paged(items: list[dict[str, Any]], page: int) -> tuple[int, Any, int | None]:
    start = (page - 1) * PAGE_SIZE
    more = page + 1 if start + PAGE_SIZE < len(items) else None
    return 200, items[start : start + PAGE_SIZE], more


def send(
    request: BaseHTTPRequestHandler,
    status: int,
    payload: Any,
    headers: dict[str, str] | None = None,
) -> None:
    data = b"" if payload is None else json.dumps(payload).encode()
    request.send_response(status)
    for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
        request.send_header(name, value)
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)
