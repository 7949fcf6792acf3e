"""What a failed request says: the API's own words, a network failure with what was waited
for, and the honest consequence of a POST whose outcome is unknown."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from podsync.errors import ApiError
from podsync.safe_text import cut, valid_unicode

SNIPPET_CHARS = 200
ERROR_CHARS = 500  # of the API's own error message: a server may send pages of it


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
