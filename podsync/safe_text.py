"""Text that came from outside (the API, mostly) made safe for each place podsync shows it.

A server may legally send any JSON string: a lone UTF-16 surrogate (`"\\ud83d"`, half an emoji
cut by a JavaScript client), control characters, bidi overrides that reorder what a reviewer
reads, ten thousand characters where a title was expected. podsync keeps such text as data and
decides only at the edge how it is shown, with one function per output context:

    valid_unicode     at parse time: lone surrogates become U+FFFD, since no UTF-8 output (the
                      terminal, the lock, a plan file) can encode them; nothing else changes
    one_line          terminal text and Markdown cells: one line, every control, bidi and
                      separator character shown as an escape (`\\x1b`, `\\u202e`)
    message           a multi-line message for a terminal: lines kept, the rest as one_line
    escape_json       serialised JSON: the same characters as `\\uXXXX` escapes, so the data
                      decodes unchanged but nothing raw reaches a log or a terminal (a lone
                      surrogate becomes U+FFFD: many JSON readers refuse one)
    cut               at most `width` characters, with an ellipsis when something was left out

Workflow commands in a GitHub Actions log (`::error::`, `##[group]`) are another output context;
their neutraliser belongs here too, beside these.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

# Explicit bidi formatting: embeddings, overrides, isolates and the marks. They reorder or hide
# the text around them (the "Trojan Source" trick).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_SURROGATES = "\ud800-\udfff"
_SURROGATE = re.compile(f"[{_SURROGATES}]")
# Besides the C0 controls: DEL and the C1 controls, line and paragraph separators, bidi.
_OTHER_UNSAFE = f"\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}{_SURROGATES}"
_UNSAFE = re.compile(f"[\x00-\x1f{_OTHER_UNSAFE}]")
_UNSAFE_IN_LINE = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHER_UNSAFE}]")  # tab and newline kept
_LINE_BREAKS = re.compile("[\r\n\t]+")


def valid_unicode(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD, so it can be encoded as UTF-8.

    A surrogate pair that json.loads left as two code points (it joins escaped pairs itself)
    cannot occur, so every surrogate here is unpaired."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def one_line(text: str) -> str:
    """One line of printable text: line breaks and tabs become a space, every other control,
    separator, bidi or surrogate character becomes a visible escape."""
    if text.isprintable():
        return text
    return _UNSAFE.sub(_escape, _LINE_BREAKS.sub(" ", text))


def message(text: str) -> str:
    """A message for a terminal, its line breaks kept and everything else made as one_line."""
    if text.isprintable():
        return text
    return _UNSAFE_IN_LINE.sub(_escape, text.replace("\r\n", "\n"))


def escape_json(serialised: str) -> str:
    """Serialised JSON with every unsafe character inside its strings written as `\\uXXXX`.

    Outside strings JSON has only ASCII punctuation and whitespace, and json.dumps already
    escapes the C0 controls in strings, so the substitution only touches string contents and
    the document decodes to the same data, lone surrogates aside."""
    return _UNSAFE_IN_LINE.sub(_json_escape, serialised)


def cut(text: str, width: int) -> str:
    """`text` in at most `width` characters, the last one an ellipsis when it was longer."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)].rstrip() + ELLIPSIS if width > 0 else ""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return "\\ufffd" if 0xD800 <= code <= 0xDFFF else f"\\u{code:04x}"
