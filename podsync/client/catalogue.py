"""Shows and episodes: the calls that read and change the catalogue, and their answers."""

from __future__ import annotations

from typing import Any

from podsync.client.listing import Listing
from podsync.client.reading import (
    _count,
    _first_present,
    _kind,
    _Malformed,
    _optional_text,
    _str,
    _text,
)
from podsync.client.transport import _Body, _path
from podsync.errors import ApiError
from podsync.model import LiveEpisode, LiveShow


class Catalogue(Listing):
    """The show and episode calls of ZenMicClient."""

    async def list_shows(self) -> list[LiveShow]:
        return await self._list("/podcasts", _parse_show, lambda show: show.show_id)

    async def get_show(self, show_id: str) -> LiveShow:
        return await self._call("GET", _path("podcasts", show_id), _parse_show)

    async def create_show(self, title: str, description: str) -> LiveShow:
        body = {"title": title, "description": description}
        return await self._call("POST", "/podcasts", _parse_show, _Body(json=body))

    async def update_show(self, show_id: str, title: str, description: str) -> LiveShow:
        body = {"title": title, "description": description}
        sent = {"show_id": show_id, **body}

        def parse(data: Any) -> LiveShow:
            # A terse answer such as {"updated": true} still means the values we sent are live.
            return _parse_show({**sent, **data} if isinstance(data, dict) else sent)

        return await self._call("PATCH", _path("podcasts", show_id), parse, _Body(json=body))

    async def delete_show(self, show_id: str) -> None:
        await self._call("DELETE", _path("podcasts", show_id), _check_deleted)

    async def list_episodes(
        self, show_id: str, expected: int | None = None, *, without_mic_id: bool = False
    ) -> list[LiveEpisode]:
        """Every episode of a show; ``expected`` is the show listing's ``episode_count``, and a
        listing of another length is refused, since one of the two reads is incomplete.
        ``without_mic_id``: an episode listed without a mic_id comes back with mic_id "" rather
        than refusing the listing (`podsync import` reports such an episode and leaves it out)."""
        path = _path("podcasts", show_id, "episodes")
        parse = _parse_episode_without_mic_id if without_mic_id else _parse_episode
        episodes = await self._list(path, parse, lambda episode: episode.id)
        if expected is not None and expected != len(episodes):
            raise ApiError(
                "GET",
                self._full(path),
                None,
                f"the show listing says the show has {expected} episode(s) but its episode "
                f"listing holds {len(episodes)}; podsync cannot tell which read is complete "
                "(if the account is being changed right now, plan again)",
            )
        return episodes

    async def add_episode(
        self, show_id: str, mic_id: str, title: str, description: str
    ) -> LiveEpisode:
        body = {"mic_id": mic_id, "title": title, "description": description}

        def parse(data: Any) -> LiveEpisode:
            if not isinstance(data, dict):
                raise _Malformed(f"expected an episode object, got {_kind(data)}")
            return _parse_episode({**body, **data})

        path = _path("podcasts", show_id, "episodes")
        return await self._call("POST", path, parse, _Body(json=body))

    async def remove_episode(self, show_id: str, episode_id: str) -> None:
        path = _path("podcasts", show_id, "episodes", episode_id)
        await self._call("DELETE", path, _check_deleted)


def _parse_show(item: Any) -> LiveShow:
    if not isinstance(item, dict):
        raise _Malformed(f"expected a show object, got {_kind(item)}")
    show_id = _first_present(item, "show_id", "id")
    if show_id is None:
        raise _Malformed("a show has no show_id")
    return LiveShow(
        show_id=_str(show_id),
        title=_text(item.get("title")),
        description=_text(item.get("description")),
        feed_url=_optional_text(item.get("feed_url")),
        episode_count=_count(item.get("episode_count")),
    )


def _parse_episode_without_mic_id(item: Any) -> LiveEpisode:
    return _parse_episode(item, need_mic_id=False)


def _parse_episode(item: Any, *, need_mic_id: bool = True) -> LiveEpisode:
    if not isinstance(item, dict):
        raise _Malformed(f"expected an episode object, got {_kind(item)}")
    episode_id = _first_present(item, "id", "episode_id")
    if episode_id is None:
        raise _Malformed("an episode has no id")
    mic_id = _text(item.get("mic_id"))
    if not mic_id and need_mic_id:
        # Which audio is live decides re-publishes and adoptions: read as "" it would look
        # swapped for other audio on every episode, and each apply would re-publish them all.
        raise _Malformed(f"episode {_str(episode_id)!r} has no mic_id: its audio is unknown")
    return LiveEpisode(
        id=_str(episode_id),
        mic_id=mic_id,
        title=_text(item.get("title")),
        description=_text(item.get("description")),
        audio_url=_optional_text(item.get("audio_url")),
    )


def _check_deleted(data: Any) -> None:
    if isinstance(data, dict) and data.get("deleted") is False:
        raise _Malformed("the API answered deleted: false")
