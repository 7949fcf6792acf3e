"""The lines of a dialogue that changed, as a reviewer reads them: `speaker: text`, one line of
context, hunks headed by the line number (`@@ line 11 @@`). The text plan and the Markdown
comment both show a changed dialogue (inline, from a file, or a pinned script) this way."""

from __future__ import annotations

import difflib
import functools
import re

from podsync.safe_text import one_line

Dialogue = tuple[tuple[str, str], ...]


@functools.lru_cache(maxsize=256)
def diff_lines(old: Dialogue, new: Dialogue) -> tuple[str, ...]:
    """A unified diff of two dialogues as `speaker: text` lines, one line of context, without
    the file headers; cached because a long plan is rendered once per budget."""
    before = [_dialogue_line(s, t) for s, t in old]
    after = [_dialogue_line(s, t) for s, t in new]
    return tuple(
        _hunk(line) if line.startswith("@@") else line
        for line in list(difflib.unified_diff(before, after, lineterm="", n=1))[2:]
        if before or not line.startswith("@@")
    )


def _dialogue_line(speaker: str, text: str) -> str:
    return f"{one_line(speaker)}: {one_line(text)}"


def _hunk(header: str) -> str:
    """`@@ -3,4 +3,5 @@` as `@@ line 3 @@`: dialogue reviewers count lines, not ranges."""
    match = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", header)
    start = int(match.group(1)) if match else 0
    return f"@@ line {max(start, 1)} @@"
