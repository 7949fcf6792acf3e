"""The API key is never printed, logged or written: every command runs as a real process with a
sentinel key, and everything it produced is searched for the key and its encodings.

"Everything" is stdout and stderr of each run, every file under this test's temporary
directory (projects, podsync.lock, .podsync/, saved plans, emulator state) and the recorded
cassettes in tests/cassettes/. The runs cover success, failure and refusal: a job that fails,
an account that answers 401, a server that echoes the Authorization header back in its errors,
a URL where nothing listens, local mode, and the emulator command itself.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus

import click
import httpx
import pytest

from podsync.cli import main
from podsync.client import ZenMicClient
from podsync.emulator import FAIL_MARKER
from tests.conftest import EXAMPLES, Emulator, StartEmulator
from tests.helpers import run_podsync, start_podsync

SENTINEL = "SENTINEL-KEY-8f3a1c/+=Zq~9d2e7b40"
CASSETTES = Path(__file__).resolve().parent / "cassettes"


def command_paths(group: click.Group = main, prefix: tuple[str, ...] = ()) -> Iterator[list[str]]:
    """Every command and group of the CLI, so a command added later is covered too."""
    yield list(prefix)
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))
        else:
            yield [*prefix, name]


def secret_forms(secret: str) -> list[str]:
    """The secret as it could appear: raw, URL-encoded, and base64 at any alignment (as inside
    a Basic auth header or a base64 blob), keeping only characters that encode the secret alone."""
    raw = secret.encode()
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in range(3):
            encoded = encode(b"\0" * offset + raw).decode()
            forms.add(encoded[4 if offset else 0 : -4])
    return sorted(forms)


FORMS = secret_forms(SENTINEL)


def leaks(text: str | bytes) -> list[str]:
    data = text.decode("latin-1") if isinstance(text, bytes) else text
    return [form for form in FORMS if form in data]


def leaks_in_tree(root: Path) -> dict[str, list[str]]:
    """Every regular file under `root` (symlinks not followed) whose bytes hold a form."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            hits = leaks(path.read_bytes())
            if hits:
                found[str(path)] = hits
    return found


def test_the_leak_search_finds_every_form_it_claims_to(tmp_path: Path) -> None:
    """Without this, a search that finds nothing would prove nothing."""
    b64 = base64.b64encode
    samples = {
        "raw.txt": f"error: key {SENTINEL} refused",
        "bearer.b64": b64(f"Bearer {SENTINEL}".encode()).decode(),
        "basic.txt": "Authorization: Basic " + b64(f"user:{SENTINEL}".encode()).decode(),
        "plain.b64": b64(SENTINEL.encode()).decode(),
        "urlsafe.txt": base64.urlsafe_b64encode(f"k={SENTINEL}".encode()).decode(),
        "url.txt": f"https://zenmic.com/api/v2?key={quote(SENTINEL, safe='')}",
        "form.txt": f"key={quote_plus(SENTINEL)}&x=1",
        "nested/deep/lock.json": json.dumps({"key": SENTINEL}),
    }
    for name, text in samples.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "clean.txt").write_text(f"{SENTINEL[:12]}, not the rest; {b64(b'x').decode()}")
    assert sorted(leaks_in_tree(tmp_path)) == sorted(str(tmp_path / name) for name in samples)


def test_a_key_that_does_reach_the_output_is_caught(tmp_path: Path) -> None:
    """The same search over a real run's output and files, when the key is there to find
    (here the user pasted it into a manifest, and the error quotes it)."""
    project = copy_examples(tmp_path / "project")
    (project / "shows" / "pasted.yaml").write_text(f'show: "{SENTINEL}"\ntitle: Oops\n')
    run = Runs({"ZENMIC_API_KEY": SENTINEL})("validate", str(project), code=1)
    assert leaks(run.stderr) == [SENTINEL]
    assert list(leaks_in_tree(tmp_path)) == [str(project / "shows" / "pasted.yaml")]


@dataclass
class Run:
    args: list[str]
    code: int
    stdout: str
    stderr: str


