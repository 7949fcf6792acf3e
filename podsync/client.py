"""ZenMic over httpx: auth, the response envelope, retries and error mapping.

This is the only module that talks to the ZenMic API, so tests and fault injection have one
seam (``transport=``). Every failure leaves it as one exception type:

    PodsyncError                  the API key is missing or unusable (raised at the first request)
    ApiError(method, path, ...)   the API said no, answered nonsense, or never answered
        status=None                   network failure after retries, or a POST whose outcome is
                                      unknown (a re-run of plan reconciles it)

Every request has a deadline (timeouts.py): retries stop when it passes, and the error says
what was waited for. A POST keeps its connection for the first answer longer than a read does,
since giving up on it leaves its outcome unknown.

The API documentation is silent on list shapes, pagination and status values, so parsing is
tolerant of shape (a bare list or an object wrapping one list; int or str ids; missing
descriptions; any 2xx, with an empty body where nothing needs to come back) but strict about
meaning: a listing podsync cannot read completely is an error, never an empty or partial list,
because the planner would take missing shows for deleted ones and pay to create them again.
So every page of a listing is read (``Link: rel="next"`` or the usual body envelopes), on the
API's own origin only, and a listing that loops, repeats itself or disagrees with its own
``total`` is refused.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from podsync.documents import read_checked
from podsync.endpoint import shown_url
from podsync.errors import ApiError, ConfigError
from podsync.model import AUDIO_FINISHED, AUDIO_SUCCEEDED, LiveEpisode, LiveShow, Source
from podsync.retry import RetryPolicy, parse_retry_after
from podsync.safe_text import cut, valid_unicode
from podsync.timeouts import TIMEOUT_ENV, Timeouts

LIST_KEYS = ("data", "items", "results", "podcasts", "shows", "episodes")
PAGINATION_PLACES = ("meta", "links", "pagination")
MAX_LIST_PAGES = 1000
NO_AUDIO_URL = "the API reported succeeded but gave no audio_url"
SNIPPET_CHARS = 200
ERROR_CHARS = 500  # of the API's own error message: a server may send pages of it
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
    title: str | None = None  # the title the job was submitted with
    created_at: str | None = None  # when it was submitted, as the API wrote it (ISO 8601)
    # percent done, 0-100: not on the API page, so shown only when a server adds it
    progress: float | None = None

    @property
    def done(self) -> bool:
        """True once polling can stop, whether the audio succeeded or not."""
        return self.status in AUDIO_FINISHED


@dataclass(frozen=True)
class WrittenScript:
    """What POST /scripts answers: the dialogue, and the title and style ZenMic gave it."""

    title: str | None
    style_prompt: str | None
    dialogue: tuple[tuple[str, str], ...]


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
        timeouts: Timeouts | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = _Secret((api_key or "").strip())
        self._base_path = urlsplit(self.base_url).path.rstrip("/")
        self._origin = _origin(self.base_url)
        self._sleep = sleep
        self._clock = clock
        # read here, not in the CLI, so every command and the GitHub Action honour it alike
        self.timeouts = timeouts if timeouts is not None else Timeouts.from_env()
        self._policy = RetryPolicy(
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            rng=rng or random.Random(),
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            transport=transport,
            timeout=httpx.Timeout(self.timeouts.read, connect=self.timeouts.connect),
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
        return await self._list("/podcasts", _parse_show, lambda show: show.show_id)

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

    async def list_episodes(
        self, show_id: str, expected: int | None = None, *, without_mic_id: bool = False
    ) -> list[LiveEpisode]:
        """Every episode of a show; ``expected`` is the show listing's ``episode_count``, and a
        listing of another length is refused, since one of the two reads is incomplete.
        ``without_mic_id``: an episode listed without a mic_id comes back with mic_id "" rather
        than refusing the listing (`podsync import` reports such an episode and leaves it out)."""
        path = _path("podcasts", show_id, "episodes")
        parse = _parse_episode_without_mic_id if without_mic_id else _parse_episode
        episodes = await self._list(path, parse, lambda episode: episode.id)
        if expected is not None and expected != len(episodes):
            raise ApiError(
                "GET",
                self._full(path),
                None,
                f"the show listing says the show has {expected} episode(s) but its episode "
                f"listing holds {len(episodes)}; podsync cannot tell which read is complete "
                "(if the account is being changed right now, plan again)",
            )
        return episodes

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

    async def write_script(self, source: Source, title: str) -> WrittenScript:
        """generate_script with the title and style prompt of the answer too, for a script
        `podsync script` pins; a script without a line is refused (nothing to pin)."""
        if source.kind == "dialogue":
            raise ValueError("a dialogue source is already a script")
        body = _source_body(source, title, dialogue=False)
        return await self._call("POST", "/scripts", _parse_script, body)

    async def _call(
        self, method: str, path: str, parse: Callable[[Any], T], body: _Body | None = None
    ) -> T:
        response = await self._send(method, path, body or _Body())
        return self._parse(method, path, response, parse)

    async def _list(
        self, path: str, parse_item: Callable[[Any], T], key: Callable[[T], str]
    ) -> list[T]:
        """Every item of a listing, page after page, or ApiError: a partial list would read as
        shows and episodes deleted outside podsync, and apply would create them again.

        Bounded: a next page already read, a page repeating the previous one, an id listed
        twice, more than MAX_LIST_PAGES pages, or a ``total`` other than the count read is an
        error. A next page on another origin is never requested (the key would go with it)."""
        items: list[T] = []
        where: dict[str, int] = {}  # id -> the page it was on
        visited: set[str] = set()
        url: httpx.URL | None = None
        full = self._full(path)
        previous: list[str] = []
        total: int | None = None
        for page in range(1, MAX_LIST_PAGES + 1):
            response = await self._send("GET", path, _Body(), url=url)
            visited.add(str(response.request.url))
            data = self._unwrap("GET", full, response)
            refuse = self._refusal("GET", full, response.status_code)
            try:
                listed = [parse_item(item) for item in _as_list(data)]
                pages = _Pages.read(response.json(), data)
                following = _next_page(response, pages, len(items) + len(listed), bool(listed))
            except _Malformed as exc:
                raise refuse(f"unexpected response: {exc}") from None
            ids = [key(item) for item in listed]
            if page > 1 and ids and ids == previous:
                raise refuse(f"page {page} repeats the items of page {page - 1}; not complete")
            for item_id in ids:
                if item_id in where:
                    raise refuse(
                        f"id {item_id!r} is listed twice (pages {where[item_id]} and {page}); "
                        "the listing cannot be read completely"
                    )
                where[item_id] = page
            items.extend(listed)
            previous = ids
            total = pages.total if pages.total is not None else total
            if following is None:
                break
            if _url_origin(following) != _url_origin(self._http.base_url):
                elsewhere = _origin(str(following.copy_with(path="/", query=None, fragment=None)))
                raise refuse(
                    f"the next page is on another origin ({elsewhere}); podsync sends the API "
                    "key to the API's own origin only"
                )
            if str(following) in visited:
                raise refuse(f"the next page ({_shown_path(following)}) was read already: loop")
            url, full = following, self._redact(_shown_path(following))
        else:
            raise ApiError(
                "GET", full, None, f"the listing goes on past {MAX_LIST_PAGES} pages; refused"
            )
        if total is not None and total != len(items):
            raise refuse(
                f"the listing says total={total} but {len(items)} items were read in "
                f"{page} page(s); podsync cannot tell which are missing"
            )
        return items

    def _refusal(self, method: str, full: str, status: int) -> Callable[[str], ApiError]:
        return lambda message: ApiError(method, full, status, self._redact(message))

    def _parse(
        self, method: str, path: str, response: httpx.Response, parse: Callable[[Any], T]
    ) -> T:
        """Unwrap the envelope and read its data; a shape we cannot read is an ApiError."""
        data = self._unwrap(method, self._full(path), response)
        try:
            return parse(data)
        except _Malformed as exc:
            message = self._redact(f"unexpected response: {exc}")
            raise ApiError(method, self._full(path), response.status_code, message) from None

    async def _send(
        self, method: str, path: str, body: _Body, *, url: httpx.URL | None = None
    ) -> httpx.Response:
        """Send with retries until the request's deadline; returns a 2xx response or raises
        ApiError. ``url``, a listing's next page, replaces ``path`` as the target."""
        self._checked_key()
        full = self._full(path) if url is None else self._redact(_shown_path(url))
        limits = self.timeouts
        read = limits.read_for(method, path)
        deadline = limits.deadline_for(method, path)
        started = self._clock()
        retry = 0
        while True:
            remaining = max(deadline - (self._clock() - started), 0.001)
            attempt = httpx.Timeout(
                connect=min(limits.connect, remaining),
                read=min(read, remaining),
                write=min(limits.write_for(method, path), remaining),
                pool=remaining,
            )
            try:
                response = await _within(
                    remaining,
                    self._http.request(
                        method,
                        url if url is not None else path.lstrip("/"),
                        json=body.json,
                        data=body.data,
                        files=body.files,
                        timeout=attempt,
                    ),
                )
            except httpx.RequestError as exc:
                outcome: int | Exception = exc
                retry_after = None
                failure = ApiError(method, full, None, self._redact(_network_message(exc, attempt)))
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
                    unanswered=isinstance(outcome, httpx.TimeoutException) or outcome == 504,
                ) from None
            reached = self._origin in _reached_origins
            delay = self._policy.delay(retry, retry_after, reached=reached)
            elapsed = self._clock() - started
            if delay is None or elapsed + delay >= deadline:
                if delay is not None:
                    why = (
                        f"the API asks to wait {retry_after:.0f}s"
                        if retry_after is not None
                        else f"gave up after {retry + 1} attempts in {_seconds(elapsed)}"
                    )
                    why += (
                        f": one request may take {_seconds(deadline)}, each attempt waiting up "
                        f"to {_seconds(read)} for an answer; set {TIMEOUT_ENV}=SECONDS to wait "
                        "longer"
                    )
                elif retry >= self._policy.retries(reached):
                    why = f"gave up after {retry + 1} attempts"
                    if not reached:
                        why += f"; {self._origin} could not be reached: is the API URL right?"
                else:
                    why = f"the API asks to wait {retry_after:.0f}s; not waiting that long"
                raise ApiError(method, full, failure.status, f"{failure.message} ({why})") from None
            await self._sleep(delay)
            retry += 1

    def _unwrap(self, method: str, full: str, response: httpx.Response) -> Any:
        """The envelope's ``data``, or ApiError when the body is not a successful envelope.

        An empty body is a success where nothing needs to come back (a DELETE or PATCH answered
        204, or 200/202 with no body); ``None`` then stands for the data."""
        if not response.content.strip():
            if method in ("DELETE", "PATCH", "PUT"):
                return None
            raise ApiError(
                method,
                full,
                response.status_code,
                _empty_answer(method, full, response.status_code),
                # a create answered with an empty 2xx (201 with no body is legal) took effect
                outcome_unknown=method == "POST"
                and full.rstrip("/").endswith(("/audios", "/podcasts", "/episodes")),
            )
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
            raise ConfigError(
                "ZENMIC_API_KEY is not set: export your ZenMic API key to talk to the API"
            )
        if not key.isascii() or not key.isprintable() or " " in key:
            raise ConfigError("ZENMIC_API_KEY contains characters that cannot go in an HTTP header")
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
        for key in LIST_KEYS:
            found = data.get(key)
            if isinstance(found, list):
                return found
        lists = [value for value in data.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]
    raise _Malformed(f"expected a list, got {_kind(data)}")


