"""Read one YAML file into plain data plus a table of where every value came from.

PyYAML throws positions away once it builds Python objects, and octoDNS-style loaders that
inject them as keys would trip `additionalProperties: false`. So we compose the node graph,
then build the data ourselves while recording each node's start in `values` (and each mapping
key's start in `keys`), both keyed by JSON path and kept beside the data.

Building it ourselves is also where the hostile-input guards live:

- duplicate mapping keys are reported at the second one (PyYAML silently keeps the last);
- keys are always their literal text (`on:` is "on", not True) and timestamps stay strings;
- values follow YAML 1.2 where 1.1 surprises people: only true/false are booleans (`title: no`
  is the text "no", the "Norway problem") and `1:30` is text, not the sexagesimal 90;
- nesting deeper than MAX_DEPTH is rejected while composing, before Python's stack is at risk;
- aliases are allowed but every expansion counts: once more than MAX_NODES values have been
  built the file is rejected, which stops billion-laughs bombs after a few milliseconds;
  an alias that contains itself is rejected as recursive;
- files larger than MAX_FILE_BYTES, not valid UTF-8, or empty are clear errors.

Composing is most of the cost of a plan, so libyaml's C composer (yaml.CSafeLoader) does it when
PyYAML was built with it. Its errors and limits are worded differently from the pure-Python
parser's, and it accepts tabs where PyYAML refuses them, so the C path is only the fast way to a
good file: a file with a tab, and anything the C path finds wrong (a syntax error, libyaml's own
nesting limit, or our guards), is read again by the pure-Python path, which alone says what is
wrong. Both give the same data, positions and messages (tests/test_yaml_errors.py compares them
on generated manifests with typing slips; one corner differs: the column of an empty value in a
flow mapping, `{a: , b}`); an error costs a second parse, cheap beside a person reading it.
Most files need neither graph nor guard: yaml_events.py builds a plain file (no anchor, alias,
tag, merge or duplicate key) straight from libyaml's events, and hands anything else back here.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.error import Mark, MarkedYAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from podsync.errors import ManifestError, Problem
from podsync.yaml_events import MarkPositions, build_plain
from podsync.yaml_hints import explain, quoted_template

JsonPath = tuple[str | int, ...]

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 50
MAX_NODES = 100_000
# libyaml's composer, when PyYAML has it; None forces the pure-Python path (tests do so)
C_LOADER: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)

_TAG = "tag:yaml.org,2002:"
_SCALAR_CONSTRUCTORS = {
    _TAG + "null": SafeConstructor.construct_yaml_null,
    _TAG + "bool": SafeConstructor.construct_yaml_bool,
    _TAG + "int": SafeConstructor.construct_yaml_int,
    _TAG + "float": SafeConstructor.construct_yaml_float,
}
_TEXT_TAGS = {_TAG + "str", _TAG + "timestamp"}


@dataclass(frozen=True)
class Position:
    """1-based line and column, as editors show them."""

    line: int
    col: int


# data, where each value and mapping key starts, problems that did not stop the parse
_Parsed = tuple[
    object, Mapping[JsonPath, Position], Mapping[JsonPath, Position], tuple[Problem, ...]
]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file: its data, and where each JSON path's value (and key) starts.

    `problems` holds what was wrong but did not stop the parse (duplicate keys, unknown tags),
    so callers can keep validating the rest of the file and report everything at once.
    """

    path: Path
    display: str
    data: object
    values: Mapping[JsonPath, Position]
    keys: Mapping[JsonPath, Position]
    problems: tuple[Problem, ...] = field(default=())

    def position(self, path: JsonPath) -> Position:
        """Where `path` starts, or its nearest recorded ancestor (for keys that are missing)."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return Position(1, 1)

    def key_position(self, path: JsonPath) -> Position:
        """Where the mapping key holding `path` starts; the value's position for list items."""
        return self.keys.get(path) or self.position(path)

    def problem(self, path: JsonPath, message: str, *, at_key: bool = False) -> Problem:
        where = self.key_position(path) if at_key else self.position(path)
        return Problem(self.display, where.line, where.col, message)


