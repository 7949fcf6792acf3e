"""A simulated GitHub Actions runner for `podsync action`: a real git repository with a bare
"origin", event payloads shaped like GitHub's webhooks, and the files a runner gives a step
(GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP), with the GitHub API served
by tests/fake_github.py and ZenMic by the emulator.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from podsync.cli import main
from tests.conftest import EXAMPLES, TEST_KEY, Emulator
from tests.fake_github import FakeGitHub

REPO = "acme/podcasts"
FORK = "mallory/podcasts"
GH_TOKEN = "ghs_FakeToken0123456789abcdefABCDEF"
PROJECT_DIR = "podcast"
SHOW_FILE = f"{PROJECT_DIR}/shows/tech-weekly.yaml"
PEOPLE = {
    "GIT_AUTHOR_NAME": "Alice",
    "GIT_AUTHOR_EMAIL": "alice@example.com",
    "GIT_COMMITTER_NAME": "Alice",
    "GIT_COMMITTER_EMAIL": "alice@example.com",
}
_OUTPUT = re.compile(r"^([\w-]+)<<(\S+)\n(.*?)\n\2\n", re.MULTILINE | re.DOTALL)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **PEOPLE, "GIT_CONFIG_NOSYSTEM": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


@dataclass
class Run:
    """One step's run: the CLI result and the files the runner would read afterwards."""

    result: Result
    outputs: dict[str, str]
    summary: str

    @property
    def exit_code(self) -> int:
        return self.result.exit_code

    @property
    def output(self) -> str:
        return self.result.output


