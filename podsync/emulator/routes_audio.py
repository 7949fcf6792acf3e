"""The emulator's /scripts and /audios routes: writing a script, taking an audio job (from a
topic, a document upload or a dialogue) and reporting its progress."""

from __future__ import annotations

import asyncio
import re
from pathlib import PurePath
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from podsync.emulator.faults import injected_job_failure
from podsync.emulator.jobs import failure_for
from podsync.emulator.routes_base import API_PREFIX, _ApiBase
from podsync.emulator.speech import Line
from podsync.emulator.wire import (
    FORM_TYPES,
    ApiFailure,
    _dialogue_fields,
    _Document,
    _duration,
    _iso,
    _json_object,
    _media_type,
    _megabytes,
    _ok,
    _raise_if,
    _ScriptRequest,
    _string,
    _topic_fields,
)
from podsync.limits import MAX_TEXT_CHARS, MAX_TITLE_CHARS

MAX_TEXT_READ = 200_000
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


class _AudioRoutes(_ApiBase):
    """POST /scripts, POST /audios and GET /audios/{id}."""

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
