"""Audio jobs and scripts: the paid and free generation calls, what they send, and the job
statuses and dialogues they answer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from podsync.client.failures import SNIPPET_CHARS, _error_field
from podsync.client.reading import _first_present, _kind, _Malformed, _optional_text, _str, _text
from podsync.client.transport import Transport, _Body, _path, _retry_after
from podsync.documents import read_checked
from podsync.model import AUDIO_FINISHED, AUDIO_SUCCEEDED, Source

NO_AUDIO_URL = "the API reported succeeded but gave no audio_url"


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


class AudioJobs(Transport):
    """The audio and script calls of ZenMicClient."""

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
