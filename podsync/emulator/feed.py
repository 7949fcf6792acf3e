"""A show's podcast feed as podcast apps read it: RSS 2.0 with the iTunes namespace, by feedgen.

Items are newest first (the order apps show and the order podsync's wording assumes); each guid is
the episode's id, which never changes; enclosure length and ``itunes:duration`` are those of the
MP3 actually served.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from feedgen.feed import FeedGenerator

from podsync.emulator.speech import ARTIST, AudioFile
from podsync.emulator.store import EpisodeRecord, ShowRecord

LANGUAGE = "en"
# What XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF): live text may
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
COVER_SIZE = 1400  # the smallest square cover Apple Podcasts accepts


def build_feed(
    show: ShowRecord,
    episodes: Sequence[EpisodeRecord],
    *,
    feed_url: str,
    cover_url: str,
    audio_url: Callable[[str], str],
    audio_file: Callable[[str], AudioFile | None],
) -> bytes:
    """The RSS document of ``show``; ``audio_url`` and ``audio_file`` give each episode's MP3."""
    feed = FeedGenerator()
    feed.load_extension("podcast")
    feed.title(_xml(show.title))
    feed.description(_xml(show.description or show.title))
    feed.link(href=feed_url, rel="self")
    feed.language(LANGUAGE)
    feed.author({"name": ARTIST})
    feed.image(url=cover_url, title=_xml(show.title), link=feed_url)
    feed.podcast.itunes_author(ARTIST)
    feed.podcast.itunes_image(cover_url)
    feed.podcast.itunes_explicit("no")
    for episode in sorted(episodes, key=lambda e: (e.created_at, e.id)):
        mp3 = audio_file(episode.mic_id)
        entry = feed.add_entry()  # prepends: the last added (newest) comes first
        entry.title(_xml(episode.title))
        entry.description(_xml(episode.description or episode.title))
        entry.guid(f"zenmic-emulator:{show.show_id}:episode:{episode.id}", permalink=False)
        entry.pubDate(datetime.fromtimestamp(episode.created_at, timezone.utc))
        size = mp3.size if mp3 else 0
        entry.enclosure(audio_url(episode.mic_id), str(size), "audio/mpeg")
        entry.podcast.itunes_duration(round(mp3.seconds) if mp3 else 0)
    return bytes(feed.rss_str(pretty=True))


def _xml(text: str) -> str:
    """``text`` as XML can carry it: what XML 1.0 forbids becomes U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def cover_png() -> bytes:
    """A plain square cover as a PNG: the placeholder image every show's feed points to."""
    width = COVER_SIZE
    row = b"\x00" + b"\x00" * (width // 8)  # filter byte, then one bit per pixel (palette 0)
    raw = zlib.compress(row * width, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, width, 1, 3, 0, 0, 0)
    palette = bytes([0x2B, 0x4C, 0x7E])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"PLTE", palette)
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )
