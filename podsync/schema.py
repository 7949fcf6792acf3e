"""Validate parsed YAML against our JSON Schemas and say what is wrong, and where, like a person.

check-jsonschema prints JSON paths and ansible-lint has no line numbers for schema errors; we map
each error's `absolute_path` onto the positions yamlload recorded: the longest recorded prefix,
the offending key itself for `additionalProperties` (and `propertyNames`, `dependentSchemas`),
the mapping for `required`. Messages come from code per keyword, or from the schema's own
`errorMessage` / `patternErrorMessage` (the keywords VS Code's YAML/JSON support also reads),
so the wording lives beside the rule it explains.

`pattern` is read as JSON Schema means it (ECMA-262), where `$` is the end of the text: Python's
`$` also matches before a final newline, which let a key such as "e1\\n" pass as "e1".

jsonschema (some 60 ms of imports) is loaded only when a file must be walked: a schema or part
with a fast yes/no check that mirrors it (FAST_CHECKS) is walked only for a file the check
refuses, to say what is wrong and where, so `validate` of a valid project never loads it.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import podsync
from podsync.errors import Problem
from podsync.project_check import matches_project_schema
from podsync.script_check import matches_dialogue
from podsync.yamlload import JsonPath, YamlDocument

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

SCHEMA_DIR = Path(podsync.__file__).parent / "schemas"

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


@dataclass(frozen=True)
class SchemaResult:
    """The problems, and the JSON paths that had errors, so later checks can skip those parts."""

    problems: tuple[Problem, ...]
    error_paths: frozenset[JsonPath]

    def clean(self, path: JsonPath) -> bool:
        """True when nothing at or below `path` failed validation."""
        if not self.error_paths:  # the usual case, asked once per value of a file
            return True
        return not any(bad[: len(path)] == path for bad in self.error_paths)


@functools.cache
def load_schema(name: str) -> Mapping[str, object]:
    """A schema shipped in podsync/schemas (a symlink to ../schemas in a source checkout)."""
    schema: Mapping[str, object] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return schema


def ecma_pattern(pattern: str) -> str:
    """`pattern` for Python's re with its ECMA-262 meaning: each `$` outside a character class
    becomes `\\Z` (the end of the text only)."""
    out: list[str] = []
    escaped = in_class = False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "$" and not in_class:
            out.append(r"\Z")
            continue
        out.append(ch)
    return "".join(out)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(ecma_pattern(pattern))


def _pattern(
    checker: Draft202012Validator, pattern: str, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    from jsonschema.exceptions import ValidationError

    if checker.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.cache
def _validator_class() -> type[Draft202012Validator]:
    from jsonschema import Draft202012Validator, validators

    extended: type[Draft202012Validator] = validators.extend(
        Draft202012Validator, {"pattern": _pattern}
    )
    return extended


def new_validator(
    schema: Mapping[str, object], registry: Registry | None = None
) -> Draft202012Validator:
    """A Draft 2020-12 validator for `schema` whose `pattern` means what it means in JSON
    Schema; `registry` resolves the other schema files it refers to."""
    if registry is None:
        return _validator_class()(schema)
    return _validator_class()(schema, registry=registry)


class Validator:
    """A schema's validator, built (and jsonschema imported) on first use, with the fast
    yes/no check that mirrors the schema where there is one. Only validate() asks the fast
    check; is_valid and iter_errors are always jsonschema's own answer."""

    def __init__(
        self,
        build: Callable[[], Draft202012Validator],
        fast: Callable[[object], bool] | None = None,
    ) -> None:
        self._build = build
        self._fast = fast

    def accepts(self, data: object) -> bool:
        """True when the fast check says `data` is valid: then it is, without jsonschema."""
        return self._fast is not None and self._fast(data)

    @functools.cached_property
    def full(self) -> Draft202012Validator:
        """The jsonschema validator, which says what is wrong and where."""
        return self._build()

    def is_valid(self, data: object) -> bool:
        return bool(self.full.is_valid(data))

    def iter_errors(self, data: object) -> Iterator[ValidationError]:
        return self.full.iter_errors(data)


# The fast checks in front of a schema file (or a part of one, by JSON pointer). The manifest's
# own (manifest_check.py) is asked by manifest.py, the lock's (lock_check.py) by lock_file.py,
# the script file's (script_check.py) by script_pins.script_validator.
FAST_CHECKS: Mapping[tuple[str, str], Callable[[object], bool]] = {
    ("project.schema.json", ""): matches_project_schema,
    ("manifest.schema.json", "/$defs/dialogue"): matches_dialogue,
}


@functools.cache
def validator(name: str, pointer: str = "") -> Validator:
    """A validator for schema file `name`, or for its part at JSON `pointer` (like
    "/$defs/dialogue"), with the file's own `$defs` still resolvable."""
    return Validator(functools.partial(_build, name, pointer), FAST_CHECKS.get((name, pointer)))


def _build(name: str, pointer: str) -> Draft202012Validator:
    from referencing import Registry, Resource

    schema = load_schema(name)
    if not pointer:
        return new_validator(schema)
    uri = str(schema["$id"])
    registry: Registry = Registry().with_resource(uri, Resource.from_contents(schema))
    return new_validator({"$ref": f"{uri}#{pointer}"}, registry)


_CLEAN = SchemaResult((), frozenset())


