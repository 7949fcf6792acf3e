"""Hostile manifests through the real command line: every case exits 1 with FILE:LINE:COL
problems, sends nothing, prints no traceback, and stays within a time and memory limit.

The committed corpus is tests/fixtures/manifests/invalid/ (test_manifest.py checks each case's
exact problems in-process). What git cannot hold well is built here at run time: symlinks out
of the project, FIFOs, a 50 MB document, files over the 1 MiB limit, 10,000-deep nesting.

Starting podsync costs about half a second, so one driver process runs every case for both
`validate` and `plan`, calling the click command the way `python -m podsync` does, under an
address-space limit and a per-case alarm; it reports exit codes and output as JSON.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from podsync.manifest import MAX_DOCUMENT_BYTES
from podsync.yamlload import MAX_FILE_BYTES
from tests.conftest import EXAMPLES, TEST_KEY, Emulator

INVALID = Path(__file__).resolve().parent / "fixtures" / "manifests" / "invalid"
MEMORY_LIMIT = 1024 * 1024 * 1024
CASE_SECONDS = 10
PROBLEM_LINE = re.compile(r"^[^:\n]+:\d+:\d+: .+$")
SUMMARY_LINE = re.compile(r"^\d+ problems? found; nothing was sent\.$")

DRIVER = r"""
import contextlib, io, json, os, resource, signal, sys, traceback
limit, seconds = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

class Timeout(BaseException):
    pass

def alarm(signum, frame):
    raise Timeout(f"still running after {seconds} s")

signal.signal(signal.SIGALRM, alarm)
import httpx
from podsync.cli import main