def display_path(path: Path) -> str:
    """The path relative to the working directory when it is below it, else absolute, so
    `podsync validate examples` prints `examples/shows/tech.yaml:3:1: ...`."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except (ValueError, OSError):
        return str(absolute)


def load_yaml(
    path: Path,
    *,
    display: str | None = None,
    allow_empty: bool = False,
    within: Path | None = None,
) -> YamlDocument:
    """Parse one YAML file; raise ManifestError for anything that stops the parse.

    An empty (or comments-only) file is an error unless `allow_empty`, then its data is None.
    With `within` (a resolved directory), a file that is a symlink leading out of it is refused
    unread: shows/x.yaml -> ~/.aws/credentials must not end up in error messages or the API.
    """
    shown = display if display is not None else display_path(path)
    if within is not None and _leads_outside(path, within):
        raise _fatal(shown, 1, 1, "the file is a symlink that leads outside the project directory")
    text = _read_text(path, shown)
    if not text.strip() and not allow_empty:
        raise _fatal(shown, 1, 1, "file is empty")
    try:
        found = _parse(text, shown)
    except MarkedYAMLError as exc:
        raise _from_marked(shown, exc, text) from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        message = f"invalid YAML: control character U+{exc.character:04X} is not allowed"
        raise _fatal(shown, line, col, message) from None
    except yaml.YAMLError as exc:
        raise _fatal(shown, 1, 1, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise _fatal(shown, 1, 1, "invalid YAML: nesting is too deep") from None
    if found is None and not allow_empty:
        raise _fatal(shown, 1, 1, "file is empty (only comments)")
    data, values, keys, problems = found or (None, {}, {}, ())
    return YamlDocument(path, shown, data, values, keys, problems)


def _leads_outside(path: Path, root: Path) -> bool:
    try:
        return not path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        return False  # a symlink loop: reading it says so


def _parse(text: str, shown: str) -> _Parsed | None:
    """The data, positions and soft problems of `text`; None when it holds no document."""
    if C_LOADER is not None and "\t" not in text:
        # most files take the fast way (yaml_events), which knows only the plain subset
        scalars = _Builder(shown, MAX_DEPTH - 1, text)
        plain = build_plain(C_LOADER(text), MAX_DEPTH - 1, MAX_NODES, scalars._scalar)
        if plain is not None and not scalars.problems:
            data, values, keys = plain
            return data, MarkPositions(values, _position), MarkPositions(keys, _position), ()
        try:
            # one level less than the pure-Python composer allows, so that a file it would
            # refuse for its depth is refused by the C path too, and then read again below
            return _build(C_LOADER(text), text, shown, MAX_DEPTH - 1)
        except _ExpansionError:
            # the pure-Python path would say the same, unless its composer stops first: let it
            # compose (cheap: a bomb is short), and not build the bomb a second time
            _PositionLoader(text).get_single_node()
            raise
        except (yaml.YAMLError, ValueError, RecursionError):
            pass  # said again, and said well, by the pure-Python path
    return _build(_PositionLoader(text), text, shown, MAX_DEPTH)


def _build(
    loader: yaml.SafeLoader | yaml.CSafeLoader, text: str, shown: str, max_depth: int
) -> _Parsed | None:
    builder = _Builder(shown, max_depth, text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    if root is None:
        return None
    data = builder.build(root, (), frozenset())
    return data, builder.values, builder.keys, tuple(builder.problems)


def _read_text(path: Path, shown: str) -> str:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise _fatal(shown, 1, 1, "not a regular file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _fatal(shown, 1, 1, f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _fatal(shown, 1, 1, f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        col = len(raw[line_start : exc.start].decode("utf-8", "replace")) + 1
        bad = raw[exc.start : exc.start + 1].hex()
        raise _fatal(shown, line, col, f"file is not valid UTF-8 (byte 0x{bad})") from None


class _PositionLoader(yaml.SafeLoader):
    """A SafeLoader whose composer refuses absurd nesting before recursion can overflow."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _LimitError(f"nesting deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _LimitError(MarkedYAMLError):
    def __init__(self, problem: str, mark: Mark):
        super().__init__(problem=problem, problem_mark=mark)


class _ExpansionError(_LimitError):
    """Too many values once aliases are expanded, or an alias inside itself: found while
    building, where both paths walk the same nodes in the same order."""


