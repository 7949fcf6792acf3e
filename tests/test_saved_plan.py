"""plan --out FILE, then apply FILE: exactly the reviewed plan, or a refusal when it went stale."""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import jsonschema
import pytest

from podsync.schema import SCHEMA_DIR
from tests.conftest import TEST_KEY, Cli, Emulator, StartEmulator
from tests.helpers import edit, episode, run_podsync


def save(cli: Cli, project: Path, tmp_path: Path) -> Path:
    out = tmp_path / "reviewed.plan"
    result = cli("plan", str(project), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"podsync apply {out}" in result.output
    return out


def test_apply_of_a_saved_plan_does_exactly_that_plan(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path
) -> None:
    out = save(cli, project, tmp_path)
    saved = json.loads(out.read_text())
    reviewed = json.loads(cli("plan", str(project), "--format", "json").output)
    assert saved["plan"] == reviewed
    assert saved["checksum"] == reviewed["checksum"]
    jsonschema.validate(reviewed, json.loads((SCHEMA_DIR / "plan.schema.json").read_text()))
    assert emulator.account() == {"audios": 0, "shows": 0, "episodes": 0}

    applied = cli("apply", str(out))  # no --auto-approve: a saved plan was approved when saved
    assert applied.exit_code == 0, applied.output
    assert emulator.account() == {"audios": 4, "shows": 1, "episodes": 4}
    assert "No changes" in cli("plan", str(project)).output
    assert TEST_KEY not in out.read_text()


def test_a_plan_applies_once_then_it_is_stale(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path
) -> None:
    out = save(cli, project, tmp_path)
    assert cli("apply", str(out)).exit_code == 0
    again = cli("apply", str(out))
    assert again.exit_code == 1
    assert "the saved plan is stale" in again.output
    assert "podsync.lock changed" in again.output
    assert "- no longer: add episode tech-weekly/ai-health (new)" in again.output
    assert emulator.account() == {"audios": 4, "shows": 1, "episodes": 4}


def test_an_edited_manifest_makes_the_plan_stale(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path
) -> None:
    out = save(cli, project, tmp_path)
    edit(project, lambda d: episode(d, "ai-health").update(title="Renamed after review"))
    refused = cli("apply", str(out))
    assert refused.exit_code == 1
    assert "the manifests changed" in refused.output
    assert "lock changed" not in refused.output and "account changed" not in refused.output
    assert emulator.account() == {"audios": 0, "shows": 0, "episodes": 0}


def test_a_hand_edit_of_the_account_makes_the_plan_stale(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    edit(project, lambda d: d["episodes"].pop())
    out = save(cli, project, tmp_path)
    with emulator.api() as api:
        show_id = api.get("/podcasts").json()["data"][0]["show_id"]
        first = api.get(f"/podcasts/{show_id}/episodes").json()["data"][0]
        assert api.delete(f"/podcasts/{show_id}/episodes/{first['id']}").is_success
    before = emulator.account()
    refused = cli("apply", str(out))
    assert refused.exit_code == 1
    assert "the live ZenMic account changed" in refused.output
    assert "+ now also: add episode tech-weekly/" in refused.output
    assert emulator.account() == before


def test_a_saved_plan_still_applies_from_another_checkout(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path
) -> None:
    out = save(cli, project, tmp_path)
    elsewhere = tmp_path / "ci-checkout"
    shutil.copytree(project, elsewhere)
    applied = cli("apply", str(out), "--project", str(elsewhere))
    assert applied.exit_code == 0, applied.output
    assert (elsewhere / "podsync.lock").exists() and not (project / "podsync.lock").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not a saved podsync plan (not JSON)"),
        ('{"format_version": 1}', "is not a saved podsync plan"),
        ('{"format": "podsync-saved-plan", "version": 99}', "format version 99"),
        ('{"format": "podsync-saved-plan", "version": 2}', "is a damaged saved plan"),
    ],
)
def test_a_file_that_is_not_a_saved_plan_is_a_clear_error(
    cli: Cli, emulator: Emulator, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    result = cli("apply", str(path))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert emulator.stats()["requests"] == 0


def test_a_plan_saved_before_the_checksum_covered_guards_is_from_another_version(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path
) -> None:
    """A plan saved by podsync before the checksum covered guards and settings (version 1, no
    `settings` in its plan): today "a damaged saved plan", as if someone had broken it."""
    out = save(cli, project, tmp_path)
    old = json.loads(out.read_text())
    del old["plan"]["settings"]
    out.write_text(json.dumps({**old, "version": 1, "podsync_version": "0.4.0"}))
    requests = emulator.stats()["requests"]
    result = cli("apply", str(out))
    assert result.exit_code == 1
    assert f"{out} was made by another podsync version (0.4.0, saved plan format version 1)" in (
        result.output
    )
    assert "make the plan again with `podsync plan --out`" in result.output
    assert "damaged" not in result.output and "Traceback" not in result.output
    assert emulator.stats()["requests"] == requests


def test_project_option_needs_a_plan_file(cli: Cli, project: Path) -> None:
    result = cli("apply", str(project), "--project", str(project))
    assert result.exit_code == 1
    assert "--project goes with a saved plan file" in result.output


def test_a_job_finishing_between_plan_and_apply_does_not_make_the_plan_stale(
    project: Path, tmp_path: Path, start_emulator: StartEmulator
) -> None:
    with start_emulator("slow", job_seconds=1.5) as emulator:
        env = {
            "ZENMIC_API_URL": emulator.url,
            "ZENMIC_API_KEY": TEST_KEY,
            "PODSYNC_FAILPOINTS": "audio-recorded=4",
        }
        command = ("apply", str(project), "--auto-approve")
        killed = run_podsync(*command, env=env, timeout=60)
        assert killed.returncode == -signal.SIGKILL
        cli = Cli(emulator)
        out = save(cli, project, tmp_path)
        assert {
            c["action"]
            for c in json.loads(out.read_text())["plan"]["changes"]
            if c["type"] == "audio"
        } == {"resume"}
        time.sleep(2.0)  # every job has finished: the plan would now say reuse
        applied = cli("apply", str(out))
        assert applied.exit_code == 0, applied.output
        assert emulator.account() == {"audios": 4, "shows": 1, "episodes": 4}


def test_an_edited_plan_file_is_refused(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path
) -> None:
    out = save(cli, project, tmp_path)
    document = json.loads(out.read_text())
    document["plan"]["changes"] = [
        c for c in document["plan"]["changes"] if c.get("episode") != "roadmap"
    ]
    out.write_text(json.dumps(document))
    requests = emulator.stats()["requests"]
    refused = cli("apply", str(out))
    assert refused.exit_code == 1
    assert "was edited or damaged: its changes do not match its checksum" in refused.output
    assert emulator.stats()["requests"] == requests


def test_a_plan_made_with_a_relative_path_applies_from_anywhere(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.parent)
    out = project.parent / "reviewed.plan"
    assert cli("plan", project.name, "--out", str(out)).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    applied = cli("apply", str(out))
    assert applied.exit_code == 0, applied.output
    assert (project / "podsync.lock").exists()
