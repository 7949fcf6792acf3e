"""Shared fixtures: a real emulator over HTTP, a copy of the example project, and a CLI runner."""

from __future__ import annotations

import os
import shutil
import ssl
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
import pytest
from click.testing import CliRunner, Result

from podsync.cli import main
from podsync.emulator import EmulatorServer
from podsync.emulator.speech import AudioLimits
from tests.slowest_first import DURATIONS, read_durations, slowest_first

if TYPE_CHECKING:
    from tests.fake_github import FakeGitHub
    from tests.runner_sim import Sim

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _keep_bytecode() -> None:
    """Under PYTHONDONTWRITEBYTECODE every pytest worker rewrites the asserts of every test
    module again (about 3 s of CPU each) and every podsync the tests start compiles podsync
    again: keep the bytecode, outside the source tree, in pytest's own cache folder. Run at
    import, so that the workers xdist starts, and every process a test starts, inherit it."""
    if not os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
        return
    prefix = os.environ.setdefault("PYTHONPYCACHEPREFIX", str(ROOT / ".pytest_cache" / "pyc"))
    sys.pycache_prefix = prefix
    sys.dont_write_bytecode = False


def _read_certificates_lazily() -> None:
    """Every httpx client loads its whole CA bundle when it is built (certifi's, or
    SSL_CERT_FILE's: about 140 certificates, 25 ms of CPU), though no test talks TLS: the
    suite builds some 1,900 clients, a fifth of its CPU. Point httpx's documented SSL_CERT_DIR
    at the system's hashed certificate folder instead, which OpenSSL reads only when a
    handshake needs a certificate: verification stays on, against the system's own CAs. Run
    at import, so that the workers xdist starts, and every process a test starts, inherit it."""
    folder = os.environ.get("SSL_CERT_DIR") or ssl.get_default_verify_paths().capath
    if folder and os.path.isdir(folder):
        os.environ.pop("SSL_CERT_FILE", None)
        os.environ["SSL_CERT_DIR"] = folder


_keep_bytecode()
_read_certificates_lazily()
TEST_KEY = "test-key-0123456789"


@dataclass
class Emulator:
    server: EmulatorServer

    @property
    def url(self) -> str:
        return self.server.base_url

    def stats(self) -> dict[str, Any]:
        root = self.url.removesuffix("/api/v2")
        stats: dict[str, Any] = httpx.get(f"{root}/_emulator/stats").json()
        return stats

    def account(self) -> dict[str, int]:
        """How many shows, episodes and audio jobs the account holds (requests, scripts
        written and injected faults left out)."""
        skip = ("requests", "writes", "scripts", "faults")
        return {k: v for k, v in self.stats().items() if k not in skip}

    def api(self) -> httpx.Client:
        """A raw HTTP client, for editing the account 'by hand' the way a user in the UI would."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {TEST_KEY}"})


class StartEmulator(Protocol):
    """The `start_emulator` fixture: typed, so a test that hands it a path or a misspelt
    keyword is a mypy error, not a server on the wrong directory."""

    def __call__(
        self, state: str = ..., *, job_seconds: float = ..., **options: Any
    ) -> AbstractContextManager[Emulator]: ...


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, every worker starts with its share of the slowest tests (slowest_first.py)."""
    worker: dict[str, Any] | None = getattr(config, "workerinput", None)
    if worker is None:
        return
    durations = read_durations(DURATIONS.read_text(encoding="utf-8"))
    order = slowest_first([item.nodeid for item in items], durations, int(worker["workercount"]))
    items[:] = [items[index] for index in order]


@pytest.fixture(autouse=True)
def _outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests expect podsync's plain output even when CI runs them inside GitHub Actions, where
    errors also become `::error` annotations; the tests of those set GITHUB_ACTIONS themselves."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture
def start_emulator(tmp_path: Path) -> StartEmulator:
    """Start an emulator of its own: `with start_emulator("state", quirks=Quirks(...)) as e:`.
    Its state directory (under tmp_path, named `state`) outlives it, so starting one again on
    the same name restarts the account from disk. Jobs finish at once unless `job_seconds` says
    otherwise; every other option (faults, quirks, api_key, ...) goes to EmulatorServer."""

    @contextmanager
    def start(
        state: str = "emulator-state", *, job_seconds: float = 0.0, **options: Any
    ) -> Iterator[Emulator]:
        # Audio is made when first asked for, not by the worker: most tests never listen to it.
        options.setdefault("audio_limits", AudioLimits(eager=False))
        with EmulatorServer(tmp_path / state, job_seconds=job_seconds, **options) as server:
            yield Emulator(server)

    return start


@pytest.fixture
def emulator(start_emulator: StartEmulator) -> Iterator[Emulator]:
    with start_emulator() as server:
        yield server


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of examples/, so tests can edit manifests and write a lock."""
    target = tmp_path / "project"
    shutil.copytree(EXAMPLES, target, ignore=shutil.ignore_patterns(".podsync", "podsync.lock"))
    return target


@dataclass
class Cli:
    emulator: Emulator

    def __call__(self, *args: str) -> Result:
        argv = list(args)
        if argv and argv[0] == "apply":
            argv.insert(1, "--poll-interval=0.05")
        env = {"ZENMIC_API_URL": self.emulator.url, "ZENMIC_API_KEY": TEST_KEY, "NO_COLOR": "1"}
        return CliRunner().invoke(main, argv, env=env, catch_exceptions=False)


@pytest.fixture
def cli(emulator: Emulator) -> Cli:
    return Cli(emulator)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """A fake of the few GitHub REST endpoints the action uses, over real HTTP."""
    from tests.fake_github import FakeGitHub
    from tests.runner_sim import GH_TOKEN

    fake = FakeGitHub(token=GH_TOKEN)
    server = fake.serve()
    try:
        yield fake
    finally:
        server.stop()


@pytest.fixture
def sim(tmp_path: Path, github: FakeGitHub, emulator: Emulator) -> Sim:
    """A simulated Actions runner: a git repository with a bare origin, events, outputs."""
    from tests.runner_sim import Sim

    simulation = Sim(tmp_path, github, emulator)
    simulation.setup()
    return simulation