def validate(doc: YamlDocument, checker: Validator | Draft202012Validator) -> SchemaResult:
    """Every schema error in `doc`, each as a Problem at the line and column it is about."""
    if isinstance(checker, Validator):
        if checker.accepts(doc.data):
            return _CLEAN
        checker = checker.full
    errors = list(checker.iter_errors(doc.data))
    # A value of the wrong type fails every other rule too (a null `source` "matches" several
    # `required` branches): report the type alone.
    mistyped = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    problems: dict[tuple[str, int, int, str], Problem] = {}
    paths: set[JsonPath] = set()
    for error in errors:
        path = tuple(error.absolute_path)
        paths.add(path)
        if path in mistyped and error.validator != "type":
            continue
        for problem in _problems(doc, error, checker):
            problems.setdefault((problem.file, problem.line, problem.col, problem.message), problem)
    return SchemaResult(tuple(problems.values()), frozenset(paths))


def _problems(
    doc: YamlDocument, error: ValidationError, checker: Draft202012Validator
) -> Iterable[Problem]:
    path: JsonPath = tuple(error.absolute_path)
    schema_path = list(error.relative_schema_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(_properties(error.schema))
        for key in error.instance:
            if key not in allowed:
                yield doc.problem((*path, key), _unknown_key(key, allowed), at_key=True)
        return
    if "propertyNames" in schema_path and isinstance(error.instance, str):
        key = error.instance
        yield doc.problem((*path, key), _message(error, checker), at_key=True)
        return
    if "dependentSchemas" in schema_path:
        trigger = schema_path[len(schema_path) - schema_path[::-1].index("dependentSchemas")]
        yield doc.problem((*path, str(trigger)), _message(error, checker), at_key=True)
        return
    if error.validator == "required" and not _custom_message(error):
        # jsonschema raises one error per missing key without naming it: name them all here.
        required: Any = error.validator_value
        for key in required:
            if isinstance(error.instance, dict) and key not in error.instance:
                yield doc.problem(path, f"missing required key '{key}'")
        return
    yield doc.problem(path, _message(error, checker))


def _message(error: ValidationError, checker: Draft202012Validator) -> str:
    custom = _custom_message(error)
    if custom:
        return custom + _found_branches(error, checker)
    label = _label(error)
    value: Any
    keyword, value, instance = error.validator, error.validator_value, error.instance
    if keyword == "type":
        return _type_message(label, value, instance)
    if keyword == "pattern":
        hint = (
            error.schema.get("patternErrorMessage") if isinstance(error.schema, Mapping) else None
        )
        reason = f": {hint}" if hint else f" (it must match {value})"
        return f"invalid {label} {_show(instance)}{reason}"
    if keyword in ("enum", "const"):
        options = value if keyword == "enum" else [value]
        return f"{label} must be {' or '.join(_show(o) for o in options)}, not {_show(instance)}"
    if keyword == "minLength" and value == 1:
        return f"{label} must not be empty"
    if keyword == "minimum":
        return f"{label} must be at least {value}, not {_show(instance)}"
    if keyword == "maximum":
        return f"{label} must be at most {value}, not {_show(instance)}"
    if keyword in ("oneOf", "anyOf") and error.context:
        from jsonschema.exceptions import best_match

        return _message(best_match(error.context), checker)
    return str(error.message)


def _custom_message(error: ValidationError) -> str | None:
    """The schema's own wording: `errorMessage` as a string, or a dict keyword -> message."""
    custom = error.schema.get("errorMessage") if isinstance(error.schema, dict) else None
    if isinstance(custom, dict):
        custom = custom.get(error.validator)
    return custom if isinstance(custom, str) else None


def _found_branches(error: ValidationError, checker: Draft202012Validator) -> str:
    """For a oneOf that matched several branches, name them: 'found dialogue and topic'."""
    if error.validator != "oneOf" or error.context:
        return ""
    branches: Any = error.validator_value
    titles = [
        str(branch.get("title"))
        for branch in branches
        if branch.get("title") and checker.evolve(schema=branch).is_valid(error.instance)
    ]
    if len(titles) < 2:
        return ""
    return f" (found {', '.join(titles[:-1])} and {titles[-1]})"


def _label(error: ValidationError) -> str:
    """What the user calls the failing value: the schema's title, else its key."""
    if not error.absolute_path:
        return "the file"
    title = error.schema.get("title") if isinstance(error.schema, dict) else None
    if isinstance(title, str):
        return title
    keys = [part for part in error.absolute_path if isinstance(part, str)]
    return keys[-1] if keys else "value"


def _type_message(label: str, expected: object, instance: object) -> str:
    names = list(expected) if isinstance(expected, list) else [expected]
    wanted = " or ".join(_TYPE_NAMES.get(str(n), str(n)) for n in names)
    if instance is None:
        return f"{label} must be {wanted}, but it is empty"
    actual = _describe(instance)
    message = f"{label} must be {wanted}, not {actual}"
    if "string" in names and not isinstance(instance, (dict, list)):
        message += "; put it in quotes to use it as text"
    return message


def _describe(instance: object) -> str:
    if isinstance(instance, bool):
        return f"a boolean ({str(instance).lower()})"
    if isinstance(instance, int):
        return f"an integer ({instance})"
    if isinstance(instance, float):
        return f"a number ({instance})"
    if isinstance(instance, str):
        return f"a string ({_show(instance)})"
    if isinstance(instance, list):
        return "a list"
    if isinstance(instance, dict):
        return "a mapping"
    return type(instance).__name__


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_key(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"unknown key '{key}' (did you mean '{close[0]}'?)"
    return f"unknown key '{key}' (expected one of: {', '.join(allowed)})"


def _properties(schema: object) -> list[str]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    return list(props) if isinstance(props, dict) else []
