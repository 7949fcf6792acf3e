"""Pinned scripts over real HTTP: `podsync script` writes the words of topic and document
episodes with POST /scripts and pins them; apply pays for audio from the pinned dialogue, once
per edit; a stale pin is refused until it is written again or accepted.

The example project pins ai-health's script (scripts/tech-weekly/ai-health.yaml)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from podsync.lock import read_lock
from tests.conftest import EXAMPLES, Cli, Emulator, StartEmulator
from tests.helpers import SHOW, edit, episode

GOLDEN = Path(__file__).resolve().parent / "golden"
SCRIPT = "scripts/tech-weekly/ai-health.yaml"
LAST_LINE = "That's all for today. Thanks for listening."
EDITED_LINE = "That's all for today. Thanks for listening, and see you next week!"


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
        + ["-c", "commit.gpgsign=false", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The example project committed in a git repository, for plans with --base-ref HEAD."""
    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns(".podsync", "podsync.lock")
    shutil.copytree(EXAMPLES, root, ignore=ignore)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    return root


def edit_line(project: Path, old: str, new: str) -> None:
    path = project / SCRIPT
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def plan_json(cli: Cli, project: Path) -> dict[str, Any]:
    result = cli("plan", str(project), "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def spoken(emulator: Emulator, mic_id: str) -> list[list[str]]:
    """The lines the emulator's audio job was made from (it keeps each job's script)."""
    path = emulator.server.store.state_dir / "audio" / f"{mic_id}.json"
    lines: list[list[str]] = json.loads(path.read_text())["lines"]
    return lines


# --- podsync script --------------------------------------------------------------------------

COMMENTED = """\
# yaml-language-server: $schema=../../schemas/manifest.schema.json
show: garden   # the key
title: "Acme Garden"
description: 'Single-quoted: kept as it is'
episodes:
  # the first one
  - key: soil
    title: "Soil, explained"     # a comment after a quoted title
    source:
      # what it is about
      duration_minutes: 3        # order: length first
      topic: "Healthy soil"      # quoted topic
    description: Last, not first.

  - key: notes
    title: Notes
    source:
      document: ../docs/privacy.md
      topic: >-
        Focus on what
        we keep
# the end
"""


def test_script_pins_topic_and_document_episodes_adding_one_line_each_to_the_manifest(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    manifest = project / "shows" / "garden.yaml"
    manifest.write_text(COMMENTED, encoding="utf-8")
    result = cli("script", str(project), "garden")
    assert result.exit_code == 0, result.output
    assert "wrote scripts/garden/soil.yaml (8 lines) for garden/soil and pinned it in" in (
        result.stdout
    )
    assert "wrote scripts/garden/notes.yaml (12 lines) for garden/notes" in result.stdout
    assert "2 script requests (POST /scripts) sent; no audio was generated" in result.stdout
    assert emulator.stats()["scripts"] == 2 and emulator.account()["audios"] == 0
    lines = COMMENTED.splitlines(keepends=True)
    lines.insert(10, "      script: ../scripts/garden/soil.yaml\n")
    lines.insert(18, "      script: ../scripts/garden/notes.yaml\n")
    assert manifest.read_text(encoding="utf-8") == "".join(lines), "nothing else changed"

    pinned = yaml.safe_load((project / "scripts/garden/soil.yaml").read_text())
    assert pinned["title"] == "Soil, explained" and pinned["style_prompt"]
    assert pinned["generated_from"] == {
        "source": "topic",
        "topic": "Healthy soil",
        "document": None,
        "duration_minutes": 3,
        "digest": pinned["generated_from"]["digest"],
    }
    assert {speaker for speaker, _ in pinned["dialogue"]} == {"male", "female"}
    notes = yaml.safe_load((project / "scripts/garden/notes.yaml").read_text())
    document = notes["generated_from"]["document"]
    assert document["path"] == "../docs/privacy.md" and len(document["sha256"]) == 64

    again = cli("script", str(project))
    assert again.exit_code == 0, again.output
    assert "kept scripts/garden/soil.yaml for garden/soil: it is fresh" in again.stdout
    assert "wrote scripts/tech-weekly/privacy.yaml" in again.stdout  # it was not pinned yet
    assert "1 script request (POST" in again.stdout, "fresh pins are not asked for again"
    forced = cli("script", str(project), "--force", "garden/soil")
    assert forced.exit_code == 0, forced.output
    assert "wrote scripts/garden/soil.yaml again (8 lines)" in forced.stdout
    assert emulator.stats()["scripts"] == 4 and emulator.account()["audios"] == 0


def test_script_names_what_it_cannot_do_and_sends_nothing(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    for args, message in (
        (["nope"], "no show 'nope' in the manifests"),
        (["tech-weekly/nope"], "show tech-weekly has no episode 'nope'"),
        (["tech-weekly/handmade"], "has a dialogue source: its words are in the project"),
        (["--accept", "tech-weekly/privacy"], "has no pinned script to accept"),
        (["--accept"], "--accept needs the episodes to accept"),
    ):
        result = cli("script", str(project), *args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    (project / "scripts/tech-weekly/privacy.yaml").write_text("mine\n")
    taken = cli("script", str(project), "tech-weekly/privacy")
    assert taken.exit_code == 1
    assert "scripts/tech-weekly/privacy.yaml exists but no manifest pins it" in taken.output
    assert emulator.stats()["requests"] == 0


def test_a_refused_script_request_names_the_request_and_the_episode(
    start_emulator: StartEmulator, project: Path
) -> None:
    before = (project / SHOW).read_bytes()
    with start_emulator(api_key="another-key") as emulator:
        result = Cli(emulator)("script", str(project), "tech-weekly/privacy")
    assert result.exit_code == 1
    assert "POST /api/v2/scripts -> 401 (for script of episode tech-weekly/privacy)" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert (project / SHOW).read_bytes() == before
    assert not (project / "scripts/tech-weekly/privacy.yaml").exists()


def test_a_manifest_that_cannot_keep_its_layout_is_left_as_it_is(cli: Cli, project: Path) -> None:
    manifest = project / SHOW
    text = manifest.read_text().replace(
        "      document: ../docs/privacy.md\n      topic: Focus on the privacy implications\n",
        "      {document: ../docs/privacy.md, topic: Focus on the privacy implications}\n",
    )
    text = text.replace("    source:\n      {", "    source: {")
    manifest.write_text(text)
    result = cli("script", str(project), "tech-weekly/privacy")
    assert result.exit_code == 1
    assert "add `script: ../scripts/tech-weekly/privacy.yaml` under `source:` of episode " in (
        result.output
    )
    assert manifest.read_text() == text
    assert (project / "scripts/tech-weekly/privacy.yaml").exists()


def test_a_script_entry_and_a_script_file_are_checked_like_a_manifest(
    cli: Cli, project: Path
) -> None:
    edit(project, lambda d: episode(d, "handmade")["source"].update(script=SCRIPT))
    result = cli("validate", str(project))
    assert result.exit_code == 1
    assert re.search(
        r"tech-weekly\.yaml:\d+:\d+: script only applies to a topic or document", (result.output)
    ), result.output
    (project / SHOW).write_text(
        (EXAMPLES / SHOW).read_text().replace(f"../{SCRIPT}", "../../outside.yaml")
    )
    outside = cli("validate", str(project))
    assert outside.exit_code == 1 and "is outside the project directory" in outside.output
    shutil.copy(EXAMPLES / SHOW, project / SHOW)
    edit_line(project, '[female, "I', '[narrator, "I')
    broken = cli("validate", str(project))
    assert broken.exit_code == 1
    assert re.search(r"scripts/tech-weekly/ai-health\.yaml:13:\d+: ", broken.output), broken.output


# --- audio from the pinned dialogue ------------------------------------------------------------


def normalise(text: str, project: Path) -> str:
    """Placeholders for what the account hands out: the show's id, job ids, the checksum."""
    lock = read_lock(project / "podsync.lock")
    text = text.replace(lock.shows["tech-weekly"].show_id, "<show-id>")
    for audio in lock.audio.values():
        text = text.replace(audio.mic_id, "<mic-id>")
    return re.sub(r"sha256:[0-9a-f]{64}", "<checksum>", text)


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PODSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_one_edited_line_of_a_pinned_script_is_one_audio_job_shown_as_a_line_diff(
    cli: Cli, emulator: Emulator, repo: Path
) -> None:
    assert cli("apply", str(repo), "--auto-approve").exit_code == 0
    assert emulator.account()["audios"] == 4
    pinned = yaml.safe_load((repo / SCRIPT).read_text())["dialogue"]
    mic_id = read_lock(repo / "podsync.lock").shows["tech-weekly"].episodes["ai-health"].mic_id
    assert spoken(emulator, mic_id) == pinned, "the audio speaks the pinned words"
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "applied")

    edit_line(repo, LAST_LINE, EDITED_LINE)
    text = cli("plan", str(repo), "--base-ref", "HEAD")
    assert text.exit_code == 0 and text.stderr == "", text.output
    assert text.stdout.count("$ generate audio") == 1
    assert f"      -female: {LAST_LINE}\n      +female: {EDITED_LINE}\n" in text.stdout
    golden("script-diff.txt", normalise(text.stdout, repo))
    markdown = cli("plan", str(repo), "--format", "markdown", "--base-ref", "HEAD")
    assert markdown.exit_code == 0, markdown.output
    assert f"-female: {LAST_LINE}\n+female: {EDITED_LINE}\n" in markdown.stdout
    golden("script-diff.md", normalise(markdown.stdout, repo))

    assert cli("apply", str(repo), "--auto-approve").exit_code == 0
    assert emulator.account()["audios"] == 5, "exactly one new audio job"
    mic_id = read_lock(repo / "podsync.lock").shows["tech-weekly"].episodes["ai-health"].mic_id
    assert spoken(emulator, mic_id)[-1] == ["female", EDITED_LINE]
    assert "No changes." in cli("plan", str(repo)).stdout
    assert emulator.stats()["scripts"] == 0, "apply never asks for a script"


def test_a_stale_pin_is_never_paid_for_without_being_told(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    edit(project, lambda d: episode(d, "ai-health")["source"].update(duration_minutes=6))
    edit_line(project, LAST_LINE, EDITED_LINE)
    plan = cli("plan", str(project))
    assert plan.exit_code == 0
    assert (
        f"episode 'tech-weekly/ai-health' pins a stale script ({SCRIPT}): the length changed "
        "since it was written, so apply refuses to pay for audio from it"
    ) in plan.stdout
    guards = plan_json(cli, project)["guards"]
    assert [(g["code"], g["episode"], g["params"]["changed"], g["flag"]) for g in guards] == [
        ("stale_script", "ai-health", ["duration_minutes"], None)
    ]
    for args in (["--auto-approve"], ["--preview", "--auto-approve"]):
        refused = cli("apply", str(project), *args)
        assert refused.exit_code == 1, refused.output
        assert "podsync script --accept tech-weekly/ai-health" in refused.output
    assert emulator.account()["audios"] == 4, "nothing paid for"

    accepted = cli("script", str(project), "--accept", "tech-weekly/ai-health")
    assert accepted.exit_code == 0, accepted.output
    assert f"accepted {SCRIPT} as it is for tech-weekly/ai-health (the length" in accepted.stdout
    assert emulator.stats()["scripts"] == 0, "accepting asks for nothing"
    kept = yaml.safe_load((project / SCRIPT).read_text())
    assert kept["generated_from"]["duration_minutes"] == 6
    assert kept["dialogue"][-1] == ["female", EDITED_LINE], "the edit is kept"
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.account()["audios"] == 5

    edit(project, lambda d: episode(d, "ai-health")["source"].update(topic="AI in hospitals"))
    assert plan_json(cli, project)["guards"][0]["params"]["changed"] == ["topic"]
    rewritten = cli("script", str(project), "tech-weekly/ai-health")
    assert rewritten.exit_code == 0, rewritten.output
    assert f"wrote {SCRIPT} again (14 lines) for tech-weekly/ai-health: the topic" in (
        rewritten.stdout
    )
    assert "AI in hospitals" in (project / SCRIPT).read_text()
    assert plan_json(cli, project)["guards"] == []


def test_deleting_the_script_entry_returns_the_episode_to_generate_at_apply(
    cli: Cli, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    text = (project / SHOW).read_text()
    (project / SHOW).write_text(text.replace(f"      script: ../{SCRIPT}\n", ""))
    jobs = plan_json(cli, project)["changes"]
    generated = [c for c in jobs if c["type"] == "audio" and c["action"] == "generate"]
    assert [(c["episode"], c["source"]["kind"]) for c in generated] == [("ai-health", "topic")]
