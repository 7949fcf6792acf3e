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
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2

from podsync.model import Desired, Episode, Source
from podsync.plan import (
    FREE_AUDIO,
    AudioJob,
    CreateShow,
    EpisodeChange,
    ForgetEpisode,
    Plan,
    Reason,
    ReplaceEpisode,
    ShowChange,
    UpdateShow,
    counted,
)
from podsync.plan_file import plan_checksum
from podsync.render.dialogue_diff import diff_lines as _diff_lines
from podsync.render.field_lines import field_values, shown, width_for
from podsync.render.phrases import (
    EDITED_FIELDS,
    plain_episode_reason,
    plain_show_reason,
    plan_warnings,
)
from podsync.render.text import (
    LOCK_ONLY,
    NO_CHANGES,
    NO_CHANGES_OFFLINE,
    OFFLINE_HEADER,
    OFFLINE_MEANING,
    clean,
    human_size,
    protect_lines,
    quote,
    short_digest,
    shorten,
    show_keys,
    summary_line,
)

TEMPLATE = "plan.md.j2"
COMMENT_LIMIT = 65_536  # GitHub's limit for an issue or pull-request comment, in characters
COMMENT_CHARS = 60_000  # the plan's share of a comment: the rest is for its hidden markers
SUMMARY_LIMIT = 1_048_576  # GitHub's limit for one step's job summary, in bytes (1 MiB)
DEFAULT_MINUTES = 5  # ZenMic's documented length when a topic or document gives none
WORDS_PER_MINUTE = 150  # a conversational speaking rate, to size a dialogue
FOLD_ROWS = 25  # a table or list longer than this folds into <details>
FOLD_DIFF_LINES = 20
CUT_NOTE = "see the full plan in the job summary or run `podsync plan`"
CELL_CHARS = 300  # a title in a table: the API allows 255, a live one may be any length
CODE_CHARS = 100  # a key or id in a code span

# Markdown punctuation that could start formatting, a link, HTML or a table cell boundary.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
# At the start of a line these would make a heading, a list item or a setext underline.
_LEADING_MARK = re.compile(r"^([#+\-=])")
_LEADING_NUMBER = re.compile(r"^(\d+)([.)])")
_BLANK_RUNS = re.compile(r"\n{3,}")
_BACKTICKS = re.compile(r"`+")

Dialogue = tuple[tuple[str, str], ...]

_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("podsync", "render/templates"),
    autoescape=False,  # Markdown, not HTML: `md()` does the escaping that matters here
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


_AUTOLINK = re.compile(r"://|(?i:\bwww)\.|#(?=\d)")


def md(text: str) -> str:
    """Inline text safe in a Markdown paragraph or table cell: one line, specials escaped,
    and `@` followed by a word joiner so that a title cannot mention (notify) a GitHub user."""
    escaped = _SPECIAL.sub(r"\\\1", _clean(text))
    escaped = _LEADING_NUMBER.sub(r"\1\\\2", _LEADING_MARK.sub(r"\\\1", escaped))
    # A word joiner after "@", "://", "www." and "#" keeps GitHub from turning a title into a
    # mention, a link or an issue reference; the reader sees the same text.
    return _AUTOLINK.sub("\\g<0>\u2060", escaped.replace("@", "@\u2060"))


def code(text: str) -> str:
    """An identifier as a code span, or as escaped text if a backtick or a pipe (which splits
    a table cell even inside a code span) would break it."""
    text = shorten(text, CODE_CHARS) if len(text) > CODE_CHARS else _clean(text)
    return md(text) if "`" in text or "|" in text else f"`{text}`"


def html_text(text: str) -> str:
    """Text inside raw HTML such as <summary>, where Markdown is not parsed."""
    return html.escape(_clean(text)).replace("@", "@\u2060")


_environment.filters["md"] = md
_environment.filters["code"] = code
_environment.filters["html"] = html_text


def estimated_minutes(source: Source) -> float | None:
    """Minutes of audio a job for `source` will produce: its duration_minutes, else ZenMic's
    default of 5 for a topic or document, else a dialogue's words at ~150 a minute."""
    if source.duration_minutes is not None:
        return float(source.duration_minutes)
    if source.kind == "dialogue":
        words = sum(len(text.split()) for _, text in source.dialogue)
        return words / WORDS_PER_MINUTE
    if source.kind in ("topic", "document"):
        return float(DEFAULT_MINUTES)
    return None


