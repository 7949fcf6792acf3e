"""Where the ZenMic API is: the real one, or (ZENMIC_API_URL=local) an emulator started in-process.

The local mode exists so that a newcomer can run plan -> apply -> plan with no account and no key,
and so that state survives between commands (it lives under the project's .podsync/ folder).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from podsync.errors import ConfigError, PodsyncError

if TYPE_CHECKING:
    from podsync.emulator import Faults, Quirks

API_URL_ENV = "ZENMIC_API_URL"
API_KEY_ENV = "ZENMIC_API_KEY"
JOB_SECONDS_ENV = "ZENMIC_EMULATOR_JOB_SECONDS"
FAULTS_ENV = "ZENMIC_EMULATOR_FAULTS"
QUIRKS_ENV = "ZENMIC_EMULATOR_QUIRKS"
DEFAULT_API_URL = "https://zenmic.com/api/v2"
LOCAL = "local"
LOCAL_KEY = "local-emulator"


@dataclass(frozen=True)
class Endpoint:
    url: str
    api_key: str = ""

    def __repr__(self) -> str:
        return f"Endpoint(url={shown_url(self.url)!r})"


def emulator_state_dir(project_dir: Path) -> Path:
    return project_dir / ".podsync" / "emulator"


def feed_file(state_dir: Path, show_id: str) -> Path:
    """Where an emulator writing files (local mode, `podsync emulator`) keeps a show's feed."""
    return state_dir / "feeds" / f"{show_id}.xml"


def audio_file(state_dir: Path, mic_id: str) -> Path:
    """Where an emulator writing files keeps a finished job's MP3."""
    return state_dir / "audio" / f"{mic_id}.mp3"


def local_mode() -> bool:
    """Whether ZENMIC_API_URL asks for the embedded emulator."""
    return os.environ.get(API_URL_ENV, "").strip().lower() == LOCAL


@contextmanager
def api_endpoint(project_dir: Path) -> Iterator[Endpoint]:
    """Yield the endpoint to talk to; in local mode the emulator runs for the block's duration."""
    url = os.environ.get(API_URL_ENV, "").strip() or DEFAULT_API_URL
    key = os.environ.get(API_KEY_ENV, "").strip()
    if not local_mode():
        _check_url(url)
        if not key:
            raise ConfigError(
                f"{API_KEY_ENV} is not set: podsync needs a ZenMic API key to read "
                f"{shown_url(url)} "
                f"(or set {API_URL_ENV}=local to use the embedded emulator)"
            )
        yield Endpoint(url.rstrip("/"), key)
        return
    from podsync.emulator import EmulatorServer

    job_seconds = _job_seconds()
    faults = _faults()
    quirks = _quirks()
    state_dir = emulator_state_dir(project_dir)
    # write_files: the audio and feeds stay under .podsync/emulator/ after the server stops
    with EmulatorServer(
        state_dir, job_seconds=job_seconds, faults=faults, quirks=quirks, write_files=True
    ) as server:
        yield Endpoint(server.base_url, key or LOCAL_KEY)


def _check_url(url: str) -> None:
    """Refuse a URL no request could reach before any is sent, rather than after retrying."""
    import httpx

    wanted = (
        f"{API_URL_ENV} must be an http(s) URL such as {DEFAULT_API_URL}, "
        f"or {LOCAL!r} for the embedded emulator"
    )
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        # httpx quotes the offending part, which may be a password typed without its "@".
        reason = re.split(r"[:,]", str(exc), maxsplit=1)[0].lower()
        raise ConfigError(f"{wanted}; this one is not a valid URL ({reason})") from None
    problem = ""
    if parsed.scheme not in ("http", "https"):
        problem = "the scheme is not http or https"
    elif not parsed.host:
        problem = "it names no host"
    elif any(c.isspace() for c in url):
        problem = "it holds a space"
    elif parsed.port is not None and not 0 < parsed.port < 65536:
        problem = f"port {parsed.port} does not exist"
    if problem:
        raise ConfigError(f"{wanted}, not {shown_url(url)!r}: {problem}")


def shown_url(url: str) -> str:
    """``url`` as it may be printed: whatever precedes an ``@`` may be a user and password."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}{sep}{authority}{slash}{path}"


def _job_seconds() -> float:
    raw = os.environ.get(JOB_SECONDS_ENV, "").strip()
    if not raw:
        return 3.0
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{JOB_SECONDS_ENV} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{JOB_SECONDS_ENV} must not be negative")
    return value


def _faults() -> Faults:
    """The faults the local emulator injects: ZENMIC_EMULATOR_FAULTS, e.g. "throttle=0.1,seed=7"."""
    from podsync.emulator import Faults

    try:
        return Faults.parse(os.environ.get(FAULTS_ENV, ""))
    except PodsyncError as exc:
        raise ConfigError(f"{FAULTS_ENV}: {exc}") from None


def _quirks() -> Quirks:
    """How the local emulator departs from its defaults: ZENMIC_EMULATOR_QUIRKS."""
    from podsync.emulator import Quirks

    try:
        return Quirks.parse(os.environ.get(QUIRKS_ENV, ""))
    except PodsyncError as exc:
        raise ConfigError(f"{QUIRKS_ENV}: {exc}") from None


def local_feed(project: Path, show_id: str) -> str | None:
    """In local mode, the feed file the embedded emulator wrote for the show (its URL leads
    nowhere once the command ends); None otherwise."""
    if not local_mode():
        return None
    return str(feed_file(emulator_state_dir(project), show_id))
