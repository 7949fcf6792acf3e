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

The routes live in routes_audio.py, routes_shows.py and routes_cdn.py over routes_base.py;
request reading and the answer envelope in wire.py; this module puts the app together.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from podsync.emulator.faults import FaultGate, Faults
from podsync.emulator.quirks import Quirks
from podsync.emulator.routes_audio import _AudioRoutes
from podsync.emulator.routes_base import API_PREFIX, ODD_TEXT, Stats
from podsync.emulator.routes_cdn import _CdnRoutes
from podsync.emulator.routes_shows import _ShowRoutes
from podsync.emulator.speech import AudioLimits, AudioMaker
from podsync.emulator.store import NotFound, Store
from podsync.emulator.wire import ApiFailure, _error, _ok

__all__ = [
    "API_PREFIX",
    "DEFAULT_PUBLIC_URL",
    "MAX_DOCUMENT_BYTES",
    "ApiFailure",
    "Stats",
    "create_app",
    "serve_links",
]

DEFAULT_PUBLIC_URL = "https://emulator.zenmic.invalid"
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


@dataclass(frozen=True)
class _GateSettings:
    stats: Stats
    api_key: str | None = field(default=None, repr=False)


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


class _Api(_AudioRoutes, _ShowRoutes, _CdnRoutes):
    """The /api/v2 handlers plus the public CDN-like paths, bound to one store."""


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
