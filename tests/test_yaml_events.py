"""The fast way to a good YAML file (podsync/yaml_events.py): it builds the same data and
positions as the thorough path for every plain file, and hands back every file that uses
something only the thorough path reads, so the guards and messages stay its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from podsync import yamlload
from podsync.errors import ManifestError
from podsync.yaml_events import build_plain

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    p for folder in ("tests/fixtures", "examples") for p in (ROOT / folder).rglob("*.y*ml")
)


def outcome(path: Path) -> tuple[object, ...]:
    try:
        doc = yamlload.load_yaml(path, display="x.yaml")
    except ManifestError as exc:
        return ("error", [str(p) for p in exc.problems])
    return ("ok", doc.data, dict(doc.values), dict(doc.keys), doc.problems)


def plain(text: str) -> object:
    assert yamlload.C_LOADER is not None, "PyYAML was installed without libyaml"
    built = build_plain(yamlload.C_LOADER(text), yamlload.MAX_DEPTH - 1, 100, lambda node: "x")
    return None if built is None else built[0]


def test_every_fixture_reads_the_same_with_and_without_the_fast_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken = [p for p in FILES if plain(p.read_bytes().decode("utf-8", "replace")) is not None]
    assert len(taken) > len(FILES) // 2  # the fast way is the usual one
    for path in taken:  # (the others go the thorough way either way)
        fast = outcome(path)
        with monkeypatch.context() as patched:
            patched.setattr(yamlload, "build_plain", lambda *args: None)
            assert outcome(path) == fast, path


def test_a_plain_file_keeps_its_values_and_where_each_starts(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text('show: a\ntitle: "Quoted"\neps:\n  - key: k\n    minutes: 5\n    on: no\n')
    doc = yamlload.load_yaml(path)
    assert doc.data == {
        "show": "a",
        "title": "Quoted",
        "eps": [{"key": "k", "minutes": 5, "on": "no"}],
    }
    assert doc.position(("eps", 0, "minutes")) == yamlload.Position(5, 14)
    assert doc.key_position(("eps", 0, "on")) == yamlload.Position(6, 5)
    assert doc.position(("eps", 0, "missing")) == yamlload.Position(4, 5)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors and aliases count their expansions
        "a: !!str 1\n",  # a tag
        "<<: {a: 1}\n",  # a merge key
        "a: 1\na: 2\n",  # a duplicate key
        '"\\ud800": 1\n',  # a lone surrogate in a key
        'a: "\\ud800"\n',  # and in a value
        "? [a]\n: 1\n",  # a key that is not text
        "a: 1\n---\nb: 2\n",  # two documents
        "a: " + "[" * 60 + "]" * 60 + "\n",  # deeper than the guard
        "a: [" + "1, " * 200 + "]\n",  # more values than the limit given
        "# only a comment\n",  # no document at all
        "a: [\n",  # a syntax error
    ],
)
def test_anything_but_a_plain_file_goes_the_thorough_way(text: str) -> None:
    assert plain(text) is None


def test_resolved_scalars_go_through_the_given_rule() -> None:
    assert plain("a: 5\nb: '5'\nc: Topic\nd: yes\n") == {"a": "x", "b": "5", "c": "Topic", "d": "x"}
    assert plain("- 1\n- ~\n") == ["x", "x"]
    assert plain("text\n") == "text"
