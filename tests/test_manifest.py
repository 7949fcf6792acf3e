"""Manifest loading: YAML with positions -> schema -> semantic checks -> templates -> Desired.

Invalid fixtures are golden files: each directory under fixtures/manifests/invalid/ is a small
project whose `expected.txt` lists the exact `FILE:LINE:COL: message` lines, in order.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from podsync import show_checker, yamlload
from podsync.cli import main
from podsync.config import ProjectConfig, read_config
from podsync.errors import ManifestError, Problem
from podsync.manifest import load_project
from podsync.model import Desired, Document, Episode, Location, Show, Source
from podsync.schema import SCHEMA_DIR
from podsync.templates import TemplateProblem, render_template
from podsync.yamlload import Position, load_yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "manifests"
VALID = FIXTURES / "valid" / "project"
INVALID_CASES = sorted(p.name for p in (FIXTURES / "invalid").iterdir() if p.is_dir())


def problems_of(project: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_project(project)
    return [str(p) for p in caught.value.problems]


def copy_valid(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(VALID, target)
    return target


@pytest.mark.parametrize("name", ["manifest.schema.json", "project.schema.json"])
def test_schema_files_are_valid_2020_12_schemas(name: str) -> None:
    schema = json.loads((SCHEMA_DIR / name).read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/" + name)
    assert schema["title"] and schema["description"]


def test_valid_project_loads_to_the_expected_desired(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(VALID)
    desired = load_project(Path("."))

    privacy = (VALID / "docs" / "privacy.txt").read_bytes()
    welcome = (
        ("male", "Hello and welcome to Acme."),
        ("female", "Today we're discussing an interesting topic..."),
    )
    style = "Conversational, upbeat, informative"

    def document(name: str) -> Document:
        path = VALID / "docs" / name
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        return Document(str(path), f"../docs/{name}", sha, len(privacy), "text/plain")

    focus = "Focus on the privacy implications"
    expected = Desired(
        shows=(
            Show(
                key="notes",
                title="Release Notes",
                description="2024-05-01",
                show_id="rel-abc123",
                episodes=(
                    Episode(
                        "privacy-again",
                        "Privacy, again",
                        "",
                        Source("document", topic=focus, document=document("privacy-copy.txt")),
                    ),
                ),
            ),
            Show(
                key="tech-weekly",
                title="Acme Tech Weekly",
                description="A show about technology, hosted by Grace.",
                episodes=(
                    Episode(
                        "ai-health",
                        "Episode 1 - AI in Medicine",
                        "How AI changes healthcare.",
                        Source("topic", topic="The future of AI in healthcare", duration_minutes=5),
                    ),
                    Episode(
                        "privacy",
                        "Episode 2 - Privacy",
                        "",
                        Source("document", topic=focus, document=document("privacy.txt")),
                    ),
                    Episode(
                        "handmade",
                        "Episode 3 - Handmade",
                        "",
                        Source("dialogue", dialogue=welcome, style_prompt=style),
                    ),
                    Episode(
                        "from-file",
                        "Episode 4",
                        "",
                        Source("dialogue", dialogue=welcome, style_prompt=style),
                    ),
                ),
            ),
        )
    )
    assert desired == expected
    notes, tech = desired.shows
    assert notes.location == Location("shows/notes.yml", 1, 7)
    assert tech.location == Location("shows/tech.yaml", 2, 7)
    assert [e.location for e in tech.episodes] == [
        Location("shows/tech.yaml", line, 10) for line in (8, 15, 21, 29)
    ]


def test_digests_are_stable_across_loads_and_locations(tmp_path: Path) -> None:
    first = load_project(VALID)
    second = load_project(VALID)
    moved = load_project(copy_valid(tmp_path))

    def digests(desired: Desired) -> list[str]:
        return [e.source.digest for s in desired.shows for e in s.episodes]

    assert digests(first) == digests(second) == digests(moved)
    assert len(set(digests(first))) == 3


def test_dialogue_file_and_equal_inline_dialogue_share_a_digest() -> None:
    tech = load_project(VALID).show("tech-weekly")
    assert tech is not None
    by_key = {e.key: e.source for e in tech.episodes}
    assert by_key["handmade"].digest == by_key["from-file"].digest


def test_document_digest_depends_on_bytes_not_file_name(tmp_path: Path) -> None:
    desired = load_project(VALID)
    original = desired.show("tech-weekly").episodes[1].source  # type: ignore[union-attr]
    copy = desired.show("notes").episodes[0].source  # type: ignore[union-attr]
    assert original.document.display != copy.document.display  # type: ignore[union-attr]
    assert original.digest == copy.digest

    project = copy_valid(tmp_path)
    (project / "docs" / "privacy-copy.txt").write_text("Different words entirely.\n")
    changed = load_project(project).show("notes").episodes[0].source  # type: ignore[union-attr]
    assert changed.digest != original.digest


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a file is composed (yamlload): each must give the same problems."""
    if request.param == "pure-python":
        monkeypatch.setattr(yamlload, "C_LOADER", None)
    else:
        assert yamlload.C_LOADER is not None, "PyYAML was installed without libyaml"
    return str(request.param)


