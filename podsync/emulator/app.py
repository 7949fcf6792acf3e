"""HTTP routes of the ZenMic emulator: every endpoint of the API page, with its request rules.

Success bodies are ``{"success": true, "data": ...}``; every failure is ``{"success": false,
"error": "..."}`` with a fitting status: 400 invalid input, 401 missing/wrong bearer token, 404
unknown id or route, 405 wrong method, 409 an episode whose audio job has not succeeded, 413 a
document or body too large, 415 an unsupported document type or request Content-Type.

Public links (``audio_url``, ``audio_page_url``, ``feed_url``) are built from ``public_url``: the
address the emulator actually serves on (set by server.py once its socket is bound), unless a
``--public-url`` says otherwise. Not from each request's Host, so every client sees the same link.
A link that moves with the port between runs is not drift: podsync's planner never compares these
URLs with the lock (it keys audio by source digest and episodes by id). The emulator serves those
paths (``/cdn/<id>.mp3``, ``/cdn/podcast/<show_id>/feed.xml``, ``/audio/<id>``) on its own host.

Audio is real (speech.py: spoken by espeak-ng, or tones without it; MP3 with ID3 tags) and the feed
is RSS 2.0 with the iTunes namespace (feed.py). With ``write_files`` (local mode and ``podsync
emulator``), each show's feed is also written to ``state_dir/feeds/<show_id>.xml`` with ``file://``
enclosures pointing at ``state_dir/audio/<id>.mp3``, so both open without a server.

Outside ``/api/v2`` (no auth, not counted): ``GET /_emulator/stats`` and ``POST /_emulator/reset``.

``faults`` (see faults.py) makes a share of authenticated /api/v2 requests fail the ways a real API
and network do; the stats count each injected fault under ``faults``.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import PurePath
from typing import Any, TypeVar
from xml.sax.saxutils import escape

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from podsync.emulator.faults import FaultGate, FaultLog, Faults, injected_job_failure
from podsync.emulator.feed import build_feed, cover_png
from podsync.emulator.jobs import Progress, Script, failure_for, progress, write_script
from podsync.emulator.quirks import Quirks
from podsync.emulator.speech import AudioLimits, AudioMaker, Line
from podsync.emulator.store import AudioJob, EpisodeRecord, NotFound, ShowRecord, Store
from podsync.limits import (
    MAX_DIALOGUE_LINES,
    MAX_DURATION_MINUTES,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
)

API_PREFIX = "/api/v2"
DEFAULT_PUBLIC_URL = "https://emulator.zenmic.invalid"
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_JSON_BYTES = 5 * 1024 * 1024
MAX_TEXT_READ = 200_000
SPEAKERS = ("male", "female")
# What the odd_text quirk appends: legal JSON text that a JavaScript client cutting an emoji in
# half, a prankster or a runaway script could leave in a real account.
ODD_TEXT = " \ud83d \u202eevil\u202c \x1b[31mred\x07\r\n" + "~" * 10_000
DOCUMENT_TYPES = {
    ".pdf": ("application/pdf",),
    ".jpg": ("image/jpeg",),
    ".jpeg": ("image/jpeg",),
    ".png": ("image/png",),
    ".webp": ("image/webp",),
    ".heic": ("image/heic", "image/heif"),
    ".heif": ("image/heif",),
    ".txt": ("text/plain",),
    ".html": ("text/html",),
    ".htm": ("text/html",),
    ".csv": ("text/csv",),
    ".xml": ("application/xml", "text/xml"),
    ".rtf": ("application/rtf", "text/rtf"),
    ".md": ("text/markdown", "text/x-markdown"),
    ".markdown": ("text/markdown", "text/x-markdown"),
}
DOCUMENT_MEDIA_TYPES = {media for types in DOCUMENT_TYPES.values() for media in types}
SUPPORTED_DOCUMENTS = "PDF, JPEG, PNG, WebP, HEIC, TXT, HTML, CSV, XML, RTF, Markdown"
TEXT_SUFFIXES = {".txt", ".html", ".htm", ".csv", ".xml", ".rtf", ".md", ".markdown"}
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]
T = TypeVar("T")


class ApiFailure(Exception):
    """An error response: raised anywhere in a handler, rendered once by the exception handler."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


