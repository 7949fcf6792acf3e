"""Every document one edit away from a valid one: for the fast yes/no checks (lock_check,
manifest_check) that must never say yes where their JSON Schema says no."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence
from typing import Any

Edit = Callable[[], Any]
Change = Callable[[Any, Any], object]


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into `data`'s mappings and lists, the root first."""
    found = [prefix]
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        found += paths(value, (*prefix, key))
    return found


def lookup(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def single_edits(data: Any, odd: Sequence[object], extra: Sequence[str]) -> list[Edit]:
    """Each part deleted, replaced by each `odd` value, or (in a mapping) renamed to each odd
    name; each mapping given each `extra` field with each odd value. Made on demand."""

    def edit(path: tuple[Any, ...], change: Change) -> Edit:
        def make() -> Any:
            copied = copy.deepcopy(data)
            change(lookup(copied, path[:-1]), path[-1])
            return copied

        return make

    def replace(value: object) -> Change:
        return lambda parent, key: parent.__setitem__(key, value)

    def rename(value: object) -> Change:
        return lambda parent, key: parent.__setitem__(str(value), parent.pop(key))

    edits: list[Edit] = []
    for path in paths(data)[1:]:
        edits.append(edit(path, lambda parent, key: parent.pop(key)))
        edits += [edit(path, replace(value)) for value in odd]
        if isinstance(path[-1], str):
            edits += [edit(path, rename(value)) for value in odd]
    for path in [p for p in paths(data) if isinstance(lookup(data, p), dict)]:
        edits += [edit((*path, n), replace(v)) for n, v in itertools.product(extra, odd)]
    return edits
