"""ZenMic over httpx: auth, the response envelope, retries and error mapping.

This is the only module that talks to the ZenMic API, so tests and fault injection have one
seam (``transport=``). Every failure leaves it as one exception type:

    PodsyncError                  the API key is missing or unusable (raised at the first request)
    ApiError(method, path, ...)   the API said no, answered nonsense, or never answered
        status=None                   network failure after retries, or a POST whose outcome is
                                      unknown (a re-run of plan reconciles it)

The API documentation is silent on list shapes, pagination and status values, so parsing is
tolerant of shape (a bare list or an object wrapping one list; int or str ids; missing
descriptions) but strict about meaning: a listing podsync cannot read completely is an error,
never an empty or partial list, because the planner would take missing shows for deleted ones
and pay to create them again.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from podsync.connection import shown_url
from podsync.documents import read_checked
from podsync.errors import ApiError, PodsyncError
from podsync.model import AUDIO_FINISHED, LiveEpisode, LiveShow, Source
from podsync.retry import RetryPolicy, parse_retry_after

LIST_KEYS = ("data", "items", "results", "podcasts", "shows", "episodes")
PAGINATION_KEYS = ("next", "next_url", "next_page", "next_page_url", "next_cursor", "has_more")
SNIPPET_CHARS = 200
MAX_CONNECTIONS = 16
# No connection was made: the signs of a wrong URL, or of a server down.
UNREACHED_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout)

# Origins reached at least once in this process (a connection made, even if no answer came).
# Plan and apply use separate clients, and a server that answered the plan and then refuses
# apply is restarting, not misconfigured.
_reached_origins: set[str] = set()

T = TypeVar("T")


@dataclass(frozen=True)
class AudioStatus:
    """One audio job as the API reports it, from submission or a poll."""

    id: str
    status: str
    audio_url: str | None
    audio_page_url: str | None
    error: str | None
    retry_after: float | None

    @property
    def done(self) -> bool:
        """True once polling can stop, whether the audio succeeded or not."""
        return self.status in AUDIO_FINISHED


class _Secret:
    """Holds the API key so that no repr, log line or traceback local can show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"


class _BearerAuth(httpx.Auth):
    """Sets the Authorization header as the request leaves, so no frame on the way holds the
    key in a plain dict: crash reporters (Sentry, rich tracebacks) record every frame's locals,
    and httpx's own Headers hide the value in their repr."""

    def __init__(self, key: _Secret) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = "Bearer " + self._key.reveal()
        yield request


@dataclass(frozen=True)
class _Body:
    """What to send; rebuilt into a fresh request on every attempt so retries resend it."""

    json: Any = None
    data: Mapping[str, str] | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None


