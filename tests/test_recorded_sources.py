"""The lock records each published episode's source fields (podsync/applied_source.py), so a
plain `podsync plan`, with no --base-ref, shows `source.topic: "old" -> "new"` rather than two
digests; a lock from before this still plans, with its digest row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podsync.applied_source import dialogue_digest
from tests.conftest import Cli
from tests.helpers import episode
from tests.test_field_diffs import (
    apply_example,
    edit_every_field,
    golden,
    manifest,
    normalise,
    save,
)
from tests.test_render import validate

OLD_TOPIC = "The future of AI in healthcare"
NEW_TOPIC = "What patients can do about AI in healthcare"


@pytest.fixture
def applied(cli: Cli, tmp_path: Path) -> Path:
    return apply_example(cli, tmp_path)


def lock_of(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project / "podsync.lock").read_text())
    return data


def edit_topic(project: Path) -> None:
    data = manifest(project)
    episode(data, "ai-health")["source"]["topic"] = NEW_TOPIC
    save(project, data)


def fields_of(plan: dict[str, Any], key: str) -> list[dict[str, Any]]:
    change = next(c for c in plan["changes"] if c["type"] == "episode" and c["episode"] == key)
    fields: list[dict[str, Any]] = change["fields"]
    return fields


def test_a_plain_plan_shows_the_old_and_new_topic_from_the_lock(cli: Cli, applied: Path) -> None:
    recorded = lock_of(applied)["shows"]["tech-weekly"]["episodes"]["ai-health"]["source"]
    assert recorded == {"kind": "topic", "topic": OLD_TOPIC, "duration_minutes": 5}
    edit_topic(applied)

    text = cli("plan", str(applied))
    assert text.exit_code == 0, text.output
    assert f'source.topic: "{OLD_TOPIC}" -> "{NEW_TOPIC}"' in text.stdout
    assert "digest:" not in text.stdout  # a field says more than two digests

    document = json.loads(cli("plan", str(applied), "--format", "json").stdout)
    validate(document)
    topic = {"path": "source.topic", "before": OLD_TOPIC, "after": NEW_TOPIC}
    assert topic in fields_of(document, "ai-health")

    markdown = cli("plan", str(applied), "--format", "markdown").stdout
    assert f'| `ai-health` | `source.topic` | "{OLD_TOPIC}" | "{NEW_TOPIC}" |' in markdown


def test_every_field_without_a_base_comes_from_the_lock(cli: Cli, applied: Path) -> None:
    """The golden files of the plain plan: each source field from the lock; the edited
    dialogue as its digest (the lock holds no words), its lines only with --base-ref."""
    edit_every_field(applied)
    text = cli("plan", str(applied))
    assert text.exit_code == 0 and text.stderr == "", text.output
    golden("field-diff-lock.txt", normalise(text.stdout, applied))
    document = json.loads(cli("plan", str(applied), "--format", "json").stdout)
    fields = {c["episode"]: c["fields"] for c in document["changes"] if c["type"] == "episode"}
    golden("field-diff-lock.json", json.dumps(fields, indent=2) + "\n")
    markdown = cli("plan", str(applied), "--format", "markdown").stdout
    golden("field-diff-lock.md", normalise(markdown, applied))
    privacy = {f["path"]: (f["before"], f["after"]) for f in fields["privacy"]}
    assert privacy["source.document.size"] == (286, 333)
    handmade = {f["path"] for f in fields["handmade"]}
    assert "source.dialogue_digest" in handmade
    assert not any(p.startswith("source.dialogue[") for p in handmade)

    # with a base, the base's fields replace the lock's: the dialogue's lines, not its digest
    with_base = json.loads(
        cli("plan", str(applied), "--format", "json", "--base-ref", "HEAD").stdout
    )
    based = {f["path"] for f in fields_of(with_base, "handmade")}
    assert "source.dialogue[1][1]" in based and "source.dialogue_digest" not in based


def test_an_old_lock_without_sources_still_plans_with_the_digest(cli: Cli, applied: Path) -> None:
    lock = lock_of(applied)
    for show in lock["shows"].values():
        for record in show["episodes"].values():
            del record["source"]
    (applied / "podsync.lock").write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    edit_topic(applied)

    text = cli("plan", str(applied))
    assert text.exit_code == 0, text.output
    assert "ai-health" in text.stdout and "source.topic" not in text.stdout
    assert "digest: sha256:" in text.stdout
    fields = fields_of(
        json.loads(cli("plan", str(applied), "--format", "json").stdout), "ai-health"
    )
    assert [f["path"] for f in fields] == ["digest"]


def test_the_lock_holds_no_dialogue_text(cli: Cli, applied: Path) -> None:
    data = manifest(applied)
    lines = [
        (speaker, words.replace("{{ company }}", "Acme"))  # as the example's template renders
        for speaker, words in episode(data, "handmade")["source"]["dialogue"]
    ]
    text = (applied / "podsync.lock").read_text()
    for _speaker, words in lines:
        assert words not in text
    recorded = lock_of(applied)["shows"]["tech-weekly"]["episodes"]["handmade"]["source"]
    assert recorded["dialogue_lines"] == len(lines)
    assert recorded["dialogue_digest"] == dialogue_digest(lines)