class _Builder:
    """Turns the composed node graph into plain data, recording positions as it goes."""

    def __init__(self, display: str, max_depth: int, text: str):
        self.display = display
        self.max_depth = max_depth
        self.text = text
        self.values: dict[JsonPath, Position] = {}
        self.keys: dict[JsonPath, Position] = {}
        self.problems: list[Problem] = []
        self._count = 0
        self._constructor = SafeConstructor()

    @functools.cached_property
    def lines(self) -> list[str]:
        """The text's lines, split once: every unquoted template a file has needs them."""
        return self.text.splitlines()

    def build(self, node: Node, path: JsonPath, active: frozenset[int]) -> object:
        self._count += 1
        if self._count > MAX_NODES:
            raise _ExpansionError(
                f"more than {MAX_NODES:,} values once aliases are expanded (a YAML bomb?)",
                node.start_mark,
            )
        if id(node) in active:
            raise _ExpansionError("recursive alias: an anchor contains itself", node.start_mark)
        if len(path) > self.max_depth:
            raise _LimitError(f"nesting deeper than {MAX_DEPTH} levels", node.start_mark)
        self.values[path] = _position(node.start_mark)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        inner = active | {id(node)}
        if isinstance(node, SequenceNode):
            self._expect_tag(node, _TAG + "seq")
            return [self.build(item, (*path, i), inner) for i, item in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        if node.flow_style and node.value and isinstance(node.value[0][0], MappingNode):
            template = self._unquoted_template(node)
            if template is not None:
                return template
        self._expect_tag(node, _TAG + "map")
        return self._mapping(node, path, inner)

    def _mapping(
        self, node: MappingNode, path: JsonPath, active: frozenset[int]
    ) -> dict[str, object]:
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._soft(key_node.start_mark, "mapping keys must be plain strings")
                continue
            if key_node.tag == _TAG + "merge":
                self._soft(key_node.start_mark, "merge keys ('<<') are not supported")
                continue
            key = self._text(key_node)
            child = (*path, key)
            if key in result:
                first = self.keys[child]
                self._soft(
                    key_node.start_mark,
                    f"duplicate key '{key}' (first defined at line {first.line})",
                )
                continue
            self.keys[child] = _position(key_node.start_mark)
            result[key] = self.build(value_node, child, active)
        return result

    def _unquoted_template(self, node: MappingNode) -> str | None:
        """`title: {{ host }}`: YAML reads a mapping in a mapping; the user meant the text."""
        mark = node.start_mark
        found = quoted_template(self.lines, mark.line, mark.column)
        if found is None:
            return None
        hint, value = found
        message = f"invalid YAML: {hint.message}"
        self.problems.append(Problem(self.display, hint.line, hint.col, message))
        return value

    def _scalar(self, node: ScalarNode) -> object:
        if node.tag in _TEXT_TAGS or _yaml11_only(node):
            return self._text(node)
        construct = _SCALAR_CONSTRUCTORS.get(node.tag)
        if construct is None:
            self._soft(node.start_mark, f"unsupported tag '{_short(node.tag)}'")
            return self._text(node)
        try:
            return construct(self._constructor, node)
        except (ConstructorError, ValueError, LookupError, ArithmeticError):
            self._soft(node.start_mark, f"cannot read {node.value!r} as {_short(node.tag)}")
            return node.value

    def _text(self, node: ScalarNode) -> str:
        """The scalar's text; a lone surrogate (written as an escape such as "\\ud800") is not
        Unicode, so it could be neither printed nor sent: report it and replace it."""
        value: str = node.value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(value[exc.start])
            self._soft(node.start_mark, f"text contains U+{code:04X}, a lone surrogate")
            return value.encode("utf-8", "replace").decode("utf-8")
        return value

    def _expect_tag(self, node: Node, tag: str) -> None:
        if node.tag != tag:
            self._soft(node.start_mark, f"unsupported tag '{_short(node.tag)}'")

    def _soft(self, mark: Mark, message: str) -> None:
        where = _position(mark)
        self.problems.append(Problem(self.display, where.line, where.col, message))


def _yaml11_only(node: ScalarNode) -> bool:
    """A yes/no/on/off boolean or a sexagesimal number: YAML 1.1 only, text in YAML 1.2."""
    if node.tag == _TAG + "bool":
        return node.value.lower() not in ("true", "false")
    return node.tag in (_TAG + "int", _TAG + "float") and ":" in node.value


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


def _position(mark: Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def _line_col(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _from_marked(shown: str, exc: MarkedYAMLError, text: str) -> ManifestError:
    hint = explain(text, exc)
    if hint is not None:
        return _fatal(shown, hint.line, hint.col, f"invalid YAML: {hint.message}")
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = f"invalid YAML: {exc.problem or exc.context}"
    if exc.problem and exc.problem.startswith("but ") and exc.context:
        message = f"invalid YAML: {exc.context}, {exc.problem}"
    elif exc.problem and exc.context and exc.context_mark:
        message += f" ({exc.context} at line {exc.context_mark.line + 1})"
    return _fatal(shown, line, col, message)


def _fatal(shown: str, line: int, col: int, message: str) -> ManifestError:
    return ManifestError([Problem(shown, line, col, message)])
