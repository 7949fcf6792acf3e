"""What every route handler of the emulator shares: the store and quirks it serves, how a
create lands, how shows, episodes, links and feeds are written out."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.background import BackgroundTask
from starlette.responses import Response

from podsync.emulator.faults import FaultLog
from podsync.emulator.feed import build_feed
from podsync.emulator.jobs import Progress, progress
from podsync.emulator.quirks import Quirks
from podsync.emulator.speech import AudioMaker
from podsync.emulator.store import AudioJob, EpisodeRecord, NotFound, ShowRecord, Store
from podsync.emulator.wire import _ok, _plain_time
from podsync.endpoint import feed_file
from podsync.limits import MAX_TITLE_CHARS

API_PREFIX = "/api/v2"
# What the odd_text quirk appends: legal JSON text that a JavaScript client cutting an emoji in
# half, a prankster or a runaway script could leave in a real account.
ODD_TEXT = " \ud83d \u202eevil\u202c \x1b[31mred\x07\r\n" + "~" * 10_000
T = TypeVar("T")


@dataclass
class Stats:
    """Requests served under /api/v2 since start (or the last reset), scripts written (free
    POST /scripts answers, which a test of `podsync script` counts), and faults injected."""

    requests: int = 0
    # of those, the ones that may change the account (not GET or HEAD): what a test that
    # promises "nothing sent that changes anything" counts
    writes: int = 0
    scripts: int = 0
    faults: FaultLog = field(default_factory=FaultLog)


class _ApiBase:
    """The state and helpers the route mixins share, bound to one store."""

    audio: AudioMaker  # the jobs' MP3s (speech.py)
    stats: Stats
    write_files: bool  # also write each show's feed under state_dir/feeds/

    def __init__(
        self, store: Store, public_url: str, max_document_bytes: int, quirks: Quirks
    ) -> None:
        self.store = store
        self.public_url = public_url
        self.max_document_bytes = max_document_bytes
        self.quirks = quirks
        self._landing: set[asyncio.Future[Any]] = set()  # slow creates still to take effect
        # feed files are written in the thread pool, after the answer: two publishes to one show
        # would otherwise share the temporary file, and an older feed could land last
        self._feed_writing = threading.Lock()

    async def _create(self, effect: Callable[[], T]) -> T:
        """Make a create take effect and answer as late as the quirks say. The effect runs in
        its own task, so it lands even when the client gives up on the answer, as it would on a
        server that keeps working after the connection is gone."""
        quirks = self.quirks
        if not quirks.slow_create and not quirks.slow_create_effect:
            return effect()

        async def land() -> T:
            await asyncio.sleep(quirks.slow_create_effect)
            return effect()

        task = asyncio.ensure_future(land())
        self._landing.add(task)
        task.add_done_callback(self._landing.discard)
        await asyncio.sleep(quirks.slow_create)
        return await asyncio.shield(task)

    @property
    def _title_limit(self) -> int:
        return self.quirks.max_title_chars or MAX_TITLE_CHARS

    def _created(self, data: dict[str, Any], background: BackgroundTask | None = None) -> Response:
        if self.quirks.create_no_content:
            return Response(status_code=201, background=background)
        return _ok(data, status=201, background=background)

    def _deleted(self) -> Response:
        if self.quirks.delete_no_content:
            return Response(status_code=204)
        return _ok({"deleted": True})

    def _feed_xml(self, show_id: str, audio_url: Callable[[str], str]) -> bytes:
        show = self.store.get_show(show_id)
        return build_feed(
            show,
            self.store.list_episodes(show_id),
            feed_url=self._feed_url(show_id),
            cover_url=f"{self.public_url}/cdn/podcast/cover.png",
            audio_url=audio_url,
            audio_file=self.audio.file,
        )

    def _feed_file(self, show_id: str) -> BackgroundTask | None:
        """With ``write_files``: rewrite the show's feed file once the answer is sent."""
        return BackgroundTask(self._write_feed, show_id) if self.write_files else None

    def _write_feed(self, show_id: str) -> None:
        """The feed as the store holds it when this write runs: one write at a time, so the
        last to finish holds every episode published before it."""
        with self._feed_writing:
            try:
                xml = self._feed_xml(
                    show_id, lambda mic_id: self.audio.mp3_path(mic_id).resolve().as_uri()
                )
            except NotFound:
                return
            target = feed_file(self.store.state_dir, show_id)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(xml)
            tmp.replace(target)

    def _progress(self, job: AudioJob) -> Progress:
        return progress(job.created_at, job.seconds, job.failure is not None, self.store.now())

    def _page_url(self, audio_id: str) -> str:
        return f"{self.public_url}/audio/{audio_id}"

    def _audio_url(self, audio_id: str) -> str:
        return f"{self.public_url}/cdn/{audio_id}.mp3"

    def _feed_url(self, show_id: str) -> str:
        return f"{self.public_url}/cdn/podcast/{show_id}/feed.xml"

    def _odd(self, text: str) -> str:
        return text + ODD_TEXT if self.quirks.odd_text else text

    def _show_json(self, show: ShowRecord) -> dict[str, Any]:
        return {
            "id": show.id,
            "show_id": show.show_id,
            "title": self._odd(show.title),
            "description": show.description,
            "episode_count": self.store.episode_count(show.show_id)
            + self.quirks.episode_count_skew,
            "feed_url": self._feed_url(show.show_id),
            "created_at": _plain_time(show.created_at),
        }

    def _episode_json(self, episode: EpisodeRecord) -> dict[str, Any]:
        return {
            "id": episode.id,
            "mic_id": episode.mic_id,
            "title": self._odd(episode.title),
            "description": episode.description,
            "audio_url": self._audio_url(episode.mic_id),
            "created_at": _plain_time(episode.created_at),
        }
