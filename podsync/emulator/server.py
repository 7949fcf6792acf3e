"""Run the emulator over real HTTP: in a background thread (tests, ``ZENMIC_API_URL=local``) or in
the foreground (``podsync emulator``).

The listening socket is bound here rather than by uvicorn, so ``port=0`` yields a free port that is
known before the first request and cannot be taken by someone else in between.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from podsync.emulator.app import API_PREFIX, MAX_DOCUMENT_BYTES, create_app
from podsync.emulator.faults import Faults
from podsync.emulator.store import Store
from podsync.errors import PodsyncError

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


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
    ) -> None:
        self.store = Store(Path(state_dir), job_seconds=job_seconds)
        self.app = create_app(
            self.store,
            api_key=api_key,
            public_url=public_url,
            max_document_bytes=max_document_bytes,
            faults=faults,
        )
        self.host = host
        self.port = port
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def __repr__(self) -> str:
        return f"EmulatorServer(base_url={self.base_url!r})"

    @property
    def request_count(self) -> int:
        """Requests served under /api/v2 so far (401s included)."""
        return int(self.app.state.stats.requests)

    def start(self) -> str:
        """Listen, serve on a daemon thread, and return the base URL once requests are answered."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        sock = _listen(self.host, self.port)
        server = uvicorn.Server(_config(self.app))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="zenmic-emulator", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not server.started:
            server.should_exit = True
            thread.join(STOP_TIMEOUT)
            sock.close()
            raise PodsyncError("the ZenMic emulator did not start")
        self._server, self._thread, self._socket = server, thread, sock
        self.port = sock.getsockname()[1]
        self.base_url = _base_url(self.host, self.port)
        return self.base_url

    def stop(self) -> None:
        """Finish in-flight requests, close the socket and join the thread; safe to call twice."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(STOP_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> EmulatorServer:
        if self._thread is None:
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
    )
    sock = _listen(host, port)
    try:
        if on_ready is not None:
            on_ready(_base_url(host, sock.getsockname()[1]))
        uvicorn.Server(_config(app)).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


def _config(app: Starlette) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level="warning",
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )


def _listen(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise PodsyncError(f"the ZenMic emulator cannot listen on {host}:{port}: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise PodsyncError(f"the ZenMic emulator cannot listen on {host}:{port}: {exc}") from None
    return sock


def _base_url(host: str, port: int) -> str:
    """The URL a local client should use: wildcard addresses are reached through loopback."""
    reachable = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in reachable:
        reachable = f"[{reachable}]"
    return f"http://{reachable}:{port}{API_PREFIX}"
