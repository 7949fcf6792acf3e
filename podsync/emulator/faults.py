"""Fault injection for the ZenMic emulator: the failures a real API and network produce, on demand.

podsync promises to converge through throttling, outages, lost responses and failed jobs; these
faults let tests (and people, through ``podsync emulator --fault-*`` or
``ZENMIC_EMULATOR_FAULTS``) prove it against a real server. Faults touch ``/api/v2`` only, never
``/_emulator/*`` or the public CDN-like paths, and only requests that passed authentication: a
wrong key always gets its 401, so a misconfigured client fails fast and the same way every time.

For one request, in this order:

- ``latency`` (+ up to ``latency_jitter``) seconds of delay;
- before any effect, at most one of: ``drop`` (the connection is cut), ``throttle`` (429) or
  ``unavailable`` (503), both with ``Retry-After: retry_after``. They exclude each other, so
  their shares may add up to at most 1; each is then exactly the share of requests it hits;
- the handler runs (the effect happens: a show, episode or paid audio job is created);
- after the effect, at most one of: ``ambiguous`` (the client gets a 500 error envelope instead of
  the real answer) or ``drop_after`` (the real answer is cut off mid-body). These are shares of the
  requests that reached the handler. ``ambiguous`` hits only requests that change something (POST,
  PUT, PATCH, DELETE): the point is a client that cannot know whether its change happened, and a
  read that fails is what ``throttle``, ``unavailable`` and ``drop`` already cover;
- ``job_failure``: a share of accepted audio jobs (``POST /audios``) that end ``failed`` with
  ``JOB_FAILURE_REASON``, besides those carrying the ``[emulator:fail]`` marker.

A dropped connection sends the status line, the headers (with a Content-Length) and half of the
body, then closes: the client never sees a complete response (httpx raises
``RemoteProtocolError``). The status line tells the truth (502 before the effect, the real status
after it), but a client cannot act on it because the response never completes. ASGI has no way to
close a connection without starting a response, and every uvicorn protocol (h11, httptools)
answers an app that returns mid-response by closing the connection, which is what we want.
HEAD responses carry no body to cut, so HEAD requests are never dropped.

Determinism: every decision is a hash of (seed, method, path, the occurrence number of that exact
method and path, the decision's stage), never a shared random stream. The n-th ``POST /podcasts``
gets the same fate under the same seed however concurrent requests to other paths interleave with
it; only concurrent requests to the very same method and path can swap fates between them. Paths
that carry server-assigned ids (random per run) differ between runs, so two runs repeat their
faults exactly where their requests do. ``POST /_emulator/reset`` restarts the occurrence numbers
along with the fault counters.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
from collections.abc import MutableMapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, fields
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from podsync.errors import ConfigError

SHARES = ("throttle", "unavailable", "ambiguous", "drop", "drop_after", "job_failure")
JOB_FAILURE_REASON = "audio synthesis failed (emulated job failure)"
JOB_FAILURE_SCOPE_KEY = "podsync.emulator.job_failure"
MESSAGES = {
    "throttle": (429, "rate limit exceeded (emulated fault)"),
    "unavailable": (503, "service unavailable (emulated fault)"),
    "ambiguous": (500, "internal error (emulated fault)"),
    "drop": (502, "connection dropped (emulated fault)"),
}
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_INT_FIELDS = ("retry_after", "seed")
_SUM_TOLERANCE = 1e-9

_cut_here: ContextVar[bool] = ContextVar("podsync_emulator_cut", default=False)


@dataclass(frozen=True)
class Decision:
    """What happens to one request: ``before`` and ``after`` name a fault kind or are None."""

    before: str | None = None
    after: str | None = None
    job_failure: bool = False
    delay: float = 0.0


@dataclass(frozen=True)
class Faults:
    """Which faults the emulator injects, and how often: shares are 0..1, times are seconds."""

    throttle: float = 0.0
    unavailable: float = 0.0
    ambiguous: float = 0.0
    drop: float = 0.0
    drop_after: float = 0.0
    latency: float = 0.0
    latency_jitter: float = 0.0
    job_failure: float = 0.0
    retry_after: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        for name in SHARES:
            value = getattr(self, name)
            if not _is_number(value) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"fault {name} must be a share between 0 and 1, not {value!r}")
        for name in ("latency", "latency_jitter"):
            value = getattr(self, name)
            if not _is_number(value) or value < 0:
                raise ConfigError(f"fault {name} must be a number of seconds >= 0, not {value!r}")
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"fault {name} must be a whole number, not {value!r}")
        if self.retry_after < 0:
            raise ConfigError(f"fault retry_after must not be negative, not {self.retry_after}")
        _check_sum(("drop", "throttle", "unavailable"), self, "before the effect")
        _check_sum(("ambiguous", "drop_after"), self, "after the effect")

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """``"throttle=0.1,unavailable=0.1,drop=0.02,latency=0.01,seed=7"``; names may use
        ``-`` for ``_``; an empty spec means no faults."""
        pairs = parse_pairs(spec, [f.name for f in fields(cls)], "fault")
        values: dict[str, Any] = {n: _number(item, n, text) for n, (item, text) in pairs.items()}
        return cls(**values)

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in (*SHARES, "latency", "latency_jitter"))

    def describe(self) -> str:
        """One line for people: what is injected and how often."""
        if not self.active:
            return "no faults"
        parts = []
        wait = f"Retry-After {self.retry_after}s"
        labels = {
            "throttle": f"429 ({wait})",
            "unavailable": f"503 ({wait})",
            "drop": "dropped before the effect",
            "ambiguous": "500 after the effect",
            "drop_after": "dropped after the effect",
            "job_failure": "of audio jobs fail",
        }
        for name in ("throttle", "unavailable", "drop", "ambiguous", "drop_after", "job_failure"):
            share = getattr(self, name)
            if share:
                parts.append(f"{name} {share * 100:g}% {labels[name]}")
        if self.latency or self.latency_jitter:
            jitter = f" + up to {self.latency_jitter:g}s" if self.latency_jitter else ""
            parts.append(f"latency {self.latency:g}s{jitter}")
        return ", ".join(parts) + f"; seed {self.seed}"

    def decide(self, method: str, path: str, occurrence: int) -> Decision:
        """The fate of the ``occurrence``-th request with this method and path (pure)."""

        def draw(stage: str) -> float:
            key = "\x1f".join((str(self.seed), method.upper(), path, str(occurrence), stage))
            digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
            return int.from_bytes(digest, "big") / 2**64

        before = _band(
            draw("before"),
            (("drop", self.drop), ("throttle", self.throttle), ("unavailable", self.unavailable)),
        )
        after = _band(
            draw("after"), (("ambiguous", self.ambiguous), ("drop_after", self.drop_after))
        )
        if method.upper() == "HEAD" and before == "drop":
            before = None
        if method.upper() == "HEAD" and after == "drop_after":
            after = None
        if method.upper() not in MUTATING_METHODS and after == "ambiguous":
            after = None
        delay = self.latency + self.latency_jitter * draw("latency")
        return Decision(before, after, draw("job_failure") < self.job_failure, delay)


class FaultLog:
    """What the gate injected, and how often it saw each method and path; reset together.

    Only the server's event loop touches it, so it needs no lock."""

    def __init__(self) -> None:
        self._counts = dict.fromkeys(SHARES, 0)
        self._seen: dict[tuple[str, str], int] = {}

    def occurrence(self, method: str, path: str) -> int:
        """1 for the first request with this method and path since start or reset, then 2, ..."""
        key = (method.upper(), path)
        self._seen[key] = self._seen.get(key, 0) + 1
        return self._seen[key]

    def count(self, kind: str) -> None:
        self._counts[kind] += 1

    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    def reset(self) -> None:
        self._counts = dict.fromkeys(SHARES, 0)
        self._seen.clear()