class ZenMicClient:
    """An async ZenMic API client: one connection pool, one retry policy, one error type.

    The key is checked at the first request, not here, so commands that never call the API
    (validate, render a saved plan) work without one.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_retries: int = RetryPolicy.max_retries,
        backoff_base: float = RetryPolicy.backoff_base,
        backoff_max: float = RetryPolicy.backoff_max,
        timeout: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.request_count = 0
        self._key = _Secret((api_key or "").strip())
        self._base_path = urlsplit(self.base_url).path.rstrip("/")
        self._origin = _origin(self.base_url)
        self._sleep = sleep
        self._policy = RetryPolicy(
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            rng=rng or random.Random(),
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            transport=transport,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"Accept": "application/json"},
            auth=_BearerAuth(self._key),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ZenMicClient(base_url={shown_url(self.base_url)!r})"

    async def __aenter__(self) -> ZenMicClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def list_shows(self) -> list[LiveShow]:
        return await self._call("GET", "/podcasts", _parse_shows)

    async def get_show(self, show_id: str) -> LiveShow:
        return await self._call("GET", _path("podcasts", show_id), _parse_show)

    async def create_show(self, title: str, description: str) -> LiveShow:
        body = {"title": title, "description": description}
        return await self._call("POST", "/podcasts", _parse_show, _Body(json=body))

    async def update_show(self, show_id: str, title: str, description: str) -> LiveShow:
        body = {"title": title, "description": description}
        sent = {"show_id": show_id, **body}

        def parse(data: Any) -> LiveShow:
            # A terse answer such as {"updated": true} still means the values we sent are live.
            return _parse_show({**sent, **data} if isinstance(data, dict) else sent)

        return await self._call("PATCH", _path("podcasts", show_id), parse, _Body(json=body))

    async def delete_show(self, show_id: str) -> None:
        await self._call("DELETE", _path("podcasts", show_id), _check_deleted)

    async def list_episodes(self, show_id: str) -> list[LiveEpisode]:
        return await self._call("GET", _path("podcasts", show_id, "episodes"), _parse_episodes)

    async def add_episode(
        self, show_id: str, mic_id: str, title: str, description: str
    ) -> LiveEpisode:
        body = {"mic_id": mic_id, "title": title, "description": description}

        def parse(data: Any) -> LiveEpisode:
            if not isinstance(data, dict):
                raise _Malformed(f"expected an episode object, got {_kind(data)}")
            return _parse_episode({**body, **data})

        path = _path("podcasts", show_id, "episodes")
        return await self._call("POST", path, parse, _Body(json=body))

    async def remove_episode(self, show_id: str, episode_id: str) -> None:
        path = _path("podcasts", show_id, "episodes", episode_id)
        await self._call("DELETE", path, _check_deleted)

    async def submit_audio(self, source: Source, title: str) -> AudioStatus:
        """Start a paid audio job; the returned id is the mic_id to poll and publish."""
        body = _source_body(source, title, dialogue=True)
        response = await self._send("POST", "/audios", body)
        retry_after = _retry_after(response)
        return self._parse("POST", "/audios", response, lambda d: _parse_audio(d, retry_after))

    async def get_audio(self, mic_id: str) -> AudioStatus:
        path = _path("audios", mic_id)
        response = await self._send("GET", path, _Body())
        retry_after = _retry_after(response)
        return self._parse("GET", path, response, lambda d: _parse_audio(d, retry_after, mic_id))

    async def generate_script(self, source: Source, title: str) -> tuple[tuple[str, str], ...]:
        """Turn a topic or document into a dialogue (free, unlike audio)."""
        if source.kind == "dialogue":
            raise ValueError("a dialogue source is already a script")
        body = _source_body(source, title, dialogue=False)
        return await self._call("POST", "/scripts", _parse_dialogue, body)

    async def _call(
        self, method: str, path: str, parse: Callable[[Any], T], body: _Body | None = None
    ) -> T:
        response = await self._send(method, path, body or _Body())
        return self._parse(method, path, response, parse)

    def _parse(
        self, method: str, path: str, response: httpx.Response, parse: Callable[[Any], T]
    ) -> T:
        """Unwrap the envelope and read its data; a shape we cannot read is an ApiError."""
        data = self._unwrap(method, path, response)
        try:
            return parse(data)
        except _Malformed as exc:
            message = self._redact(f"unexpected response: {exc}")
            raise ApiError(method, self._full(path), response.status_code, message) from None

    async def _send(self, method: str, path: str, body: _Body) -> httpx.Response:
        """Send with retries; returns a 2xx response or raises ApiError."""
        self._checked_key()
        full = self._full(path)
        retry = 0
        while True:
            self.request_count += 1
            try:
                response = await self._http.request(
                    method,
                    path.lstrip("/"),
                    json=body.json,
                    data=body.data,
                    files=body.files,
                )
            except httpx.RequestError as exc:
                outcome: int | Exception = exc
                retry_after = None
                failure = ApiError(method, full, None, self._redact(_network_message(exc)))
                # A pool timeout is this machine's queue, which says nothing about the server.
                if not isinstance(exc, (*UNREACHED_ERRORS, httpx.PoolTimeout)):
                    _reached_origins.add(self._origin)
            else:
                _reached_origins.add(self._origin)
                if response.is_success:
                    return response
                outcome = response.status_code
                retry_after = _retry_after(response)
                failure = ApiError(
                    method, full, response.status_code, self._redact(_error_text(response))
                )
            if not self._policy.transient(outcome):
                raise failure from None
            if not self._policy.safe_to_repeat(method, outcome):
                raise ApiError(
                    method,
                    full,
                    failure.status,
                    _unknown_outcome(path, failure),
                    outcome_unknown=True,
                ) from None
            reached = self._origin in _reached_origins
            delay = self._policy.delay(retry, retry_after, reached=reached)
            if delay is None:
                if retry >= self._policy.retries(reached):
                    why = f"gave up after {retry + 1} attempts"
                    if not reached:
                        why += f"; {self._origin} could not be reached: is the API URL right?"
                else:
                    why = f"the API asks to wait {retry_after:.0f}s; not waiting that long"
                raise ApiError(method, full, failure.status, f"{failure.message} ({why})") from None
            await self._sleep(delay)
            retry += 1

    def _unwrap(self, method: str, path: str, response: httpx.Response) -> Any:
        """The envelope's ``data``, or ApiError when the body is not a successful envelope."""
        full = self._full(path)
        try:
            payload = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(
                method,
                full,
                response.status_code,
                self._redact(f"response is not JSON: {_snippet(response)}"),
            ) from None
        if isinstance(payload, dict):
            unenveloped_error = bool(payload.get("error")) and "data" not in payload
            failed = payload.get("success") is False or (
                unenveloped_error and payload.get("success") is not True
            )
            if failed:
                message = _error_field(payload) or "request failed (success: false)"
                raise ApiError(method, full, response.status_code, self._redact(message))
            if "data" in payload:
                return payload["data"]
        return payload

    def _checked_key(self) -> str:
        key = self._key.reveal()
        if not key:
            raise PodsyncError(
                "ZENMIC_API_KEY is not set: export your ZenMic API key to talk to the API"
            )
        if not key.isascii() or not key.isprintable() or " " in key:
            raise PodsyncError(
                "ZENMIC_API_KEY contains characters that cannot go in an HTTP header"
            )
        return key

    def _redact(self, text: str) -> str:
        key = self._key.reveal()
        return text.replace(key, "***") if key else text

    def _full(self, path: str) -> str:
        return self._base_path + path


