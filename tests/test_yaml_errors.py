"""YAML read by libyaml's C composer when PyYAML has it, by the pure-Python one otherwise (or to
say what is wrong): the same data, positions and messages either way, and the fix in the message
for the mistakes people make most. The exact messages are the fixtures under
fixtures/manifests/invalid/ (tab-indentation, yaml-template-unquoted, yaml-list-depth,
yaml-key-depth), checked under both loaders by test_manifest.py."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from podsync import yamlload
from podsync.errors import ManifestError
from podsync.manifest import load_project

VALID = Path(__file__).resolve().parent / "fixtures" / "manifests" / "valid" / "project"
WORDS = ["show", "title", "a b", "Part 1: x", "{{ host }}", "yes", "1:30", "", "ü", "x#y", "- z"]
EDITS = ["", "\t", " ", "\n", "- ", "{{", "{% ", ": "]


def outcome(path: Path) -> tuple[object, ...]:
    try:
        doc = yamlload.load_yaml(path, display="x.yaml")
    except ManifestError as exc:
        return ("error", [str(p) for p in exc.problems])
    return ("ok", doc.data, dict(doc.values), dict(doc.keys), doc.problems)


def both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple[object, ...], ...]:
    fast = outcome(path)
    with monkeypatch.context() as patched:
        patched.setattr(yamlload, "C_LOADER", None)
        return fast, outcome(path)


class _NoPurePython(yaml.SafeLoader):
    def __init__(self, stream: str):
        raise AssertionError("the pure-Python composer ran on a good file")


def test_good_files_are_composed_by_libyaml_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    assert yamlload.C_LOADER is not None
    monkeypatch.setattr(yamlload, "_PositionLoader", _NoPurePython)
    monkeypatch.chdir(VALID)
    assert [show.key for show in load_project(Path(".")).shows] == ["notes", "tech-weekly"]


def test_a_broken_file_is_explained_by_the_pure_python_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("show: a\ntitle: [A\n")
    fast, pure = both(path, monkeypatch)
    assert fast == pure
    message = "invalid YAML: expected ',' or ']', but got '<stream end>'"
    assert fast == ("error", [f"x.yaml:3:1: {message} (while parsing a flow sequence at line 2)"])


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("title: " + "[" * 60 + "]" * 60, "x.yaml:1:57"),
        ("title: " + "[" * 1100 + "]" * 1100, "x.yaml:1:57"),  # past libyaml's own limit
        ("a:" + "".join(f"\n{'  ' * depth}k:" for depth in range(60)), "x.yaml:51:99"),
        ("a: &x [1]\nb: " + "[" * 48 + "*x" + "]" * 48, ""),  # 51 deep only through the alias
    ],
)
def test_the_depth_guard_is_the_same_on_both_paths(
    text: str, where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text + "\n")
    fast, pure = both(path, monkeypatch)
    assert fast == pure
    if where:
        assert fast == ("error", [f"{where}: invalid YAML: nesting deeper than 50 levels"])
    else:
        assert fast[0] == "ok"


def document(seed: int) -> str:
    """A manifest-like document in block or flow style, with up to two typing slips."""
    rnd = random.Random(seed)

    def value(depth: int) -> object:
        roll = rnd.random()
        if depth < 3 and roll < 0.3:
            return {rnd.choice(WORDS) or "k": value(depth + 1) for _ in range(rnd.randint(0, 3))}
        if depth < 3 and roll < 0.5:
            return [value(depth + 1) for _ in range(rnd.randint(0, 3))]
        return rnd.choice([*WORDS, None, 5, True])

    style = rnd.choice([False, None, True])
    text = yaml.safe_dump(value(0), default_flow_style=style, allow_unicode=True)
    # ": " in flow style can make an empty value ({a: , b}), whose column libyaml puts at the
    # next token and PyYAML right after the colon: a corner left out here, not promised
    edits = EDITS if style is False else [e for e in EDITS if e != ": "]
    for _ in range(rnd.randint(0, 2)):
        at, edit = rnd.randrange(len(text) + 1), rnd.choice(edits)
        text = text[:at] + edit + text[at + (0 if edit else 1) :]
    return text


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_both_paths_read_any_manifest_like_text_the_same(seed: int) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.yaml"
        path.write_text(document(seed), encoding="utf-8")
        fast, pure = both(path, monkeypatch)
    assert fast == pure
