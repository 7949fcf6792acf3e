"""A fast yes/no answer to "does this podsync.yaml match project.schema.json?", so that every
command reading a project with a valid podsync.yaml (the usual case) does so without loading
jsonschema, some 60 ms of imports.

It is exactly as strict as the schema's validator: what it accepts, jsonschema accepts
(tests/test_script_check.py compares the two on every single edit of a full podsync.yaml). A
file it refuses is walked by jsonschema, which says what is wrong and where, word for word as
before. SCHEMA_SHA256 pins the schema this mirrors: a test fails when the schema changes, until
this module is brought in line and the digest updated.
"""

from __future__ import annotations

import re

SCHEMA_SHA256 = "67cfe710b24fa8d7619e94b0daf14e746ab42d9b0657f622685f4b370c53a66e"

# the schema's patterns, read as JSON Schema reads them: `$` is the end of the text
_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z").match
_SHOW = re.compile(r"[a-z0-9][a-z0-9._-]*\Z").match

_TOP = frozenset({"vars", "acknowledge", "safety"})
_SAFETY = frozenset({"max_removal_share", "min_episodes"})
_CODES = frozenset(
    {
        "feed_order",
        "duplicate_show",
        "duplicate_episode",
        "duplicate_audio",
        "safety_loosened",
        "show_left_behind",
        "show_not_read",
    }
)


def matches_project_schema(data: object) -> bool:
    """True only if `data` (podsync.yaml as yamlload builds it) is valid against the schema."""
    if not isinstance(data, dict) or not data.keys() <= _TOP:
        return False
    variables = data.get("vars", {})
    return (
        isinstance(variables, dict)
        and all(isinstance(name, str) and _VAR(name) for name in variables)
        and _acknowledge(data.get("acknowledge", {}))
        and _safety(data.get("safety", {}))
    )


def _acknowledge(shows: object) -> bool:
    if not isinstance(shows, dict):
        return False
    return all(
        isinstance(show, str)
        and bool(_SHOW(show))
        and isinstance(codes, list)
        and all(isinstance(code, str) and code in _CODES for code in codes)
        and len(set(codes)) == len(codes)
        for show, codes in shows.items()
    )


def _safety(limits: object) -> bool:
    if not isinstance(limits, dict) or not limits.keys() <= _SAFETY:
        return False
    share = limits.get("max_removal_share", 0)
    least = limits.get("min_episodes", 0)
    whole = isinstance(least, int) or (isinstance(least, float) and least.is_integer())
    return (
        isinstance(share, (int, float))
        and not isinstance(share, bool)
        and not share < 0
        and not share > 1
        and whole
        and not isinstance(least, bool)
        and not least < 0
    )
