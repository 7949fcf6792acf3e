"""Load a project's shows/*.yaml into `Desired`: parsed with positions, schema-checked,
semantically checked, templates rendered, documents hashed, paths resolved.

Validation never stops at the first problem: every file is read, every check that can still run
on the parts that passed the schema does run, and ManifestError is raised once with everything,
each problem as FILE:LINE:COL. Nothing here talks to the API.

Paths in a manifest are relative to that manifest and must stay inside the project directory,
even through symlinks: the project is what gets reviewed in a pull request, so a manifest must
not be able to upload, say, ~/.ssh/id_rsa as a "document".

Each show file's own checks are in podsync.show_checker; this module finds the show files,
loads them and checks what spans files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from podsync.config import read_config
from podsync.errors import ManifestError, Problem
from podsync.manifest_check import matches_manifest_schema
from podsync.model import Desired, Show
from podsync.schema import SchemaResult, validate, validator
from podsync.show_checker import DOCUMENT_TYPES, MAX_DOCUMENT_BYTES, Dialogue, _ShowChecker
from podsync.templates import shared_fuel
from podsync.yamlload import YamlDocument, display_path, load_yaml

__all__ = [
    "DOCUMENT_TYPES",
    "MAX_DOCUMENT_BYTES",
    "SHOWS_DIR",
    "SHOW_SUFFIXES",
    "Dialogue",
    "load_project",
]

SHOWS_DIR = "shows"
SHOW_SUFFIXES = (".yaml", ".yml")
_CLEAN = SchemaResult((), frozenset())


def load_project(project_dir: Path) -> Desired:
    """The project's desired state; raises ManifestError listing every problem found."""
    if not project_dir.is_dir():
        raise ManifestError([Problem(display_path(project_dir), 1, 1, "not a project directory")])
    config, problems = read_config(project_dir)
    variables = None if problems else config.vars
    with shared_fuel():
        loaded = [
            _load_show_file(path, config.root, variables, problems)
            for path in _show_files(config.root, problems)
        ]
    found = [item for item in loaded if item is not None]
    problems.extend(_cross_file_problems(found))
    if problems:
        raise ManifestError(problems)
    shows = tuple(item.show for item in found if item.show is not None)
    return Desired(shows, config.safety, config.acknowledge)


def _show_files(root: Path, problems: list[Problem]) -> list[Path]:
    """shows/*.yaml and *.yml in any case (TECH.YAML too: a file ignored for its spelling
    would be a show silently left out), sorted by name so results and messages are
    deterministic. Hidden files (editor backups such as .#tech.yaml) are ignored; a show file
    in a subfolder is a problem, for the same reason."""
    shows = root / SHOWS_DIR
    if not shows.exists():
        return []
    try:
        entries = sorted(shows.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        problems.append(Problem(display_path(shows), 1, 1, f"cannot list: {exc.strerror}"))
        return []
    for folder in (p for p in entries if p.is_dir() and not p.name.startswith(".")):
        for nested in sorted(folder.rglob("*")):
            if nested.suffix.lower() in SHOW_SUFFIXES and not nested.name.startswith("."):
                problems.append(
                    Problem(
                        display_path(nested),
                        1,
                        1,
                        f"show files are read only directly in {SHOWS_DIR}/, not in a subfolder: "
                        f"move it to {SHOWS_DIR}/ to manage the show, or out of {SHOWS_DIR}/ "
                        "to leave it out",
                    )
                )
    return [p for p in entries if p.suffix.lower() in SHOW_SUFFIXES and not p.name.startswith(".")]


@dataclass(frozen=True)
class _Loaded:
    """One show file after checking: its keys for cross-file checks; `show` only when valid."""

    doc: YamlDocument
    key: str | None
    show_id: str | None
    show: Show | None


def _load_show_file(
    path: Path, root: Path, variables: Mapping[str, object] | None, problems: list[Problem]
) -> _Loaded | None:
    try:
        doc = load_yaml(path, within=root)
    except ManifestError as exc:
        problems.extend(exc.problems)
        return None
    before = len(problems)
    problems.extend(doc.problems)
    # jsonschema walks only a file the fast check refuses, to say what is wrong, where
    valid = matches_manifest_schema(doc.data)
    result = _CLEAN if valid else validate(doc, validator("manifest.schema.json"))
    problems.extend(result.problems)
    if not isinstance(doc.data, dict):
        return None
    checker = _ShowChecker(doc, result, root, variables, problems)
    show = checker.show(doc.data)
    return _Loaded(
        doc,
        checker.clean_str(doc.data, "show"),
        checker.clean_str(doc.data, "show_id"),
        show if len(problems) == before else None,
    )


def _cross_file_problems(loaded: list[_Loaded]) -> list[Problem]:
    """Show keys and adopted show_ids must be unique across the project; point at the later
    file (files are read in name order) and name the first."""
    problems: list[Problem] = []
    for field, what in (("show", "show key"), ("show_id", "show_id")):
        first: dict[str, _Loaded] = {}
        for item in loaded:
            value = item.key if field == "show" else item.show_id
            if value is None:
                continue
            if value in first:
                earlier = first[value]
                where = earlier.doc.position((field,))
                message = (
                    f"duplicate {what} '{value}' "
                    f"(already used in {earlier.doc.display}:{where.line}:{where.col})"
                )
                problems.append(item.doc.problem((field,), message))
            else:
                first[value] = item
    return problems
