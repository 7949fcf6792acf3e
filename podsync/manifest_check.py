"""A fast yes/no answer to "does this show file match manifest.schema.json?", so that a valid
project (the usual case, on every plan) is not walked by jsonschema, which costs some 0.1 ms
per episode: most of a no-change plan of a large project once YAML is composed in C.

It is exactly as strict as the schema's validator (schema.py, patterns read from the schema
itself): what it accepts, jsonschema accepts; tests/test_manifest_check.py compares the two on
every single edit of valid manifests and on the invalid fixtures. A file it refuses is walked by
jsonschema, which says what is wrong and where. SCHEMA_SHA256 pins the schema this mirrors: a
test fails when the schema changes, until this module is brought in line and the digest updated
(until then a file using something new is refused here and checked in full: slower, never wrong).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from podsync.schema import ecma_pattern, load_schema
from podsync.script_check import matches_dialogue

SCHEMA_SHA256 = "544c9d38e88e2394feff11a9911cfbd58cc66870cb2879732492c2eb821c0149"

_SHOW = frozenset({"show", "title", "description", "show_id", "vars", "protect", "episodes"})
_EPISODE = frozenset({"key", "title", "description", "source", "protect"})
_SOURCE = frozenset(
    {
        "topic",
        "duration_minutes",
        "document",
        "dialogue",
        "dialogue_file",
        "style_prompt",
        "audio",
        "script",
    }
)


@functools.cache
def _patterns() -> Mapping[str, Callable[[str], object]]:
    schema: Any = load_schema("manifest.schema.json")
    props, defs = schema["properties"], schema["$defs"]
    found = {
        "show": props["show"]["pattern"],
        "show_id": props["show_id"]["pattern"],
        "var": defs["vars"]["propertyNames"]["pattern"],
        "key": defs["episode"]["properties"]["key"]["pattern"],
        "audio": defs["source"]["properties"]["audio"]["pattern"],
    }
    return {name: re.compile(ecma_pattern(p)).search for name, p in found.items()}


def matches_manifest_schema(data: object) -> bool:
    """True only if `data` (a show file as yamlload builds it) is valid against the schema."""
    if not isinstance(data, dict) or not {"show", "title"} <= data.keys() <= _SHOW:
        return False
    match = _patterns()
    episodes = data.get("episodes", [])
    variables = data.get("vars", {})
    return (
        _matching(data["show"], match["show"])
        and _text(data["title"])
        and isinstance(data.get("description", ""), str)
        and _matching(data.get("show_id", "x"), match["show_id"])
        and isinstance(variables, dict)
        and all(match["var"](name) for name in variables)
        and isinstance(data.get("protect", False), bool)
        and isinstance(episodes, list)
        and all(_episode(episode, match["key"]) for episode in episodes)
    )


def _matching(value: object, search: Callable[[str], object]) -> bool:
    return isinstance(value, str) and bool(search(value))


def _text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _episode(episode: object, key: Callable[[str], object]) -> bool:
    if not isinstance(episode, dict):
        return False
    if not {"key", "title", "source"} <= episode.keys() <= _EPISODE:
        return False
    return (
        _matching(episode["key"], key)
        and _text(episode["title"])
        and isinstance(episode.get("description", ""), str)
        and isinstance(episode.get("protect", False), bool)
        and _source(episode["source"])
    )


def _source(source: object) -> bool:
    if not isinstance(source, dict) or not source.keys() <= _SOURCE:
        return False
    has = source.keys()
    kinds = [
        "topic" in has and "document" not in has,
        "document" in has,
        "dialogue" in has,
        "dialogue_file" in has,
        "audio" in has,
    ]
    if kinds.count(True) != 1:
        return False
    if "duration_minutes" in has:
        minutes = source["duration_minutes"]
        whole = isinstance(minutes, int) or (isinstance(minutes, float) and minutes.is_integer())
        if isinstance(minutes, bool) or not whole or not 1 <= minutes <= 60:
            return False
        if "topic" not in has or has & {"document", "dialogue", "dialogue_file"}:
            return False
    if "style_prompt" in has and not has & {"dialogue", "dialogue_file"}:
        return False
    if "script" in has and not has & {"topic", "document"}:
        return False
    return (
        all(_text(source[name]) for name in has & {"topic", "style_prompt"})
        and all(_text(source[name]) for name in has & {"document", "dialogue_file", "script"})
        and ("audio" not in has or _matching(source["audio"], _patterns()["audio"]))
        and ("dialogue" not in has or matches_dialogue(source["dialogue"]))
    )
