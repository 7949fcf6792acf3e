"""A change's fields as a reviewer reads them: `path: before -> after`, one line each.

A long string is not cut to a prefix (two long descriptions that differ near their end would
look the same): both sides show the words that changed with a few words of context around
them, and `...` stands for the unchanged words left out (difflib on words).
"""

from __future__ import annotations

import difflib

from podsync.plan import FieldChange, FieldValue
from podsync.safe_text import one_line

CONTEXT_WORDS = 4  # unchanged words kept on each side of a changed region
WIDTH = 80  # a string this long or shorter is shown whole
TITLE_WIDTH = 200  # a title is shown whole up to this, as a live title is in a plan line
LONGEST = 240  # a side never shows more: a 10,000-character word from the server is cut
GAP = "..."


def width_for(path: str) -> int:
    """A title is shown whole up to TITLE_WIDTH; a longer string is word-diffed."""
    return TITLE_WIDTH if path == "title" else WIDTH


def field_line(change: FieldChange, width: int = WIDTH) -> str:
    """`title: "Old" -> "New"`; digests short, sizes in bytes, absent values as (none)."""
    old, new = field_values(change, width)
    return f"{change.path}: {old} -> {new}"


def field_values(change: FieldChange, width: int = WIDTH) -> tuple[str, str]:
    """Both sides as one line each: strings quoted and word-diffed when long."""
    before, after = change.before, change.after
    if isinstance(before, str) and isinstance(after, str) and not _is_digest(change.path):
        old, new = word_diff(one_line(before), one_line(after), width)
        return f'"{_cut(old)}"', f'"{_cut(new)}"'
    return _value(change.path, before), _value(change.path, after)


def shown(changes: tuple[FieldChange, ...]) -> list[FieldChange]:
    """The fields text and Markdown list (JSON has them all): dialogue lines are shown by the
    dialogue diff (render/dialogue_diff.py) as lines in context, and the source's digest only
    when no source field says more (a lock that does not record the source, and no base)."""
    compared = any(c.path.startswith("source.") for c in changes)
    return [
        c
        for c in changes
        if not c.path.startswith("source.dialogue[") and not (compared and c.path == "digest")
    ]


def word_diff(before: str, after: str, width: int = WIDTH) -> tuple[str, str]:
    """Both strings, whole when short; otherwise the changed words with CONTEXT_WORDS of
    context each side and `...` where unchanged words are left out."""
    if len(before) <= width and len(after) <= width:
        return before, after
    old, new = before.split(), after.split()
    keep_old: set[int] = set()
    keep_new: set[int] = set()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            keep_old.update(range(i1 - CONTEXT_WORDS, i2 + CONTEXT_WORDS))
            keep_new.update(range(j1 - CONTEXT_WORDS, j2 + CONTEXT_WORDS))
    return _elide(old, keep_old), _elide(new, keep_new)


def _cut(text: str) -> str:
    return text if len(text) <= LONGEST else text[: LONGEST - len(GAP)] + GAP


def _elide(words: list[str], keep: set[int]) -> str:
    parts: list[str] = []
    for index, word in enumerate(words):
        if index in keep:
            parts.append(word)
        elif not parts or parts[-1] != GAP:
            parts.append(GAP)
    return " ".join(parts)


def _is_digest(path: str) -> bool:
    return path in ("digest", "source.document.sha256", "source.dialogue_digest")


def short_digest(digest: str) -> str:
    """`sha256:` plus the first 12 hex digits: enough to tell sources apart in a review."""
    return "sha256:" + digest.removeprefix("sha256:")[:12]


def _value(path: str, value: FieldValue) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str) and _is_digest(path):
        return short_digest(value)
    if isinstance(value, int) and path == "source.document.size":
        return f"{value} B"
    if isinstance(value, list):
        return one_line(": ".join(value))
    return one_line(str(value))
