"""The emulator's /podcasts routes: shows and their episodes, listed in the pagination style
the quirks ask for."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from podsync.emulator.routes_base import _ApiBase
from podsync.emulator.wire import ApiFailure, _json_object, _ok, _raise_if, _string
from podsync.endpoint import feed_file
from podsync.limits import MAX_TITLE_CHARS


class _ShowRoutes(_ApiBase):
    """The show and episode routes under /podcasts."""

    async def list_shows(self, request: Request) -> Response:
        return self._listing(request, [self._show_json(show) for show in self.store.list_shows()])

    async def create_show(self, request: Request) -> Response:
        body = await _json_object(request)
        problems: list[str] = []
        title = _string(body, "title", problems, required=True, limit=self._title_limit)
        description = _string(body, "description", problems, allow_empty=True) or ""
        _raise_if(problems)
        show = await self._create(lambda: self.store.create_show(title or "", description))
        return self._created(self._show_json(show))

    async def get_show(self, request: Request) -> Response:
        return _ok(self._show_json(self.store.get_show(request.path_params["show_id"])))

    async def update_show(self, request: Request) -> Response:
        show_id = request.path_params["show_id"]
        self.store.get_show(show_id)
        body = await _json_object(request)
        problems: list[str] = []
        title = _string(body, "title", problems, limit=MAX_TITLE_CHARS)
        description = _string(body, "description", problems, allow_empty=True)
        if "title" not in body and "description" not in body:
            problems.append("send at least one of title, description")
        _raise_if(problems)
        show = self.store.update_show(show_id, title=title, description=description)
        return _ok(self._show_json(show), background=self._feed_file(show_id))

    async def delete_show(self, request: Request) -> Response:
        show_id = request.path_params["show_id"]
        self.store.delete_show(show_id)
        if self.write_files:
            feed_file(self.store.state_dir, show_id).unlink(missing_ok=True)
        return self._deleted()

    async def list_episodes(self, request: Request) -> Response:
        episodes = self.store.list_episodes(request.path_params["show_id"])
        items = [self._episode_json(e) for e in episodes]
        if self.quirks.listing_without_mic_id:
            items = [{k: v for k, v in item.items() if k != "mic_id"} for item in items]
        return self._listing(request, items)

    def _listing(self, request: Request, items: list[dict[str, Any]]) -> Response:
        """The whole list, or one page of it in the quirks' pagination style."""
        style, size = self.quirks.pagination, self.quirks.page_size
        if style == "none":
            return _ok(items)
        key = "cursor" if style == "cursor" else "page"
        number = request.query_params.get(key, "0" if style == "cursor" else "1")
        if not number.isdigit() or (style != "cursor" and int(number) < 1):
            raise ApiFailure(400, f"{key} must be a whole number")
        start = int(number) if style == "cursor" else (int(number) - 1) * size
        chunk = items[start : start + size]
        after: int | None = start + size if start + size < len(items) else None
        if after is None and self.quirks.next_link == "loop":
            after = 0
        if style == "cursor":
            more = {
                "next_cursor": None if after is None else str(after),
                "has_more": after is not None,
            }
            return JSONResponse({"success": True, "data": chunk, "pagination": more})
        page = after // size + 1 if after is not None else None
        if style == "envelope":
            envelope = {
                "success": True,
                "data": chunk,
                "total": len(items) + self.quirks.total_skew,
                "page": int(number),
                "per_page": size,
                "next_page": page,
            }
            return JSONResponse(envelope)
        headers = {}
        if page is not None:
            origin = self.quirks.next_link if "://" in self.quirks.next_link else ""
            query = "" if after == 0 else f"?page={page}"  # a loop leads to the very first URL
            headers["Link"] = f'<{origin}{request.url.path}{query}>; rel="next"'
        return _ok(chunk, headers=headers)

    async def add_episode(self, request: Request) -> Response:
        show_id = request.path_params["show_id"]
        self.store.get_show(show_id)
        body = await _json_object(request)
        problems: list[str] = []
        mic_id = _string(body, "mic_id", problems, required=True, limit=64)
        title = _string(body, "title", problems, required=True, limit=self._title_limit)
        description = _string(body, "description", problems, allow_empty=True) or ""
        _raise_if(problems)
        assert mic_id is not None and title is not None
        status = self._progress(self.store.get_audio(mic_id)).status
        if status == "failed":
            raise ApiFailure(409, f"audio {mic_id} failed; it cannot be published")
        if status != "succeeded":
            raise ApiFailure(409, f"audio {mic_id} is {status}; wait until it has succeeded")
        episode = await self._create(
            lambda: self.store.add_episode(
                show_id, mic_id=mic_id, title=title, description=description
            )
        )
        self.audio.set_show(mic_id, self.store.get_show(show_id).title)
        return self._created(self._episode_json(episode), background=self._feed_file(show_id))

    async def delete_episode(self, request: Request) -> Response:
        params = request.path_params
        self.store.delete_episode(params["show_id"], params["episode_id"])
        response = self._deleted()
        response.background = self._feed_file(params["show_id"])
        return response
