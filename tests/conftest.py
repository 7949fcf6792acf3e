"""Shared fixtures: a real emulator over HTTP, a copy of the example project, and a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from click.testing import CliRunner, Result

from podsync.cli import main
from podsync.emulator import EmulatorServer
from podsync.emulator.speech import AudioLimits

if TYPE_CHECKING:
    from tests.fake_github import FakeGitHub
    from tests.runner_sim import Sim

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TEST_KEY = "test-key-0123456789"


@dataclass
class Emulator:
    server: EmulatorServer

    @property
    def url(self) -> str:
        return self.server.base_url

    def stats(self) -> dict[str, Any]:
        root = self.url.removesuffix("/api/v2")
        return httpx.get(f"{root}/_emulator/stats").json()

    def account(self) -> dict[str, int]:
        """How many shows, episodes and audio jobs the account holds (requests and injected
        faults left out)."""
        return {k: v for k, v in self.stats().items() if k not in ("requests", "faults")}

    def api(self) -> httpx.Client:
        """A raw HTTP client, for editing the account 'by hand' the way a user in the UI would."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {TEST_KEY}"})


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    # Audio is made when first asked for, not by the worker: most tests never listen to it.
    lazy = AudioLimits(eager=False)
    with EmulatorServer(tmp_path / "emulator-state", job_seconds=0.0, audio_limits=lazy) as server:
        yield Emulator(server)


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