@dataclass
class Stats:
    """Requests served under /api/v2 since start (or the last reset), scripts written (free
    POST /scripts answers, which a test of `podsync script` counts), and faults injected."""

    requests: int = 0
    # of those, the ones that may change the account (not GET or HEAD): what a test that
    # promises "nothing sent that changes anything" counts
    writes: int = 0
    scripts: int = 0
    faults: FaultLog = field(default_factory=FaultLog)


@dataclass(frozen=True)
class _GateSettings:
    stats: Stats
    api_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class _Document:
    name: str
    text: str


@dataclass(frozen=True)
class _ScriptRequest:
    """What a topic or document request asks to be written about."""

    topic: str | None
    title: str | None
    duration_minutes: int
    document: _Document | None = None

    def script(self) -> Script:
        return write_script(
            topic=self.topic,
            title=self.title,
            document_name=self.document.name if self.document else None,
            document_text=self.document.text if self.document else "",
            duration_minutes=self.duration_minutes,
        )

    def title_and_texts(self) -> tuple[str, list[str]]:
        """The audio's title and the texts the failure marker is looked for in."""
        title = self.script().title
        return title, [title, self.topic or ""]


def create_app(
    store: Store,
    *,
    api_key: str | None = None,
    public_url: str | None = None,
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
    faults: Faults | None = None,
    quirks: Quirks | None = None,
    audio_limits: AudioLimits | None = None,
    write_files: bool = False,
) -> Starlette:
    """The emulator as an ASGI app; ``api_key=None`` accepts any non-empty bearer token.

    Without ``public_url``, links use DEFAULT_PUBLIC_URL until ``serve_links`` names the address
    the app is served on (server.py does)."""
    faults = faults if faults is not None else Faults()
    quirks = quirks if quirks is not None else Quirks()
    api = _Api(store, (public_url or DEFAULT_PUBLIC_URL).rstrip("/"), max_document_bytes, quirks)
    api.audio = AudioMaker(store.state_dir / "audio", audio_limits)
    api.write_files = write_files
    stats = Stats()
    api.stats = stats
    p = API_PREFIX
    routes = [
        _route(f"{p}/scripts", POST=api.create_script),
        _route(f"{p}/audios", POST=api.create_audio),
        _route(f"{p}/audios/{{audio_id}}", GET=api.get_audio),
        _route(f"{p}/podcasts", GET=api.list_shows, POST=api.create_show),
        _route(
            f"{p}/podcasts/{{show_id}}",
            GET=api.get_show,
            PATCH=api.update_show,
            DELETE=api.delete_show,
        ),
        _route(f"{p}/podcasts/{{show_id}}/episodes", GET=api.list_episodes, POST=api.add_episode),
        _route(f"{p}/podcasts/{{show_id}}/episodes/{{episode_id:int}}", DELETE=api.delete_episode),
        _route("/cdn/{audio_id}.mp3", GET=api.audio_file),
        _route("/cdn/podcast/{show_id}/feed.xml", GET=api.feed),
        _route("/cdn/podcast/cover.png", GET=api.cover),
        _route("/audio/{audio_id}", GET=api.audio_page),
        _route("/_emulator/stats", GET=_stats_endpoint(store, stats)),
        _route("/_emulator/reset", POST=_reset_endpoint(store, stats, api.audio)),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(_ApiGate, settings=_GateSettings(stats, api_key)),
            Middleware(FaultGate, faults=faults, log=stats.faults, api_prefix=API_PREFIX),
        ],
        exception_handlers={
            ApiFailure: _failure_response,
            HTTPException: _http_exception_response,
            NotFound: _not_found_response,
        },
    )
    app.state.stats = stats
    app.state.store = store
    app.state.faults = faults
    app.state.quirks = quirks
    app.state.api = api
    return app


