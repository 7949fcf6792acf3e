"""The codes a plan carries, stable across wording: why a change is in it (Reason), what a
reviewer should know (WarningCode, Warning) and why apply refuses it (GuardCode, Guard,
GuardSettings). Split from plan.py, which holds the changes and the Plan and re-exports all
of these: JSON, the checksum and render/phrases.py all key on these codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

AudioAction = Literal["generate", "resume", "reuse", "existing"]


class Reason(str, Enum):
    """Why a change is in the plan: a stable code that JSON carries and the checksum covers;
    render/phrases.py says it in words."""

    NEW = "new"
    SOURCE_CHANGED = "source_changed"
    TITLE_CHANGED = "title_changed"
    DESCRIPTION_CHANGED = "description_changed"
    TITLE_AND_DESCRIPTION_CHANGED = "title_and_description_changed"
    TITLE_DIFFERS = "title_differs"  # no record of what podsync applied: the live value differs
    DESCRIPTION_DIFFERS = "description_differs"
    TITLE_AND_DESCRIPTION_DIFFER = "title_and_description_differ"
    DRIFT_CHANGED = "drift_changed"  # edited outside podsync; the manifest still says the same
    DRIFT_AUDIO_SWAPPED = "drift_audio_swapped"
    DRIFT_REMOVED = "drift_removed"  # an episode removed outside podsync
    DRIFT_DELETED = "drift_deleted"  # a show deleted outside podsync
    RENAMED = "renamed"  # the key changed in the manifest; `renamed_from` names the old one
    REMOVED_FROM_MANIFEST = "removed_from_manifest"
    REPUBLISHED_OLD_VERSION = "republished_old_version"
    REPUBLISH_UNRECORDED = "republish_unrecorded"  # a run stopped before recording its add
    SAME_TITLE = "same_title"  # a live show or episode has this title: adopted as it is
    SHOW_ID_SET = "show_id_set"
    AUDIO_NOT_CACHED = "audio_not_cached"  # generate: a new paid job
    AUDIO_SUBMITTED = "audio_submitted"  # resume: an earlier run submitted it
    AUDIO_CACHED = "audio_cached"  # reuse: finished audio in the cache
    AUDIO_EXISTING = "audio_existing"  # existing: a `source: {audio: mic_id}` job, as it is
    REGENERATE_ASKED = "regenerate_asked"  # --regenerate: a new take of an unchanged source


AUDIO_REASONS: dict[AudioAction, Reason] = {
    "generate": Reason.AUDIO_NOT_CACHED,
    "resume": Reason.AUDIO_SUBMITTED,
    "reuse": Reason.AUDIO_CACHED,
    "existing": Reason.AUDIO_EXISTING,
}


class WarningCode(str, Enum):
    """What a reviewer should know about a plan, as a stable code (podsync.yaml may
    acknowledge one per show); render/phrases.py says it in words from its params."""

    UNCONFIRMED_AUDIO = "unconfirmed_audio"
    HELD_BACK = "held_back"  # --no-delete left out changes that remove something live
    SHOW_LEFT_BEHIND = "show_left_behind"
    SHOW_NOT_READ = "show_not_read"
    RENAME_HINT = "rename_hint"
    DUPLICATE_SHOW = "duplicate_show"
    DUPLICATE_EPISODE = "duplicate_episode"
    DUPLICATE_AUDIO = "duplicate_audio"  # an unmanaged live episode has audio this plan publishes
    SAFETY_LOOSENED = "safety_loosened"
    FEED_ORDER = "feed_order"
    LOCK_EDITED = "lock_edited"
    LOCK_NOT_COMPARED = "lock_not_compared"
    AUDIO_UNVOUCHED = "audio_unvouched"


@dataclass(frozen=True)
class Warning:  # noqa: A001 - the plan's vocabulary; builtins.Warning is not used here
    """Something a reviewer should know about the plan; `params` are plain JSON values."""

    code: WarningCode
    show: str | None = None
    episode: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)
    acknowledged: bool = False  # listed under `acknowledge:` in podsync.yaml for its show

    @property
    def routine(self) -> bool:
        """Worth saying only in a verbose plan: a feed order this plan does not change."""
        return self.code is WarningCode.FEED_ORDER and not self.params.get("changed", True)


# The warnings podsync.yaml may acknowledge for a show (schemas/project.schema.json lists them).
ACKNOWLEDGEABLE = (
    WarningCode.FEED_ORDER,
    WarningCode.DUPLICATE_SHOW,
    WarningCode.DUPLICATE_EPISODE,
    WarningCode.DUPLICATE_AUDIO,
    WarningCode.SAFETY_LOOSENED,
    WarningCode.SHOW_LEFT_BEHIND,
    WarningCode.SHOW_NOT_READ,
)


class GuardCode(str, Enum):
    """Why apply refuses a plan, as a stable code; the flag that lifts it follows from it."""

    DESTROY = "destroy"  # a show would be deleted
    MASS_REMOVAL = "mass_removal"  # more than the safety share of a show's episodes removed
    PROTECTED_SHOW = "protected_show"  # a protected show would be deleted
    PROTECTED_EPISODES = "protected_episodes"  # deleting a show removes protected episodes
    PROTECTED_REMOVED = "protected_removed"  # a protected episode left the manifest
    PROTECTED_REPUBLISH = "protected_republish"  # a protected episode would be re-published
    STALE_SCRIPT = "stale_script"  # a pinned script was written for another topic/document/length


GUARD_FLAGS: dict[GuardCode, str] = {
    GuardCode.DESTROY: "--allow-destroy",
    GuardCode.MASS_REMOVAL: "--allow-mass-removal",
}


@dataclass(frozen=True)
class Guard:
    """A reason apply refuses this plan. The plan is still made and shown in full, the guards
    leading its warnings, so a reviewer sees why; only apply refuses it, before any change."""

    code: GuardCode
    show: str
    episode: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def flag(self) -> str | None:
        """The apply option that lifts the guard; None when none does (a protected show or
        episode: set `protect: false` and apply first)."""
        return GUARD_FLAGS.get(self.code)


@dataclass(frozen=True)
class GuardSettings:
    """What decides the guards besides the changes: podsync.yaml's `safety:` and every
    `protect: true` in force, in the manifests and as recorded in podsync.lock ("show" or
    "show/episode", sorted). Part of the checksum: loosening any of them after a review
    changes what apply refuses, so it must change the plan that was approved."""

    max_removal_share: float = 0.3
    min_episodes: int = 10
    protected_in_manifests: tuple[str, ...] = ()
    protected_in_lock: tuple[str, ...] = ()
