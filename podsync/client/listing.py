"""Reading a whole listing, page after page, in any of the usual pagination envelopes, or
refusing it: a partial list would read as shows and episodes deleted outside podsync."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from podsync.client.failures import SNIPPET_CHARS
from podsync.client.reading import _count, _kind, _Malformed, _optional_text
from podsync.client.transport import T, Transport, _Body, _origin, _shown_path
from podsync.errors import ApiError

LIST_KEYS = ("data", "items", "results", "podcasts", "shows", "episodes")
PAGINATION_PLACES = ("meta", "links", "pagination")
MAX_LIST_PAGES = 1000


class Listing(Transport):
    async def _list(
        self, path: str, parse_item: Callable[[Any], T], key: Callable[[T], str]
    ) -> list[T]:
        """Every item of a listing, page after page, or ApiError: a partial list would read as
        shows and episodes deleted outside podsync, and apply would create them again.

        Bounded: a next page already read, a page repeating the previous one, an id listed
        twice, more than MAX_LIST_PAGES pages, or a ``total`` other than the count read is an
        error. A next page on another origin is never requested (the key would go with it)."""
        items: list[T] = []
        where: dict[str, int] = {}  # id -> the page it was on
        visited: set[str] = set()
        url: httpx.URL | None = None
        full = self._full(path)
        previous: list[str] = []
        total: int | None = None
        for page in range(1, MAX_LIST_PAGES + 1):
            response = await self._send("GET", path, _Body(), url=url)
            visited.add(str(response.request.url))
            data = self._unwrap("GET", full, response)
            refuse = self._refusal("GET", full, response.status_code)
            try:
                listed = [parse_item(item) for item in _as_list(data)]
                pages = _Pages.read(response.json(), data)
                following = _next_page(response, pages, len(items) + len(listed), bool(listed))
            except _Malformed as exc:
                raise refuse(f"unexpected response: {exc}") from None
            ids = [key(item) for item in listed]
            if page > 1 and ids and ids == previous:
                raise refuse(f"page {page} repeats the items of page {page - 1}; not complete")
            for item_id in ids:
                if item_id in where:
                    raise refuse(
                        f"id {item_id!r} is listed twice (pages {where[item_id]} and {page}); "
                        "the listing cannot be read completely"
                    )
                where[item_id] = page
            items.extend(listed)
            previous = ids
            total = pages.total if pages.total is not None else total
            if following is None:
                break
            if _url_origin(following) != _url_origin(self._http.base_url):
                elsewhere = _origin(str(following.copy_with(path="/", query=None, fragment=None)))
                raise refuse(
                    f"the next page is on another origin ({elsewhere}); podsync sends the API "
                    "key to the API's own origin only"
                )
            if str(following) in visited:
                raise refuse(f"the next page ({_shown_path(following)}) was read already: loop")
            url, full = following, self._redact(_shown_path(following))
        else:
            raise ApiError(
                "GET", full, None, f"the listing goes on past {MAX_LIST_PAGES} pages; refused"
            )
        if total is not None and total != len(items):
            raise refuse(
                f"the listing says total={total} but {len(items)} items were read in "
                f"{page} page(s); podsync cannot tell which are missing"
            )
        return items


def _as_list(data: Any) -> list[Any]:
    """The one list in a listing, whether bare or wrapped (``{"podcasts": [...]}``)."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in LIST_KEYS:
            found = data.get(key)
            if isinstance(found, list):
                return found
        lists = [value for value in data.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]
    raise _Malformed(f"expected a list, got {_kind(data)}")


@dataclass(frozen=True)
class _Pages:
    """What one page of a listing says about the others, in any of the usual envelopes."""

    next_url: str | None = None
    next_page: int | None = None
    next_cursor: str | None = None
    cursor: str | None = None
    has_more: bool | None = None
    page: int | None = None
    total: int | None = None
    total_pages: int | None = None
    names_next: bool = False  # a next key is there, even as null: no page count is guessed

    @classmethod
    def read(cls, payload: Any, data: Any) -> _Pages:
        """Look beside the list (in ``data`` and around it) and under meta/links/pagination."""
        tops = [p for p in (data, payload) if isinstance(p, dict)]
        places = [
            *tops,
            *(t[k] for t in tops for k in PAGINATION_PLACES if isinstance(t.get(k), dict)),
        ]

        def first(*keys: str) -> Any:
            return next((p[k] for p in places for k in keys if p.get(k) is not None), None)

        next_keys = ("next", "next_page", "next_url", "next_page_url", "next_cursor")
        nxt = first(*next_keys[:-1])
        if isinstance(nxt, dict):  # JSON:API's link object
            nxt = nxt.get("href")
        next_url = nxt if isinstance(nxt, str) and not nxt.strip().isdigit() else None
        next_page = None if next_url else _count(nxt)
        if nxt not in (None, False) and next_url is None and next_page is None:
            raise _Malformed(f"the listing names a next page podsync cannot read: {nxt!r}"[:99])
        more = first("has_more")
        return cls(
            next_url=next_url,
            next_page=next_page,
            next_cursor=_optional_text(first("next_cursor")),
            cursor=_optional_text(first("cursor")),
            has_more=more if isinstance(more, bool) else None,
            page=_count(first("page", "current_page")),
            total=_count(first("total", "total_count")),
            total_pages=_count(first("total_pages", "last_page")),
            names_next=any(k in p for p in places for k in next_keys),
        )


def _next_page(response: httpx.Response, pages: _Pages, read: int, items: bool) -> httpx.URL | None:
    """The URL of the page after this one, None after the last; ``read`` items so far."""
    current = response.request.url
    link = response.links.get("next", {}).get("url") or pages.next_url
    if link:
        try:
            return current.join(link)
        except httpx.InvalidURL:
            raise _Malformed(
                f"the next page's link is not a URL: {link!r}"[:SNIPPET_CHARS]
            ) from None
    if pages.next_page is not None:
        return current.copy_set_param("page", pages.next_page)
    cursor = pages.next_cursor or (pages.cursor if pages.has_more else None)
    if cursor and pages.has_more is not False:
        return current.copy_set_param("cursor", cursor)
    if pages.page is not None and items and not pages.names_next and pages.has_more is not False:
        if pages.total_pages is not None and pages.page < pages.total_pages:
            return current.copy_set_param("page", pages.page + 1)
        if pages.total_pages is None and pages.total is not None and read < pages.total:
            return current.copy_set_param("page", pages.page + 1)
    if pages.has_more:
        raise _Malformed("the listing says has_more but names no next page or cursor")
    return None


def _url_origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)