def serve_links(app: Starlette, root_url: str) -> None:
    """Build public links from ``root_url`` (where ``app`` is served), unless a public_url was
    given to create_app."""
    api: _Api = app.state.api
    if api.public_url == DEFAULT_PUBLIC_URL:
        api.public_url = root_url.rstrip("/")


def _route(path: str, **handlers: Endpoint) -> Route:
    """One route per path, so a 405 can name every method the path allows in ``Allow``."""
    if "GET" in handlers:
        handlers["HEAD"] = handlers["GET"]
    allowed = ", ".join(handlers)

    async def dispatch(request: Request) -> Response:
        handler = handlers.get(request.method)
        if handler is None:
            raise ApiFailure(405, f"method {request.method} not allowed", {"Allow": allowed})
        return await handler(request)

    return Route(path, dispatch, methods=HTTP_METHODS)


class _ApiGate:
    """Counts /api/v2 requests and turns away those without a valid bearer token."""

    def __init__(self, app: ASGIApp, settings: _GateSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            self.settings.stats.requests += 1
            if scope.get("method") not in ("GET", "HEAD"):
                self.settings.stats.writes += 1
            problem = self._auth_problem(Request(scope).headers.get("authorization", ""))
            if problem:
                response = _error(401, problem, {"WWW-Authenticate": 'Bearer realm="zenmic"'})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _auth_problem(self, header: str) -> str | None:
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return "missing API key: send 'Authorization: Bearer <your API key>'"
        expected = self.settings.api_key
        if expected is not None and not hmac.compare_digest(token.encode(), expected.encode()):
            return "invalid API key"
        return None


class _Api:
    """The /api/v2 handlers plus the public CDN-like paths, bound to one store."""

    audio: AudioMaker  # the jobs' MP3s (speech.py)
    stats: Stats
    write_files: bool  # also write each show's feed under state_dir/feeds/

    def __init__(
        self, store: Store, public_url: str, max_document_bytes: int, quirks: Quirks
    ) -> None:
        self.store = store
        self.public_url = public_url
        self.max_document_bytes = max_document_bytes
        self.quirks = quirks
        self._landing: set[asyncio.Future[Any]] = set()  # slow creates still to take effect

    async def create_script(self, request: Request) -> Response:
        if _media_type(request) in FORM_TYPES:
            wanted = await self._document_form(request)
        else:
            wanted = _topic_fields(await _json_object(request))
        limit = self.quirks.script_topic_max_chars
        if limit and len(wanted.topic or "") > limit:
            raise ApiFailure(400, f"topic is longer than {limit} characters")
        script = wanted.script()
        data = {
            "title": script.title,
            "style_prompt": script.style_prompt,
            "dialogue": [list(line) for line in script.dialogue],
        }
        self.stats.scripts += 1
        return _ok(data)

    async def create_audio(self, request: Request) -> Response:
        lines: list[Line]
        seconds: float | None = None  # a dialogue lasts as long as it takes to say
        if _media_type(request) in FORM_TYPES:
            wanted = await self._document_form(request)
            title, texts = wanted.title_and_texts()
            lines, seconds = list(wanted.script().dialogue), wanted.duration_minutes * 60
        else:
            body = await _json_object(request)
            if "dialogue" in body or body.get("source") == "dialogue":
                title, texts = _dialogue_fields(body)
                lines = [(str(s), str(t)) for s, t in body["dialogue"]]
            else:
                wanted = _topic_fields(body)
                title, texts = wanted.title_and_texts()
                lines, seconds = list(wanted.script().dialogue), wanted.duration_minutes * 60
        failure = failure_for(texts) or injected_job_failure(request.scope)
        job = self.store.create_audio(title, failure=failure)
        if failure is None:
            self.audio.submit(job.id, title, lines, seconds)
        if self.quirks.audio_answer_seconds:
            await asyncio.sleep(self.quirks.audio_answer_seconds)
        data = {
            "id": job.id,
            "status": "queued",
            "poll_url": f"{API_PREFIX}/audios/{job.id}",
            "audio_page_url": self._page_url(job.id),
        }
        wait = self.quirks.submit_retry_after
        return _ok(data, status=202, headers={"Retry-After": str(wait)} if wait >= 0 else None)

    async def get_audio(self, request: Request) -> Response:
        job = self.store.get_audio(request.path_params["audio_id"])
        state = self._progress(job)
        data: dict[str, Any] = {"id": job.id, "status": state.status}
        if state.status == "succeeded":
            data["audio_url"] = "" if self.quirks.empty_audio_url else self._audio_url(job.id)
            data["audio_format"] = "mp3"
        data["title"] = job.title
        data["created_at"] = _iso(job.created_at)
        data["audio_page_url"] = self._page_url(job.id)
        if state.status == "failed":
            data["error"] = job.failure
        if self.quirks.job_progress and state.status in ("queued", "running"):
            done = (self.store.now() - job.created_at) / job.seconds if job.seconds > 0 else 1
            data["progress"] = min(99, max(0, int(done * 100)))
        headers = {"Retry-After": str(state.retry_after)} if state.retry_after else None
        if self.quirks.poll_retry_after >= 0:
            headers = {"Retry-After": str(self.quirks.poll_retry_after)}
        # With write_files, a finished job's MP3 is on disk before the server stops (made after
        # the answer): a preview in local mode prints its path, and nothing would ask for it.
        made = state.status == "succeeded" and self.write_files
        background = BackgroundTask(self.audio.file, job.id) if made else None
        return _ok(data, headers=headers, background=background)

    async def list_shows(self, request: Request) -> Response:
        return self._listing(request, [self._show_json(show) for show in self.store.list_shows()])

    async def create_show(self, request: Request) -> Response:
        body = await _json_object(request)
        problems: list[str] = []
        title = _string(body, "title", problems, required=True, limit=self._title_limit)
        description = _string(body, "description", problems, allow_empty=True) or ""
        _raise_if(problems)
        show = await self._create(lambda: self.store.create_show(title or "", description))
        return self._created(self._show_json(show))

    async def get_show(self, request: Request) -> Response:
        return _ok(self._show_json(self.store.get_show(request.path_params["show_id"])))

    async def update_show(self, request: Request) -> Response:
        show_id = request.path_params["show_id"]
        self.store.get_show(show_id)
        body = await _json_object(request)
        problems: list[str] = []
        title = _string(body, "title", problems, limit=MAX_TITLE_CHARS)
        description = _string(body, "description", problems, allow_empty=True)
        if "title" not in body and "description" not in body:
            problems.append("send at least one of title, description")
        _raise_if(problems)
        show = self.store.update_show(show_id, title=title, description=description)
        return _ok(self._show_json(show), background=self._feed_file(show_id))

    async def delete_show(self, request: Request) -> Response:
        show_id = request.path_params["show_id"]
        self.store.delete_show(show_id)
        if self.write_files:
            (self.store.state_dir / "feeds" / f"{show_id}.xml").unlink(missing_ok=True)
        return self._deleted()

    async def list_episodes(self, request: Request) -> Response:
        episodes = self.store.list_episodes(request.path_params["show_id"])
        items = [self._episode_json(e) for e in episodes]
        if self.quirks.listing_without_mic_id:
            items = [{k: v for k, v in item.items() if k != "mic_id"} for item in items]
        return self._listing(request, items)

    def _listing(self, request: Request, items: list[dict[str, Any]]) -> Response:
        """The whole list, or one page of it in the quirks' pagination style."""
        style, size = self.quirks.pagination, self.quirks.page_size
        if style == "none":
            return _ok(items)
        key = "cursor" if style == "cursor" else "page"
        number = request.query_params.get(key, "0" if style == "cursor" else "1")
        if not number.isdigit() or (style != "cursor" and int(number) < 1):
            raise ApiFailure(400, f"{key} must be a whole number")
        start = int(number) if style == "cursor" else (int(number) - 1) * size
        chunk = items[start : start + size]
        after: int | None = start + size if start + size < len(items) else None
        if after is None and self.quirks.next_link == "loop":
            after = 0
        if style == "cursor":
            more = {
                "next_cursor": None if after is None else str(after),
                "has_more": after is not None,
            }
            return JSONResponse({"success": True, "data": chunk, "pagination": more})
        page = after // size + 1 if after is not None else None
        if style == "envelope":
            envelope = {
                "success": True,
                "data": chunk,
                "total": len(items) + self.quirks.total_skew,
                "page": int(number),
                "per_page": size,
                "next_page": page,
            }
            return JSONResponse(envelope)
        headers = {}
        if page is not None:
            origin = self.quirks.next_link if "://" in self.quirks.next_link else ""
            query = "" if after == 0 else f"?page={page}"  # a loop leads to the very first URL
            headers["Link"] = f'<{origin}{request.url.path}{query}>; rel="next"'
        return _ok(chunk, headers=headers)

    async def add_episode(self, request: Request) -> Response:
        show_id = request.path_params["show_id"]
        self.store.get_show(show_id)
        body = await _json_object(request)
        problems: list[str] = []
        mic_id = _string(body, "mic_id", problems, required=True, limit=64)
        title = _string(body, "title", problems, required=True, limit=self._title_limit)
        description = _string(body, "description", problems, allow_empty=True) or ""
        _raise_if(problems)
        assert mic_id is not None and title is not None
        status = self._progress(self.store.get_audio(mic_id)).status
        if status == "failed":
            raise ApiFailure(409, f"audio {mic_id} failed; it cannot be published")
        if status != "succeeded":
            raise ApiFailure(409, f"audio {mic_id} is {status}; wait until it has succeeded")
        episode = await self._create(
            lambda: self.store.add_episode(
                show_id, mic_id=mic_id, title=title, description=description
            )
        )
        self.audio.set_show(mic_id, self.store.get_show(show_id).title)
        return self._created(self._episode_json(episode), background=self._feed_file(show_id))

    async def delete_episode(self, request: Request) -> Response:
        params = request.path_params
        self.store.delete_episode(params["show_id"], params["episode_id"])
        response = self._deleted()
        response.background = self._feed_file(params["show_id"])
        return response

    async def _create(self, effect: Callable[[], T]) -> T:
        """Make a create take effect and answer as late as the quirks say. The effect runs in
        its own task, so it lands even when the client gives up on the answer, as it would on a
        server that keeps working after the connection is gone."""
        quirks = self.quirks
        if not quirks.slow_create and not quirks.slow_create_effect:
            return effect()

        async def land() -> T:
            await asyncio.sleep(quirks.slow_create_effect)
            return effect()

        task = asyncio.ensure_future(land())
        self._landing.add(task)
        task.add_done_callback(self._landing.discard)
        await asyncio.sleep(quirks.slow_create)
        return await asyncio.shield(task)

    @property
    def _title_limit(self) -> int:
        return self.quirks.max_title_chars or MAX_TITLE_CHARS

    def _created(self, data: dict[str, Any], background: BackgroundTask | None = None) -> Response:
        if self.quirks.create_no_content:
            return Response(status_code=201, background=background)
        return _ok(data, status=201, background=background)

    def _deleted(self) -> Response:
        if self.quirks.delete_no_content:
            return Response(status_code=204)
        return _ok({"deleted": True})

    async def audio_file(self, request: Request) -> Response:
        if self.quirks.audio_head_refused and request.method == "HEAD":
            raise ApiFailure(405, "method HEAD not allowed", {"Allow": "GET"})
        job = self.store.get_audio(request.path_params["audio_id"])
        if self._progress(job).status != "succeeded":
            raise NotFound(f"audio not ready: {job.id}")
        mp3 = await run_in_threadpool(self.audio.file, job.id)
        if mp3 is None:  # a job from before the emulator kept scripts
            raise NotFound(f"audio file missing: {job.id}")
        return FileResponse(mp3.path, media_type="audio/mpeg")

    async def feed(self, request: Request) -> Response:
        show = self.store.get_show(request.path_params["show_id"])
        xml = await run_in_threadpool(self._feed_xml, show.show_id, self._audio_url)
        return Response(xml, media_type="application/rss+xml")

    async def cover(self, request: Request) -> Response:
        return Response(_cover(), media_type="image/png")

    def _feed_xml(self, show_id: str, audio_url: Callable[[str], str]) -> bytes:
        show = self.store.get_show(show_id)
        return build_feed(
            show,
            self.store.list_episodes(show_id),
            feed_url=self._feed_url(show_id),
            cover_url=f"{self.public_url}/cdn/podcast/cover.png",
            audio_url=audio_url,
            audio_file=self.audio.file,
        )

    def _feed_file(self, show_id: str) -> BackgroundTask | None:
        """With ``write_files``: rewrite the show's feed file once the answer is sent."""
        return BackgroundTask(self._write_feed, show_id) if self.write_files else None

    def _write_feed(self, show_id: str) -> None:
        try:
            xml = self._feed_xml(
                show_id, lambda mic_id: self.audio.mp3_path(mic_id).resolve().as_uri()
            )
        except NotFound:
            return
        target = self.store.state_dir / "feeds" / f"{show_id}.xml"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(xml)
        tmp.replace(target)

    async def audio_page(self, request: Request) -> Response:
        job = self.store.get_audio(request.path_params["audio_id"])
        status = self._progress(job).status
        player = _PLAYER.format(src=f"/cdn/{job.id}.mp3") if status == "succeeded" else ""
        return HTMLResponse(
            f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(job.title)}</title>"
            f"</head><body><h1>{escape(job.title)}</h1><p>{status}</p>{player}</body></html>"
        )

    async def _document_form(self, request: Request) -> _ScriptRequest:
        """Validate a multipart upload: a ``document`` file plus optional text fields."""
        limit = self.max_document_bytes
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit + 1024 * 1024:
            raise ApiFailure(413, f"document too large: the limit is {_megabytes(limit)}")
        async with request.form(max_files=1, max_fields=20) as form:
            problems: list[str] = []
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            if fields.get("source", "document") != "document":
                problems.append("source must be 'document' for a multipart upload")
            topic = _string(fields, "topic", problems, limit=MAX_TEXT_CHARS)
            title = _string(fields, "title", problems, limit=MAX_TITLE_CHARS)
            duration = _duration(fields, problems)
            upload = form.get("document")
            if not isinstance(upload, UploadFile):
                problems.append("document is required and must be a file upload")
            _raise_if(problems)
            assert isinstance(upload, UploadFile)
            document = await self._read_document(upload)
        return _ScriptRequest(topic, title, duration, document)

    async def _read_document(self, upload: UploadFile) -> _Document:
        name = PurePath(upload.filename or "").name or "document"
        suffix = PurePath(name).suffix.lower()
        media = (upload.content_type or "").split(";")[0].strip().lower()
        if suffix not in DOCUMENT_TYPES and (suffix or media not in DOCUMENT_MEDIA_TYPES):
            raise ApiFailure(
                415, f"unsupported document type {name!r}: supported are {SUPPORTED_DOCUMENTS}"
            )
        head = await upload.read(MAX_TEXT_READ)
        size = upload.size if upload.size is not None else len(head)
        if size > self.max_document_bytes:
            limit = _megabytes(self.max_document_bytes)
            raise ApiFailure(413, f"document too large: the limit is {limit}")
        if not size:
            raise ApiFailure(400, "document is empty")
        text = ""
        if suffix in TEXT_SUFFIXES or media.startswith("text/"):
            text = re.sub(r"<[^>]*>|[{}\\]", " ", head.decode("utf-8", "replace"))
        return _Document(name=name, text=text)

    def _progress(self, job: AudioJob) -> Progress:
        return progress(job.created_at, job.seconds, job.failure is not None, self.store.now())

    def _page_url(self, audio_id: str) -> str:
        return f"{self.public_url}/audio/{audio_id}"

    def _audio_url(self, audio_id: str) -> str:
        return f"{self.public_url}/cdn/{audio_id}.mp3"

    def _feed_url(self, show_id: str) -> str:
        return f"{self.public_url}/cdn/podcast/{show_id}/feed.xml"

    def _odd(self, text: str) -> str:
        return text + ODD_TEXT if self.quirks.odd_text else text

    def _show_json(self, show: ShowRecord) -> dict[str, Any]:
        return {
            "id": show.id,
            "show_id": show.show_id,
            "title": self._odd(show.title),
            "description": show.description,
            "episode_count": self.store.episode_count(show.show_id)
            + self.quirks.episode_count_skew,
            "feed_url": self._feed_url(show.show_id),
            "created_at": _plain_time(show.created_at),
        }

    def _episode_json(self, episode: EpisodeRecord) -> dict[str, Any]:
        return {
            "id": episode.id,
            "mic_id": episode.mic_id,
            "title": self._odd(episode.title),
            "description": episode.description,
            "audio_url": self._audio_url(episode.mic_id),
            "created_at": _plain_time(episode.created_at),
        }


