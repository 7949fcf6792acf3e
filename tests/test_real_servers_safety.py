"""Safety against the ways things go wrong outside the happy path: a re-publish refused half-way,
money in flight, documents swapped under podsync, the state folder deleted mid-apply, and a
`plan --out` aimed at the wrong file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from podsync.connection import Endpoint
from podsync.executor import PollPolicy
from podsync.lock import read_lock
from podsync.workflow import apply_plan, load_inputs, plan_at
from tests.conftest import TEST_KEY, Cli, Emulator

# --- plan --out overwrites only a saved plan -----------------------------------------------------


def test_plan_out_never_overwrites_the_lock_or_a_manifest_and_other_files_need_force(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    untouchable = {
        project / "podsync.lock": "the lock (podsync.lock)",
        project / "podsync.yaml": "a manifest (podsync.yaml)",
        project / "shows" / "tech-weekly.yaml": "a manifest (shows/tech-weekly.yaml)",
        project / "docs" / "privacy.md": "a document (docs/privacy.md)",
    }
    requests = emulator.stats()["requests"]
    for target, what in untouchable.items():
        before = target.read_bytes()
        for force in ((), ("--force",)):
            result = cli("plan", str(project), "--out", str(target), *force)
            assert result.exit_code == 1
            assert result.stderr == (
                f"Error: {target} is {what}: `plan --out` never overwrites it, even with "
                "--force; save the plan to another file\n"
            )
            assert target.read_bytes() == before
    link = tmp_path / "innocent.plan"
    link.symlink_to(project / "podsync.lock")  # the lock under another name is still the lock
    assert cli("plan", str(project), "--out", str(link), "--force").exit_code == 1
    assert emulator.stats()["requests"] == requests  # refused before anything was sent

    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    refused = cli("plan", str(project), "--out", str(notes))
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: {notes} exists and is not a saved podsync plan: `plan --out` replaces only a "
        "saved plan; choose another file, or pass --force to replace it\n"
    )
    assert notes.read_text() == "my notes\n"
    assert cli("plan", str(project), "--out", str(notes), "--force").exit_code == 0
    assert '"format": "podsync-saved-plan"' in notes.read_text()
    assert cli("plan", str(project), "--out", str(notes)).exit_code == 0  # a plan: replaced


# --- what is uploaded is what was checked ---------------------------------------------------------


@pytest.mark.parametrize("swap", ["symlink out of the project", "edited in place"])
def test_a_document_swapped_after_the_plan_is_not_uploaded(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path, swap: str
) -> None:
    endpoint = Endpoint(emulator.url, TEST_KEY)
    inputs = load_inputs(project)
    planned = asyncio.run(plan_at(endpoint, inputs))  # the document was checked and hashed
    document = project / "docs" / "privacy.md"
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    document.unlink()
    if swap == "edited in place":
        document.write_text("# Privacy\nSomething nobody reviewed.\n")
    else:
        document.symlink_to(secret)

    applied = apply_plan(endpoint, planned, poll=PollPolicy(first=0.05))

    failed = dict(applied.outcome.failed)
    reason = failed["episode tech-weekly/privacy"]
    assert reason.startswith("document docs/privacy.md ")
    assert reason.endswith("; plan again; nothing was uploaded or paid for")
    changed = "changed since it was checked" if swap == "edited in place" else ""
    assert (changed or "is now a symlink since it was checked") in reason
    assert emulator.stats()["audios"] == 3  # the three other episodes; nothing for privacy
    lock = read_lock(project / "podsync.lock")
    privacy = next(e for e in inputs.desired.shows[0].episodes if e.key == "privacy")
    assert privacy.source.digest not in lock.audio  # no audio cached under the checked digest
    assert lock.unconfirmed == {}  # nothing was sent, so nothing may be billed
