"""Live progress of apply's audio jobs (issue 13, point 5): a heartbeat line at the promised
interval without a terminal, rich's live display on one (a real pty), --quiet, and stdout kept
for the JSON document. Intervals and job times are fractions of a second."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from podsync.client import ZenMicClient
from podsync.emulator.quirks import Quirks
from podsync.errors import ConfigError
from podsync.model import Source
from podsync.progress import (
    JobFailed,
    JobFinished,
    JobPolled,
    JobSubmitted,
    Progress,
    StepDone,
    heartbeat_seconds,
)
from podsync.render.progress import LiveProgress, progress_display
from tests.conftest import TEST_KEY, Cli, StartEmulator
from tests.helpers import PODSYNC, default_sigint, run_podsync

HEARTBEAT = r"… ([12]) of 2 audio jobs still running, \d+s: slow/e[01](, slow/e[01])?"
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def one_show(root: Path, episodes: int = 2) -> Path:
    (root / "shows").mkdir(parents=True)
    manifest = {
        "show": "slow",
        "title": "Slow Show",
        "episodes": [
            {"key": f"e{n}", "title": f"Part {n}", "source": {"topic": f"Topic {n}"}}
            for n in range(episodes)
        ],
    }
    (root / "shows" / "slow.yaml").write_text(yaml.safe_dump(manifest))
    return root


def env_for(url: str, **extra: str) -> dict[str, str]:
    return {"ZENMIC_API_URL": url, "ZENMIC_API_KEY": TEST_KEY, **extra}


def colours(text: str) -> list[str]:
    """The SGR parameters in `text` that set a foreground or background colour."""
    found = []
    for match in SGR.finditer(text):
        params = [int(p) for p in match.group(1).split(";") if p]
        found += [str(p) for p in params if 30 <= p <= 48 or 90 <= p <= 107]
    return found


def test_without_a_terminal_a_heartbeat_line_comes_at_the_promised_interval(
    tmp_path: Path, start_emulator: StartEmulator
) -> None:
    project = one_show(tmp_path / "project")
    interval = 0.3
    with start_emulator("state", job_seconds=2.5) as server:
        env = {**os.environ, **env_for(server.url, PODSYNC_HEARTBEAT_SECONDS=str(interval))}
        with subprocess.Popen(
            [*PODSYNC, "apply", str(project), "--auto-approve", "--poll-interval=0.05"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=default_sigint,
        ) as process:
            assert process.stderr is not None and process.stdout is not None
            timed = [(time.monotonic(), line.rstrip("\n")) for line in process.stderr]
            stdout = process.stdout.read()
            assert process.wait(timeout=30) == 0, (stdout, timed)
    lines = [line for _, line in timed]
    beats = [at for at, line in timed if "still running" in line]
    assert all(re.fullmatch(HEARTBEAT, line) for line in lines if "still running" in line), lines
    assert any(line.startswith("… 2 of 2 audio jobs") for line in lines), lines
    # jobs run about 2.5 s from their submission: several beats, one interval apart (read here,
    # in another process on a busy machine: the median gap, and no gap near the default 30 s)
    assert len(beats) >= 4, lines
    gaps = sorted(later - earlier for earlier, later in zip(beats, beats[1:], strict=False))
    assert interval * 0.5 <= gaps[len(gaps) // 2] <= interval * 2, gaps
    assert gaps[-1] < 2, gaps
    # the step lines are in the same stream, in order, and said once
    submitted = [n for n, line in enumerate(lines) if line.startswith("$ submitted audio")]
    ready = [n for n, line in enumerate(lines) if line.startswith("♪ audio ready")]
    assert len(submitted) == len(ready) == 2, lines
    assert max(submitted) < min(n for n, line in enumerate(lines) if "still running" in line)
    assert "Apply finished: 5 done, 0 failed, 0 not started." in stdout


def test_quiet_prints_only_the_closing_table(tmp_path: Path, cli: Cli) -> None:
    project = one_show(tmp_path / "project")
    result = cli("apply", str(project), "--auto-approve", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.output == "\nApply finished: 5 done, 0 failed, 0 not started.\n"


def test_format_json_keeps_stdout_one_json_document_and_progress_on_stderr(
    tmp_path: Path, start_emulator: StartEmulator
) -> None:
    project = one_show(tmp_path / "project")
    with start_emulator("state", job_seconds=1.0) as server:
        env = env_for(server.url, PODSYNC_HEARTBEAT_SECONDS="0.2")
        args = ("apply", str(project), "--auto-approve", "--format", "json", "--poll-interval=0.05")
        result = run_podsync(*args, env=env, timeout=30)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["outcome"]["ok"] is True
    assert len(document["outcome"]["done"]) == 5
    assert document["plan"]["summary"]["episodes"]["add"] == 2
    assert re.search(HEARTBEAT, result.stderr), result.stderr
    assert "$ submitted audio for slow/e0" in result.stderr
    assert "Apply finished: 5 done" in result.stderr


def test_format_json_refuses_to_prompt(tmp_path: Path, cli: Cli) -> None:
    result = cli("apply", str(one_show(tmp_path / "project")), "--format", "json")
    assert result.exit_code == 1
    assert "--format json needs --auto-approve" in result.output


def read_pty(
    args: list[str], env: dict[str, str], columns: int = 100, stdout: int | None = None
) -> tuple[int, str]:
    """Run podsync with a pseudo-terminal as its stdin, stdout and stderr (or `stdout` as its
    stdout); all it drew on the terminal."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    process = subprocess.Popen(
        [*PODSYNC, *args],
        env={**environ, "TERM": "xterm-256color", **env},
        stdin=slave,
        stdout=slave if stdout is None else stdout,
        stderr=slave,
        preexec_fn=default_sigint,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return process.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("no_color", [True, False], ids=["NO_COLOR", "colour"])