@dataclass(frozen=True)
class _Pages:
    """What one page of a listing says about the others, in any of the usual envelopes."""

    next_url: str | None = None
    next_page: int | None = None
    next_cursor: str | None = None
    cursor: str | None = None
    has_more: bool | None = None
    page: int | None = None
    total: int | None = None
    total_pages: int | None = None
    names_next: bool = False  # a next key is there, even as null: no page count is guessed

    @classmethod
    def read(cls, payload: Any, data: Any) -> _Pages:
        """Look beside the list (in ``data`` and around it) and under meta/links/pagination."""
        tops = [p for p in (data, payload) if isinstance(p, dict)]
        places = [
            *tops,
            *(t[k] for t in tops for k in PAGINATION_PLACES if isinstance(t.get(k), dict)),
        ]

        def first(*keys: str) -> Any:
            return next((p[k] for p in places for k in keys if p.get(k) is not None), None)

        next_keys = ("next", "next_page", "next_url", "next_page_url", "next_cursor")
        nxt = first(*next_keys[:-1])
        if isinstance(nxt, dict):  # JSON:API's link object
            nxt = nxt.get("href")
        next_url = nxt if isinstance(nxt, str) and not nxt.strip().isdigit() else None
        next_page = None if next_url else _count(nxt)
        if nxt not in (None, False) and next_url is None and next_page is None:
            raise _Malformed(f"the listing names a next page podsync cannot read: {nxt!r}"[:99])
        more = first("has_more")
        return cls(
            next_url=next_url,
            next_page=next_page,
            next_cursor=_optional_text(first("next_cursor")),
            cursor=_optional_text(first("cursor")),
            has_more=more if isinstance(more, bool) else None,
            page=_count(first("page", "current_page")),
            total=_count(first("total", "total_count")),
            total_pages=_count(first("total_pages", "last_page")),
            names_next=any(k in p for p in places for k in next_keys),
        )


