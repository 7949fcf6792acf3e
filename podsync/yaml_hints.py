"""The fix, in words, for the YAML mistakes people make most, where the parser's message is only
what it found ("found character '\\t' that cannot start any token", "expected <block end>, but
found '<scalar>'").

Each explainer looks at the pure-Python parser's error and the text around its mark, and gives
the line and column of the character that is wrong (the tab, the unquoted `{`, the misplaced
`-`, the first letter of the misplaced key) with what to do about it; None leaves the parser's
own message, which names the position well enough for everything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from yaml.error import MarkedYAMLError

# An unquoted value that starts with a template: optional "- " items, an optional "key: ".
_TEMPLATE_VALUE = re.compile(
    r"^(?P<lead>[ ]*(?:-[ ]+)*(?:(?P<key>[^\s#'\"{\[\-][^#]*?):[ ]+)?)(?P<value>\{[{%].*?)\s*$"
)
_KEY = re.compile(r"^(?P<indent>[ ]*(?:-[ ]+)*)(?P<key>[^\s#'\"{\[\-][^#:]*?):(?:[ ]|$)")
_COMMENT = re.compile(r"\s+#.*$")  # a comment after a value: not part of it
_ITEM = re.compile(r"^(?P<indent>[ ]*)-(?:[ ]|$)")


@dataclass(frozen=True)
class Hint:
    """Where the mistake is (1-based) and the message that says how to fix it."""

    line: int
    col: int
    message: str


def explain(text: str, exc: MarkedYAMLError) -> Hint | None:
    """The first explainer that recognises the mistake, or None."""
    mark = exc.problem_mark
    if mark is None:
        return None
    lines = text.splitlines()
    for explainer in _EXPLAINERS:
        hint = explainer(lines, mark.line, mark.column, exc.problem or "")
        if hint is not None:
            return hint
    return None


def _tab(lines: list[str], line: int, col: int, problem: str) -> Hint | None:
    if "'\\t'" not in problem:
        return None
    return Hint(line + 1, col + 1, "a tab character: indent with spaces, not tabs")


def _template(lines: list[str], line: int, col: int, problem: str) -> Hint | None:
    """`title: {{ host }} Show` and `title: {% if a %}...`: the braces start a flow mapping, so
    the parser stumbles a few characters later, on the same line."""
    if line >= len(lines):
        return None
    found = _TEMPLATE_VALUE.match(lines[line])
    if found is None or col < len(found["lead"]):
        return None
    value = _COMMENT.sub("", found["value"])
    quoted = f'"{value}"' if '"' not in value else f"'{value}'"
    example = f"{found['key']}: {quoted}" if found["key"] else quoted
    message = f"quote the template: a value that starts with {value[:2]} must be quoted: {example}"
    return Hint(line + 1, len(found["lead"]) + 1, message)


def _list_item(lines: list[str], line: int, col: int, problem: str) -> Hint | None:
    """A `- ` item whose dash is not in the column of the items of its list."""
    if not problem.endswith(("found '-'", "found '<block sequence start>'")):
        return None
    item = _ITEM.match(lines[line]) if line < len(lines) else None
    if item is None:
        return None
    here = len(item["indent"])
    for above in reversed(lines[:line]):
        sibling = _ITEM.match(above)
        if sibling is not None and len(sibling["indent"]) != here:
            where = len(sibling["indent"]) + 1
            message = (
                f"this list item is at the wrong depth: put its '-' in column {where}, "
                "like the items above it"
            )
            return Hint(line + 1, here + 1, message)
    message = "a list item ('-') is not expected here: check its indentation"
    return Hint(line + 1, here + 1, message)


def _key_under_scalar(lines: list[str], line: int, col: int, problem: str) -> Hint | None:
    """`title: T` then `  description: d`: the indented line continues the text of `title`, and
    its colon is where the parser gives up; the mistake is the key's indentation."""
    if not problem.startswith("mapping values are not allowed") or line >= len(lines):
        return None
    text = lines[line]
    key = _KEY.match(text)
    if key is None or len(key.group(0).rstrip()) - 1 != col:
        return _colon_in_value(text, line, col)
    indent = len(key["indent"])
    for number in range(line - 1, -1, -1):
        owner = _KEY.match(lines[number])
        if owner is None or len(owner["indent"]) >= indent:
            continue
        column = len(owner["indent"]) + 1
        message = (
            f"'{key['key']}' is indented under '{owner['key']}', whose value is text, not a "
            f"mapping: put '{key['key']}' in column {column}, like '{owner['key']}'"
        )
        return Hint(line + 1, indent + 1, message)
    return None


def _colon_in_value(text: str, line: int, col: int) -> Hint | None:
    """`title: Part 1: the start`: a value with ': ' in it must be quoted."""
    key = _KEY.match(text)
    if key is None or col < len(key.group(0)):
        return None
    start = len(key.group(0))
    start += len(text[start:]) - len(text[start:].lstrip(" "))
    value = _COMMENT.sub("", text[start:]).rstrip()
    quoted = f'"{value}"' if '"' not in value else f"'{value}'"
    message = f"quote this value: text with ': ' in it must be quoted: {key['key']}: {quoted}"
    return Hint(line + 1, start + 1, message)


def _key_depth(lines: list[str], line: int, col: int, problem: str) -> Hint | None:
    """A key in a column where no mapping above it has its keys: say the two columns around."""
    if not problem.endswith("found '<block mapping start>'") or line >= len(lines):
        return None
    key = _KEY.match(lines[line])
    if key is None:
        return None
    here = len(key["indent"])
    deeper: tuple[int, str] | None = None
    shallower: tuple[int, str] | None = None
    for above in reversed(lines[:line]):
        other = _KEY.match(above)
        if other is None:
            continue
        column = len(other["indent"])
        if column > here and deeper is None:
            deeper = (column, other["key"])
        elif column < here:
            shallower = (column, other["key"])
            break
    found = [near for near in (deeper, shallower) if near is not None]
    options = [f"column {column + 1} (like '{name}')" for column, name in found]
    if not options:
        return None
    message = (
        f"'{key['key']}' is in a column where no mapping above has its keys: "
        f"put it in {' or '.join(options)}"
    )
    return Hint(line + 1, here + 1, message)


def quoted_template(lines: list[str], line: int, col: int) -> tuple[Hint, str] | None:
    """`title: {{ host }}` parses (as a mapping inside a mapping), but means the text: the hint
    at the value's `{`, and the value as text, when the line says so."""
    found = _TEMPLATE_VALUE.match(lines[line]) if line < len(lines) else None
    if found is None or len(found["lead"]) != col:
        return None
    hint = _template(lines, line, col, "")
    return None if hint is None else (hint, found["value"])


_EXPLAINERS: tuple[Callable[[list[str], int, int, str], Hint | None], ...] = (
    _tab,
    _template,
    _list_item,
    _key_under_scalar,
    _key_depth,
)
