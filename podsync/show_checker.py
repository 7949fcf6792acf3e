"""The checks of one show file that need more than its schema: unique keys, documents and
dialogue files on disk (inside the project, of a known type and size), templates, pinned
scripts; podsync.manifest runs it on every show file of a project."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from podsync.doctype import SNIFF_BYTES, head_problem
from podsync.documents import head_and_digest
from podsync.errors import ManifestError, Problem
from podsync.limits import MAX_DIALOGUE_LINES, MAX_TEXT_CHARS, MAX_TITLE_CHARS
from podsync.model import Document, Episode, Location, PinnedScript, Show, Source
from podsync.path_hints import not_found
from podsync.schema import SchemaResult, Validator, validate, validator
from podsync.script_pins import script_validator, stale_fields
from podsync.templates import TemplateProblem, render_template
from podsync.yamlload import JsonPath, YamlDocument, display_path, load_yaml

MAX_DOCUMENT_BYTES = 50_000_000
DOCUMENT_TYPES: Mapping[str, str] = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".csv": "text/csv",
    ".xml": "application/xml",
    ".rtf": "application/rtf",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
}

Dialogue = tuple[tuple[str, str], ...]


class _ShowChecker:
    """The checks that need more than the schema: uniqueness, files on disk, templates.

    Each method records problems and returns its best value; the caller discards the Show when
    any problem was recorded, so a placeholder never escapes into Desired.
    """

    def __init__(
        self,
        doc: YamlDocument,
        result: SchemaResult,
        root: Path,
        variables: Mapping[str, object] | None,
        problems: list[Problem],
    ):
        self.doc = doc
        self.result = result
        self.root = root
        self.problems = problems
        own = doc.data.get("vars") if isinstance(doc.data, dict) else None
        if variables is None or not result.clean(("vars",)):
            self.variables: Mapping[str, object] | None = None
        else:
            self.variables = {**variables, **(own if isinstance(own, dict) else {})}

    def clean_str(self, data: Mapping[str, object], key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) and self.result.clean((key,)) else None

    def show(self, data: Mapping[str, object]) -> Show:
        episodes = data.get("episodes")
        items = episodes if isinstance(episodes, list) else []
        seen: dict[str, int] = {}
        built = tuple(
            self.episode(("episodes", i), item, seen)
            for i, item in enumerate(items)
            if isinstance(item, dict)
        )
        return Show(
            key=str(data.get("show")),
            title=self.text(
                self.doc, ("title",), data.get("title"), required=True, limit=MAX_TITLE_CHARS
            ),
            description=self.text(
                self.doc, ("description",), data.get("description", ""), limit=MAX_TEXT_CHARS
            ),
            episodes=built,
            show_id=self.clean_str(data, "show_id"),
            location=self.location(("show",)),
            protect=data.get("protect") is True,
        )

    def episode(self, path: JsonPath, data: Mapping[str, object], seen: dict[str, int]) -> Episode:
        key = data.get("key")
        key_path = (*path, "key")
        location = self.location(key_path)
        if isinstance(key, str) and self.result.clean(key_path):
            if key in seen:
                message = f"duplicate episode key '{key}' (first used at line {seen[key]})"
                self.problems.append(self.doc.problem(key_path, message))
            else:
                seen[key] = location.line
        source = data.get("source")
        source_path = (*path, "source")
        clean = isinstance(source, dict) and self.result.clean(source_path)
        built = self.source(source_path, source) if clean and isinstance(source, dict) else None
        pinned = (
            self.pinned_script((*source_path, "script"), str(source["script"]), built)
            if built is not None and isinstance(source, dict) and "script" in source
            else None
        )
        return Episode(
            key=str(key),
            title=self.text(
                self.doc, (*path, "title"), data.get("title"), required=True, limit=MAX_TITLE_CHARS
            ),
            description=self.text(
                self.doc, (*path, "description"), data.get("description", ""), limit=MAX_TEXT_CHARS
            ),
            source=pinned[0] if pinned else built or Source("topic"),
            location=location,
            protect=data.get("protect") is True,
            script=pinned[1] if pinned else None,
        )

    def source(self, path: JsonPath, data: dict[str, object]) -> Source:
        def text(key: str) -> str | None:
            if key not in data:
                return None
            return self.text(self.doc, (*path, key), data[key], required=True, limit=MAX_TEXT_CHARS)

        if "audio" in data:
            return Source("audio", mic_id=str(data["audio"]))
        if "dialogue" in data or "dialogue_file" in data:
            if "dialogue" in data:
                lines = self.dialogue(self.doc, (*path, "dialogue"), data["dialogue"])
            else:
                lines = self.dialogue_file((*path, "dialogue_file"), str(data["dialogue_file"]))
            return Source("dialogue", dialogue=lines, style_prompt=text("style_prompt"))
        if "document" in data:
            document = self.document((*path, "document"), str(data["document"]))
            return Source("document", topic=text("topic"), document=document)
        duration = data.get("duration_minutes")
        minutes = int(duration) if isinstance(duration, (int, float)) else None
        return Source("topic", topic=text("topic"), duration_minutes=minutes)

    def dialogue(self, doc: YamlDocument, path: JsonPath, lines: object) -> Dialogue:
        pairs = lines if isinstance(lines, list) else []
        if len(pairs) > MAX_DIALOGUE_LINES:
            message = (
                f"dialogue has {len(pairs):,} lines; the API accepts at most {MAX_DIALOGUE_LINES:,}"
            )
            self.problems.append(doc.problem(path, message))
        return tuple(
            (
                str(line[0]),
                self.text(doc, (*path, i, 1), line[1], required=True, limit=MAX_TEXT_CHARS),
            )
            for i, line in enumerate(pairs)
        )

    def dialogue_file(self, path: JsonPath, raw: str) -> Dialogue:
        checker = validator("manifest.schema.json", "/$defs/dialogue")
        read = self.read_yaml(path, raw, "dialogue_file", checker)
        return self.dialogue(read[0], (), read[0].data) if read is not None else ()

    def read_yaml(
        self, path: JsonPath, raw: str, what: str, checker: Validator
    ) -> tuple[YamlDocument, tuple[Path, Path]] | None:
        """The YAML file the manifest names at `path`, checked against its schema, and where it
        is (as `resolve` says); None (its problems recorded) when missing, unreadable or
        invalid."""
        found = self.resolve(path, raw, what)
        if found is None or self.regular_file(path, raw, found, what) is None:
            return None
        try:
            doc = load_yaml(found[0], display=display_path(found[1]))
        except ManifestError as exc:
            self.problems.extend(exc.problems)
            return None
        self.problems.extend(doc.problems)
        result = validate(doc, checker)
        self.problems.extend(result.problems)
        return None if result.problems else (doc, found)

    def pinned_script(
        self, path: JsonPath, raw: str, inputs: Source
    ) -> tuple[Source, PinnedScript] | None:
        """The dialogue of the script `script:` pins (script_pins.py), and the pin: the
        topic or document it stands for, and what in them changed since it was written."""
        read = self.read_yaml(path, raw, "script", script_validator())
        if read is None:
            return None
        script, found = read
        data = script.data
        if not isinstance(data, dict):
            return None
        lines = self.dialogue(script, ("dialogue",), data["dialogue"])
        style = data.get("style_prompt")
        style_prompt = (
            None
            if style is None
            else self.text(script, ("style_prompt",), style, required=True, limit=MAX_TEXT_CHARS)
        )
        pin = PinnedScript(
            found[1].relative_to(self.root).as_posix(),
            str(found[0]),
            inputs,
            stale_fields(data["generated_from"], inputs),
        )
        return Source("dialogue", dialogue=lines, style_prompt=style_prompt), pin

    def document(self, path: JsonPath, raw: str) -> Document | None:
        found = self.resolve(path, raw, "document")
        if found is None:
            return None
        real = found[0]
        info = self.regular_file(path, raw, found, "document")
        if info is None:
            return None
        content_type = DOCUMENT_TYPES.get(real.suffix.lower())
        if content_type is None:
            kinds = ", ".join(sorted(DOCUMENT_TYPES))
            self.fail(path, f"document {raw!r} has an unsupported type; use one of {kinds}")
            return None
        if info.st_size > MAX_DOCUMENT_BYTES:
            self.fail(
                path,
                f"document {raw!r} is too large ({_size(info.st_size)}; "
                f"the API accepts at most {_size(MAX_DOCUMENT_BYTES)})",
            )
            return None
        if info.st_size == 0:
            self.fail(path, f"document {raw!r} is empty")
            return None
        try:
            head, digest = head_and_digest(real, SNIFF_BYTES)
            mismatch = head_problem(head, content_type)
        except OSError as exc:
            self.fail(path, f"cannot read document {raw!r}: {exc.strerror}")
            return None
        if mismatch is not None:
            self.fail(path, f"document {raw!r} {mismatch}")
            return None
        return Document(str(real), raw, digest, info.st_size, content_type)

    def resolve(self, path: JsonPath, raw: str, what: str) -> tuple[Path, Path] | None:
        """(real path, path as written) for a file the manifest names, if inside the project."""
        if os.path.isabs(raw) or raw.startswith("~"):
            self.fail(path, f"{what} must be a path relative to this file, not {raw!r}")
            return None
        try:
            lexical = Path(os.path.normpath(self.doc.path.parent / raw))
            real = lexical.resolve()
        except (OSError, RuntimeError, ValueError) as exc:
            self.fail(path, f"cannot resolve {what} {raw!r}: {exc}")
            return None
        if not lexical.is_relative_to(self.root):
            self.fail(path, f"{what} {raw!r} is outside the project directory")
            return None
        if not real.is_relative_to(self.root):
            self.fail(path, f"{what} {raw!r} is a symlink that leads outside the project directory")
            return None
        return real, lexical

    def regular_file(
        self, path: JsonPath, raw: str, found: tuple[Path, Path], what: str
    ) -> os.stat_result | None:
        real, lexical = found
        try:
            info = real.stat()
        except FileNotFoundError:
            self.fail(path, not_found(what, raw, self.doc.path, self.root, lexical))
            return None
        except OSError as exc:
            self.fail(path, f"cannot read {what} {raw!r}: {exc.strerror}")
            return None
        if not stat.S_ISREG(info.st_mode):
            self.fail(path, f"{what} {raw!r} is not a regular file")
            return None
        return info

    def text(
        self,
        doc: YamlDocument,
        path: JsonPath,
        value: object,
        *,
        required: bool = False,
        limit: int | None = None,
    ) -> str:
        """A string value with its template rendered; `required` ones must not end up blank,
        and none may end up longer than `limit`, the most the API accepts (checked here, on
        the rendered text, since that is what is sent).

        Values the schema rejected are left alone (a dialogue file is only read this far once
        its own schema check passed), so one mistake is reported once.
        """
        if not isinstance(value, str):
            return ""
        if doc is self.doc and not self.result.clean(path):
            return value
        rendered = value
        if self.variables is not None and ("{{" in value or "{%" in value):
            try:
                rendered = render_template(value, self.variables)
            except TemplateProblem as exc:
                self.problems.append(doc.problem(path, str(exc)))
                return value
        blank = required and not rendered.strip()
        too_long = limit is not None and len(rendered) > limit
        if not (blank or too_long):
            return rendered
        name = path[-1] if isinstance(path[-1], str) else "text"
        after = " after rendering its template" if rendered != value else ""
        if blank:
            self.problems.append(doc.problem(path, f"{name} is blank{after}"))
        if too_long:
            message = (
                f"{name} is {len(rendered):,} characters long{after}; "
                f"the API accepts at most {limit:,}"
            )
            self.problems.append(doc.problem(path, message))
        return rendered

    def location(self, path: JsonPath) -> Location:
        where = self.doc.position(path)
        return Location(self.doc.display, where.line, where.col)

    def fail(self, path: JsonPath, message: str) -> None:
        self.problems.append(self.doc.problem(path, message))


def _size(count: int) -> str:
    if count < 1000:
        return f"{count} bytes"
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:.1f} MB"
