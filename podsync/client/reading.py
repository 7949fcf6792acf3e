"""Reading values out of the API's answers, tolerant of shape (int or str ids, missing
fields, lone surrogates) and shared by every parser in this package."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podsync.safe_text import valid_unicode


class _Malformed(Exception):
    """A 2xx answer whose data podsync cannot read; the caller adds method and path."""


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        try:
            return int(value)
        except ValueError:  # digits int() does not take ('²'), or too many of them
            return None
    return None


def _first_present(item: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:  # a loop, not next() over a generator: once per listed item
        value = item.get(key)
        if value is not None:
            return value
    return None


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _str(value: Any) -> str:
    """A value from the server as text that can be encoded: a JSON string may hold a lone
    surrogate (legal JSON, half an emoji), which no UTF-8 output could write, so it becomes
    U+FFFD here; control and bidi characters are kept as data and escaped where shown."""
    if type(value) is str and value.isascii():
        return value  # most ids and titles: no surrogate possible
    return valid_unicode(str(value))


def _text(value: Any) -> str:
    return "" if value is None else _str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else _str(value)