@dataclass
class Runs:
    """Every podsync process this test starts, with what it printed."""

    env: dict[str, str]
    done: list[Run] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, *args: str, code: int, says: str = "", **env: str) -> Run:
        completed = run_podsync(*args, env={**self.env, **env})
        run = Run(list(args), completed.returncode, completed.stdout, completed.stderr)
        with self.lock:
            self.done.append(run)
        output = run.stdout + run.stderr
        assert run.code == code, f"podsync {' '.join(args)} exited {run.code}:\n{output}"
        assert says in output, f"podsync {' '.join(args)}: {says!r} not in:\n{output}"
        return run


class _EchoHandler(BaseHTTPRequestHandler):
    """An API that quotes the request's Authorization header back in its errors, the way some
    servers and proxies do: the client must not pass that on to the user."""

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        body = json.dumps({"success": False, "error": f"token rejected: {auth}"}).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: this server's own log is not podsync's output."""


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v2"


def copy_examples(target: Path) -> Path:
    shutil.copytree(EXAMPLES, target, ignore=shutil.ignore_patterns(".podsync", "podsync.lock"))
    return target


def add_failing_episode(project: Path) -> None:
    path = project / "shows" / "tech-weekly.yaml"
    path.write_text(
        path.read_text()
        + "\n  - key: doomed\n    title: Doomed\n    source:\n"
        + f'      topic: "{FAIL_MARKER} this audio job fails"\n'
    )


ONE_PROCESS = r"""
import contextlib, io, json, sys
from podsync.cli import main
results = []
for args in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args, prog_name="podsync") or 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    results.append([args, code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


def run_in_one_process(runs: Runs, commands: list[list[str]]) -> list[Run]:
    """Commands whose output does not depend on the account (help, schemas), in one process:
    starting podsync fifteen times would only measure Python's start-up."""
    completed = subprocess.run(
        [sys.executable, "-c", ONE_PROCESS, json.dumps(commands)],
        env={**os.environ, **runs.env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    done = [Run(*result) for result in json.loads(completed.stdout)]
    with runs.lock:
        runs.done.extend([*done, Run(["(one process)"], 0, "", completed.stderr)])
    return done


def run_emulator_command(runs: Runs, state_dir: Path) -> None:
    """`podsync emulator` in the foreground, sent the sentinel as a bearer token."""
    process = start_podsync(
        *("emulator", "--port", "0", "--state-dir", str(state_dir)),
        env={**runs.env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.split(" on ", 1)[1].split()[0]
        headers = {"Authorization": f"Bearer {SENTINEL}"}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
            assert client.get("/podcasts").status_code == 200
            assert client.post("/podcasts", json={"title": ""}).status_code == 400
            assert client.get("/podcasts", headers={"Authorization": "Basic x"}).status_code == 401
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)
    with runs.lock:
        runs.done.append(Run(["emulator"], process.returncode, first + stdout, stderr))


def test_no_command_prints_or_writes_the_api_key(
    emulator: Emulator, echo_server: str, tmp_path: Path, start_emulator: StartEmulator
) -> None:
    runs = Runs(
        {
            "ZENMIC_API_KEY": SENTINEL,
            "ZENMIC_API_URL": emulator.url,
            "ZENMIC_EMULATOR_JOB_SECONDS": "0",
            "NO_COLOR": "1",
            "PYTHONWARNINGS": "always",
        }
    )
    fast = "--poll-interval=0.05"
    project = copy_examples(tmp_path / "project")
    saved = tmp_path / "saved-plan.json"

    def main_flow() -> None:
        runs("validate", str(project), code=0, says="valid")
        for fmt in ("text", "json", "markdown"):
            runs("plan", str(project), f"--format={fmt}", code=0, says="tech-weekly")
        runs("plan", str(project), "--detailed-exitcode", code=2)
        runs("plan", str(project), "--out", str(saved), code=0)
        runs("apply", str(saved), fast, code=0)
        runs("plan", str(project), "--detailed-exitcode", code=0)
        runs("apply", str(project), "--auto-approve", fast, code=0)
        runs("verify", str(project), code=0, says="Verify passed")
        for fmt in ("text", "json"):
            runs("status", str(project), f"--format={fmt}", code=0, says="tech-weekly")
        runs("lock", "rebuild", str(project), "--force", code=0)
        runs("import", str(project), code=0, says="Nothing to import")

    def failing_job() -> None:
        # an account of its own: its apply creates the same show that main_flow plans meanwhile
        with start_emulator("failing-state") as own:
            failing = copy_examples(tmp_path / "failing")
            add_failing_episode(failing)
            # asyncio's debug mode prints slow tasks with their coroutines: one more place to look
            debug = {"PYTHONDEVMODE": "1", "ZENMIC_API_URL": own.url}
            runs("apply", str(failing), "--auto-approve", fast, code=1, says="doomed", **debug)

    def wrong_key() -> None:
        with start_emulator("other-state", api_key="another-key") as other:
            copy = str(copy_examples(tmp_path / "wrong-key"))
            for command in (["plan"], ["apply", "--auto-approve"]):
                runs(*command, copy, code=1, says="401", ZENMIC_API_URL=other.url)

    def echoing_server() -> None:
        copy = str(copy_examples(tmp_path / "echo"))
        runs("plan", copy, code=1, says="403", ZENMIC_API_URL=echo_server)

    def nothing_listening() -> None:
        copy = str(copy_examples(tmp_path / "nothing-listening"))
        runs("apply", copy, "--auto-approve", code=1, ZENMIC_API_URL=closed_port_url())

    def local_mode() -> None:
        local = copy_examples(tmp_path / "local")
        runs("apply", str(local), "--auto-approve", fast, code=0, ZENMIC_API_URL="local")
        runs("plan", str(local), "--detailed-exitcode", code=0, ZENMIC_API_URL="local")
        runs("verify", str(local), "--format=json", code=0, ZENMIC_API_URL="local")

    def static_output() -> None:
        commands = [["schema", name] for name in ("manifest", "project", "lock", "plan")]
        commands += [[*path, "--help"] for path in command_paths()]
        for run in run_in_one_process(runs, commands):
            assert run.code == 0 and ("Usage:" in run.stdout or "$schema" in run.stdout), run

    steps: list[Callable[[], None]] = [
        nothing_listening,  # the slowest: it retries with backoff before giving up
        main_flow,
        failing_job,
        wrong_key,
        echoing_server,
        local_mode,
        static_output,
        lambda: run_emulator_command(runs, tmp_path / "emulator-command"),
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(step) for step in steps]:
            future.result()

    assert (project / "podsync.lock").is_file() and saved.is_file()
    assert (tmp_path / "local" / ".podsync").is_dir()
    assert len(runs.done) >= 30
    ran = {" ".join(run.args) for run in runs.done}
    for command in ("validate --help", "plan --help", "apply --help", "lock rebuild --help"):
        assert command in ran
    printed = [(run.args, leaks(run.stdout + run.stderr)) for run in runs.done]
    assert [(args, hits) for args, hits in printed if hits] == []
    assert leaks_in_tree(tmp_path) == {}
    assert leaks_in_tree(CASSETTES) == {}


def test_a_traceback_with_locals_from_inside_the_client_hides_the_key() -> None:
    """What a crash reporter (or `rich`, or pytest) would show if a request blew up inside
    podsync: every frame's locals, including the client and the request."""

    def explode(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {SENTINEL}"
        raise RuntimeError("the transport broke")

    async def list_shows() -> None:
        async with ZenMicClient(
            "https://zenmic.test/api/v2", SENTINEL, transport=httpx.MockTransport(explode)
        ) as client:
            await client.list_shows()

    with pytest.raises(Exception) as caught:
        asyncio.run(list_shows())
    shown = traceback.TracebackException.from_exception(caught.value, capture_locals=True)
    text = "".join(shown.format())
    assert "the transport broke" in text or "RuntimeError" in text
    assert leaks(text) == []
    assert leaks(repr(caught.value)) == []
