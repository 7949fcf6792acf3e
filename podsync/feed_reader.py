"""Read a show's feed and its audio as a podcast app does: over plain HTTP, without the API key.

Feeds and audio files are public: a podcast app fetches them with no credentials, so podsync
does too. The ZenMic key is never sent to a feed or audio host, not even the API's own (these
requests go through a client of their own that holds no key); a host that needs one is one that
listeners cannot reach either. In local mode (``ZENMIC_API_URL=local``) the feed and audio are
the files the embedded emulator wrote under ``.podsync/emulator/``, read as ``file://`` URLs, and
only there: a ``file://`` link anywhere else (from a feed or the API) is refused, never opened.

Every read is bounded: the connect and read timeouts of podsync.timeouts per request, and at
most ``MAX_AUDIO_BYTES`` of one audio file (``MAX_FEED_BYTES`` of a feed) kept.
"""

from __future__ import annotations

import contextlib
import mimetypes
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import feedparser
import httpx
import mutagen
import mutagen.mp3

from podsync.timeouts import Timeouts

_mp3: Any = mutagen.mp3  # mutagen has no complete type hints

MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_AUDIO_BYTES = 512 * 1024 * 1024
REFUSED_HEAD = frozenset({403, 405, 501})  # a CDN that only answers GET


class Unreadable(Exception):
    """A feed or file that could not be fetched; the message says why, naming no secret."""


@dataclass(frozen=True)
class FeedItem:
    title: str
    guid: str
    enclosure: str  # the first enclosure's URL ("" without one)
    stated_length: int | None  # the enclosure's length attribute
    stated_seconds: float | None  # itunes:duration
    published: tuple[int, ...] | None  # pubDate as a UTC time tuple


@dataclass(frozen=True)
class Feed:
    items: tuple[FeedItem, ...]
    problem: str = ""  # why apps may reject it (not well-formed), "" when fine


@dataclass(frozen=True)
class Media:
    """What an enclosure answered: status (200 for a file that exists), type and length, and
    where the file was fetched, its decoded duration (None: not an MP3 mutagen can read)."""

    status: int
    content_type: str
    length: int | None
    fetched: bool = False
    seconds: float | None = None
    decode_error: str = ""