def injected_job_failure(scope: MutableMapping[str, Any]) -> str | None:
    """The failure the gate chose for the audio job this request creates, if any."""
    reason = scope.get(JOB_FAILURE_SCOPE_KEY)
    return reason if isinstance(reason, str) else None


class FaultGate:
    """ASGI middleware that injects ``faults`` into requests under ``api_prefix``.

    Sits inside the gate that authenticates, so only authenticated requests see faults."""

    def __init__(self, app: ASGIApp, faults: Faults, log: FaultLog, api_prefix: str) -> None:
        self.app = app
        self.faults = faults
        self.log = log
        self.api_prefix = api_prefix
        if faults.drop or faults.drop_after:
            _quiet_uvicorn_about_cuts()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        prefix = self.api_prefix
        if (
            scope["type"] != "http"
            or not self.faults.active
            or not (path == prefix or path.startswith(prefix + "/"))
        ):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        decision = self.faults.decide(method, path, self.log.occurrence(method, path))
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.before is not None:
            self.log.count(decision.before)
            await _drain(receive)
            await self._refuse(decision.before, send)
            return
        creates_job = method.upper() == "POST" and path == f"{prefix}/audios"
        if creates_job and decision.job_failure:
            scope[JOB_FAILURE_SCOPE_KEY] = JOB_FAILURE_REASON
        if decision.after is None and not scope.get(JOB_FAILURE_SCOPE_KEY):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []

        async def hold(message: Message) -> None:
            if decision.after is None:
                await send(message)
            else:
                messages.append(message)
            started = message["type"] == "http.response.start"
            if started and message["status"] == 202 and scope.get(JOB_FAILURE_SCOPE_KEY):
                self.log.count("job_failure")

        await self.app(scope, receive, hold)
        if decision.after is None:
            return
        self.log.count(decision.after)
        if decision.after == "ambiguous":
            await _send_error("ambiguous", send, self.faults.retry_after)
            return
        start = next(m for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        await _cut(send, start["status"], list(start.get("headers", [])), body)

    async def _refuse(self, kind: str, send: Send) -> None:
        if kind == "drop":
            status, message = MESSAGES["drop"]
            await _cut(send, status, [(b"content-type", b"application/json")], _envelope(message))
        else:
            await _send_error(kind, send, self.faults.retry_after)


async def _send_error(kind: str, send: Send, retry_after: int) -> None:
    status, message = MESSAGES[kind]
    headers = [(b"content-type", b"application/json")]
    if status in (429, 503):
        headers.append((b"retry-after", str(retry_after).encode()))
    body = _envelope(message)
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _cut(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """Promise ``body`` in Content-Length, send half of it and stop: uvicorn then closes the
    connection, and the client sees it end mid-response."""
    declared = max(len(body), 1)
    kept = [
        (k, v) for k, v in headers if k.lower() not in (b"content-length", b"transfer-encoding")
    ]
    kept.append((b"content-length", str(declared).encode()))
    await send({"type": "http.response.start", "status": status, "headers": kept})
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
    _cut_here.set(True)


async def _drain(receive: Receive) -> None:
    """Read the request body nobody will use: closing a socket with unread input makes the
    kernel reset the connection, and the client would then see a reset or a cut response by
    chance instead of always the cut response."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _envelope(message: str) -> bytes:
    return json.dumps({"success": False, "error": message}).encode()


class _QuietCuts(logging.Filter):
    """uvicorn logs an error when an app returns mid-response; for an injected drop that is the
    point, so the request that cut its own response is not reported (others still are)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_cut_here.get() and "without completing response" in str(record.msg))


def _quiet_uvicorn_about_cuts() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietCuts) for f in logger.filters):
        logger.addFilter(_QuietCuts())