def test_on_a_terminal_one_live_display_shows_jobs_their_elapsed_time_and_the_total(
    tmp_path: Path, start_emulator: StartEmulator, no_color: bool
) -> None:
    project = one_show(tmp_path / "project")
    with start_emulator("state", job_seconds=1.5, quirks=Quirks(job_progress=True)) as server:
        env = env_for(server.url, **({"NO_COLOR": "1"} if no_color else {}))
        code, drawn = read_pty(
            ["apply", str(project), "--auto-approve", "--poll-interval=0.1"], env
        )
    assert code == 0, drawn
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)
    # each running job, its elapsed time (rich's h:mm:ss) and the API's percentage
    assert re.search(r"slow/e0 +(submitted|queued|running)\b.* 0:\d\d:\d\d", plain), plain
    assert re.search(r"slow/e1 .*\b\d{1,2}% +0:\d\d:\d\d", plain), plain
    assert re.search(r"audio jobs: 0 done, 0 failed, 2 running \(\d+s\)", plain), plain
    assert "audio jobs: 2 done, 0 failed, 0 running" in plain
    assert plain.count("$ submitted audio for slow/e0") == 1
    assert "Apply finished: 5 done, 0 failed, 0 not started." in plain
    assert "still running" not in plain  # the heartbeat is for logs, not terminals
    assert bool(colours(drawn)) is not no_color, colours(drawn)


def test_format_json_on_a_terminal_keeps_the_live_display_off_stdout(
    tmp_path: Path, start_emulator: StartEmulator
) -> None:
    project = one_show(tmp_path / "project")
    out = tmp_path / "stdout.json"
    with start_emulator("state", job_seconds=1.0) as server, out.open("w") as stdout:
        args = ["apply", str(project), "--auto-approve", "--format=json", "--poll-interval=0.1"]
        code, drawn = read_pty(args, env_for(server.url), stdout=stdout.fileno())
    assert code == 0, drawn
    assert "audio jobs: 0 done, 0 failed, 2 running" in drawn
    assert json.loads(out.read_text())["outcome"]["ok"] is True