def uses_default_length(source: Source) -> bool:
    return source.kind in ("topic", "document") and source.duration_minutes is None


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
    context = _Context(plan, base, dict(audio_pages or {}), checksum)
    context.scripts = dict(scripts or {})
    text = _render(context.build(_Budget(None, *_DETAIL[0])))
    if len(text) <= max_chars:
        return text
    for detail in _DETAIL[1:]:
        fitted = _fit(context, detail, max_chars)
        if fitted is not None:
            return fitted
    text = _render(context.build_minimal())
    if len(text) <= max_chars:
        return text
    return text[: max_chars - 1] + "\n" if max_chars > 0 else ""


def _fit(context: _Context, detail: _Detail, max_chars: int) -> str | None:
    """The rendering with as many rows as fit in `max_chars` at this level of detail (found
    in a few renderings by scaling the row count to the overflow), or None if even no rows
    is too long."""
    empty = _render(context.build(_Budget(0, *detail)))
    if len(empty) > max_chars:
        return None
    rows = context.row_count()
    for _ in range(12):
        text = _render(context.build(_Budget(rows, *detail)))
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


@dataclass(frozen=True)
class _Budget:
    """How much of a long plan one rendering shows; None is no limit."""

    rows: int | None  # table rows and list items in the whole document
    diff_lines: int | None  # lines of each dialogue diff
    warnings: int | None
    width: int  # characters of any one title, reason or warning


_Detail = tuple[int | None, int | None, int]
# (diff_lines, warnings, width): everything, then less detail, then the least before the
# minimal document that gives counts only.
_DETAIL: tuple[_Detail, ...] = ((None, None, 2_000), (60, 30, 500), (10, 10, 200))
_LAST_RESORT = _Budget(0, 0, 0, 200)


