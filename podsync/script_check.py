"""A fast yes/no answer to "does this script file match script.schema.json?" (and "is this
dialogue_file's list a dialogue?"), so that a project whose pinned scripts and dialogue files
are valid, the usual case, is read without loading jsonschema at all (`podsync validate` of the
example spent some 60 ms importing it for one script file).

It is exactly as strict as the schema's validator: what it accepts, jsonschema accepts
(tests/test_script_check.py compares the two on every single edit of valid files). A file it
refuses is walked by jsonschema, which says what is wrong and where, word for word as before.
SCHEMA_SHA256 pins script.schema.json, DIALOGUE_SHA256 the manifest's `$defs` `dialogue` and
`line` the script's dialogue refers to: a test fails when either changes, until this module is
brought in line and the digest updated.
"""

from __future__ import annotations

import re

SCHEMA_SHA256 = "2688e72a5be264e132998a9baa73c8e7e8bc1a570c2bccea6b99c5e2066dc4d2"
# sha256 of json.dumps([$defs.dialogue, $defs.line], sort_keys=True) of manifest.schema.json
DIALOGUE_SHA256 = "b79e2fe35a710cc720b4805f4a9102dd92be66f64fe793ea8e8ac270e07b1735"

# the schema's patterns, read as JSON Schema reads them: `$` is the end of the text
_HEX = re.compile(r"[0-9a-f]{64}\Z").match
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}\Z").match

_SCRIPT = frozenset({"title", "style_prompt", "generated_from", "dialogue"})
_GENERATED_FROM = frozenset({"source", "topic", "document", "duration_minutes", "digest"})
_DOCUMENT = frozenset({"path", "sha256"})
_SOURCES = ("topic", "document")
_SPEAKERS = ("male", "female")


def matches_script_schema(data: object) -> bool:
    """True only if `data` (a script file as yamlload builds it) is valid against the schema."""
    if not isinstance(data, dict) or not {"generated_from", "dialogue"} <= data.keys() <= _SCRIPT:
        return False
    style = data.get("style_prompt", "x")
    return (
        isinstance(data.get("title", ""), str)
        and isinstance(style, str)
        and style != ""
        and _generated_from(data["generated_from"])
        and matches_dialogue(data["dialogue"])
    )


def matches_dialogue(lines: object) -> bool:
    """True only if `lines` is valid against manifest.schema.json#/$defs/dialogue."""
    if not isinstance(lines, list) or not lines:
        return False
    return all(
        isinstance(line, list)
        and len(line) == 2
        and isinstance(line[0], str)
        and line[0] in _SPEAKERS
        and isinstance(line[1], str)
        and line[1] != ""
        for line in lines
    )


def _generated_from(record: object) -> bool:
    if not isinstance(record, dict) or not {"source", "digest"} <= record.keys() <= _GENERATED_FROM:
        return False
    source, digest = record["source"], record["digest"]
    minutes = record.get("duration_minutes")
    whole = isinstance(minutes, int) or (isinstance(minutes, float) and minutes.is_integer())
    return (
        isinstance(source, str)
        and source in _SOURCES
        and isinstance(digest, str)
        and bool(_DIGEST(digest))
        and isinstance(record.get("topic"), (str, type(None)))
        and _document(record.get("document"))
        and (minutes is None or (whole and not isinstance(minutes, bool)))
    )


def _document(document: object) -> bool:
    if document is None:
        return True
    if not isinstance(document, dict) or document.keys() != _DOCUMENT:
        return False
    path, sha256 = document["path"], document["sha256"]
    return isinstance(path, str) and isinstance(sha256, str) and bool(_HEX(sha256))
