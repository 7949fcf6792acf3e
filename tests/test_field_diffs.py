"""Field-level diffs (issue 11, point 5): every changed field as before -> after, in text,
JSON and Markdown, against a real emulator and a git base; golden files hold the three."""

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

from podsync.plan import FieldChange
from podsync.render.field_lines import field_line, word_diff
from tests.conftest import EXAMPLES, Cli
from tests.helpers import SHOW, episode
from tests.test_render import validate

GOLDEN = Path(__file__).parent / "golden"
LONG = (
    "A weekly podcast about growing food at home, from Greenleaf Gardens: soil, seeds, "
    "compost and the small habits that make a kitchen garden work through every season."
)
LONGER = LONG.replace("every season.", "every season, in sun and in rain.")


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


def manifest(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((project / SHOW).read_text())
    return data


def save(project: Path, data: dict[str, Any]) -> None:
    (project / SHOW).write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture
def applied(cli: Cli, tmp_path: Path) -> Path:
    return apply_example(cli, tmp_path)


def apply_example(cli: Cli, tmp_path: Path) -> Path:
    """The example project with a long show description and ai-health's script unpinned,
    applied and committed (lock too)."""
    project = tmp_path / "repo"
    shutil.copytree(EXAMPLES, project, ignore=shutil.ignore_patterns(".podsync", "podsync.lock"))
    data = manifest(project)
    data["description"] = LONG
    del episode(data, "ai-health")["source"]["script"]  # a topic made into audio at apply
    save(project, data)
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    git(project, "init", "-q", "-b", "main")
    git(project, "add", ".")
    git(project, "commit", "-qm", "applied")
    return project


def edit_every_field(project: Path) -> None:
    data = manifest(project)
    data["description"] = LONGER
    ai = episode(data, "ai-health")
    ai["title"] = "Episode 1 - AI in Hospitals"
    ai["source"] = {"topic": "The future of AI in hospitals and clinics", "duration_minutes": 8}
    handmade = episode(data, "handmade")
    handmade["source"]["style_prompt"] = "Calm and precise"
    handmade["source"]["dialogue"][1][1] = "Today we show you how this show is made."
    save(project, data)
    policy = project / "docs" / "privacy.md"
    policy.write_text(policy.read_text() + "- We delete inactive accounts after two years.\n")


def normalise(text: str, project: Path) -> str:
    """Placeholders for what changes from run to run: the show id the emulator hands out,
    and the plan's checksum, which covers it (episode ids and digests are the same each run)."""
    show_id = json.loads((project / "podsync.lock").read_text())["shows"]["tech-weekly"]["show_id"]
    text = text.replace(show_id, "<show-id>")
    return re.sub(r"`sha256:[0-9a-f]{64}`", "`<checksum>`", text)


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PODSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(text, "utf-8")
    assert text == path.read_text("utf-8")


def test_word_diff_shows_the_change_of_a_long_string_not_a_prefix() -> None:
    old, new = word_diff(LONG, LONGER)
    assert old != new
    assert old == "... garden work through every season."
    assert new == "... garden work through every season, in sun and in rain."
    short = field_line(FieldChange("title", "Old", "New"))
    assert short == 'title: "Old" -> "New"'


def test_text_json_and_markdown_show_every_changed_field(cli: Cli, applied: Path) -> None:
    edit_every_field(applied)
    text = cli("plan", str(applied), "--base-ref", "HEAD")
    assert text.exit_code == 0 and text.stderr == "", text.output
    golden("field-diff.txt", normalise(text.stdout, applied))
    assert 'description: "... garden work through every season."' in text.stdout
    assert 'source.topic: "The future of AI in healthcare" -> ' in text.stdout

    machine = cli("plan", str(applied), "--format", "json", "--base-ref", "HEAD")
    document = json.loads(machine.stdout)
    validate(document)
    fields = {
        "/".join(filter(None, (c["show"], c.get("episode")))): c["fields"]
        for c in document["changes"]
        if c["type"] != "audio"
    }
    golden("field-diff.json", json.dumps(fields, indent=2) + "\n")
    ai = {f["path"]: (f["before"], f["after"]) for f in fields["tech-weekly/ai-health"]}
    assert ai["source.duration_minutes"] == (5, 8)
    handmade = fields["tech-weekly/handmade"]
    style = ("Conversational, upbeat, informative", "Calm and precise")
    assert [(f["before"], f["after"]) for f in handmade if f["path"] == "source.style_prompt"] == [
        style
    ]
    assert handmade[-1]["path"] == "source.dialogue[1][1]"

    without_base = cli("plan", str(applied), "--format", "json")
    assert json.loads(without_base.stdout)["checksum"] == document["checksum"]

    markdown = cli("plan", str(applied), "--format", "markdown", "--base-ref", "HEAD")
    golden("field-diff.md", normalise(markdown.stdout, applied))
    assert "| `ai-health` | `source.duration_minutes` | 5 | 8 |" in markdown.stdout
