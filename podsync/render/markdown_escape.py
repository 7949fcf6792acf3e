"""Escaping for the Markdown plan: every string from a manifest or the API goes through md(),
code() or html_text() before it reaches the template. Kept apart from markdown.py because
other renderers (listen, script_pinning) escape with it too, and one reads it whole to judge
what a hostile title can do."""

from __future__ import annotations

import html
import re
import urllib.parse

from podsync.render.text import clean, shorten

CODE_CHARS = 100  # a key or id in a code span

# Markdown punctuation that could start formatting, a link, HTML or a table cell boundary.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
# At the start of a line these would make a heading, a list item or a setext underline.
_LEADING_MARK = re.compile(r"^([#+\-=])")
_LEADING_NUMBER = re.compile(r"^(\d+)([.)])")


_AUTOLINK = re.compile(r"://|(?i:\bwww)\.|#(?=\d)")


def md(text: str) -> str:
    """Inline text safe in a Markdown paragraph or table cell: one line, specials escaped,
    and `@` followed by a word joiner so that a title cannot mention (notify) a GitHub user."""
    escaped = _SPECIAL.sub(r"\\\1", fast_clean(text))
    escaped = _LEADING_NUMBER.sub(r"\1\\\2", _LEADING_MARK.sub(r"\\\1", escaped))
    # A word joiner after "@", "://", "www." and "#" keeps GitHub from turning a title into a
    # mention, a link or an issue reference; the reader sees the same text.
    return _AUTOLINK.sub("\\g<0>\u2060", escaped.replace("@", "@\u2060"))


def code(text: str) -> str:
    """An identifier as a code span, or as escaped text if a backtick or a pipe (which splits
    a table cell even inside a code span) would break it."""
    text = shorten(text, CODE_CHARS) if len(text) > CODE_CHARS else fast_clean(text)
    return md(text) if "`" in text or "|" in text else f"`{text}`"


def html_text(text: str) -> str:
    """Text inside raw HTML such as <summary>, where Markdown is not parsed."""
    return html.escape(fast_clean(text)).replace("@", "@\u2060")


def fast_clean(text: str) -> str:
    """text.clean() with a fast path: printable text has nothing to clean."""
    return text if text.isprintable() else clean(text)


def listen_url(url: str) -> str:
    """A URL safe inside `[listen](...)`: only http(s), with spaces, parentheses and angle
    brackets percent-encoded so the link cannot end early."""
    if not url.startswith(("https://", "http://")):
        return ""
    return urllib.parse.quote(clean(url), safe=":/?#[]@!$&'*+,;=%~-._")
