"""The HTTP side of the client: auth, the response envelope, retries until each request's
deadline, and what a failure says; the calls in catalogue.py and audio.py go through it."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import random
import ssl
import sys
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from podsync.client.failures import (
    _empty_answer,
    _error_field,
    _error_text,
    _network_message,
    _seconds,
    _snippet,
    _unknown_outcome,
)
from podsync.client.reading import _Malformed
from podsync.errors import ApiError, ConfigError
from podsync.retry import RetryPolicy, parse_retry_after
from podsync.timeouts import TIMEOUT_ENV, Timeouts

# httpcore runs `import sniffio` on every request; without sniffio (anyio 4 no longer needs it)
# each one is a failed search of sys.path, a fifth of apply's CPU on a large catalogue. Marked
# absent, the import fails at once.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

MAX_CONNECTIONS = 16
# No connection was made: the signs of a wrong URL, or of a server down.
UNREACHED_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout)

# Origins reached at least once in this process (a connection made, even if no answer came).
# Plan and apply use separate clients, and a server that answered the plan and then refuses
# apply is restarting, not misconfigured.
_reached_origins: set[str] = set()

T = TypeVar("T")


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


class Transport:
    """The connection pool, retry policy and key of one client (see ZenMicClient)."""

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
            verify=_tls_for(self.base_url),
        )

    async def _call(
        self, method: str, path: str, parse: Callable[[Any], T], body: _Body | None = None
    ) -> T:
        response = await self._send(method, path, body or _Body())
        return self._parse(method, path, response, parse)

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


def _shown_path(url: httpx.URL) -> str:
    """A page's path and query for messages (no scheme or host, as for every other request)."""
    return url.raw_path.decode("ascii", "replace")


def _retry_after(response: httpx.Response) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"), datetime.now(timezone.utc))


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


def _tls_for(base_url: str) -> ssl.SSLContext | bool:
    """The TLS settings for a client of `base_url`. Every request goes to the base URL's own
    origin (other origins are refused), so a plain-HTTP server needs no certificate store, and
    loading one costs every command against the emulator some 40 ms. The context given then
    trusts no certificate at all: an https request through it could only fail, never pass
    unchecked."""
    if urlsplit(base_url).scheme == "http":
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return True
