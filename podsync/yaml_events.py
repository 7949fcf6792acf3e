"""The fast way to a good YAML file: plain data built straight from libyaml's events.

Composing a node graph first (what yamlload's builder walks) costs a Python object, a resolver
call and a position per value, and a plan reads thousands of values; most manifests use none of
what needs the graph. So this builds the data from the parser's events in one loop, and keeps
each value's (and key's) libyaml mark, turned into a line and column only when asked.

It takes only the plain subset: mappings with plain string keys, sequences and untagged scalars,
no anchor, alias, tag or merge key, no duplicate key, no lone surrogate, nothing deeper than the
depth guard. Anything else (or any error libyaml raises) returns None, and yamlload reads the
file the thorough way, which alone decides what is wrong and says it; so the guards, the data and
every message stay those of yamlload (tests/test_yaml_errors.py compares the two on generated
files).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

if TYPE_CHECKING:
    from podsync.yamlload import JsonPath, Position

# libyaml's marks (yaml._yaml.Mark): line and column as PyYAML's yaml.error.Mark has them
Mark = Any
Built = tuple[object, dict["JsonPath", Mark], dict["JsonPath", Mark]]
_STR = "tag:yaml.org,2002:str"


class _NotPlain(Exception):
    """The file uses something only the thorough path reads (or says is wrong)."""


def build_plain(
    loader: yaml.CSafeLoader, max_depth: int, max_nodes: int, scalar: Callable[[ScalarNode], object]
) -> Built | None:
    """(data, value marks, key marks) of a plain single-document file, or None.

    `scalar` turns a resolved, non-string scalar into its value (yamlload's rules: YAML 1.2
    booleans, no sexagesimal numbers); it may not record a problem (the caller checks)."""
    try:
        return _build(loader, max_depth, max_nodes, scalar)
    except (_NotPlain, yaml.YAMLError, ValueError, RecursionError):
        return None
    finally:
        loader.dispose()


def _build(
    loader: yaml.CSafeLoader, max_depth: int, max_nodes: int, scalar: Callable[[ScalarNode], object]
) -> Built:
    get: Callable[[], Any] = loader.get_event
    get()  # StreamStartEvent
    if type(get()) is not DocumentStartEvent:
        raise _NotPlain  # empty: the thorough path says whether that is allowed
    plain = _Plain(loader, max_depth, scalar)
    event = get()
    plain.values[()] = event.start_mark
    data = plain.node(event, ())
    if type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
        raise _NotPlain  # more than one document: the thorough path refuses it
    if len(plain.values) > max_nodes:  # one entry per value, as there is no alias
        raise _NotPlain
    return data, plain.values, plain.keys


class _Plain:
    """One file's walk; recursive, as deep as the depth guard lets a file be."""

    def __init__(
        self, loader: yaml.CSafeLoader, max_depth: int, scalar: Callable[[ScalarNode], object]
    ) -> None:
        self.loader = loader
        self.get: Callable[[], Any] = loader.get_event
        self.resolvers: Mapping[str | None, Any] = loader.yaml_implicit_resolvers
        if None in self.resolvers:  # a wildcard resolver someone registered: all must ask it
            raise _NotPlain
        self.max_depth = max_depth
        self.scalar = scalar
        self.values: dict[JsonPath, Mark] = {}
        self.keys: dict[JsonPath, Mark] = {}
        # plain scalars that resolve to another type, by text: `duration_minutes: 5` repeats
        self.resolved: dict[str, object] = {}

    def node(self, event: Any, path: JsonPath) -> object:
        """The value `event` starts, its own mark already recorded."""
        kind = type(event)
        if kind is ScalarEvent:
            return self.text(event)
        if event.anchor is not None or event.tag is not None or len(path) >= self.max_depth:
            raise _NotPlain  # an alias has an anchor too
        if kind is MappingStartEvent:
            return self.mapping(path)
        if kind is not SequenceStartEvent:
            raise _NotPlain
        get, values = self.get, self.values
        items: list[object] = []
        while type(event := get()) is not SequenceEndEvent:
            child = (*path, len(items))
            values[child] = event.start_mark
            items.append(self.node(event, child))
        return items

    def mapping(self, path: JsonPath) -> dict[str, object]:
        get, values, keys = self.get, self.values, self.keys
        result: dict[str, object] = {}
        while type(event := get()) is not MappingEndEvent:
            if type(event) is not ScalarEvent or event.anchor is not None or event.tag is not None:
                raise _NotPlain
            key: str = event.value
            if key in result or (key == "<<" and event.implicit[0]):
                raise _NotPlain  # a duplicate or a merge key: the thorough path reports it
            if not key.isascii():
                key.encode("utf-8")  # a lone surrogate raises (a ValueError)
            child = (*path, key)
            keys[child] = event.start_mark
            event = get()
            values[child] = event.start_mark
            if type(event) is ScalarEvent:
                result[key] = self.text(event)
            else:
                result[key] = self.node(event, child)
        return result

    def text(self, event: Any) -> object:
        if event.anchor is not None or event.tag is not None:
            raise _NotPlain
        text: str = event.value
        if not text.isascii():
            text.encode("utf-8")  # a lone surrogate raises (a ValueError)
        if not event.implicit[0] or text[:1] not in self.resolvers:
            return text  # quoted, a block scalar, or plain text no resolver could claim
        if text in self.resolved:
            return self.resolved[text]
        tag = self.loader.resolve(ScalarNode, text, event.implicit)  # type: ignore[no-untyped-call]
        if tag == _STR:
            return text
        value = self.scalar(ScalarNode(tag, text, event.start_mark, event.end_mark))
        self.resolved[text] = value
        return value


class MarkPositions(Mapping["JsonPath", "Position"]):
    """Marks kept as libyaml made them, each a 1-based Position only when looked up."""

    __slots__ = ("_marks", "_position")

    def __init__(self, marks: dict[JsonPath, Mark], position: Callable[[Mark], Position]) -> None:
        self._marks = marks
        self._position = position

    def __getitem__(self, path: JsonPath) -> Position:
        return self._position(self._marks[path])

    def get(self, path: JsonPath, default: Any = None) -> Any:
        mark = self._marks.get(path)
        return default if mark is None else self._position(mark)

    def __iter__(self) -> Iterator[JsonPath]:
        return iter(self._marks)

    def __len__(self) -> int:
        return len(self._marks)
