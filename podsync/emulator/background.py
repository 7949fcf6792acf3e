"""Serve any ASGI app over real HTTP on a background thread, for as long as a block runs.

The ZenMic emulator uses it, and so do test fakes of other services (the GitHub API): real HTTP
keeps clients honest where a mocked transport would not. The listening socket is bound here
rather than by uvicorn, so ``port=0`` yields a free port that is known before the first request
and cannot be taken by someone else in between.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from podsync.errors import SetupError

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class BackgroundServer:
    """``app`` served on a daemon thread; ``with BackgroundServer(app, name="x") as s: s.url``.

    ``name`` says what failed to start or listen, in errors and the thread's name.
    """

    def __init__(self, app: Any, *, name: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.name = name
        self.host = host
        self.port = port
        self.url = ""  # http://HOST:PORT once started, no trailing slash
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def __repr__(self) -> str:
        return f"BackgroundServer(name={self.name!r}, url={self.url!r})"

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> str:
        """Listen, serve on a daemon thread, and return the root URL once requests are answered."""
        if self._thread is not None:
            raise RuntimeError(f"{self.name} is already running")
        sock = listen(self.host, self.port, self.name)
        server = uvicorn.Server(uvicorn_config(self.app))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=self.name, daemon=True
        )
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not server.started:
            server.should_exit = True
            thread.join(STOP_TIMEOUT)
            sock.close()
            raise SetupError(f"{self.name} did not start")
        self._server, self._thread, self._socket = server, thread, sock
        self.port = sock.getsockname()[1]
        self.url = root_url(self.host, self.port)
        return self.url

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

    def __enter__(self) -> BackgroundServer:
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


def uvicorn_config(app: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level="warning",
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )


def listen(host: str, port: int, name: str) -> socket.socket:
    """A listening TCP socket; failures name the server (`name`) and the address."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise SetupError(f"{name} cannot listen on {host}:{port}: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise SetupError(f"{name} cannot listen on {host}:{port}: {exc}") from None
    return sock


def root_url(host: str, port: int) -> str:
    """The URL a local client should use: wildcard addresses are reached through loopback."""
    reachable = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in reachable:
        reachable = f"[{reachable}]"
    return f"http://{reachable}:{port}"