@dataclass
class Sim:
    root: Path
    github: FakeGitHub
    emulator: Emulator
    runs: int = 0
    files: list[Path] = field(default_factory=list)

    @property
    def origin(self) -> Path:
        return self.root / "origin.git"

    @property
    def work(self) -> Path:
        return self.root / "workspace"

    @property
    def project(self) -> Path:
        return self.work / PROJECT_DIR

    def setup(self) -> None:
        """origin with a podcast project on main, published once (account and lock agree)."""
        self.origin.mkdir()
        git(self.origin, "init", "--quiet", "--bare", "--initial-branch=main")
        git(self.root, "clone", "--quiet", str(self.origin), str(self.work))
        git(self.work, "checkout", "--quiet", "-b", "main")
        shutil.copytree(
            EXAMPLES, self.project, ignore=shutil.ignore_patterns(".podsync", "podsync.lock")
        )
        (self.work / ".gitignore").write_text(".podsync/\n")
        (self.work / "README.md").write_text("Our podcasts.\n")
        self.commit("Add the podcast")
        published = self.cli("apply", PROJECT_DIR, "--auto-approve", "--poll-interval=0.05")
        assert published.exit_code == 0, published.output
        self.commit("Record the first apply")
        git(self.work, "push", "--quiet", "origin", "main")

    def cli(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        base: dict[str, str | None] = {
            "ZENMIC_API_URL": self.emulator.url,
            "ZENMIC_API_KEY": TEST_KEY,
            "NO_COLOR": "1",
        }
        cwd = Path.cwd()
        os.chdir(self.work)
        try:
            return CliRunner().invoke(
                main, list(args), env={**base, **(env or {})}, catch_exceptions=False
            )
        finally:
            os.chdir(cwd)

    def commit(self, message: str) -> str:
        git(self.work, "add", "-A")
        git(self.work, "commit", "--quiet", "-m", message)
        return self.head()

    def head(self, ref: str = "HEAD", repo: Path | None = None) -> str:
        return git(repo or self.work, "rev-parse", ref)

    def edit_show(self, change: Any) -> None:
        path = self.work / SHOW_FILE
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    def open_pull_request(self, branch: str = "feature") -> None:
        git(self.work, "checkout", "--quiet", "-b", branch, "main")

    def merge(self, number: int, branch: str = "feature", *, fork: str | None = None) -> str:
        """Merge the pull request on GitHub: a merge commit on main, pushed; the workspace is
        then the push event's checkout of main. `fork` is the repository the pull request came
        from, if not this one ("" when that fork has since been deleted)."""
        git(self.work, "reset", "--quiet", "--hard")  # each job starts from a fresh checkout
        git(self.work, "checkout", "--quiet", "main")
        git(self.work, "pull", "--quiet", "--ff-only", "origin", "main")
        git(self.work, "fetch", "--quiet", "origin", branch)
        git(
            self.work,
            "merge",
            "--quiet",
            "--no-ff",
            "FETCH_HEAD",
            "-m",
            f"Merge pull request #{number} from acme/{branch}",
        )
        git(self.work, "push", "--quiet", "origin", "main")
        sha = self.head()
        self.github.merged(REPO, sha, number, branch, head_repo=fork)
        return sha

    def pull_request_event(
        self,
        number: int,
        *,
        action: str = "synchronize",
        branch: str = "feature",
        fork: bool = False,
    ) -> dict[str, Any]:
        """A pull_request webhook payload as GitHub sends it (the fields that matter and more)."""
        git(self.work, "push", "--quiet", "--force", "origin", f"HEAD:refs/heads/{branch}")
        head_repo = FORK if fork else REPO
        base_sha = self.head("origin/main")
        head_sha = self.head()
        self.github.opened(REPO, number, head_sha, branch)  # the push moved the head
        return {
            "action": action,
            "number": number,
            "pull_request": {
                "url": f"https://api.github.com/repos/{REPO}/pulls/{number}",
                "html_url": f"https://github.com/{REPO}/pull/{number}",
                "number": number,
                "state": "open",
                "title": "New episodes",
                "user": {"login": "mallory" if fork else "alice", "type": "User"},
                "draft": False,
                "merged": False,
                "head": {
                    "label": f"{head_repo.split('/')[0]}:{branch}",
                    "ref": branch,
                    "sha": head_sha,
                    "repo": {"full_name": head_repo, "fork": fork},
                },
                "base": {
                    "label": "acme:main",
                    "ref": "main",
                    "sha": base_sha,
                    "repo": {"full_name": REPO, "fork": False},
                },
            },
            "repository": _repository(),
            "sender": {"login": "alice", "type": "User"},
        }

    def push_event(
        self,
        before: str,
        after: str,
        *,
        ref: str = "refs/heads/main",
        forced: bool = False,
    ) -> dict[str, Any]:
        """A push webhook payload; a new branch or tag has `before` all zeros (`created`)."""
        return {
            "ref": ref,
            "before": before,
            "after": after,
            "base_ref": None,
            "created": set(before) == {"0"},
            "deleted": False,
            "forced": forced,
            "head_commit": {"id": after, "message": "Merge pull request"},
            "pusher": {"name": "alice", "email": "alice@example.com"},
            "repository": _repository(),
            "sender": {"login": "alice", "type": "User"},
        }

    def step(
        self,
        command: str,
        event: dict[str, Any],
        *options: str,
        env: Mapping[str, str | None] | None = None,
    ) -> Run:
        """`podsync action COMMAND` as the composite action runs it in a job on `event`."""
        self.runs += 1
        step_dir = self.root / f"runner-{self.runs}"
        step_dir.mkdir()
        event_path = step_dir / "event.json"
        event_path.write_text(json.dumps(event, indent=2))
        output, summary, temp = step_dir / "output", step_dir / "summary.md", step_dir / "tmp"
        output.touch()
        summary.touch()
        temp.mkdir()
        self.files += [output, summary]
        pull = "pull_request" in event
        number = event.get("number")
        runner_env: dict[str, str | None] = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request" if pull else "push",
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_SHA": event["pull_request"]["head"]["sha"] if pull else event.get("after", ""),
            "GITHUB_REF": f"refs/pull/{number}/merge" if pull else event["ref"],
            "GITHUB_TOKEN": GH_TOKEN,
            "GITHUB_API_URL": self.github.url,
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(temp),
            "PODSYNC_WORKING_DIRECTORY": PROJECT_DIR,
            "PODSYNC_COMMENT": "auto",
            "PODSYNC_ALLOW_DESTROY": "false",
            "PODSYNC_COMMIT_LOCK": "true",
            "PODSYNC_PREVIEW": "false",
            "PODSYNC_VERIFY": "false",  # tests/test_github_verify.py runs the default (true)
            "PODSYNC_REQUIRE_REVIEW": "true",
        }
        result = self.cli(
            "action", command, "--poll-interval=0.05", *options, env={**runner_env, **(env or {})}
        )
        if pull:  # the job's checkout is thrown away: what it wrote (a previewed lock) is gone
            git(self.work, "reset", "--quiet", "--hard")
        return Run(result, parse_outputs(output.read_text()), summary.read_text())

    def push_ref(self, commit: str, ref: str, *, force: bool = False) -> str:
        """Someone pushes `commit` to `ref` on origin (a branch or a tag, a forced reset of
        main); the workspace is then that job's checkout of it. Returns what `ref` was before
        (all zeros when it is new), for the push payload."""
        before = git(self.origin, "for-each-ref", "--format=%(objectname)", ref) or "0" * 40
        git(
            self.work,
            "push",
            "--quiet",
            *(["--force"] if force else []),
            "origin",
            f"{commit}:{ref}",
        )
        git(self.work, "reset", "--quiet", "--hard")
        git(self.work, "checkout", "--quiet", "--detach", commit)
        return before

    def origin_log(self, ref: str = "main") -> list[dict[str, str]]:
        """Commits on origin's `ref`, newest first: sha, author, committer, subject, files."""
        out = git(
            self.origin,
            "log",
            "--format=%x00%H%x01%an <%ae>%x01%cn <%ce>%x01%s",
            "--name-only",
            ref,
        )
        commits = []
        for chunk in out.split("\x00")[1:]:
            head, _, files = chunk.partition("\n")
            sha, author, committer, subject = head.split("\x01")
            commits.append(
                {
                    "sha": sha,
                    "author": author,
                    "committer": committer,
                    "subject": subject,
                    "files": " ".join(f for f in files.split("\n") if f),
                }
            )
        return commits

    def origin_file(self, path: str, ref: str = "main") -> str:
        return git(self.origin, "show", f"{ref}:{path}")


def parse_outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it; every line must belong to a `name<<DELIM` block."""
    found = {m.group(1): m.group(3) for m in _OUTPUT.finditer(text)}
    assert _OUTPUT.sub("", text) == "", f"unparsed output lines: {text!r}"
    return found


def _repository() -> dict[str, Any]:
    return {
        "id": 123456,
        "name": "podcasts",
        "full_name": REPO,
        "private": False,
        "owner": {"login": "acme", "type": "Organization"},
        "html_url": f"https://github.com/{REPO}",
        "default_branch": "main",
    }