job = json.load(sys.stdin)
results = []
for args, case in job["runs"]:
    if case is None:
        stats = httpx.get(job["stats_url"]).json()
        results.append({"requests": stats["requests"]})
        continue
    os.chdir(case)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    started = __import__("time").perf_counter()
    signal.alarm(seconds)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([*args, "."], prog_name="podsync")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = -1
    signal.alarm(0)
    results.append({
        "args": args, "case": case, "code": code, "stdout": out.getvalue(),
        "stderr": err.getvalue(), "seconds": __import__("time").perf_counter() - started,
    })
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
json.dump({"results": results, "peak_rss": peak}, sys.__stdout__)
"""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def episode(key: str, source: str) -> str:
    return f"  - key: {key}\n    title: {key}\n    source: {{{source}}}\n"


def build_runtime_cases(root: Path) -> dict[Path, list[str]]:
    """Projects that git cannot hold (well), with the exact problems each must report."""
    outside = root / "outside"
    secret = write(outside / "secret.yaml", "show: 42\ntitle: AKIA-not-for-the-api\n")
    write(outside / "settings.yaml", "vars: {token: s3cr3t}\n")
    cases: dict[Path, list[str]] = {}

    links = root / "symlinks-out"
    write(links / "docs" / "ok.txt", "fine\n")
    (links / "docs" / "secret.txt").symlink_to(secret)
    (links / "docs" / "zero.txt").symlink_to("/dev/zero")
    (links / "docs" / "loop.txt").symlink_to(links / "docs" / "loop.txt")
    (links / "scripts").mkdir()
    (links / "scripts" / "secret.yaml").symlink_to(secret)
    (links / "podsync.yaml").symlink_to(outside / "settings.yaml")
    (links / "shows").mkdir()
    (links / "shows" / "leak.yaml").symlink_to(secret)
    (links / "shows" / "passwd.yaml").symlink_to("/etc/passwd")
    write(
        links / "shows" / "tech.yaml",
        "show: tech\ntitle: T\nepisodes:\n"
        + episode("doc", "document: ../docs/secret.txt")
        + episode("zero", "document: ../docs/zero.txt")
        + episode("loop", "document: ../docs/loop.txt")
        + episode("script", "dialogue_file: ../scripts/secret.yaml"),
    )
    cases[links] = [
        "podsync.yaml:1:1: the file is a symlink that leads outside the project directory",
        "shows/leak.yaml:1:1: the file is a symlink that leads outside the project directory",
        "shows/passwd.yaml:1:1: the file is a symlink that leads outside the project directory",
        "shows/tech.yaml:6:24: document '../docs/secret.txt' is a symlink that leads outside "
        "the project directory",
        "shows/tech.yaml:9:24: document '../docs/zero.txt' is a symlink that leads outside "
        "the project directory",
        "shows/tech.yaml:12:24: cannot resolve document '../docs/loop.txt': "
        f"Symlink loop from '{links / 'docs' / 'loop.txt'}'",
        "shows/tech.yaml:15:29: dialogue_file '../scripts/secret.yaml' is a symlink that leads "
        "outside the project directory",
    ]

    special = root / "fifos"
    (special / "docs").mkdir(parents=True)
    (special / "shows").mkdir()
    os.mkfifo(special / "docs" / "pipe.txt")
    os.mkfifo(special / "docs" / "script.yaml")
    os.mkfifo(special / "shows" / "pipe.yaml")
    write(
        special / "shows" / "tech.yaml",
        "show: tech\ntitle: T\nepisodes:\n"
        + episode("pipe", "document: ../docs/pipe.txt")
        + episode("script", "dialogue_file: ../docs/script.yaml"),
    )
    cases[special] = [
        "shows/pipe.yaml:1:1: not a regular file",
        "shows/tech.yaml:6:24: document '../docs/pipe.txt' is not a regular file",
        "shows/tech.yaml:9:29: dialogue_file '../docs/script.yaml' is not a regular file",
    ]

    big = root / "oversized"
    with open(write(big / "docs" / "huge.pdf", b"%PDF-1.7\n"), "r+b") as handle:
        handle.truncate(MAX_DOCUMENT_BYTES + 1_000_000)  # sparse: costs no disk
    filler = "# " + "x" * MAX_FILE_BYTES + "\n"
    write(big / "scripts" / "long.yaml", filler + "- [male, Hi]\n")
    write(big / "shows" / "long.yaml", filler + "show: long\ntitle: T\n")
    write(
        big / "shows" / "tech.yaml",
        "show: tech\ntitle: T\nepisodes:\n"
        + episode("huge", "document: ../docs/huge.pdf")
        + episode("long", "dialogue_file: ../scripts/long.yaml"),
    )
    cases[big] = [
        "scripts/long.yaml:1:1: file is larger than 1024 KiB",
        "shows/long.yaml:1:1: file is larger than 1024 KiB",
        "shows/tech.yaml:6:24: document '../docs/huge.pdf' is too large (51.0 MB; the API "
        "accepts at most 50.0 MB)",
    ]

    deep = root / "deep-nesting"
    write(deep / "shows" / "lists.yaml", "show: a\ntitle: " + "[" * 10_000 + "]" * 10_000 + "\n")
    write(deep / "shows" / "maps.yaml", "show: b\ntitle: " + "{a: " * 10_000 + "}" * 10_000 + "\n")
    block = "".join(f"\n{'  ' * depth}- " for depth in range(400))
    write(deep / "shows" / "block.yaml", "show: c\ntitle:" + block + "x\n")
    write(deep / "shows" / "keys.yaml", "show: d\ntitle: T\nvars:" + block.replace("- ", "k:"))
    cases[deep] = [
        "shows/block.yaml:52:99: invalid YAML: nesting deeper than 50 levels",
        "shows/keys.yaml:53:99: invalid YAML: nesting deeper than 50 levels",
        "shows/lists.yaml:2:57: invalid YAML: nesting deeper than 50 levels",
        "shows/maps.yaml:2:201: invalid YAML: nesting deeper than 50 levels",
    ]
    return cases


def committed_cases() -> dict[Path, list[str]]:
    return {
        case: (case / "expected.txt").read_text().splitlines()
        for case in sorted(INVALID.iterdir())
        if case.is_dir()
    }


def run_driver(
    runs: list[tuple[list[str], str | None]], stats_url: str, env: dict[str, str]
) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c", DRIVER, str(MEMORY_LIMIT), str(CASE_SECONDS)],
        input=json.dumps({"runs": runs, "stats_url": stats_url}),
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


def test_every_hostile_case_exits_1_with_positions_sends_nothing_and_stays_bounded(
    emulator: Emulator, tmp_path: Path
) -> None:
    cases = {**committed_cases(), **build_runtime_cases(tmp_path / "runtime")}
    assert len(cases) >= 30
    control = tmp_path / "control"
    shutil.copytree(EXAMPLES, control, ignore=shutil.ignore_patterns(".podsync", "podsync.lock"))
    runs: list[tuple[list[str], str | None]] = [
        (args, str(case)) for args in (["validate"], ["plan"]) for case in cases
    ]
    runs += [([], None), (["plan", "--detailed-exitcode"], str(control))]
    env = {"ZENMIC_API_URL": emulator.url, "ZENMIC_API_KEY": TEST_KEY, "NO_COLOR": "1"}

    started = time.perf_counter()
    report = run_driver(runs, emulator.url.removesuffix("/api/v2") + "/_emulator/stats", env)
    elapsed = time.perf_counter() - started

    *results, stats, normal = report["results"]
    for result in results:
        where = f"{' '.join(result['args'])} {Path(result['case']).name}"
        output = result["stdout"] + result["stderr"]
        assert "Traceback" not in output and "MemoryError" not in output, where
        assert result["code"] == 1, f"{where}: {output}"
        assert result["stdout"] == "", where
        *problems, summary = result["stderr"].splitlines()
        assert SUMMARY_LINE.match(summary), f"{where}: {summary}"
        assert problems == cases[Path(result["case"])], where
        assert all(PROBLEM_LINE.match(line) for line in problems), where
    assert stats == {"requests": 0}
    assert emulator.stats()["requests"] > 0  # the control plan did reach the emulator ...
    assert normal["code"] == 2, normal["stderr"]  # ... and fitted in the same limits
    assert report["peak_rss"] < MEMORY_LIMIT // 2
    assert elapsed < 20
