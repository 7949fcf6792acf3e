"""The Markdown template's values for one plan, under one budget at a time.

Over 400 lines on purpose: it is one class whose methods all share the budget being spent
(rows left, widths), so splitting it would scatter one rendering pass over mixins; the parts
that need no budget are in markdown_escape, markdown_words and markdown_budget."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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
from podsync.render.markdown_budget import (
    CELL_CHARS,
    CUT_NOTE,
    DETAIL,
    FOLD_DIFF_LINES,
    FOLD_ROWS,
    LAST_RESORT,
    Budget,
)
from podsync.render.markdown_escape import fast_clean, html_text
from podsync.render.markdown_words import (
    DEFAULT_MINUTES,
    WORDS_PER_MINUTE,
    cut_text,
    describe,
    document_entry,
    estimated_minutes,
    join_keys,
    minutes_text,
    republish_warning,
    source_edits,
    uses_default_length,
)
from podsync.render.phrases import (
    EDITED_FIELDS,
    plain_episode_reason,
    plain_show_reason,
    plan_warnings,
)
from podsync.render.text import (
    NO_CHANGES,
    NO_CHANGES_OFFLINE,
    OFFLINE_HEADER,
    OFFLINE_MEANING,
    protect_lines,
    quote,
    shorten,
    show_keys,
    summary_line,
)

_BACKTICKS = re.compile(r"`+")


class Context:
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
        self.budget = Budget(None, *DETAIL[0])
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
        value = fast_clean(value)
        width = min(self.budget.width, width or self.budget.width)
        return value if len(value) <= width else shorten(value, width)

    def cell(self, value: str) -> str:
        """A title in a table row: a very long one would push the other columns away."""
        return self.text(value, CELL_CHARS)

    def use(self, budget: Budget) -> None:
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

    def build(self, budget: Budget) -> dict[str, Any]:
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
            "shows_cut": cut_text(
                len(keys) - len(shows), "show with changes", "shows with changes", bool(shows)
            ),
            "lock_only": self.lock_only(),
            "unmanaged": self.unmanaged(),
        }

    def build_minimal(self) -> dict[str, Any]:
        """Only the summary, the notes and the counts: for a plan too long for anything else."""
        self.use(LAST_RESORT)
        return {
            **self.head(),
            "audio": self.audio_line() if self.plan.has_changes else None,
            "shows": [],
            "shows_cut": cut_text(
                len(show_keys(self.plan)) if self.plan.has_changes else 0,
                "show with changes",
                "shows with changes",
                False,
            ),
            "lock_only": {"lines": [], "cut": None, "fold": False, "total": 0},
            "unmanaged": {
                "rows": [],
                "cut": cut_text(
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
            "warnings_cut": cut_text(
                len(warnings) - len(shown), "warning", "warnings", bool(shown)
            ),
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
        moved = [republish_warning(republished)] if republished else []
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
                f"{join_keys(defaults)} at ZenMic's default length of {DEFAULT_MINUTES} minutes"
            )
        if dialogue:
            notes.append(f"dialogues at about {WORDS_PER_MINUTE} words a minute")
        return {
            "generate": counted(len(generate), "new audio job"),
            "generate_n": len(generate),
            "minutes": minutes_text(sum(minutes)),
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
            "rows_cut": cut_text(rows_cut, "episode change", "episode changes", bool(rows)),
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
            "sources_cut": cut_text(sources_cut, "source", "sources", bool(shown_sources)),
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
            edits = source_edits(was.source, job.source)
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
            length = f", {minutes_text(minutes)}" if minutes is not None else ""
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
            "what": self.text(describe(source)),
            "document": document_entry(source, old) if source.kind == "document" else None,
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
            "cut": cut_text(len(lines) - len(shown), "diff line", "diff lines", bool(shown)),
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
            "cut": cut_text(cut, "lock change", "lock changes", bool(shown)),
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
            "cut": cut_text(cut, "unmanaged episode", "unmanaged episodes", bool(shown)),
            "fold": len(rows) > FOLD_ROWS // 2,
            "total": len(rows),
        }
