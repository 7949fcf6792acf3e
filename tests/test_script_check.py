"""script_check and project_check: the fast yes/no checks in front of the jsonschema walk of a
pinned script, a dialogue_file and podsync.yaml must never say yes to a file the schema
refuses, must say yes to valid ones (or every command loads jsonschema), and a refused file is
still explained word for word as jsonschema explains it."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podsync import project_check, script_check
from podsync.cli import main
from podsync.project_check import matches_project_schema
from podsync.schema import SCHEMA_DIR, load_schema, validator
from podsync.script_check import matches_dialogue, matches_script_schema
from podsync.script_pins import _full_script_validator
from podsync.yamlload import load_yaml
from tests.conftest import EXAMPLES
from tests.edits import single_edits

SCRIPT = EXAMPLES / "scripts" / "tech-weekly" / "ai-health.yaml"
ODD = ["", "x", "male", "topic", "sha256:" + "a" * 64, "a" * 64, "e1\n", "Bad Key", "feed_order",
       0, 1, -1, 2, 0.5, 5.0, 5.5, True, None, [], {}, ["male", "Hi"]]  # fmt: skip
EXTRA = ["x", "title", "style_prompt", "topic", "document", "path", "duration_minutes", "vars"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def full_script() -> dict[str, Any]:
    """The example's script with every optional part the schema knows, and a short dialogue."""
    data = load_yaml(SCRIPT).data
    assert isinstance(data, dict)
    document = {"path": "docs/a.md", "sha256": "d" * 64}
    return {
        **data,
        "generated_from": {**data["generated_from"], "document": document},
        "dialogue": data["dialogue"][:2],
    }


def full_project() -> dict[str, Any]:
    return {
        "vars": {"company": "Acme", "_x1": 3},
        "acknowledge": {"tech-weekly": ["feed_order", "show_not_read"]},
        "safety": {"max_removal_share": 0.3, "min_episodes": 10},
    }


def test_the_schemas_are_the_ones_the_fast_checks_mirror() -> None:
    assert digest(SCHEMA_DIR / "script.schema.json") == script_check.SCHEMA_SHA256
    assert digest(SCHEMA_DIR / "project.schema.json") == project_check.SCHEMA_SHA256
    defs: Any = load_schema("manifest.schema.json")["$defs"]
    parts = json.dumps([defs["dialogue"], defs["line"]], sort_keys=True).encode()
    assert hashlib.sha256(parts).hexdigest() == script_check.DIALOGUE_SHA256


def test_the_script_check_agrees_with_the_schema_on_every_single_edit() -> None:
    schema = _full_script_validator()
    assert matches_script_schema(full_script()) and schema.is_valid(full_script())
    verdicts = []
    for make in single_edits(full_script(), ODD, EXTRA):
        edited = make()
        verdicts.append(full := bool(schema.is_valid(edited)))
        assert matches_script_schema(edited) == full, edited
    assert set(verdicts) == {True, False}


def test_the_dialogue_check_agrees_with_the_schema_on_every_single_edit() -> None:
    schema = validator("manifest.schema.json", "/$defs/dialogue")
    lines = [["male", "Hello."], ["female", "Hi."]]
    verdicts = []
    for make in single_edits(lines, ODD, EXTRA):
        edited = make()
        verdicts.append(full := schema.is_valid(edited))
        assert matches_dialogue(edited) == full, edited
    assert set(verdicts) == {True, False}
    assert not matches_dialogue([]) and not schema.is_valid([])


def test_the_project_check_agrees_with_the_schema_on_every_single_edit() -> None:
    schema = validator("project.schema.json")
    assert matches_project_schema(full_project()) and schema.is_valid(full_project())
    verdicts = []
    for make in single_edits(full_project(), ODD, EXTRA):
        edited = make()
        verdicts.append(full := schema.is_valid(edited))
        assert matches_project_schema(edited) == full, edited
    assert set(verdicts) == {True, False}


def test_the_example_files_pass_the_fast_checks() -> None:
    assert matches_script_schema(load_yaml(SCRIPT).data)
    assert matches_dialogue(load_yaml(EXAMPLES / "scripts" / "roadmap.yaml").data)
    assert matches_project_schema(load_yaml(EXAMPLES / "podsync.yaml").data)


def test_refused_scripts_dialogue_files_and_settings_are_explained_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The messages jsonschema gave before the fast checks, word for word, FILE:LINE:COL."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES, project)
    script = project / "scripts" / "tech-weekly" / "ai-health.yaml"
    text = script.read_text(encoding="utf-8")
    text = text.replace("title: Episode 1", "titel: Episode 1")
    text = text.replace("style_prompt: Warm, friendly, explanatory", 'style_prompt: ""')
    text = text.replace("digest: sha256:abf8", "digest: sha256:Xbf8")
    text = text.replace("  - [female, \"I've been", "  - [robot, \"I've been")
    script.write_text(text, encoding="utf-8")
    dialogue = project / "scripts" / "roadmap.yaml"
    text = dialogue.read_text(encoding="utf-8")
    dialogue.write_text(text.replace('- [male, "Three', '- [male]\n- [male, "Three'))
    settings = project / "podsync.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + "safety:\n  max_removal_share: 2\n  min_episodes: -1\n"
        + "acknowledge:\n  Bad Key: [feed_order, feed_order]\n"
    )
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "podsync.yaml:6:22: max_removal_share must be at most 1, not 2",
        "podsync.yaml:7:17: min_episodes must be at least 0, not -1",
        "podsync.yaml:9:3: invalid show key 'Bad Key' (it must match ^[a-z0-9][a-z0-9._-]*$)",
        "podsync.yaml:9:12: ['feed_order', 'feed_order'] has non-unique elements",
        "scripts/roadmap.yaml:3:3: a dialogue line must be [speaker, text]",
        "scripts/tech-weekly/ai-health.yaml:3:1: unknown key 'titel' (did you mean 'title'?)",
        "scripts/tech-weekly/ai-health.yaml:4:15: style_prompt must not be empty",
        "scripts/tech-weekly/ai-health.yaml:10:11: invalid digest 'sha256:Xbf8852966851aba9a8398"
        "3297ff8f8dea3f5781b1fc5826a... (it must match ^sha256:[0-9a-f]{64}$)",
        "scripts/tech-weekly/ai-health.yaml:13:6: speaker must be 'male' or 'female', not 'robot'",
        "9 problems found; nothing was sent.",
    ]
