"""When to retry a ZenMic request, and how long to wait first.

Kept apart from the client so the policy (which failures are transient, which requests are safe
to send twice, exponential backoff with full jitter, Retry-After) reads as one small table.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# 500 included: a GET that failed inside the server is worth another try. For a POST it means
# the outcome is unknown (the server may have acted before failing), which the caller reconciles.
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
# A server that answers these to a POST has certainly not acted on it.
UNACTED_STATUSES = frozenset({429, 503})
# Raised before a byte of the request left this machine.
UNSENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures are worth another try, and how long to wait before it.

    Idempotent requests retry every transient failure. A POST creates shows, episodes or paid
    audio jobs, so it retries only when the server certainly did not act on it; otherwise its
    outcome is unknown and the caller must reconcile rather than risk paying twice.
    """

    # Nine attempts with this backoff ride out an outage of up to ~90 s (~45 s typically: the
    # jitter draws half its ceiling on average). At a 20% fault rate one request in two million
    # still fails, so a 1,000-request apply rarely does.
    max_retries: int = 8
    # A server this process has never reached is likelier a wrong URL than an outage: say so
    # within seconds, not after a minute or more of backoff.
    unreached_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 300.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @staticmethod
    def transient(outcome: int | Exception) -> bool:
        if isinstance(outcome, int):
            return outcome in TRANSIENT_STATUSES
        return isinstance(outcome, TRANSIENT_ERRORS)

    @staticmethod
    def safe_to_repeat(method: str, outcome: int | Exception) -> bool:
        if method.upper() in IDEMPOTENT_METHODS:
            return True
        if isinstance(outcome, int):
            return outcome in UNACTED_STATUSES
        return isinstance(outcome, UNSENT_ERRORS)

    def retries(self, reached: bool) -> int:
        """How many retries a request gets, by whether this process has reached the server."""
        return self.max_retries if reached else min(self.unreached_retries, self.max_retries)

    def delay(self, retry: int, retry_after: float | None, *, reached: bool = True) -> float | None:
        """Seconds to wait before retry number ``retry`` (0-based); None means give up.

        A server's Retry-After wins over our own backoff; one asking for more than
        ``retry_after_max`` is not worth blocking a CLI run for.
        """
        if retry >= self.retries(reached):
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.retry_after_max else None
        ceiling = min(self.backoff_max, self.backoff_base * 2**retry)
        return self.rng.uniform(0.0, ceiling)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (delay-seconds or HTTP-date) as seconds from ``now``."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())
