"""The plan as GitHub-flavoured Markdown: the sticky pull-request comment and the job summary.

The reader is a reviewer who may not be an engineer, so each change says why in plain words
(the planner's reasons, translated), what the audio will cost in jobs and minutes, and, given
the manifests at the pull request's base (`base`), which dialogue lines changed.

Python prepares plain values and the Jinja2 template in render/templates/ owns the layout.
Every string that came from a manifest or the API goes through `md()` or `code()`: a `|` in a
title must not split a table cell, a `<` must not open an HTML comment that hides the rest of
the plan, and an `@name` must not ping someone on every push. A document's text never appears:
its file name, size and digest stand for it.

GitHub refuses comments over 65,536 characters, so the result never exceeds `max_chars`: long
sections fold into <details>, and when that is not enough the document is rendered again under
tighter budgets (fewer table rows, shorter diffs, fewer warnings), each cut saying what it left
out and where to see everything.

This module renders and fits; the values are built in markdown_context, escaped by
markdown_escape, worded by markdown_words, and sized by markdown_budget.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jinja2

from podsync.model import Desired
from podsync.plan import Plan
from podsync.render.markdown_budget import (
    CELL_CHARS,
    CUT_NOTE,
    DETAIL,
    FOLD_DIFF_LINES,
    FOLD_ROWS,
    Budget,
    Detail,
)
from podsync.render.markdown_context import Context
from podsync.render.markdown_escape import CODE_CHARS, code, html_text, listen_url, md
from podsync.render.markdown_words import (
    DEFAULT_MINUTES,
    WORDS_PER_MINUTE,
    estimated_minutes,
    uses_default_length,
)
from podsync.render.text import LOCK_ONLY

TEMPLATE = "plan.md.j2"
COMMENT_LIMIT = 65_536  # GitHub's limit for an issue or pull-request comment, in characters
COMMENT_CHARS = 60_000  # the plan's share of a comment: the rest is for its hidden markers
SUMMARY_LIMIT = 1_048_576  # GitHub's limit for one step's job summary, in bytes (1 MiB)

_BLANK_RUNS = re.compile(r"\n{3,}")

Dialogue = tuple[tuple[str, str], ...]

_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("podsync", "render/templates"),
    autoescape=False,  # Markdown, not HTML: `md()` does the escaping that matters here
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


_environment.filters["md"] = md
_environment.filters["code"] = code
_environment.filters["html"] = html_text


def render_markdown(
    plan: Plan,
    *,
    base: Desired | None = None,
    audio_pages: Mapping[str, str] | None = None,
    max_chars: int = COMMENT_CHARS,
    checksum: str | None = None,
    scripts: Mapping[tuple[str, str], str] | None = None,
) -> str:
    """The plan as one Markdown document ending in a single newline, at most `max_chars` long.

    `base` (the manifests at the pull request's base) adds the changed dialogue lines and
    what a changed field was; `audio_pages` (digest -> audio page URL) adds a "listen" link
    to each episode whose audio can already be heard; `checksum` is the one to show when it
    covers more than the plan (the preview jobs a pull request's comment carries); `scripts`
    ((show, episode) -> file) names the pinned scripts, whose words, all new since the base,
    are folded under the file's name."""
    context = Context(plan, base, dict(audio_pages or {}), checksum)
    context.scripts = dict(scripts or {})
    text = _render(context.build(Budget(None, *DETAIL[0])))
    if len(text) <= max_chars:
        return text
    for detail in DETAIL[1:]:
        fitted = _fit(context, detail, max_chars)
        if fitted is not None:
            return fitted
    text = _render(context.build_minimal())
    if len(text) <= max_chars:
        return text
    return text[: max_chars - 1] + "\n" if max_chars > 0 else ""


def _fit(context: Context, detail: Detail, max_chars: int) -> str | None:
    """The rendering with as many rows as fit in `max_chars` at this level of detail (found
    in a few renderings by scaling the row count to the overflow), or None if even no rows
    is too long."""
    empty = _render(context.build(Budget(0, *detail)))
    if len(empty) > max_chars:
        return None
    rows = context.row_count()
    for _ in range(12):
        text = _render(context.build(Budget(rows, *detail)))
        if len(text) <= max_chars:
            return text
        share = (max_chars - len(empty)) / (len(text) - len(empty))
        rows = min(rows - 1, int(rows * share * 0.97))
        if rows <= 0:
            break
    return empty


def _render(context: dict[str, Any]) -> str:
    text = _environment.get_template(TEMPLATE).render(context)
    return _BLANK_RUNS.sub("\n\n", text).strip() + "\n"


_environment.filters["url"] = listen_url


__all__ = [
    "CELL_CHARS",
    "CODE_CHARS",
    "COMMENT_CHARS",
    "COMMENT_LIMIT",
    "CUT_NOTE",
    "DEFAULT_MINUTES",
    "FOLD_DIFF_LINES",
    "FOLD_ROWS",
    "SUMMARY_LIMIT",
    "LOCK_ONLY",
    "WORDS_PER_MINUTE",
    "code",
    "estimated_minutes",
    "html_text",
    "listen_url",
    "md",
    "render_markdown",
    "uses_default_length",
]