@pytest.mark.parametrize("name", INVALID_CASES)
def test_invalid_project_reports_exact_problems(
    name: str, yaml_loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = FIXTURES / "invalid" / name
    expected = (case / "expected.txt").read_text().splitlines()
    monkeypatch.chdir(case)
    assert expected, f"{name}/expected.txt is empty"
    assert problems_of(Path(".")) == expected


def test_billion_laughs_is_rejected_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "invalid" / "billion-laughs")
    started = time.perf_counter()
    assert len(problems_of(Path("."))) == 1
    assert time.perf_counter() - started < 5


def test_symlinks_leading_outside_the_project_are_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_valid(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("- [male, private]\n")
    (project / "docs" / "link.txt").symlink_to(secret)
    (project / "scripts" / "link.yaml").symlink_to(secret)
    (project / "shows" / "leak.yaml").write_text(
        "show: leak\ntitle: Leak\nepisodes:\n"
        "  - key: doc\n    title: Doc\n    source:\n      document: ../docs/link.txt\n"
        "  - key: script\n    title: Script\n    source:\n"
        "      dialogue_file: ../scripts/link.yaml\n"
    )
    monkeypatch.chdir(project)
    assert problems_of(Path(".")) == [
        "shows/leak.yaml:7:17: document '../docs/link.txt' is a symlink that leads outside "
        "the project directory",
        "shows/leak.yaml:11:22: dialogue_file '../scripts/link.yaml' is a symlink that leads "
        "outside the project directory",
    ]


def test_symlinks_inside_the_project_are_followed(tmp_path: Path) -> None:
    project = copy_valid(tmp_path)
    target = project / "docs" / "privacy.txt"
    (project / "docs" / "privacy.txt").rename(project / "docs" / "real.txt")
    target.symlink_to(project / "docs" / "real.txt")
    source = load_project(project).show("tech-weekly").episodes[1].source  # type: ignore[union-attr]
    assert source.document.display == "../docs/privacy.txt"  # type: ignore[union-attr]
    assert source.document.path == str((project / "docs" / "real.txt").resolve())  # type: ignore[union-attr]


def test_oversized_document_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_valid(tmp_path)
    size = (project / "docs" / "privacy.txt").stat().st_size
    monkeypatch.setattr(show_checker, "MAX_DOCUMENT_BYTES", size - 1)
    monkeypatch.chdir(project)
    limit = f"{(size - 1) / 1000:.1f} kB" if size > 1000 else f"{size - 1} bytes"
    actual = f"{size / 1000:.1f} kB" if size > 1000 else f"{size} bytes"
    assert problems_of(Path(".")) == [
        f"shows/notes.yml:9:17: document '../docs/privacy-copy.txt' is too large "
        f"({actual}; the API accepts at most {limit})",
        f"shows/tech.yaml:18:17: document '../docs/privacy.txt' is too large "
        f"({actual}; the API accepts at most {limit})",
    ]


def test_paths_outside_the_working_directory_are_shown_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "shows").mkdir(parents=True)
    (project / "shows" / "tech.yaml").write_text("show: tech\ntitel: T\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    shown = str((project / "shows" / "tech.yaml").resolve())
    assert problems_of(project) == [
        f"{shown}:1:1: missing required key 'title'",
        f"{shown}:2:1: unknown key 'titel' (did you mean 'title'?)",
    ]
    monkeypatch.chdir(tmp_path)
    assert (
        problems_of(Path("project"))[0]
        == "project/shows/tech.yaml:1:1: missing required key 'title'"
    )


def test_project_without_shows_is_valid_and_empty(tmp_path: Path) -> None:
    assert load_project(tmp_path) == Desired(shows=())
    (tmp_path / "shows").mkdir()
    assert load_project(tmp_path) == Desired(shows=())


def test_only_visible_yaml_files_in_shows_are_read_in_name_order(tmp_path: Path) -> None:
    shows = tmp_path / "shows"
    shows.mkdir()
    (shows / "b.yml").write_text("show: bravo\ntitle: B\n")
    (shows / "a.yaml").write_text("show: zulu\ntitle: A\n")
    (shows / ".#a.yaml").write_text("not: [yaml")
    (shows / "README.md").write_text("# notes\n")
    assert [s.key for s in load_project(tmp_path).shows] == ["zulu", "bravo"]


def test_a_file_is_not_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    assert problems_of(Path("file.txt")) == ["file.txt:1:1: not a project directory"]


def test_read_config_reads_vars_and_resolves_the_root(tmp_path: Path) -> None:
    assert read_config(VALID) == (ProjectConfig(VALID, {"company": "Acme", "host": "Ada"}), [])
    assert read_config(tmp_path) == (ProjectConfig(tmp_path.resolve(), {}), [])
    (tmp_path / "podsync.yaml").write_text("# nothing configured yet\n")
    assert read_config(tmp_path)[0].vars == {}


def test_read_config_rejects_unknown_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "podsync.yaml").write_text("vars: {a: 1}\nvarz: {}\n")
    monkeypatch.chdir(tmp_path)
    _, problems = read_config(Path("."))
    assert [str(p) for p in problems] == [
        "podsync.yaml:2:1: unknown key 'varz' (did you mean 'vars'?)"
    ]