class _Context:
    """Builds the template's values, under one budget at a time; what does not depend on the
    budget is worked out once, because a long plan is rendered several times."""

    def __init__(
        self,
        plan: Plan,
        base: Desired | None,
        pages: Mapping[str, str],
        checksum: str | None = None,
    ) -> None:
        self.plan = plan
        self.base = base
        self.pages = pages
        self.scripts: dict[tuple[str, str], str] = {}
        self.budget = _Budget(None, *_DETAIL[0])
        self.rows_left: int | None = None
        self.checksum = (checksum or plan_checksum(plan)) if plan.has_changes else None
        self.jobs: dict[str, AudioJob] = {}
        for job in plan.audio:  # one job per digest, as the planner makes them
            self.jobs.setdefault(job.digest, job)
        self.show_changes: dict[str, list[ShowChange]] = {}
        for show_change in plan.shows:
            self.show_changes.setdefault(show_change.key, []).append(show_change)
        self.by_show: dict[str, list[EpisodeChange]] = {}
        for change in plan.episodes:
            self.by_show.setdefault(change.show, []).append(change)
        self.jobs_by_show: dict[str, list[AudioJob]] = {}
        for job in plan.audio:
            self.jobs_by_show.setdefault(job.show, []).append(job)
        self.all_warnings = self.warnings()
        self.base_episodes = {
            (s.key, e.key): e for s in (base.shows if base is not None else ()) for e in s.episodes
        }

    def take(self, items: list[Any]) -> tuple[list[Any], int]:
        """As many of `items` as the row budget allows, and how many were cut."""
        if self.rows_left is None:
            return items, 0
        kept = items[: self.rows_left]
        self.rows_left -= len(kept)
        return kept, len(items) - len(kept)

    def text(self, value: str, width: int | None = None) -> str:
        value = _clean(value)
        width = min(self.budget.width, width or self.budget.width)
        return value if len(value) <= width else shorten(value, width)

    def cell(self, value: str) -> str:
        """A title in a table row: a very long one would push the other columns away."""
        return self.text(value, CELL_CHARS)

    def use(self, budget: _Budget) -> None:
        self.budget = budget
        self.rows_left = budget.rows

    def row_count(self) -> int:
        """An upper bound of the rows `take` could hand out: every heading, row and item."""
        plan = self.plan
        return (
            2 * (len(plan.shows) + len(plan.episodes) + len(plan.audio))
            + len(plan.protect)
            + len(plan.forget)
            + len(plan.unmanaged)
        )

    def build(self, budget: _Budget) -> dict[str, Any]:
        """The template's values: shows in order, each taking a row for its heading and then
        its own rows, until the budget runs out."""
        self.use(budget)
        plan = self.plan
        keys = show_keys(plan) if plan.has_changes else []
        shows = []
        for key in keys:
            if self.rows_left is not None:
                if self.rows_left <= 0:
                    break
                self.rows_left -= 1
            shows.append(self.show(key))
        return {
            **self.head(),
            "audio": self.audio_line() if plan.has_changes else None,
            "shows": shows,
            "shows_cut": _cut(
                len(keys) - len(shows), "show with changes", "shows with changes", bool(shows)
            ),
            "lock_only": self.lock_only(),
            "unmanaged": self.unmanaged(),
        }

    def build_minimal(self) -> dict[str, Any]:
        """Only the summary, the notes and the counts: for a plan too long for anything else."""
        self.use(_LAST_RESORT)
        return {
            **self.head(),
            "audio": self.audio_line() if self.plan.has_changes else None,
            "shows": [],
            "shows_cut": _cut(
                len(show_keys(self.plan)) if self.plan.has_changes else 0,
                "show with changes",
                "shows with changes",
                False,
            ),
            "lock_only": {"lines": [], "cut": None, "fold": False, "total": 0},
            "unmanaged": {
                "rows": [],
                "cut": _cut(
                    len(self.plan.unmanaged), "unmanaged episode", "unmanaged episodes", False
                ),
                "fold": False,
                "total": len(self.plan.unmanaged),
            },
        }

    def head(self) -> dict[str, Any]:
        plan = self.plan
        warnings = self.all_warnings
        limit = self.budget.warnings
        shown = warnings if limit is None else warnings[:limit]
        return {
            "summary": (
                summary_line(plan)
                if plan.has_changes
                else NO_CHANGES
                if plan.live_read
                else NO_CHANGES_OFFLINE
            ),
            "offline": None if plan.live_read else (OFFLINE_HEADER, OFFLINE_MEANING),
            "has_changes": plan.has_changes,
            "live_read": plan.live_read,
            "warnings": [self.text(w) for w in shown],
            "warnings_cut": _cut(len(warnings) - len(shown), "warning", "warnings", bool(shown)),
            "checksum": self.checksum,
            "cut_note": CUT_NOTE,
        }

    def warnings(self) -> list[str]:
        """Guards first (apply refuses them), then one line naming every re-published episode
        (the table does not say that they move to the top of the feed), then the rest."""
        plan = self.plan
        republished = [f"{c.show}/{c.key}" for c in plan.episodes if c.action == "replace"]
        said = plan_warnings(plan)
        guards = len(plan.guards)
        moved = [_republish_warning(republished)] if republished else []
        return said[:guards] + moved + said[guards:]

    def audio_line(self) -> dict[str, Any] | None:
        generate = [j for j in self.plan.audio if j.action == "generate"]
        free = sum(1 for j in self.plan.audio if j.action != "generate")
        if not generate and not free:
            return None
        minutes = [m for m in (estimated_minutes(j.source) for j in generate) if m is not None]
        defaults = [j.episode for j in generate if uses_default_length(j.source)]
        dialogue = any(
            j.source.kind == "dialogue" and j.source.duration_minutes is None for j in generate
        )
        notes = []
        if defaults:
            notes.append(
                f"{_join_keys(defaults)} at ZenMic's default length of {DEFAULT_MINUTES} minutes"
            )
        if dialogue:
            notes.append(f"dialogues at about {WORDS_PER_MINUTE} words a minute")
        return {
            "generate": counted(len(generate), "new audio job"),
            "generate_n": len(generate),
            "minutes": _minutes(sum(minutes)),
            "notes": notes,
            "free": counted(free, "job"),
            "free_n": free,
        }

    def show(self, key: str) -> dict[str, Any]:
        changes = self.show_changes.get(key, [])
        episodes = self.by_show.get(key, [])
        shown_episodes, rows_cut = self.take(episodes)
        rows = [self.episode_row(e) for e in shown_episodes]
        sources = [
            (job, change.key) for change in episodes if (job := self.new_audio(change)) is not None
        ] + [(job, job.episode) for job in self.orphan_jobs(key, episodes)]
        shown_sources, sources_cut = self.take(sources)
        return {
            "key": key,
            "show_id": next((c.show_id for c in changes if not isinstance(c, CreateShow)), None),
            "new": any(c.action == "create" for c in changes),
            "changes": [self.show_change(c) for c in changes],
            "rows": rows,
            "rows_cut": _cut(rows_cut, "episode change", "episode changes", bool(rows)),
            "fold": len(episodes) > FOLD_ROWS,
            "count": counted(len(episodes), "episode change"),
            "total": len(episodes),
            "fields": [
                {"episode": e.key, "field": c.path, "old": self.text(old), "new": self.text(new)}
                for e in shown_episodes
                if isinstance(e, ReplaceEpisode)
                for c in shown(e.changes)
                for old, new in (field_values(c, min(self.budget.width, width_for(c.path))),)
            ],
            "sources": [self.source_entry(job, key, episode) for job, episode in shown_sources],
            "sources_cut": _cut(sources_cut, "source", "sources", bool(shown_sources)),
            "sources_total": len(sources),
            "fold_sources": len(sources) > FOLD_ROWS,
        }

    def show_change(self, change: ShowChange) -> dict[str, Any]:
        updated = change.changes if isinstance(change, UpdateShow) else ()
        fields = sorted(updated, key=lambda c: c.path)
        reason = plain_show_reason(change.reason, getattr(change, "renamed_from", None))
        return {
            "action": change.action,
            "title": self.cell(change.title),
            "reason": reason,
            "show_id": getattr(change, "show_id", None),
            "diffs": [
                {"field": c.path, "old": self.text(old), "new": self.text(new)}
                for c in fields
                for old, new in (field_values(c, min(self.budget.width, width_for(c.path))),)
            ],
        }

    def episode_row(self, change: EpisodeChange) -> dict[str, Any]:
        label = "re-publish" if change.action == "replace" and change.republish else change.action
        return {
            "action": label,
            "key": change.key,
            "title": self.cell(change.title),
            "why": self.text(self.why(change)),
            "audio": self.audio_cell(change),
            "listen": self.pages.get(change.digest) if change.action != "remove" else None,
        }

    def base_episode(self, show: str, key: str) -> Episode | None:
        return self.base_episodes.get((show, key))

    def why(self, change: EpisodeChange) -> str:
        """The reason in words; with a base, what a title or description was and how the
        source changed."""
        plain = plain_episode_reason(change.reason, getattr(change, "renamed_from", None))
        was = self.base_episode(change.show, change.key)
        if was is None or change.action not in ("add", "replace"):
            return plain
        job = self.jobs.get(change.digest)
        if change.reason is Reason.SOURCE_CHANGED and job is not None:
            edits = _source_edits(was.source, job.source)
            return "Source changed: " + ", ".join(edits) if edits else plain
        fields = EDITED_FIELDS.get(change.reason)
        if fields is None:
            return plain
        before = {"title": was.title, "description": was.description}
        after = {"title": change.title, "description": change.description}
        words = [
            f"{name.capitalize()} changed"
            + (f" (was {quote(shorten(before[name], 80))})" if before[name] != after[name] else "")
            for name in fields
        ]
        return words[0] + "".join(f"; {w[0].lower()}{w[1:]}" for w in words[1:])

    def audio_cell(self, change: EpisodeChange) -> str:
        if change.action == "remove":
            return "—"
        if change.action == "adopt":
            return "kept as it is"
        job = self.jobs.get(change.digest)
        if change.republish:
            return "same audio, no cost"
        if job is None:
            return "—"
        if job.action == "generate":
            minutes = estimated_minutes(job.source)
            length = f", {_minutes(minutes)}" if minutes is not None else ""
            default = " (default length)" if uses_default_length(job.source) else ""
            return f"new job{length}{default}"
        if job.action == "resume":
            return f"submitted earlier, no new cost (job {job.mic_id})"
        if job.action == "existing":
            return f"existing audio, published as it is, no cost (job {job.mic_id})"
        return f"generated earlier, no cost (job {job.mic_id})"

    def new_audio(self, change: EpisodeChange) -> AudioJob | None:
        """The job behind an episode whose audio changes (not a re-publish or a removal)."""
        if change.action not in ("add", "replace") or change.republish:
            return None
        return self.jobs.get(change.digest)

    def orphan_jobs(self, key: str, episodes: list[EpisodeChange]) -> list[AudioJob]:
        """Paid jobs no episode change of this show points at (a preview, say): still listed."""
        digests = {e.digest for e in episodes if e.action in ("add", "replace")}
        return [
            j
            for j in self.jobs_by_show.get(key, [])
            if j.digest not in digests and j.action not in FREE_AUDIO
        ]

    def source_entry(self, job: AudioJob, show: str, episode: str) -> dict[str, Any]:
        """One episode's audio source (a job may serve several episodes with one source)."""
        source = job.source
        was = self.base_episode(show, episode)
        old = was.source if was is not None else None
        return {
            "episode": episode,
            "what": self.text(_describe(source)),
            "document": _document(source, old) if source.kind == "document" else None,
            "diff": (
                self.dialogue_diff(old, source, self.scripts.get((show, episode)))
                if source.kind == "dialogue" and self.base is not None
                else None
            ),
            "listen": self.pages.get(job.digest),
        }

    def dialogue_diff(
        self, old: Source | None, new: Source, script: str | None = None
    ) -> dict[str, Any] | None:
        """The changed dialogue lines (`speaker: text`) against the base, with one line of
        context; every line of a dialogue that is new since the base."""
        lines = _diff_lines(old.dialogue if old else (), new.dialogue)
        if not lines:
            return None
        limit = self.budget.diff_lines
        shown = list(lines if limit is None else lines[:limit])
        longest = max((len(run) for line in shown for run in _BACKTICKS.findall(line)), default=0)
        added = sum(1 for line in lines if line[:1] == "+")
        removed = sum(1 for line in lines if line[:1] == "-")
        all_new = old is None or old.kind != "dialogue"
        return {
            "fence": "`" * max(3, longest + 1),
            "lines": shown,
            "cut": _cut(len(lines) - len(shown), "diff line", "diff lines", bool(shown)),
            "fold": len(lines) > FOLD_DIFF_LINES or (script is not None and all_new),
            "summary": (
                ("" if script is None else f"pinned script {html_text(script)}, ")
                + (
                    f"{counted(len(new.dialogue), 'line')}, all new"
                    if all_new
                    else f"{counted(added, 'line')} added, {removed:,} removed"
                )
            ),
        }

    def lock_only(self) -> dict[str, Any]:
        lines = protect_lines(self.plan) + [
            (
                f"forget episode {f.show}/{f.key}"
                if isinstance(f, ForgetEpisode)
                else f"forget show {f.show}"
            )
            + ": gone from both the manifests and the account"
            for f in self.plan.forget
        ]
        shown, cut = self.take(lines)
        return {
            "lines": shown,
            "cut": _cut(cut, "lock change", "lock changes", bool(shown)),
            "fold": len(lines) > FOLD_ROWS,
            "total": len(lines),
        }

    def unmanaged(self) -> dict[str, Any]:
        rows = [
            {"show": u.show, "episode_id": u.episode_id, "title": self.cell(u.title)}
            for u in self.plan.unmanaged
        ]
        shown, cut = self.take(rows)
        return {
            "rows": shown,
            "cut": _cut(cut, "unmanaged episode", "unmanaged episodes", bool(shown)),
            "fold": len(rows) > FOLD_ROWS // 2,
            "total": len(rows),
        }