class Reader:
    """One HTTP client without credentials; ``local_root`` is the only folder file:// may name."""

    def __init__(self, timeouts: Timeouts, local_root: Path | None = None) -> None:
        self.local_root = local_root.resolve() if local_root is not None else None
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
            follow_redirects=True,
            headers={"User-Agent": "podsync-verify (podcast feed check)"},
        )

    async def __aenter__(self) -> Reader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def feed(self, url: str) -> Feed:
        """The feed at ``url``, parsed; raises Unreadable when it cannot be fetched at all."""
        data = self._local(url).read_bytes() if _is_file(url) else await self._get_feed(url)
        parsed = feedparser.parse(data)
        problem = ""
        if parsed.get("bozo"):
            problem = f"not well-formed: {parsed.get('bozo_exception')}"
        if not parsed.get("version") and not parsed.entries:
            raise Unreadable(f"not a feed ({problem or 'no RSS or Atom found'})")
        return Feed(tuple(_item(entry) for entry in parsed.entries), problem)

    async def media(self, url: str, *, fetch: bool) -> Media:
        """What the enclosure answers: HEAD (a ranged GET if HEAD is refused), then, with
        ``fetch``, the whole file decoded."""
        if _is_file(url):
            return self._local_media(self._local(url), fetch=fetch)
        _check_http(url)
        try:
            if fetch:
                return await self._download(url)
            return await self._probe(url)
        except httpx.HTTPError as exc:
            raise Unreadable(_http_problem(exc)) from None

    async def _get_feed(self, url: str) -> bytes:
        _check_http(url)
        try:
            async with self._http.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise Unreadable(f"HTTP {response.status_code}")
                return await _read_capped(response, MAX_FEED_BYTES)
        except httpx.HTTPError as exc:
            raise Unreadable(_http_problem(exc)) from None

    async def _probe(self, url: str) -> Media:
        head = await self._http.head(url)
        if head.status_code not in REFUSED_HEAD:
            return Media(head.status_code, _type(head), _int(head.headers.get("content-length")))
        async with self._http.stream("GET", url, headers={"Range": "bytes=0-0"}) as ranged:
            total = ranged.headers.get("content-range", "").rpartition("/")[2]
            length = _int(total) if ranged.status_code == 206 else None
            if length is None:
                length = _int(ranged.headers.get("content-length"))
            return Media(ranged.status_code, _type(ranged), length)

    async def _download(self, url: str) -> Media:
        async with self._http.stream("GET", url) as response:
            if response.status_code >= 400:
                return Media(response.status_code, _type(response), None)
            with tempfile.TemporaryDirectory(prefix="podsync-verify-") as tmp:
                path = Path(tmp) / "audio.mp3"
                with path.open("wb") as out:
                    size = 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > MAX_AUDIO_BYTES:
                            raise Unreadable(f"larger than {MAX_AUDIO_BYTES >> 20} MB")
                        out.write(chunk)
                seconds, error = _decode(path)
                return Media(response.status_code, _type(response), size, True, seconds, error)

    def _local(self, url: str) -> Path:
        """The file a file:// URL names, if it lies under local_root; refused otherwise."""
        path = Path(unquote(urlsplit(url).path)).resolve()
        root = self.local_root
        if root is None or not path.is_relative_to(root):
            raise Unreadable("a file:// link outside the local emulator's folder is not opened")
        if not path.is_file():
            raise Unreadable(f"no such file: {path}")
        return path

    def _local_media(self, path: Path, *, fetch: bool) -> Media:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        media = Media(200, content_type, path.stat().st_size, fetch)
        if not fetch:
            return media
        seconds, error = _decode(path)
        return Media(200, content_type, media.length, True, seconds, error)


def _is_file(url: str) -> bool:
    return urlsplit(url).scheme.lower() == "file"


def _check_http(url: str) -> None:
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise Unreadable("not an http(s) URL")


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) > limit:
            raise Unreadable(f"larger than {limit >> 20} MB")
    return bytes(data)


def _decode(path: Path) -> tuple[float | None, str]:
    """The MP3's duration, or why mutagen cannot read it as one."""
    try:
        info = _mp3.MP3(path).info
    except (mutagen.MutagenError, OSError) as exc:
        return None, str(exc) or type(exc).__name__
    length = float(info.length) if info is not None else 0.0
    return (length, "") if length > 0 else (None, "no MPEG audio frames")


def _item(entry: Any) -> FeedItem:
    enclosures = entry.get("enclosures") or []
    first = enclosures[0] if enclosures else {}
    return FeedItem(
        title=str(entry.get("title", "")),
        guid=str(entry.get("id", "")),
        enclosure=str(first.get("href", "")),
        stated_length=_int(first.get("length")),
        stated_seconds=_duration(entry.get("itunes_duration")),
        published=tuple(entry["published_parsed"]) if entry.get("published_parsed") else None,
    )


def _duration(text: Any) -> float | None:
    """itunes:duration: seconds, or [[HH:]MM:]SS."""
    if text is None:
        return None
    with contextlib.suppress(ValueError):
        seconds = 0.0
        for part in str(text).strip().split(":"):
            seconds = seconds * 60 + float(part)
        return seconds
    return None


def _int(text: Any) -> int | None:
    try:
        return int(str(text).strip())
    except ValueError:
        return None


def _type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()


def _http_problem(exc: httpx.HTTPError) -> str:
    """The kind of failure, without the URL's query (it may carry a token of the host's)."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer in time ({kind})"
    return f"{kind}: {exc}" if str(exc) else kind
