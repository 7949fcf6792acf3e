"""The plan as GitHub-flavoured Markdown, for pull-request comments and job summaries.

Python prepares plain values (already escaped for Markdown) and the Jinja2 template in
render/templates/ owns the layout, so the comment can grow without touching the logic.
Every string that came from a manifest or the API goes through `md()`: a `|` in a title must
not split a table cell and a `<` must not open an HTML comment that hides the rest of the plan.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2

from podsync.plan import AudioJob, EpisodeChange, Plan, ShowChange
from podsync.render.json import AUDIO_REASONS
from podsync.render.text import (
    LOCK_ONLY,
    NO_CHANGES,
    clean,
    describe_source,
    protect_lines,
    republish_note,
    shorten,
    show_keys,
    summary_line,
    warning_lines,
)

TEMPLATE = "plan.md.j2"

# Markdown punctuation that could start formatting, a link, HTML or a table cell boundary.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_BLANK_RUNS = re.compile(r"\n{3,}")

_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("podsync", "render/templates"),
    autoescape=False,  # Markdown, not HTML: `md()` does the escaping that matters here
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def md(text: str) -> str:
    """Inline text safe in a Markdown paragraph or table cell: one line, specials escaped."""
    return _SPECIAL.sub(r"\\\1", clean(text))


def code(text: str) -> str:
    """An identifier as a code span, or as escaped text if a backtick would break the span."""
    text = clean(text)
    return md(text) if "`" in text else f"`{text}`"


_environment.filters["md"] = md
_environment.filters["code"] = code


def render_markdown(plan: Plan) -> str:
    """The plan as one Markdown document ending in a single newline."""
    text = _environment.get_template(TEMPLATE).render(_context(plan))
    return _BLANK_RUNS.sub("\n\n", text).strip() + "\n"


def _context(plan: Plan) -> dict[str, Any]:
    return {
        "summary": summary_line(plan) if plan.has_changes else NO_CHANGES,
        "warnings": warning_lines(plan),
        "shows": [_show(plan, key) for key in show_keys(plan)] if plan.has_changes else [],
        "unmanaged": [
            {"show": u.show, "episode_id": u.episode_id, "title": u.title} for u in plan.unmanaged
        ],
        "lock_only": LOCK_ONLY,
        "protect": protect_lines(plan),
    }


def _show(plan: Plan, key: str) -> dict[str, Any]:
    changes = [c for c in plan.shows if c.key == key]
    return {
        "key": key,
        "show_id": next((c.show_id for c in changes if c.show_id), None),
        "changes": [_show_change(c) for c in changes],
        "audio": [_audio(j) for j in plan.audio if j.show == key],
        "episodes": [_episode(e) for e in plan.episodes if e.show == key],
    }


def _show_change(change: ShowChange) -> dict[str, Any]:
    before = change.before or {}
    after = {"title": change.title or "", "description": change.description or ""}
    title = before.get("title", "") if change.action == "delete" else change.title or ""
    return {
        "action": change.action,
        "title": title,
        "reason": change.reason,
        "diffs": (
            [
                {"field": f, "old": shorten(before[f], 80), "new": shorten(after.get(f, ""), 80)}
                for f in sorted(before)
            ]
            if change.action == "update"
            else []
        ),
    }


def _audio(job: AudioJob) -> dict[str, Any]:
    return {
        "action": job.action,
        "episode": job.episode,
        "kind": job.source.kind,
        "source": describe_source(job.source),
        "mic_id": job.mic_id,
        "reason": AUDIO_REASONS[job.action],
    }


def _episode(change: EpisodeChange) -> dict[str, Any]:
    reason = change.reason
    if change.action == "replace":
        reason += f"; {republish_note(change)}"
    return {
        "action": change.action,
        "key": change.key,
        "title": change.title or "",
        "episode_id": change.episode_id,
        "reason": reason,
    }