def _band(value: float, bands: tuple[tuple[str, float], ...]) -> str | None:
    """The band ``value`` (0..1) falls in, bands laid end to end from 0; None past the last."""
    edge = 0.0
    for name, share in bands:
        edge += share
        if value < edge:
            return name
    return None


def _check_sum(names: tuple[str, ...], faults: Faults, when: str) -> None:
    total = sum(getattr(faults, name) for name in names)
    if total > 1.0 + _SUM_TOLERANCE:
        raise ConfigError(
            f"faults {', '.join(names)} exclude each other ({when}), so their shares must add "
            f"up to at most 1, not {total:g}"
        )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def parse_pairs(spec: str, names: Sequence[str], kind: str) -> dict[str, tuple[str, str]]:
    """The ``NAME=VALUE,...`` switches of the emulator (faults and quirks) as
    ``{name: (item, value text)}``: names may use ``-`` for ``_``; an unknown, repeated or
    valueless name is an error naming the item."""
    allowed = ", ".join(names)
    pairs: dict[str, tuple[str, str]] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, text = (part.strip() for part in item.partition("="))
        name = name.lower().replace("-", "_")
        if not sep or not name or not text:
            raise ConfigError(f"bad {kind} {item!r}: write NAME=VALUE (names: {allowed})")
        if name not in names:
            raise ConfigError(f"bad {kind} {item!r}: unknown name {name!r} (names: {allowed})")
        if name in pairs:
            raise ConfigError(f"bad {kind} {item!r}: {name} is given twice")
        pairs[name] = (item, text)
    return pairs


def _number(item: str, name: str, text: str) -> int | float:
    try:
        value = int(text) if name in _INT_FIELDS else float(text)
    except ValueError:
        kind = "a whole number" if name in _INT_FIELDS else "a number"
        raise ConfigError(f"bad fault {item!r}: {name} must be {kind}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"bad fault {item!r}: {name} must be a finite number")
    return value
