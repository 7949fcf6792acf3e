"""What to say when a file a manifest names is not there: what the path was resolved against,
and the path that would work when one does.

A path in a manifest is relative to the manifest's own folder (shows/), so `document: docs/a.md`
in shows/x.yaml is shows/docs/a.md, and the file the user meant, docs/a.md, is `../docs/a.md`.
The likely slips, in the order tried: the path written relative to the project instead of the
manifest; a near miss in the folder the path leads to (difflib); the same file name elsewhere in
the project, when only one file has it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from pathlib import Path

# folders never searched for a file of the same name: not the user's sources, or too big
_SKIP = frozenset({".git", ".podsync", "node_modules", ".venv", "__pycache__"})
_MAX_FILES = 5000  # a project with more files than this is not searched by name


def not_found(what: str, raw: str, manifest: Path, root: Path, lexical: Path) -> str:
    """`document 'docs/a.md' not found (resolved against shows/, the manifest's folder: ...)`."""
    folder = _shown(manifest.parent, root)
    message = (
        f"{what} {raw!r} not found: paths are relative to the manifest's folder "
        f"({folder}), so it names {_shown(lexical, root)} in the project"
    )
    try:
        suggestion = suggest(raw, manifest.parent, root, lexical)
    except (OSError, RuntimeError, ValueError):  # a name too long, a symlink loop: no hint
        suggestion = None
    return message if suggestion is None else f"{message}; did you mean {suggestion!r}?"


def suggest(raw: str, base: Path, root: Path, lexical: Path) -> str | None:
    """The path, relative to `base`, of the file `raw` most likely meant, if one is found."""
    for candidate in _candidates(raw, root, lexical):
        if candidate.is_file() and candidate.resolve().is_relative_to(root):
            return Path(os.path.relpath(candidate, base)).as_posix()
    return None


def _candidates(raw: str, root: Path, lexical: Path) -> Iterator[Path]:
    from_root = Path(os.path.normpath(root / raw))
    if from_root.is_relative_to(root):
        yield from_root
    for folder in (lexical.parent, from_root.parent):
        if folder.is_dir() and folder.is_relative_to(root):
            yield from _near(folder, lexical)
    same_name = list(_named(root, lexical.name))
    if len(same_name) == 1:
        yield same_name[0]


def _near(folder: Path, lexical: Path) -> Iterator[Path]:
    """A file in `folder` with the same extension and a name a slip away (a letter, a dash)."""
    suffix = lexical.suffix.lower()
    stems = {e.stem: e for e in _entries(folder) if e.suffix.lower() == suffix and e.is_file()}
    for stem in difflib.get_close_matches(lexical.stem, list(stems), n=1, cutoff=0.8):
        yield stems[stem]


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _named(root: Path, name: str) -> Iterator[Path]:
    seen = 0
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in _SKIP)
        seen += len(files)
        if seen > _MAX_FILES:
            return
        if name in files:
            yield Path(folder) / name


def _shown(path: Path, root: Path) -> str:
    """A path relative to the project, as the other messages show files; folders end in /."""
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    return f"{relative}/" if path.is_dir() else relative