def _topic_fields(body: dict[str, Any]) -> _ScriptRequest:
    """Validate a JSON topic request."""
    problems: list[str] = []
    source = body.get("source", "topic")
    if source == "document":
        problems.append("source 'document' needs a multipart/form-data upload with a document file")
    elif source != "topic":
        problems.append("source must be 'topic' (JSON) or 'document' (multipart upload)")
    topic = _string(body, "topic", problems, required=True, limit=MAX_TEXT_CHARS)
    title = _string(body, "title", problems, limit=MAX_TITLE_CHARS)
    duration = _duration(body, problems)
    _raise_if(problems)
    return _ScriptRequest(topic, title, duration)


def _dialogue_fields(body: dict[str, Any]) -> tuple[str, list[str]]:
    """Validate a pre-built dialogue request; returns its title and every spoken text."""
    problems: list[str] = []
    title = _string(body, "title", problems, limit=MAX_TITLE_CHARS)
    _string(body, "style_prompt", problems, allow_empty=True, limit=MAX_TEXT_CHARS)
    dialogue = body.get("dialogue")
    texts: list[str] = []
    if not isinstance(dialogue, list) or not dialogue:
        problems.append("dialogue must be a non-empty list of [speaker, text] pairs")
    elif len(dialogue) > MAX_DIALOGUE_LINES:
        problems.append(f"dialogue has more than {MAX_DIALOGUE_LINES} lines")
    else:
        for i, line in enumerate(dialogue):
            if not isinstance(line, list) or len(line) != 2:
                problems.append(f"dialogue[{i}] must be a [speaker, text] pair")
                continue
            speaker, text = line
            if speaker not in SPEAKERS:
                problems.append(f"dialogue[{i}][0] must be 'male' or 'female'")
            if not isinstance(text, str) or not text.strip():
                problems.append(f"dialogue[{i}][1] must be a non-empty string")
            elif len(text) > MAX_TEXT_CHARS:
                problems.append(f"dialogue[{i}][1] is longer than {MAX_TEXT_CHARS} characters")
            else:
                texts.append(text)
    _raise_if(problems)
    title = title or "Untitled audio"
    return title, [title, *texts]