def _next_page(response: httpx.Response, pages: _Pages, read: int, items: bool) -> httpx.URL | None:
    """The URL of the page after this one, None after the last; ``read`` items so far."""
    current = response.request.url
    link = response.links.get("next", {}).get("url") or pages.next_url
    if link:
        try:
            return current.join(link)
        except httpx.InvalidURL:
            raise _Malformed(
                f"the next page's link is not a URL: {link!r}"[:SNIPPET_CHARS]
            ) from None
    if pages.next_page is not None:
        return current.copy_set_param("page", pages.next_page)
    cursor = pages.next_cursor or (pages.cursor if pages.has_more else None)
    if cursor and pages.has_more is not False:
        return current.copy_set_param("cursor", cursor)
    if pages.page is not None and items and not pages.names_next and pages.has_more is not False:
        if pages.total_pages is not None and pages.page < pages.total_pages:
            return current.copy_set_param("page", pages.page + 1)
        if pages.total_pages is None and pages.total is not None and read < pages.total:
            return current.copy_set_param("page", pages.page + 1)
    if pages.has_more:
        raise _Malformed("the listing says has_more but names no next page or cursor")
    return None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        try:
            return int(value)
        except ValueError:  # digits int() does not take ('²'), or too many of them
            return None
    return None


def _url_origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def _shown_path(url: httpx.URL) -> str:
    """A page's path and query for messages (no scheme or host, as for every other request)."""
    return url.raw_path.decode("ascii", "replace")


