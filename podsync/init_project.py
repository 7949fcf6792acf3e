"""`podsync init`: a new project a user can validate, try locally and edit, from files shipped
inside the package (podsync/project_template/), so it works from an installed wheel too.

Every file is decided before any is written, and init refuses if one of them exists: a new
project never overwrites a file, not even half of one.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from podsync.errors import ConfigError, SetupError
from podsync.schema import SCHEMA_DIR

TEMPLATE_DIR = Path(__file__).parent / "project_template"
SHOW_PLACEHOLDER = "__SHOW__"
DEFAULT_SHOW = "my-show"
SHOW_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class NewFile:
    """One file init writes: where, relative to the project, and its text."""

    path: str
    text: str


def default_show_key(directory: Path) -> str:
    """The folder's name made into a show key ("My Podcasts" -> "my-podcasts"), or my-show."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", directory.resolve().name.lower()).strip("-._")
    return slug if slug and SHOW_KEY.match(slug) else DEFAULT_SHOW


def project_files(show: str, *, github: bool) -> list[NewFile]:
    """The files of a new project whose one show is `show`."""
    if not SHOW_KEY.match(show):
        raise ConfigError(
            f"the show key {show!r} must match [a-z0-9][a-z0-9._-]* (lower case, no spaces)"
        )

    def template(name: str) -> str:
        return (TEMPLATE_DIR / name).read_text(encoding="utf-8").replace(SHOW_PLACEHOLDER, show)

    files = [
        NewFile("podsync.yaml", template("podsync.yaml")),
        NewFile(f"shows/{show}.yaml", template("show.yaml")),
        NewFile("docs/about.md", template("about.md")),
        NewFile("scripts/behind-the-scenes.yaml", template("script.yaml")),
        NewFile(".gitignore", template("gitignore")),
        NewFile("manifest.schema.json", _schema("manifest")),
        NewFile("project.schema.json", _schema("project")),
    ]
    if github:
        files.append(NewFile(".github/workflows/podsync.yml", template("podsync.yml")))
    return files


def _schema(name: str) -> str:
    return (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")


def existing(directory: Path, files: list[NewFile]) -> list[Path]:
    """What is in the way of the files init would write: each that is already there (as
    anything, a dangling symlink too), or a file where one of its folders should be."""
    taken: dict[Path, None] = {}  # in order, once each
    for new in files:
        target = directory / new.path
        folders = [directory / p for p in reversed(Path(new.path).parents) if p != Path(".")]
        blocked = next((f for f in folders if _there(f) and not f.is_dir()), None)
        if blocked is not None:
            taken[blocked] = None
        elif _there(target):
            taken[target] = None
    return list(taken)


def _there(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def write_project(directory: Path, files: list[NewFile]) -> list[Path]:
    """Write `files` under `directory` (created if needed), each only if it does not exist
    yet: `x` mode, so a file that appears meanwhile is not overwritten either."""
    written: list[Path] = []
    for new in files:
        target = directory / new.path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("x", encoding="utf-8") as handle:
                handle.write(new.text)
        except FileExistsError:
            raise ConfigError(f"{target} appeared meanwhile; init left it as is") from None
        except OSError as exc:
            raise SetupError(f"cannot write {target}: {exc.strerror}") from None
        written.append(target)
    return written


def create_project(directory: Path, show: str | None, *, github: bool) -> list[str]:
    """Write a new project in `directory` and say what was written and what to run next;
    refuse, writing nothing, if any of its files exists."""
    files = project_files(show or default_show_key(directory), github=github)
    taken = existing(directory, files)
    if taken:
        names = ", ".join(str(path) for path in taken)
        raise ConfigError(
            f"{names} already exist{'s' if len(taken) == 1 else ''}; podsync init never "
            "overwrites a file, so nothing was written (move it away, or init another folder)"
        )
    written = write_project(directory, files)
    where = "" if directory == Path(".") else f" {shlex.quote(str(directory))}"
    steps = [
        (f"podsync validate{where}", "check the manifests, offline"),
        (f"ZENMIC_API_URL=local podsync apply{where}", "publish to a local emulator, free"),
        (f"podsync plan{where}", "with ZENMIC_API_KEY set: what your account would get"),
    ]
    width = max(len(command) for command, _ in steps)
    return [
        *(f"wrote {path}" for path in written),
        "",
        "Next:",
        *(f"  {command:<{width}}  # {why}" for command, why in steps),
    ]
