"""The built wheel is what users install (pipx): it must work without the source tree, so the
schemas and the templates `podsync init` writes have to be inside it.

Kept fast and offline: the wheel is built without build isolation (the backend is in the dev
extra), and the fresh venv borrows this venv's dependencies through a .pth line, never the
source tree: a .pth line only adds a folder to sys.path, so the editable install's own .pth
hook in that folder does not run, and the wheel's podsync comes first on the path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

import podsync
from tests.conftest import EXAMPLES

SOURCE = Path(__file__).resolve().parent.parent


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**_clean_env(), **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env() -> dict[str, str]:
    """This environment without anything that would put the source tree on the path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources (a build writes build/ and egg-info)."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    junk = shutil.ignore_patterns("__pycache__", "*.egg-info", ".podsync", "podsync.lock")
    for name in ("podsync", "schemas", "examples"):
        shutil.copytree(SOURCE / name, src / name, symlinks=True, ignore=junk)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(SOURCE / name, src / name)
    dist = root / "dist"
    build = (sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", dist)
    _run(*build, src, cwd=root)
    (built,) = dist.glob("podsync-*.whl")
    return built


def test_the_built_wheel_runs_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
        ).strip()
    )
    (site / "dev-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = (sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps")
    _run(*pip, "--no-index", wheel, cwd=tmp_path)
    podsync_bin = env_dir / "bin" / "podsync"

    where = _run(python, "-c", "import podsync; print(podsync.__file__)", cwd=tmp_path).strip()
    assert Path(where).is_relative_to(env_dir), where
    version = _run(podsync_bin, "--version", cwd=tmp_path)
    assert version == f"podsync, version {podsync.__version__}\n"

    example = tmp_path / "example"
    shutil.copytree(EXAMPLES, example, ignore=shutil.ignore_patterns(".podsync", "podsync.lock"))
    assert "1 show, 4 episodes: valid." in _run(podsync_bin, "validate", example, cwd=tmp_path)
    local = {"ZENMIC_API_URL": "local", "ZENMIC_API_KEY": "", "ZENMIC_EMULATOR_JOB_SECONDS": "0"}
    apply = (podsync_bin, "apply", example, "--auto-approve", "--poll-interval=0.05")
    applied = _run(*apply, cwd=tmp_path, env=local)
    assert "Apply finished: 9 done, 0 failed, 0 not started." in applied
    assert (example / "podsync.lock").is_file()

    # the templates of `podsync init` and the schemas are inside the wheel
    _run(podsync_bin, "init", "new", "--github", cwd=tmp_path)
    assert (tmp_path / "new" / "manifest.schema.json").read_text() == (
        SOURCE / "schemas" / "manifest.schema.json"
    ).read_text()
    assert "podsync-dev/podsync@v1" in (tmp_path / "new/.github/workflows/podsync.yml").read_text()