def test_a_narrow_terminal_gets_lines_no_wider_than_itself() -> None:
    out = io.StringIO()
    console = Console(file=out, width=40, force_terminal=True, color_system="standard")
    display = LiveProgress(console)
    with display:
        display(JobSubmitted("m1", "a-show-with-a-long-key/an-episode-with-a-long-key"))
        display(JobPolled("m1", "running", 42.0))
        display.report("$ submitted audio for a-show-with-a-long-key/an-episode (m1)")
        display(JobFinished("m1"))
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    rows = [row for row in re.split(r"[\r\n]", plain) if row.strip()]
    assert any("42%" in row for row in rows), rows
    assert rows and all(len(row) <= 40 for row in rows), rows


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("file", "environ", "live"),
    [
        (Terminal, {"TERM": "xterm"}, True),
        (Terminal, {"TERM": "dumb"}, False),
        (Terminal, {"TERM": "xterm", "TTY_INTERACTIVE": "0"}, False),
        (io.StringIO, {"TERM": "xterm"}, False),
        (io.StringIO, {"TERM": "xterm", "FORCE_COLOR": "1"}, False),  # a CI log, in colour
    ],
)
def test_the_live_display_is_for_a_terminal_that_can_redraw(
    file: type[io.StringIO], environ: dict[str, str], live: bool
) -> None:
    lines: list[str] = []
    console = Console(file=file(), _environ=environ)
    chosen = progress_display(quiet=False, write=lines.append, console=console)
    assert isinstance(chosen, LiveProgress) is live
    quiet = progress_display(quiet=True, write=lines.append, console=console)
    assert type(quiet) is Progress


def test_the_heartbeat_interval_is_read_from_the_environment() -> None:
    assert heartbeat_seconds({}) == 30.0
    assert heartbeat_seconds({"PODSYNC_HEARTBEAT_SECONDS": "0.25"}) == 0.25
    for bad in ("0", "-1", "soon", "nan"):
        with pytest.raises(ConfigError, match="PODSYNC_HEARTBEAT_SECONDS"):
            heartbeat_seconds({"PODSYNC_HEARTBEAT_SECONDS": bad})


def test_the_board_counts_jobs_reported_by_many_tasks_at_once() -> None:
    """Shows apply concurrently: many tasks report jobs that overlap in time."""
    board = Progress()

    async def job(n: int) -> None:
        board(JobSubmitted(f"m{n}", f"show{n % 3}/e{n}"))
        for _ in range(3):
            await asyncio.sleep(0)
            board(JobPolled(f"m{n}", "running", None))
        board(JobFinished(f"m{n}") if n % 4 else JobFailed(f"m{n}", "synthesis failed"))
        board(StepDone(f"♪ audio ready for show{n % 3}/e{n}"))

    async def run() -> int:
        started = [asyncio.create_task(job(n)) for n in range(40)]
        await asyncio.sleep(0)
        running = len(board.board.snapshot().running)
        await asyncio.gather(*started)
        return running

    running_midway = asyncio.run(run())
    snapshot = board.board.snapshot()
    assert running_midway == 40
    assert (snapshot.done, snapshot.failed, snapshot.running) == (30, 10, ())


def test_the_client_reads_a_job_s_percentage_when_the_server_adds_one(
    start_emulator: StartEmulator,
) -> None:
    async def poll(url: str) -> tuple[float | None, float | None]:
        async with ZenMicClient(url, TEST_KEY) as client:
            source = Source(kind="topic", topic="Progress")
            submitted = await client.submit_audio(source, "Part")
            running = await client.get_audio(submitted.id)
            await asyncio.sleep(0.4)
            done = await client.get_audio(submitted.id)
            return running.progress, done.progress

    with start_emulator("state", job_seconds=0.3, quirks=Quirks(job_progress=True)) as server:
        running, done = asyncio.run(poll(server.url))
    assert running is not None and 0 <= running < 100
    assert done is None