def test_yaml_positions_are_recorded_beside_the_data(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("on: 2024-05-01\nlist:\n  - {a: 1, b: no, c: 1:30, d: true}\n")
    doc = load_yaml(path, display="doc.yaml")
    assert doc.data == {"on": "2024-05-01", "list": [{"a": 1, "b": "no", "c": "1:30", "d": True}]}
    assert doc.position(("list", 0, "a")) == Position(3, 9)
    assert doc.key_position(("list", 0, "a")) == Position(3, 6)
    assert doc.position(("list", 0, "missing")) == Position(3, 5)
    assert doc.key_position(("list",)) == Position(2, 1)


def test_templates_render_in_a_sandbox_with_strict_undefined() -> None:
    assert render_template("{{ a }}-{{ b | upper }}", {"a": 1, "b": "x"}) == "1-X"
    assert render_template("{% if a %}yes{% endif %}\n", {"a": True}) == "yes\n"
    with pytest.raises(TemplateProblem, match="undefined template variable 'c'"):
        render_template("{{ c }}", {})
    with pytest.raises(TemplateProblem, match="unsafe template"):
        render_template("{{ 2 ** 100000 }}", {})
    for huge in ("{{ 'x' * 1000000 }}", "{{ 1000000 * 'x' }}", "{{ [1] * 1000000 }}"):
        with pytest.raises(TemplateProblem, match="repetition too large"):
            render_template(huge, {})
    assert render_template("{{ 3 * 4 }}", {}) == "12"
    with pytest.raises(TemplateProblem, match="template output exceeds"):
        render_template("{% for i in range(100000) %}{{ s }}{% endfor %}", {"s": "xx"})


def test_validate_command_prints_every_problem_and_exits_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = FIXTURES / "invalid" / "several-errors"
    monkeypatch.chdir(case)
    result = CliRunner().invoke(main, ["validate", "."], catch_exceptions=False)
    assert result.exit_code == 1
    expected = (case / "expected.txt").read_text().splitlines()
    assert result.stderr.splitlines()[: len(expected)] == expected
    assert "Traceback" not in result.output


FUZZ_TOKENS = [*"ab1:-[]{}&*!|>'\"#\n\t ,?%@`~\\", "{{", "{%", "<<", "\x00", "\udcff", "- "]


@settings(max_examples=150, deadline=None)
@given(tokens=st.lists(st.sampled_from(FUZZ_TOKENS), max_size=40))
def test_any_input_is_a_show_or_a_manifest_error(
    tokens: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever follows a valid start, load_project returns or raises ManifestError."""
    project = tmp_path_factory.mktemp("fuzz")
    (project / "shows").mkdir()
    text = "show: x\ntitle: t\n" + "".join(tokens)
    (project / "shows" / "x.yaml").write_bytes(text.encode("utf-8", "surrogateescape"))
    try:
        load_project(project)
    except ManifestError as exc:
        assert exc.problems


# --- random manifests close to the schema ------------------------------------------------------

PATHS = [
    "../docs/notes.txt",
    "../docs/binary.md",
    "../docs",
    "..",
    "../../outside.txt",
    "/etc/passwd",
    "~/.ssh/id_rsa",
    "../scripts/lines.yaml",
    "../docs/missing.pdf",
    "x.yaml",
    "../docs/notes.txt\0",
]
TEXTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "Title",
            "male",
            "female",
            "tech",
            "{{ host }}",
            "{{ nobody }}",
            "{{ host|upper }} {% if host %}!{% endif %}",
            "{% for i in range(3) %}{{ i }}{% endfor %}",
            "{{ ''.__class__ }}",
            "{{ self }}",
            "{{ 'x' * 10**9 }}",
            "{% if %}",
            "{{",
            "{%",
            "}}",
            "\\ud800",
            "tec-abc123",
            *PATHS,
        ]
    ),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXTS, st.integers(1, 60))
KEYS = st.sampled_from(
    ["show", "title", "description", "show_id", "vars", "episodes", "protect", "key", "source"]
    + ["topic", "document", "dialogue", "dialogue_file", "style_prompt", "duration_minutes"]
    + ["titel", "sorce", "<<", "host"]
) | st.text(max_size=6)
ANY = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
LINES = st.lists(
    st.one_of(st.tuples(st.sampled_from(["male", "female"]), TEXTS).map(list), ANY), max_size=3
)
SOURCES = st.fixed_dictionaries(
    {},
    optional={
        "topic": TEXTS | ANY,
        "document": st.sampled_from(PATHS) | ANY,
        "dialogue": LINES | ANY,
        "dialogue_file": st.sampled_from(PATHS) | ANY,
        "style_prompt": TEXTS,
        "duration_minutes": st.integers(-1, 61) | ANY,
    },
)
EPISODES = st.fixed_dictionaries(
    {},
    optional={
        "key": st.sampled_from(["a", "b", "Bad Key", "-x"]) | ANY,
        "title": TEXTS | ANY,
        "description": TEXTS,
        "source": SOURCES | ANY,
        "protect": st.booleans() | ANY,
        "titel": TEXTS,
    },
)
SHOWS = st.fixed_dictionaries(
    {},
    optional={
        "show": st.sampled_from(["tech", "news", "Tech!"]) | ANY,
        "title": TEXTS | ANY,
        "description": TEXTS | ANY,
        "show_id": st.sampled_from(["tec-abc123", "has space"]) | ANY,
        "vars": st.dictionaries(st.sampled_from(["host", "guest", "1st"]), SCALARS) | ANY,
        "episodes": st.lists(EPISODES | ANY, max_size=4) | ANY,
        "protect": st.booleans(),
    },
)


def dump(data: object, flow: bool, cut: int | None) -> bytes:
    """YAML for `data`, in block or flow style, optionally cut short to break its syntax."""
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    if cut is not None:
        text = text[: cut % (len(text) + 1)]
    return text.encode("utf-8", "surrogatepass")


def assert_well_placed(problems: list[Problem]) -> None:
    """Every problem names an existing file and a line and column inside it, on one line."""
    assert problems
    for problem in problems:
        path = Path(problem.file)
        assert path.is_absolute() and path.exists(), problem
        assert problem.col >= 1 and problem.line >= 1, problem
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            lines = len(re.split("\r\n|[\n\r\x85\u2028\u2029]", text))  # YAML's line breaks
            assert problem.line <= lines, problem
        assert problem.message and "\n" not in problem.message, problem
        assert re.fullmatch(r"[^:\n]+:\d+:\d+: .+", str(problem)), problem


def assert_sendable(desired: Desired) -> None:
    """A valid project holds only text that can be printed and sent as UTF-8."""
    for show in desired.shows:
        texts = [show.key, show.title, show.description]
        for episode in show.episodes:
            texts += [episode.key, episode.title, episode.description]
            texts += [episode.source.topic or "", episode.source.style_prompt or ""]
            texts += [text for line in episode.source.dialogue for text in line]
        for text in texts:
            text.encode("utf-8")


@settings(max_examples=150, deadline=None)
@given(
    show=SHOWS | ANY,
    other=st.none() | SHOWS,
    config=st.none() | st.fixed_dictionaries({"vars": st.dictionaries(KEYS, SCALARS)}) | ANY,
    lines=LINES | ANY,
    flow=st.booleans(),
    cut=st.none() | st.integers(0, 2000),
)
def test_random_manifests_never_crash_validation(
    show: object,
    other: object,
    config: object,
    lines: object,
    flow: bool,
    cut: int | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Random projects shaped like real ones (the schema's keys, plausible and absurd values,
    templates, hostile paths, broken syntax): load_project returns sendable shows or raises
    ManifestError with well-placed problems; never anything else."""
    project = tmp_path_factory.mktemp("random")
    (project / "shows").mkdir()
    (project / "docs").mkdir()
    (project / "scripts").mkdir()
    (project / "docs" / "notes.txt").write_text("Notes.\n")
    (project / "docs" / "binary.md").write_bytes(b"\x7fELF\x00\x01")
    (project / "scripts" / "lines.yaml").write_bytes(dump(lines, flow, None))
    (project / "shows" / "x.yaml").write_bytes(dump(show, flow, cut))
    if other is not None:
        (project / "shows" / "y.yml").write_bytes(dump(other, not flow, None))
    if config is not None:
        (project / "podsync.yaml").write_bytes(dump(config, flow, None))
    try:
        desired = load_project(project)
    except ManifestError as exc:
        assert_well_placed(exc.problems)
    else:
        assert_sendable(desired)
