"""manifest_check: the fast yes/no in front of the manifest's jsonschema check must never say
yes to a show file the schema refuses, and must say yes to valid ones (or plans get slow)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from podsync import manifest
from podsync.errors import ManifestError
from podsync.manifest import load_project
from podsync.manifest_check import SCHEMA_SHA256, matches_manifest_schema
from podsync.schema import SCHEMA_DIR, SchemaResult, validate, validator
from podsync.yamlload import YamlDocument, load_yaml
from tests.edits import single_edits

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "manifests"
VALID_SHOW = FIXTURES / "valid" / "project" / "shows" / "tech.yaml"
ODD = ["", "x", "e1\n", "a b", "male", 0, 1, 60, 61, 5.0, 5.5, True, None, [], {}, ["male", "Hi"]]
EXTRA = ["x", "topic", "document", "dialogue", "dialogue_file", "style_prompt",
         "duration_minutes", "protect"]  # fmt: skip


def schema_valid(data: object) -> bool:
    return bool(validator("manifest.schema.json").is_valid(data))


def show_files() -> list[Path]:
    found = [*(ROOT / "examples" / "shows").glob("*.y*ml"), *FIXTURES.rglob("shows/*")]
    return sorted(p for p in found if p.is_file() and p.stat().st_size < 100_000)


def test_the_schema_is_the_one_manifest_check_mirrors() -> None:
    digest = hashlib.sha256((SCHEMA_DIR / "manifest.schema.json").read_bytes()).hexdigest()
    assert digest == SCHEMA_SHA256, "manifest.schema.json changed: bring manifest_check in line"


def test_the_fast_check_agrees_with_the_schema_on_every_fixture_and_example() -> None:
    verdicts = []
    for path in show_files():
        try:
            data = load_yaml(path).data
        except ManifestError:
            continue
        verdicts.append(full := schema_valid(data))
        assert matches_manifest_schema(data) == full, path
    assert verdicts.count(True) >= 10 and verdicts.count(False) >= 20


@pytest.mark.parametrize("episode", [0, 1, 2, 3], ids=["topic", "document", "dialogue", "file"])
def test_the_fast_check_agrees_with_the_schema_on_every_single_edit(episode: int) -> None:
    """Each source kind's episode alone in a show, edited every way one edit can."""
    data = load_yaml(VALID_SHOW).data
    assert isinstance(data, dict)
    data = {**data, "episodes": [data["episodes"][episode]]}
    verdicts = []
    for make in single_edits(data, ODD, EXTRA):
        edited = make()
        verdicts.append(full := schema_valid(edited))
        assert matches_manifest_schema(edited) == full, edited
    assert set(verdicts) == {True, False}


def test_a_valid_project_is_loaded_without_the_schema_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    walked: list[object] = []

    def recording(doc: YamlDocument, checker: Draft202012Validator) -> SchemaResult:
        walked.append(checker)
        return validate(doc, checker)

    monkeypatch.setattr(manifest, "validate", recording)
    assert len(load_project(FIXTURES / "valid" / "project").shows) == 2
    assert validator("manifest.schema.json") not in walked  # a dialogue file's check may run
    broken = FIXTURES / "invalid" / "missing-title"
    with pytest.raises(ManifestError):
        load_project(broken)
    assert validator("manifest.schema.json") in walked
