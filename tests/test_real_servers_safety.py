"""Safety against the ways things go wrong outside the happy path: a re-publish refused half-way,
money in flight, documents swapped under podsync, the state folder deleted mid-apply, and a
`plan --out` aimed at the wrong file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from podsync.client import ZenMicClient
from podsync.emulator.quirks import Quirks
from podsync.endpoint import Endpoint
from podsync.errors import ApiError
from podsync.executor import PollPolicy
from podsync.lock import read_lock
from podsync.operations import Inputs, Planned, execute, execute_plan, load_inputs, read_and_plan
from tests.conftest import TEST_KEY, Cli, Emulator, StartEmulator
from tests.helpers import edit, episode

LONG_TITLE = "Episode 1 - AI in Medicine, and what it means for every one of us"


@pytest.fixture
def strict_emulator(start_emulator: StartEmulator) -> Iterator[Emulator]:
    """A server that refuses titles longer than 40 characters (legal: the API page sets no
    limit, so a real server may set any)."""
    quirks = Quirks(max_title_chars=40)
    with start_emulator("strict-state", quirks=quirks) as server:
        yield server


def live_episodes(emulator: Emulator) -> list[dict[str, str]]:
    with emulator.api() as api:
        shows = api.get("/podcasts").json()["data"]
        assert len(shows) == 1
        return list(api.get(f"/podcasts/{shows[0]['show_id']}/episodes").json()["data"])


# --- a re-publish never leaves an episode off the feed -------------------------------------------


def test_a_republish_whose_add_is_refused_leaves_the_old_version_live_and_says_so(
    strict_emulator: Emulator, project: Path
) -> None:
    cli = Cli(strict_emulator)
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    before = live_episodes(strict_emulator)
    edit(project, lambda d: episode(d, "ai-health").update(title=LONG_TITLE))

    refused = cli("apply", str(project), "--auto-approve")
    assert refused.exit_code == 1
    assert "Apply finished: 0 done, 1 failed, 0 not started." in refused.stdout
    show_id = read_lock(project / "podsync.lock").shows["tech-weekly"].show_id
    assert (
        "  failed       episode tech-weekly/ai-health: POST /api/v2/podcasts/"
        f"{show_id}/episodes -> 400 (for episode tech-weekly/ai-health): title is longer than "
        "40 characters; the live episode stays on the feed as it was\n"
    ) in refused.stderr
    assert live_episodes(strict_emulator) == before  # the old version is live, untouched

    plan = json.loads(cli("plan", str(project), "--format", "json").stdout)
    changes = [c for c in plan["changes"] if c["type"] == "episode"]
    assert [(c["action"], c["episode"], c["reason"]) for c in changes] == [
        ("replace", "ai-health", "title_changed")
    ]
    assert "outside podsync" not in cli("plan", str(project)).output

    edit(project, lambda d: episode(d, "ai-health").update(title="Episode 1 - AI, revisited"))
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    titles = sorted(e["title"] for e in live_episodes(strict_emulator))
    assert len(titles) == 4 and "Episode 1 - AI, revisited" in titles
    assert strict_emulator.stats()["audios"] == 4  # the re-publish reused the audio
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0


class RemoveFails(ZenMicClient):
    """A client whose episode removals fail, as in an outage in the middle of a re-publish."""

    async def remove_episode(self, show_id: str, episode_id: str) -> None:
        path = f"/podcasts/{show_id}/episodes/{episode_id}"
        raise ApiError("DELETE", path, 503, "down for maintenance")


def test_a_republish_whose_removal_fails_keeps_both_and_the_next_plan_names_podsync(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    old = next(e for e in live_episodes(emulator) if e["title"] == "Episode 1 - AI in Medicine")
    edit(project, lambda d: episode(d, "ai-health").update(title="Episode 1 - AI, revisited"))

    async def apply_removing_nothing() -> list[tuple[str, str]]:
        async with RemoveFails(emulator.url, TEST_KEY) as client:
            planned = await read_and_plan(load_inputs(project), client)
            outcome = await execute(planned, client, poll=PollPolicy(first=0.01))
        assert outcome.done == ["replace episode tech-weekly/ai-health"]
        return outcome.failed

    failed = asyncio.run(apply_removing_nothing())
    show_id = read_lock(project / "podsync.lock").shows["tech-weekly"].show_id
    label = f"old version of episode tech-weekly/ai-health ({old['id']})"
    assert failed == [
        (
            label,
            f"DELETE /podcasts/{show_id}/episodes/{old['id']} -> 503 (for {label}): down for "
            "maintenance; the new version is live and recorded, and the old one stays live "
            "beside it until the next apply removes it",
        )
    ]
    titles = sorted(e["title"] for e in live_episodes(emulator))
    assert titles.count("Episode 1 - AI in Medicine") == titles.count("Episode 1 - AI, revisited")
    lock = read_lock(project / "podsync.lock")
    assert lock.shows["tech-weekly"].retired == {str(old["id"]): "ai-health"}

    plan = cli("plan", str(project))
    assert "outside podsync" not in plan.output
    document = json.loads(cli("plan", str(project), "--format", "json").stdout)
    changes = [c for c in document["changes"] if c["type"] == "episode"]
    assert [(c["action"], c["episode"], c["reason"]) for c in changes] == [
        ("remove", "ai-health", "republished_old_version")
    ]
    # protecting the episode protects its new version; the old one still goes
    edit(project, lambda d: episode(d, "ai-health").update(protect=True))
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert len(live_episodes(emulator)) == 4
    assert read_lock(project / "podsync.lock").shows["tech-weekly"].retired == {}
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0


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


def test_plan_out_does_not_write_the_lock_or_a_show_file_that_does_not_exist_yet(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    """Before the first apply there is no podsync.lock: a plan written there would be read
    back as a broken lock, and one written into shows/ as a broken manifest."""
    assert not (project / "podsync.lock").exists()
    targets = {
        project / "podsync.lock": "is the lock (podsync.lock)",
        project / "shows" / ".." / "podsync.lock": "is the lock (podsync.lock)",
        project / "shows" / "new.yml": "would be read as a manifest (shows/new.yml)",
    }
    for target, what in targets.items():
        result = cli("plan", str(project), "--out", str(target), "--force")
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: {target} {what}: `plan --out` never ")
        assert not target.exists()
    assert emulator.stats()["requests"] == 0
    assert cli("validate", str(project)).exit_code == 0


# --- what is uploaded is what was checked ---------------------------------------------------------


async def _read_and_plan_at(endpoint: Endpoint, inputs: Inputs) -> Planned:
    async with ZenMicClient(endpoint.url, endpoint.api_key) as client:
        return await read_and_plan(inputs, client)


@pytest.mark.parametrize("swap", ["symlink out of the project", "edited in place"])
def test_a_document_swapped_after_the_plan_is_not_uploaded(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path, swap: str
) -> None:
    endpoint = Endpoint(emulator.url, TEST_KEY)
    inputs = load_inputs(project)
    planned = asyncio.run(
        _read_and_plan_at(endpoint, inputs)
    )  # the document was checked and hashed
    document = project / "docs" / "privacy.md"
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    document.unlink()
    if swap == "edited in place":
        document.write_text("# Privacy\nSomething nobody reviewed.\n")
    else:
        document.symlink_to(secret)

    applied = execute_plan(endpoint, planned, poll=PollPolicy(first=0.05))

    failed = dict(applied.outcome.failed)
    reason = failed["episode tech-weekly/privacy"]
    assert reason.startswith("document ../docs/privacy.md ")
    assert reason.endswith("; plan again; nothing was uploaded or paid for")
    changed = "changed since it was checked" if swap == "edited in place" else ""
    assert (changed or "is now a symlink since it was checked") in reason
    assert emulator.stats()["audios"] == 3  # the three other episodes; nothing for privacy
    lock = read_lock(project / "podsync.lock")
    privacy = next(e for e in inputs.desired.shows[0].episodes if e.key == "privacy")
    assert privacy.source.digest not in lock.audio  # no audio cached under the checked digest
    assert lock.unconfirmed == {}  # nothing was sent, so nothing may be billed