def _parse_show(item: Any) -> LiveShow:
    if not isinstance(item, dict):
        raise _Malformed(f"expected a show object, got {_kind(item)}")
    show_id = _first_present(item, "show_id", "id")
    if show_id is None:
        raise _Malformed("a show has no show_id")
    return LiveShow(
        show_id=_str(show_id),
        title=_text(item.get("title")),
        description=_text(item.get("description")),
        feed_url=_optional_text(item.get("feed_url")),
        episode_count=_count(item.get("episode_count")),
    )


def _parse_episode_without_mic_id(item: Any) -> LiveEpisode:
    return _parse_episode(item, need_mic_id=False)


def _parse_episode(item: Any, *, need_mic_id: bool = True) -> LiveEpisode:
    if not isinstance(item, dict):
        raise _Malformed(f"expected an episode object, got {_kind(item)}")
    episode_id = _first_present(item, "id", "episode_id")
    if episode_id is None:
        raise _Malformed("an episode has no id")
    mic_id = _text(item.get("mic_id"))
    if not mic_id and need_mic_id:
        # Which audio is live decides re-publishes and adoptions: read as "" it would look
        # swapped for other audio on every episode, and each apply would re-publish them all.
        raise _Malformed(f"episode {_str(episode_id)!r} has no mic_id: its audio is unknown")
    return LiveEpisode(
        id=_str(episode_id),
        mic_id=mic_id,
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
    status = _text(data.get("status")).strip().lower() or "unknown"
    audio_url = _optional_text(data.get("audio_url"))
    error = _error_field(data)
    if status == AUDIO_SUCCEEDED and not usable_audio_url(audio_url):
        # Nothing to publish: a job like this is failed, so it is never published or reused.
        status, error = "failed", NO_AUDIO_URL
    return AudioStatus(
        id=_str(job_id if job_id is not None else mic_id),
        status=status,
        audio_url=audio_url,
        audio_page_url=_optional_text(data.get("audio_page_url")),
        error=error,
        retry_after=retry_after,
        title=_optional_text(data.get("title")),
        created_at=_optional_text(data.get("created_at")),
        progress=_percent(data.get("progress")),
    )


def _percent(value: Any) -> float | None:
    """A job's percent done, when a server reports one as a number from 0 to 100; anything
    else is left unread: it only feeds a progress display."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0 <= value <= 100 else None


def usable_audio_url(url: str | None) -> bool:
    """An absolute http(s) URL: the only audio_url a listener's podcast app can fetch."""
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _parse_dialogue(data: Any) -> tuple[tuple[str, str], ...]:
    lines = data.get("dialogue") if isinstance(data, dict) else None
    if not isinstance(lines, list):
        raise _Malformed(f"expected a dialogue, got {_kind(data)}")
    parsed = []
    for line in lines:
        if isinstance(line, (list, tuple)) and len(line) == 2:
            parsed.append((_str(line[0]), _str(line[1])))
        elif isinstance(line, dict) and "speaker" in line and "text" in line:
            parsed.append((_str(line["speaker"]), _str(line["text"])))
        else:
            raise _Malformed(f"unreadable dialogue line: {line!r}"[:SNIPPET_CHARS])
    return tuple(parsed)


def _parse_script(data: Any) -> WrittenScript:
    dialogue = _parse_dialogue(data)
    if not dialogue:
        raise _Malformed("the script has no dialogue lines")
    return WrittenScript(
        _optional_text(data.get("title")), _optional_text(data.get("style_prompt")), dialogue
    )


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
            return cut(valid_unicode(value.strip()), ERROR_CHARS)
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


async def _within(seconds: float, request: Awaitable[httpx.Response]) -> httpx.Response:
    """The answer, or ReadTimeout once ``seconds`` pass: httpx times each read, so a server
    that trickles bytes would otherwise outlast any deadline."""
    try:
        return await asyncio.wait_for(request, seconds)
    except asyncio.TimeoutError:
        raise httpx.ReadTimeout(f"no complete answer within {_seconds(seconds)}") from None


def _seconds(value: float) -> str:
    return f"{round(value, 1):g}s"


def _network_message(exc: httpx.RequestError, limits: httpx.Timeout) -> str:
    """What failed, and for a timeout what was waited for and how long."""
    name = type(exc).__name__
    waited = {
        httpx.ConnectTimeout: ("could not connect", limits.connect),
        httpx.ReadTimeout: ("no answer", limits.read),
        httpx.WriteTimeout: ("could not send the request", limits.write),
        httpx.PoolTimeout: ("no free connection", limits.pool),
    }
    for kind, (what, seconds) in waited.items():
        if isinstance(exc, kind):
            return f"timed out ({name}): {what} within {_seconds(seconds or 0)}"
    detail = str(exc) or name
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({name}): {detail}"
    return f"connection failed ({name}): {detail}"


def _snippet(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    if len(text) > SNIPPET_CHARS:
        return text[:SNIPPET_CHARS] + "..."
    return text or f"empty body ({response.headers.get('content-type', 'no content type')})"


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _str(value: Any) -> str:
    """A value from the server as text that can be encoded: a JSON string may hold a lone
    surrogate (legal JSON, half an emoji), which no UTF-8 output could write, so it becomes
    U+FFFD here; control and bidi characters are kept as data and escaped where shown."""
    return valid_unicode(str(value))


def _text(value: Any) -> str:
    return "" if value is None else _str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else _str(value)


def _empty_answer(method: str, full: str, status: int) -> str:
    """Why an empty success is not enough for a request whose answer podsync must read."""
    empty = f"the API answered {status} with an empty body"
    endpoint = full.rstrip("/").rpartition("/")[2]
    if method == "POST" and endpoint == "audios":
        return (
            f"{empty}, without the audio job's id: a job may have been created (and billed) "
            "that podsync cannot poll or publish"
        )
    if method == "POST" and endpoint in ("podcasts", "episodes"):
        return f"{empty}, without what it created: it may exist now unknown to podsync.lock"
    return f"{empty}; podsync needs the data it asked for"


def _unknown_outcome(path: str, failure: ApiError) -> str:
    """Say honestly what a POST that may have taken effect means for the user."""
    if path.rstrip("/").endswith("/audios"):
        consequence = (
            "an audio job may have been created (and billed) without podsync learning its id; "
            "the API cannot list jobs, so the next apply submits it again"
        )
    elif failure.status is None or failure.status == 504:
        consequence = (
            "it may have taken effect, or may still; podsync checks the account before trying again"
        )
    else:
        consequence = "it may have taken effect; podsync checks the account before trying again"
    return f"outcome unknown ({failure.message}); {consequence}"
