"""ZenMicClient itself: the transport with the catalogue and audio calls mixed in, so each
kind of call lives in a module of its own while callers still hold one client."""

from __future__ import annotations

from types import TracebackType

from podsync.client.audio import AudioJobs
from podsync.client.catalogue import Catalogue
from podsync.endpoint import shown_url


class ZenMicClient(Catalogue, AudioJobs):
    """An async ZenMic API client: one connection pool, one retry policy, one error type.

    The key is checked at the first request, not here, so commands that never call the API
    (validate, render a saved plan) work without one.
    """

    def __repr__(self) -> str:
        return f"ZenMicClient(base_url={shown_url(self.base_url)!r})"

    async def __aenter__(self) -> ZenMicClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
