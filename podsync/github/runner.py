"""The GitHub Actions runner as the action sees it: the event that started the job, the
repository, and the files a step reports through (outputs, job summary).

Read once from the environment into a frozen value, so the orchestration takes it as a
parameter and tests build one from a plain dict.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podsync.errors import ConfigError, ManifestError, PodsyncError, SetupError
from podsync.github.api import DEFAULT_API_URL
from podsync.github.git_auth import DEFAULT_SERVER_URL
from podsync.github.log_safety import Annotation

PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
ALLOW_PULL_REQUEST_TARGET = "PODSYNC_ALLOW_PULL_REQUEST_TARGET"
PULL_REQUEST_TARGET_REFUSED = (
    "podsync does not run on pull_request_target events: they run with the base repository's "
    "secrets and a token that can write, so a pull request from a fork would have its own "
    "manifests, templates and documents read (and, with preview, paid for) with your ZenMic "
    "key in reach. Use `on: pull_request`: a fork's pull request then gets a plan made from "
    "podsync.lock alone, without secrets. If this workflow checks out only trusted code, set "
    f"{ALLOW_PULL_REQUEST_TARGET}=true in the step's env to run anyway."
)


@dataclass(frozen=True)
class PullRequestEvent:
    """The parts of a pull_request payload the action needs."""

    number: int
    head_sha: str
    head_repo: str  # owner/name the head branch lives in (differs from the base for a fork)
    base_sha: str
    base_ref: str
    base_repo: str
    head_ref: str = ""  # the branch the pull request comes from (pin-scripts pushes to it)

    @property
    def from_fork(self) -> bool:
        return self.head_repo != self.base_repo


@dataclass(frozen=True)
class Runner:
    event_name: str
    event: dict[str, Any]
    repository: str  # owner/name
    sha: str
    ref: str  # refs/heads/main, refs/pull/7/merge...
    output_path: Path | None
    summary_path: Path | None
    temp_dir: Path
    api_url: str = DEFAULT_API_URL
    token: str = field(default="", repr=False)
    server_url: str = DEFAULT_SERVER_URL  # where git's origin must be for the token to go there

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Runner:
        """The runner described by GITHUB_* variables; outside a job, a clear error."""
        event_path = env.get("GITHUB_EVENT_PATH", "").strip()
        if not event_path:
            raise SetupError(
                "GITHUB_EVENT_PATH is not set: `podsync action` runs inside a GitHub Actions "
                "job (use `podsync plan` and `podsync apply` elsewhere)"
            )
        event_name = env.get("GITHUB_EVENT_NAME", "").strip()
        if event_name == "pull_request_target" and not _is_true(env.get(ALLOW_PULL_REQUEST_TARGET)):
            raise ConfigError(PULL_REQUEST_TARGET_REFUSED)
        event = _read_event(Path(event_path))
        repository = env.get("GITHUB_REPOSITORY", "").strip() or str(
            (event.get("repository") or {}).get("full_name", "")
        )
        if not repository:
            raise SetupError("GITHUB_REPOSITORY is not set and the event names no repository")
        temp = env.get("RUNNER_TEMP", "").strip()
        return cls(
            event_name=event_name,
            event=event,
            repository=repository,
            sha=env.get("GITHUB_SHA", "").strip() or str(event.get("after", "")),
            ref=env.get("GITHUB_REF", "").strip() or str(event.get("ref", "")),
            output_path=_optional_path(env.get("GITHUB_OUTPUT")),
            summary_path=_optional_path(env.get("GITHUB_STEP_SUMMARY")),
            temp_dir=Path(temp) if temp else Path(event_path).parent,
            api_url=env.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL,
            token=env.get("GITHUB_TOKEN", "").strip(),
            server_url=env.get("GITHUB_SERVER_URL", "").strip().rstrip("/") or DEFAULT_SERVER_URL,
        )

    @property
    def pull_request(self) -> PullRequestEvent | None:
        """The pull request of a pull_request(_target) event, else None."""
        if self.event_name not in PULL_REQUEST_EVENTS:
            return None
        pr = self.event.get("pull_request")
        if not isinstance(pr, dict):
            return None
        head, base = pr.get("head") or {}, pr.get("base") or {}
        try:
            number = int(self.event.get("number") or pr["number"])
        except (KeyError, TypeError, ValueError):
            raise SetupError("the pull_request event names no pull request number") from None
        return PullRequestEvent(
            number=number,
            head_sha=str(head.get("sha", "")),
            head_repo=str((head.get("repo") or {}).get("full_name", "")),
            base_sha=str(base.get("sha", "")),
            base_ref=str(base.get("ref", "")),
            base_repo=str((base.get("repo") or {}).get("full_name", "")) or self.repository,
            head_ref=str(head.get("ref", "")),
        )

    @property
    def default_branch(self) -> str:
        return str((self.event.get("repository") or {}).get("default_branch", ""))

    @property
    def branch(self) -> str:
        """The branch a push went to ("" when the ref is not a branch)."""
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else ""

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """Append step outputs to $GITHUB_OUTPUT (nothing without it), multi-line safe: every
        value as `name<<DELIM`, with a random delimiter no value can contain by chance."""
        if self.output_path is None:
            return
        lines = []
        for name, value in outputs.items():
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            while delimiter in value:
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        _append(self.output_path, "".join(lines))

    def add_summary(self, markdown: str) -> None:
        """Append Markdown to the job summary page (nothing without GITHUB_STEP_SUMMARY)."""
        if self.summary_path is not None:
            _append(self.summary_path, markdown if markdown.endswith("\n") else markdown + "\n")


def workflow_command(command: str, message: str, **properties: str | int) -> Annotation:
    """A line the runner turns into an annotation (`warning`, `error`, `notice`), escaped so a
    multi-line message stays one annotation; `properties` such as file= and line= place it.
    Marked as podsync's own, so the action's log prints it as it is (log_safety)."""
    escaped = _escape(message)
    where = ",".join(f"{k}={_escape(str(v), property=True)}" for k, v in properties.items())
    return Annotation(f"::{command} {where}::{escaped}" if where else f"::{command}::{escaped}")


def _escape(text: str, *, property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property else text


def error_annotations(error: PodsyncError) -> list[Annotation]:
    """The error as annotations on the run: one per manifest problem, at its file and line."""
    if isinstance(error, ManifestError):
        return [
            workflow_command("error", p.message, file=p.file, line=p.line, col=p.col)
            for p in error.problems
        ]
    return [workflow_command("error", str(error))]


def _read_event(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SetupError(f"cannot read the event payload {path}: {exc.strerror}") from None
    except ValueError:
        raise SetupError(f"the event payload {path} is not JSON") from None
    if not isinstance(data, dict):
        raise SetupError(f"the event payload {path} is not a JSON object")
    return data


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value and value.strip() else None


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise SetupError(f"cannot write {path}: {exc.strerror}") from None