def _path(*segments: str) -> str:
    """An API path with every id escaped, so a stray '/' or '?' cannot reach another route."""
    return "/" + "/".join(quote(str(s), safe="") for s in segments)


def _source_body(source: Source, title: str, *, dialogue: bool) -> _Body:
    if source.kind == "topic":
        body: dict[str, Any] = {"source": "topic", "topic": source.topic, "title": title}
        if source.duration_minutes is not None:
            body["duration_minutes"] = source.duration_minutes
        return _Body(json=body)
    if source.kind == "document":
        return _document_body(source, title)
    if dialogue and source.kind == "dialogue":
        body = {"title": title}
        if source.style_prompt:
            body["style_prompt"] = source.style_prompt
        body["dialogue"] = [[speaker, text] for speaker, text in source.dialogue]
        return _Body(json=body)
    raise ValueError(f"unsupported source kind: {source.kind!r}")


def _document_body(source: Source, title: str) -> _Body:
    document = source.document
    if document is None:
        raise ValueError("a document source needs a document")
    content = read_checked(document)  # the bytes that were checked, or nothing is sent
    fields = {"source": "document"}
    if source.topic:
        fields["topic"] = source.topic
    fields["title"] = title
    upload = (Path(document.path).name, content, document.content_type)
    return _Body(data=fields, files={"document": upload})


class _Malformed(Exception):
    """A 2xx answer whose data podsync cannot read; the caller adds method and path."""


