"""The emulator's public, CDN-like paths: the MP3s, the feeds, the cover and the audio pages
that the API's links point at."""

from __future__ import annotations

import functools
from xml.sax.saxutils import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from podsync.emulator.feed import cover_png
from podsync.emulator.routes_base import _ApiBase
from podsync.emulator.store import NotFound
from podsync.emulator.wire import ApiFailure


class _CdnRoutes(_ApiBase):
    """/cdn/<id>.mp3, /cdn/podcast/<show_id>/feed.xml, the cover and /audio/<id>."""

    async def audio_file(self, request: Request) -> Response:
        if self.quirks.audio_head_refused and request.method == "HEAD":
            raise ApiFailure(405, "method HEAD not allowed", {"Allow": "GET"})
        job = self.store.get_audio(request.path_params["audio_id"])
        if self._progress(job).status != "succeeded":
            raise NotFound(f"audio not ready: {job.id}")
        mp3 = await run_in_threadpool(self.audio.file, job.id)
        if mp3 is None:  # a job from before the emulator kept scripts
            raise NotFound(f"audio file missing: {job.id}")
        return FileResponse(mp3.path, media_type="audio/mpeg")

    async def feed(self, request: Request) -> Response:
        show = self.store.get_show(request.path_params["show_id"])
        xml = await run_in_threadpool(self._feed_xml, show.show_id, self._audio_url)
        return Response(xml, media_type="application/rss+xml")

    async def cover(self, request: Request) -> Response:
        return Response(_cover(), media_type="image/png")

    async def audio_page(self, request: Request) -> Response:
        job = self.store.get_audio(request.path_params["audio_id"])
        status = self._progress(job).status
        player = _PLAYER.format(src=f"/cdn/{job.id}.mp3") if status == "succeeded" else ""
        return HTMLResponse(
            f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(job.title)}</title>"
            f"</head><body><h1>{escape(job.title)}</h1><p>{status}</p>{player}</body></html>"
        )


# The page's player; the script writes the loaded duration into the page, for people and tests.
_PLAYER = (
    '<audio id="player" controls preload="metadata" src="{src}"></audio>'
    '<p>Duration: <output id="duration">loading</output> s</p>'
    "<script>const a = document.getElementById('player');"
    "a.addEventListener('loadedmetadata', () => "
    "{{ document.getElementById('duration').textContent = a.duration.toFixed(1); }});"
    "a.addEventListener('error', () => "
    "{{ document.getElementById('duration').textContent = 'error'; }});</script>"
)


@functools.lru_cache(maxsize=1)
def _cover() -> bytes:
    return cover_png()
