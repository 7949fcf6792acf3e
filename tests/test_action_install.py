"""The action installs podsync with every dependency pinned by version and hash.

action/requirements.txt is compiled from pyproject.toml by uv for every supported Python (the
command is at its top), so a release upstream cannot change or break what publishes on merge.
These tests run the install step of action.yml itself, as a runner would, against the package
index; they need the network, like the CI install before them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PINS = Path("action") / "requirements.txt"
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
HASH = re.compile(r"\s--hash=sha256:[0-9a-f]{64}")


def pins(text: str, python: str) -> dict[str, Version]:
    """The exact version each pinned distribution has on ``python`` (markers applied); each
    must carry the hashes of its files, or pip's --require-hashes refuses the whole file."""
    pinned: dict[str, Version] = {}
    for logical in text.replace("\\\n", " ").splitlines():
        line = logical.split("#", 1)[0].strip()
        if not line:
            continue
        assert HASH.search(line), f"no --hash for {line.split()[0]}"
        requirement = Requirement(HASH.sub("", line).strip())
        environment = {"python_version": python, "python_full_version": f"{python}.0"}
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        (spec,) = requirement.specifier
        assert spec.operator == "==", line
        pinned[canonicalize_name(requirement.name)] = Version(spec.version)
    return pinned


def action_checkout(tmp_path: Path) -> Path:
    """The files git tracks, where a runner checks out the action (GITHUB_ACTION_PATH)."""
    target = tmp_path / "action"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(source.read_bytes())
    return target


def run_install_step(action: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """action.yml's "Install podsync" script, with the environment a runner gives it."""
    steps = yaml.safe_load((action / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    script = next(step for step in steps if step.get("id") == "install")["run"]
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    outputs = tmp_path / "github-output"
    outputs.touch()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PODSYNC_PYTHON": sys.executable,
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_ACTION_PATH": str(action),
        "GITHUB_OUTPUT": str(outputs),
        "PIP_NO_INPUT": "1",
        # byte-compiling the installed packages is most of the step's CPU and nothing here
        # depends on it: what is installed, and at which version, is the same without it.
        # (pip reads PIP_NO_COMPILE=1 as --no-compile's value *true*, i.e. compile: inverted)
        "PIP_COMPILE": "0",
    }
    completed = subprocess.run(
        ["bash", "-e", "-c", script], env=env, capture_output=True, text=True, timeout=600
    )
    return completed, outputs


def installed(python: Path) -> dict[str, Version]:
    listing = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, json;"
            "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {canonicalize_name(k): Version(v) for k, v in json.loads(listing.stdout).items()}


def test_the_pins_satisfy_pyproject_on_every_supported_python() -> None:
    """Edit a dependency in pyproject.toml without compiling the pins again and this fails."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = [Requirement(r) for r in project["project"]["dependencies"]]
    wanted += [Requirement(r) for r in project["build-system"]["requires"]]
    assert project["project"]["requires-python"] == f">={SUPPORTED_PYTHONS[0]}"
    text = (ROOT / PINS).read_text(encoding="utf-8")
    for python in SUPPORTED_PYTHONS:
        pinned = pins(text, python)
        for requirement in wanted:
            name = canonicalize_name(requirement.name)
            assert name in pinned, f"{name} is not pinned for Python {python}"
            assert pinned[name] in requirement.specifier, f"{name}=={pinned[name]}: {requirement}"


def test_the_install_step_installs_exactly_the_pinned_versions(tmp_path: Path) -> None:
    completed, outputs = run_install_step(action_checkout(tmp_path), tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    podsync = Path(outputs.read_text(encoding="utf-8").strip().removeprefix("podsync="))
    version = subprocess.run([str(podsync), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and "podsync, version" in version.stdout
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    expected = pins((ROOT / PINS).read_text(encoding="utf-8"), python)
    got = installed(podsync.parent / "python")
    assert {k: v for k, v in got.items() if k not in ("pip", "podsync")} == expected


def test_the_install_step_refuses_a_dependency_whose_hash_changed(tmp_path: Path) -> None:
    """What --require-hashes buys: a tampered or re-uploaded file is never installed."""
    action = action_checkout(tmp_path)
    pinned = action / PINS
    text = pinned.read_text(encoding="utf-8")
    start = text.index("\npyyaml==")
    end = text.index("\n", text.index("# via", start))
    forged = re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, text[start:end])
    pinned.write_text(text[:start] + forged + text[end:], encoding="utf-8")
    completed, outputs = run_install_step(action, tmp_path)
    assert completed.returncode != 0
    assert "DO NOT MATCH THE HASHES" in completed.stderr, completed.stderr[-3000:]
    assert "pyyaml" in completed.stderr.lower()
    assert outputs.read_text(encoding="utf-8") == ""
    assert not (tmp_path / "runner" / "podsync-venv" / "bin" / "podsync").exists()