def _as_list(data: Any) -> list[Any]:
    """The one list in a listing, whether bare or wrapped (``{"podcasts": [...]}``)."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        hint = _next_page_hint(data)
        if hint is not None:
            raise _Malformed(f"the listing is paginated ({hint}); podsync cannot read more pages")
        for key in LIST_KEYS:
            found = data.get(key)
            if isinstance(found, list):
                return found
        lists = [value for value in data.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]
    raise _Malformed(f"expected a list, got {_kind(data)}")


def _next_page_hint(data: Mapping[str, Any]) -> str | None:
    nested = [data[k] for k in ("meta", "links", "pagination") if isinstance(data.get(k), dict)]
    for place in [data, *nested]:
        for key in PAGINATION_KEYS:
            if place.get(key):
                return f"{key}={place[key]!r}"
    return None


def _parse_shows(data: Any) -> list[LiveShow]:
    return [_parse_show(item) for item in _as_list(data)]


def _parse_episodes(data: Any) -> list[LiveEpisode]:
    return [_parse_episode(item) for item in _as_list(data)]


def _parse_show(item: Any) -> LiveShow:
    if not isinstance(item, dict):
        raise _Malformed(f"expected a show object, got {_kind(item)}")
    show_id = _first_present(item, "show_id", "id")
    if show_id is None:
        raise _Malformed("a show has no show_id")
    return LiveShow(
        show_id=str(show_id),
        title=_text(item.get("title")),
        description=_text(item.get("description")),
        feed_url=_optional_text(item.get("feed_url")),
    )


def _parse_episode(item: Any) -> LiveEpisode:
    if not isinstance(item, dict):
        raise _Malformed(f"expected an episode object, got {_kind(item)}")
    episode_id = _first_present(item, "id", "episode_id")
    if episode_id is None:
        raise _Malformed("an episode has no id")
    return LiveEpisode(
        id=str(episode_id),
        mic_id=_text(item.get("mic_id")),
        title=_text(item.get("title")),
        description=_text(item.get("description")),
        audio_url=_optional_text(item.get("audio_url")),
    )


def _parse_audio(data: Any, retry_after: float | None, mic_id: str | None = None) -> AudioStatus:
    if not isinstance(data, dict):
        raise _Malformed(f"expected an audio job object, got {_kind(data)}")
    job_id = _first_present(data, "id", "mic_id")
    if job_id is None and mic_id is None:
        raise _Malformed("the audio job has no id")
    return AudioStatus(
        id=str(job_id if job_id is not None else mic_id),
        status=_text(data.get("status")).strip().lower() or "unknown",
        audio_url=_optional_text(data.get("audio_url")),
        audio_page_url=_optional_text(data.get("audio_page_url")),
        error=_error_field(data),
        retry_after=retry_after,
    )


def _parse_dialogue(data: Any) -> tuple[tuple[str, str], ...]:
    lines = data.get("dialogue") if isinstance(data, dict) else None
    if not isinstance(lines, list):
        raise _Malformed(f"expected a dialogue, got {_kind(data)}")
    parsed = []
    for line in lines:
        if isinstance(line, (list, tuple)) and len(line) == 2:
            parsed.append((str(line[0]), str(line[1])))
        elif isinstance(line, dict) and "speaker" in line and "text" in line:
            parsed.append((str(line["speaker"]), str(line["text"])))
        else:
            raise _Malformed(f"unreadable dialogue line: {line!r}"[:SNIPPET_CHARS])
    return tuple(parsed)


def _check_deleted(data: Any) -> None:
    if isinstance(data, dict) and data.get("deleted") is False:
        raise _Malformed("the API answered deleted: false")


def _retry_after(response: httpx.Response) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"), datetime.now(timezone.utc))


def _first_present(item: Mapping[str, Any], *keys: str) -> Any:
    return next((item[k] for k in keys if item.get(k) is not None), None)


def _error_field(payload: Mapping[str, Any]) -> str | None:
    for key in ("error", "error_message", "message", "reason"):
        value = payload.get(key)
        if isinstance(value, dict):
            value = value.get("message") or value.get("detail")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _error_text(response: httpx.Response) -> str:
    """The API's own words for a failure, else the HTTP reason and a glimpse of the body."""
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        payload = None
    if isinstance(payload, dict):
        message = _error_field(payload)
        if message:
            return message
    reason = response.reason_phrase or "error"
    snippet = _snippet(response)
    return f"HTTP {response.status_code} {reason}" + (f": {snippet}" if snippet else "")


def _origin(url: str) -> str:
    """Scheme, host and port of ``url``, without any user or password in it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _network_message(exc: httpx.RequestError) -> str:
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__}): {detail}"
    return f"connection failed ({type(exc).__name__}): {detail}"


def _snippet(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    if len(text) > SNIPPET_CHARS:
        return text[:SNIPPET_CHARS] + "..."
    return text or f"empty body ({response.headers.get('content-type', 'no content type')})"


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _unknown_outcome(path: str, failure: ApiError) -> str:
    """Say honestly what a POST that may have taken effect means for the user."""
    if path.rstrip("/").endswith("/audios"):
        consequence = (
            "an audio job may have been created (and billed) without podsync learning its id; "
            "the API cannot list jobs, so the next apply submits it again"
        )
    else:
        consequence = "it may have taken effect; podsync checks the account before trying again"
    return f"outcome unknown ({failure.message}); {consequence}"