def _cut(count: int, singular: str, plural: str, after_some: bool) -> str | None:
    """'…and 3 more episode changes' after some were shown, '1 episode change' if none was."""
    if count <= 0:
        return None
    noun = singular if count == 1 else plural
    return f"…and {count:,} more {noun}" if after_some else f"{count:,} {noun}"


def _republish_warning(episodes: list[str]) -> str:
    names = ", ".join(episodes[:20])
    if len(episodes) > 20:
        names += f" and {len(episodes) - 20} more"
    if len(episodes) == 1:
        return (
            f"episode {names} is re-published: it is removed and added again, so it moves to "
            "the top of the feed"
        )
    return (
        f"{len(episodes)} episodes are re-published ({names}): each is removed and added again, "
        "so it moves to the top of the feed"
    )


def _describe(source: Source) -> str:
    """What the audio is made from, in one line; for a document only the parts that are not
    the file itself (which the template names by path, size and digest, never by its text)."""
    parts = []
    if source.kind == "topic":
        parts.append(f"topic {quote(shorten(source.topic or '', 200))}")
    elif source.kind == "document":
        if source.topic:
            parts.append(f"focus {quote(shorten(source.topic, 200))}")
    elif source.kind == "audio":
        parts.append(f"existing audio {source.mic_id}")
    else:
        speakers = ", ".join(dict.fromkeys(speaker for speaker, _ in source.dialogue))
        parts.append(
            f"dialogue, {counted(len(source.dialogue), 'line')}"
            + (f" ({speakers})" if speakers else "")
        )
    if source.duration_minutes is not None:
        parts.append(f"{source.duration_minutes} min")
    if source.style_prompt:
        parts.append(f"style {quote(shorten(source.style_prompt, 80))}")
    return ", ".join(parts)