def _string(
    body: dict[str, Any],
    name: str,
    problems: list[str],
    *,
    required: bool = False,
    allow_empty: bool = False,
    limit: int = MAX_TEXT_CHARS,
) -> str | None:
    """``body[name]`` if it is a valid string; otherwise note why in ``problems``."""
    value = body.get(name)
    if value is None:
        if required:
            problems.append(f"{name} is required")
        return None
    if not isinstance(value, str):
        problems.append(f"{name} must be a string")
    elif not allow_empty and not value.strip():
        problems.append(f"{name} must not be empty")
    elif len(value) > limit:
        problems.append(f"{name} is longer than {limit} characters")
    else:
        return value
    return None


def _duration(body: dict[str, Any], problems: list[str]) -> int:
    value = body.get("duration_minutes")
    if value is None:
        return 5
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append("duration_minutes must be an integer")
    elif not 1 <= value <= MAX_DURATION_MINUTES:
        problems.append(f"duration_minutes must be between 1 and {MAX_DURATION_MINUTES}")
    else:
        return value
    return 5


async def _json_object(request: Request) -> dict[str, Any]:
    media = _media_type(request)
    if media != "application/json" and not media.endswith("+json"):
        raise ApiFailure(415, "Content-Type must be application/json")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_JSON_BYTES:
        raise ApiFailure(413, f"request body too large: the limit is {_megabytes(MAX_JSON_BYTES)}")
    body = await request.body()
    if len(body) > MAX_JSON_BYTES:
        raise ApiFailure(413, f"request body too large: the limit is {_megabytes(MAX_JSON_BYTES)}")
    try:
        data = json.loads(body)
    except ValueError:
        raise ApiFailure(400, "request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiFailure(400, "request body must be a JSON object")
    return data


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _raise_if(problems: list[str]) -> None:
    if problems:
        raise ApiFailure(400, "; ".join(problems))


class _Json(JSONResponse):
    """JSON as Starlette writes it, except that strings holding a lone surrogate (which a
    client may send, and a real server stores and returns) are written as `\\ud83d` escapes,
    as JSON allows, instead of failing to encode as UTF-8."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")


def _ok(
    data: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    background: BackgroundTask | None = None,
) -> JSONResponse:
    body = {"success": True, "data": data}
    return _Json(body, status_code=status, headers=headers, background=background)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return _Json({"success": False, "error": message}, status_code=status, headers=headers)


async def _failure_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiFailure)
    quirks: Quirks = request.app.state.quirks
    message = exc.message + ODD_TEXT if quirks.odd_text else exc.message
    return _error(exc.status, message, exc.headers)


async def _http_exception_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error(exc.status_code, str(exc.detail).lower(), dict(exc.headers or {}))


async def _not_found_response(request: Request, exc: Exception) -> Response:
    return _error(404, str(exc))


def _stats_endpoint(store: Store, stats: Stats) -> Any:
    async def endpoint(request: Request) -> Response:
        counts = {
            "requests": stats.requests,
            "writes": stats.writes,
            "scripts": stats.scripts,
            **store.counts(),
            "faults": stats.faults.counts(),
        }
        return JSONResponse(counts)

    return endpoint


def _reset_endpoint(store: Store, stats: Stats, audio: AudioMaker) -> Any:
    async def endpoint(request: Request) -> Response:
        store.reset()
        audio.clear()
        stats.requests = 0
        stats.writes = 0
        stats.scripts = 0
        stats.faults.reset()
        return _ok({"reset": True})

    return endpoint


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size} bytes"


# The page's player; the script writes the loaded duration into the page, for people and tests.
_PLAYER = (
    '<audio id="player" controls preload="metadata" src="{src}"></audio>'
    '<p>Duration: <output id="duration">loading</output> s</p>'
    "<script>const a = document.getElementById('player');"
    "a.addEventListener('loadedmetadata', () => "
    "{{ document.getElementById('duration').textContent = a.duration.toFixed(1); }});"
    "a.addEventListener('error', () => "
    "{{ document.getElementById('duration').textContent = 'error'; }});</script>"
)


@functools.lru_cache(maxsize=1)
def _cover() -> bytes:
    return cover_png()
