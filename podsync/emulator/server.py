"""Run the emulator over real HTTP: in a background thread (tests, ``ZENMIC_API_URL=local``) or in
the foreground (``podsync emulator``). The thread and socket handling is background.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import uvicorn

from podsync.emulator.app import MAX_DOCUMENT_BYTES, create_app, serve_links
from podsync.emulator.background import BackgroundServer, listen, root_url, uvicorn_config
from podsync.emulator.faults import Faults
from podsync.emulator.quirks import Quirks
from podsync.emulator.routes_base import API_PREFIX
from podsync.emulator.speech import AudioLimits
from podsync.emulator.store import Store

NAME = "the ZenMic emulator"


class EmulatorServer:
    """A ZenMic emulator on a background thread; use as ``with EmulatorServer(d) as s: ...``."""

    def __init__(
        self,
        state_dir: Path,
        *,
        job_seconds: float = 2.0,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        public_url: str | None = None,
        max_document_bytes: int = MAX_DOCUMENT_BYTES,
        faults: Faults | None = None,
        quirks: Quirks | None = None,
        audio_limits: AudioLimits | None = None,
        write_files: bool = False,
    ) -> None:
        self.store = Store(Path(state_dir), job_seconds=job_seconds)
        self.app = create_app(
            self.store,
            api_key=api_key,
            public_url=public_url,
            max_document_bytes=max_document_bytes,
            faults=faults,
            quirks=quirks,
            audio_limits=audio_limits,
            write_files=write_files,
        )
        self._background = BackgroundServer(self.app, name=NAME, host=host, port=port)
        self.host = host
        self.base_url = ""

    def __repr__(self) -> str:
        return f"EmulatorServer(base_url={self.base_url!r})"

    @property
    def port(self) -> int:
        return self._background.port

    @property
    def request_count(self) -> int:
        """Requests served under /api/v2 so far (401s included)."""
        return int(self.app.state.stats.requests)

    def start(self) -> str:
        """Listen, serve on a daemon thread, and return the base URL once requests are answered."""
        if self._background.running:
            raise RuntimeError("the emulator is already running")
        root = self._background.start()
        serve_links(self.app, root)
        self.base_url = root + API_PREFIX
        return self.base_url

    def stop(self) -> None:
        """Finish in-flight requests, close the socket and join the thread, then compact the
        state on disk; safe to call twice."""
        self._background.stop()
        self.store.close()

    def __enter__(self) -> EmulatorServer:
        if not self._background.running:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(
    state_dir: Path,
    *,
    host: str,
    port: int,
    job_seconds: float,
    api_key: str | None,
    public_url: str | None = None,
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
    faults: Faults | None = None,
    quirks: Quirks | None = None,
    audio_limits: AudioLimits | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve in the foreground until Ctrl-C (or SIGTERM); ``on_ready`` gets the base URL once the
    socket is listening, so the CLI can print it without this module printing anything."""
    store = Store(Path(state_dir), job_seconds=job_seconds)
    app = create_app(
        store,
        api_key=api_key,
        public_url=public_url,
        max_document_bytes=max_document_bytes,
        faults=faults,
        quirks=quirks,
        audio_limits=audio_limits,
        write_files=True,
    )
    sock = listen(host, port, NAME)
    try:
        root = root_url(host, sock.getsockname()[1])
        serve_links(app, root)
        if on_ready is not None:
            on_ready(root + API_PREFIX)
        uvicorn.Server(uvicorn_config(app)).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        store.close()