def _document(source: Source, old: Source | None) -> dict[str, str] | None:
    """A document by display path, size and digest, and what it was at the base if it changed."""
    doc = source.document
    if doc is None:
        return None
    before = old.document if old is not None else None
    changed = before is not None and before.sha256 != doc.sha256
    return {
        "path": doc.display,
        "size": human_size(doc.size),
        "digest": short_digest(doc.sha256),
        "was_size": human_size(before.size) if before is not None and changed else "",
        "was_digest": short_digest(before.sha256) if before is not None and changed else "",
    }


def _kind(source: Source) -> str:
    return "existing audio" if source.kind == "audio" else f"a {source.kind}"


def _source_edits(old: Source, new: Source) -> list[str]:
    """How a source changed since the base, in words: 'topic edited', 'dialogue edited'."""
    if old.kind != new.kind:
        return [f"now {_kind(new)} (was {_kind(old)})"]
    edits = []
    if old.mic_id != new.mic_id:
        edits.append(f"audio {old.mic_id} → {new.mic_id}")
    if old.topic != new.topic:
        edits.append("focus edited" if new.kind == "document" else "topic edited")
    if old.duration_minutes != new.duration_minutes:
        edits.append(f"length {_length(old)} → {_length(new)}")
    if old.document and new.document and old.document.sha256 != new.document.sha256:
        edits.append("document edited")
    if old.dialogue != new.dialogue:
        edits.append("dialogue edited")
    if old.style_prompt != new.style_prompt:
        edits.append("style edited")
    return edits


