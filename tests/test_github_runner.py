"""The runner's environment: event payloads, step outputs, job summary, annotations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podsync.errors import ManifestError, PodsyncError, Problem
from podsync.github.runner import Runner, error_annotations, workflow_command
from tests.runner_sim import parse_outputs


def runner(tmp_path: Path, event: dict[str, object], name: str = "pull_request") -> Runner:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return Runner.from_env(
        {
            "GITHUB_EVENT_NAME": name,
            "GITHUB_EVENT_PATH": str(path),
            "GITHUB_REPOSITORY": "acme/podcasts",
            "GITHUB_SHA": "f" * 40,
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_OUTPUT": str(tmp_path / "output"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
            "RUNNER_TEMP": str(tmp_path / "tmp"),
            "GITHUB_TOKEN": "ghs_secret_token",
        }
    )


def pull_request(fork: bool) -> dict[str, object]:
    head_repo = "mallory/podcasts" if fork else "acme/podcasts"
    return {
        "action": "opened",
        "number": 12,
        "pull_request": {
            "number": 12,
            "head": {"ref": "ep5", "sha": "a" * 40, "repo": {"full_name": head_repo}},
            "base": {"ref": "main", "sha": "b" * 40, "repo": {"full_name": "acme/podcasts"}},
        },
        "repository": {"full_name": "acme/podcasts", "default_branch": "main"},
    }


def test_a_pull_request_event_is_read_from_the_payload(tmp_path: Path) -> None:
    ours = runner(tmp_path, pull_request(fork=False)).pull_request
    assert ours is not None
    assert (ours.number, ours.head_sha, ours.base_sha, ours.from_fork) == (
        12,
        "a" * 40,
        "b" * 40,
        False,
    )
    fork = runner(tmp_path, pull_request(fork=True)).pull_request
    assert fork is not None and fork.from_fork
    push = runner(tmp_path, {"ref": "refs/heads/main"}, name="push")
    assert push.pull_request is None and push.branch == "main"
    assert "ghs_secret_token" not in repr(push)


def test_outside_a_job_the_error_says_so() -> None:
    with pytest.raises(PodsyncError, match="GITHUB_EVENT_PATH is not set"):
        Runner.from_env({})


def test_outputs_are_multi_line_safe_and_appended(tmp_path: Path) -> None:
    run = runner(tmp_path, pull_request(fork=False))
    run.set_outputs({"plan-checksum": "sha256:abc", "note": "two\nlines"})
    run.set_outputs({"evil": "ghadelimiter_\nx<<EOF\nEOF"})
    assert parse_outputs((tmp_path / "output").read_text()) == {
        "plan-checksum": "sha256:abc",
        "note": "two\nlines",
        "evil": "ghadelimiter_\nx<<EOF\nEOF",
    }
    run.add_summary("## one")
    run.add_summary("## two\n")
    assert (tmp_path / "summary").read_text() == "## one\n## two\n"


def test_annotations_stay_one_line_and_point_at_the_manifest() -> None:
    assert workflow_command("warning", "50% done\nrest") == "::warning::50%25 done%0Arest"
    problems = [Problem("shows/a.yaml", 3, 5, "unknown key 'titel'")]
    assert error_annotations(ManifestError(problems)) == [
        "::error file=shows/a.yaml,line=3,col=5::unknown key 'titel'"
    ]
