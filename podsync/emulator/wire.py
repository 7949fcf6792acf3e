"""What goes over the wire: reading and validating a request's JSON or form fields, and the
``{"success": ..., "data"|"error": ...}`` envelope every answer is written in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse

from podsync.emulator.jobs import Script, write_script
from podsync.limits import MAX_DIALOGUE_LINES, MAX_DURATION_MINUTES, MAX_TEXT_CHARS, MAX_TITLE_CHARS

MAX_JSON_BYTES = 5 * 1024 * 1024
SPEAKERS = ("male", "female")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class ApiFailure(Exception):
    """An error response: raised anywhere in a handler, rendered once by the exception handler."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


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


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size} bytes"