def _length(source: Source) -> str:
    if source.duration_minutes is None:
        return f"default ({DEFAULT_MINUTES} min)"
    return f"{source.duration_minutes} min"


def _clean(text: str) -> str:
    """text.clean() with a fast path: printable text has nothing to clean."""
    return text if text.isprintable() else clean(text)


def listen_url(url: str) -> str:
    """A URL safe inside `[listen](...)`: only http(s), with spaces, parentheses and angle
    brackets percent-encoded so the link cannot end early."""
    if not url.startswith(("https://", "http://")):
        return ""
    return urllib.parse.quote(clean(url), safe=":/?#[]@!$&'*+,;=%~-._")


_environment.filters["url"] = listen_url


def _join_keys(keys: list[str]) -> str:
    quoted = [code(k) for k in keys[:10]]
    more = f" and {len(keys) - 10:,} more" if len(keys) > 10 else ""
    return ", ".join(quoted) + more


def _minutes(minutes: float | None) -> str:
    if minutes is None:
        return "unknown length"
    if minutes < 1:
        return "under 1 min"
    return f"≈ {round(minutes):,} min"


__all__ = [
    "COMMENT_CHARS",
    "COMMENT_LIMIT",
    "SUMMARY_LIMIT",
    "LOCK_ONLY",
    "code",
    "estimated_minutes",
    "md",
    "render_markdown",
]
