"""The plan's codes in words: one table per kind of code, shared by every renderer.

The planner, the executor and the checksum deal in codes (plan.Reason, WarningCode, GuardCode);
only the phrases modules turn them into sentences, so rewording one touches nothing else.

All the wording is reached from here, one module per subject: reason_phrases (a change's
reason and the other per-change words), warning_phrases (warnings, and the lines a plan shows),
guard_phrases (why apply refuses), lock_review_phrases (a pull request's hand edits to
podsync.lock). Every name is importable from this module, as before the split.
"""

from __future__ import annotations

from podsync.render.guard_phrases import guard_target, guard_text
from podsync.render.lock_review_phrases import LOCK_EDITED, unvouched_text
from podsync.render.reason_phrases import (
    AUDIO_WORDS,
    EDITED_FIELDS,
    EPISODE_REASONS,
    PLAIN_EPISODE_REASONS,
    PLAIN_SHOW_REASONS,
    SHOW_REASONS,
    STALE_FIELDS,
    episode_reason,
    plain_episode_reason,
    plain_show_reason,
    show_reason,
)
from podsync.render.warning_phrases import WARNED_TITLE_CHARS, WARNINGS, plan_warnings, warning_text

__all__ = [
    "AUDIO_WORDS",
    "EDITED_FIELDS",
    "EPISODE_REASONS",
    "LOCK_EDITED",
    "PLAIN_EPISODE_REASONS",
    "PLAIN_SHOW_REASONS",
    "SHOW_REASONS",
    "STALE_FIELDS",
    "WARNED_TITLE_CHARS",
    "WARNINGS",
    "episode_reason",
    "guard_target",
    "guard_text",
    "plain_episode_reason",
    "plain_show_reason",
    "plan_warnings",
    "show_reason",
    "unvouched_text",
    "warning_text",
]
