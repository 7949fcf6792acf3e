"""The Plan: every change apply will make, in the order it will make them.

One object feeds every renderer (text, JSON, Markdown) and the executor, so what a reviewer
reads is what apply does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar, Literal

from podsync.model import Source

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


# A field's plain JSON value; None where the field is absent on that side.
FieldValue = str | int | float | list[str] | None


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: the value before (live, recorded, or the base's manifest) and
    the one the manifest wants. `path` names it as the JSON plan does: "title",
    "source.topic", "source.document.sha256", "source.dialogue[3][1]"."""

    path: str
    before: FieldValue
    after: FieldValue


@dataclass(frozen=True)
class CreateShow:
    action: ClassVar[Literal["create"]] = "create"
    key: str
    reason: Reason
    title: str
    description: str


@dataclass(frozen=True)
class UpdateShow:
    action: ClassVar[Literal["update"]] = "update"
    key: str
    show_id: str
    reason: Reason
    title: str  # desired values
    description: str
    changes: tuple[FieldChange, ...]

    @property
    def before(self) -> dict[str, str]:
        return {c.path: str(c.before) for c in self.changes}


@dataclass(frozen=True)
class DeleteShow:
    action: ClassVar[Literal["delete"]] = "delete"
    key: str
    show_id: str
    reason: Reason
    title: str  # the live values, as a reviewer last saw the show
    description: str


@dataclass(frozen=True)
class AdoptShow:
    """A live show taken under management as it is (no request)."""

    action: ClassVar[Literal["adopt"]] = "adopt"
    key: str
    show_id: str
    reason: Reason
    title: str  # the live values
    description: str
    renamed_from: str | None = None  # the lock entry moves from this key (a key rename)


ShowChange = CreateShow | UpdateShow | DeleteShow | AdoptShow


@dataclass(frozen=True)
class _Audio:
    """What every audio job names: the source's digest, whose episode it is, and its input."""

    digest: str
    show: str
    episode: str
    title: str
    source: Source


@dataclass(frozen=True)
class GenerateAudio(_Audio):
    """A new, paid audio job."""

    action: ClassVar[Literal["generate"]] = "generate"


@dataclass(frozen=True)
class ResumeAudio(_Audio):
    """A job a previous run submitted: waited on, not paid again."""

    action: ClassVar[Literal["resume"]] = "resume"
    mic_id: str


@dataclass(frozen=True)
class ReuseAudio(_Audio):
    """Finished audio from the cache (or the live episode's own, for a re-publish)."""

    action: ClassVar[Literal["reuse"]] = "reuse"
    mic_id: str


@dataclass(frozen=True)
class ExistingAudio(_Audio):
    """A job that was in the account before podsync (`source: {audio: mic_id}`), published as
    it is: never generated or paid for by podsync; the plan checked it succeeded."""

    action: ClassVar[Literal["existing"]] = "existing"
    mic_id: str


AudioJob = GenerateAudio | ResumeAudio | ReuseAudio | ExistingAudio
FREE_AUDIO: tuple[AudioAction, ...] = ("reuse", "existing")  # nothing to pay or wait for


@dataclass(frozen=True)
class AddEpisode:
    action: ClassVar[Literal["add"]] = "add"
    republish: ClassVar[bool] = False  # an add publishes audio of its own
    show: str
    key: str
    reason: Reason
    position: int  # index in the manifest, the publishing order
    title: str
    description: str
    digest: str  # the audio to publish


@dataclass(frozen=True)
class ReplaceEpisode:
    """There is no PATCH for episodes: a change is an add of the new version, then the removal
    of the live one; `republish` when it is the live episode's own audio again."""

    action: ClassVar[Literal["replace"]] = "replace"
    show: str
    key: str
    reason: Reason
    position: int
    title: str
    description: str
    digest: str
    episode_id: str  # the live episode removed
    mic_id: str
    republish: bool = False
    # what differs from the live episode, field by field (see podsync/field_diff.py)
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class RemoveEpisode:
    action: ClassVar[Literal["remove"]] = "remove"
    show: str
    key: str
    reason: Reason
    title: str  # the live title
    episode_id: str
    mic_id: str


@dataclass(frozen=True)
class AdoptEpisode:
    """A live episode taken under management as it is (no request)."""

    action: ClassVar[Literal["adopt"]] = "adopt"
    show: str
    key: str
    reason: Reason
    position: int
    title: str  # the live values
    description: str
    digest: str
    episode_id: str
    mic_id: str
    renamed_from: str | None = None  # the lock record moves from this key (a key rename)


EpisodeChange = AddEpisode | ReplaceEpisode | RemoveEpisode | AdoptEpisode


@dataclass(frozen=True)
class ForgetEpisode:
    """A lock record whose episode left both the manifest and the account: apply drops it,
    with no request."""

    show: str
    key: str


@dataclass(frozen=True)
class ForgetShow:
    """The same for a whole show (its lock entry, episodes and all)."""

    show: str


Forget = ForgetShow | ForgetEpisode
Publishing = AddEpisode | ReplaceEpisode


@dataclass(frozen=True)
class Unmanaged:
    """A live episode podsync did not create; reported, never touched."""

    show: str
    episode_id: str
    title: str


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


@dataclass(frozen=True)
class Plan:
    shows: tuple[ShowChange, ...] = ()
    audio: tuple[AudioJob, ...] = ()
    episodes: tuple[EpisodeChange, ...] = ()
    unmanaged: tuple[Unmanaged, ...] = ()
    warnings: tuple[Warning, ...] = field(default=())
    live_read: bool = True
    forget: tuple[Forget, ...] = ()
    guards: tuple[Guard, ...] = ()
    # (show key, episode key or None, protected): `protect:` values apply records in the lock,
    # with no request, once the show or episode is there
    protect: tuple[tuple[str, str | None, bool], ...] = ()
    settings: GuardSettings = GuardSettings()

    @property
    def has_changes(self) -> bool:
        return bool(self.shows or self.episodes or self.needs_jobs)

    @property
    def needs_jobs(self) -> bool:
        return any(a.action not in FREE_AUDIO for a in self.audio)

    @property
    def has_deletes(self) -> bool:
        return any(s.action == "delete" for s in self.shows) or any(
            e.action == "remove" for e in self.episodes
        )

    def refused(self, allowed: frozenset[str] = frozenset()) -> tuple[Guard, ...]:
        """The guards that stop apply, given the apply flags (such as --allow-destroy) set."""
        return tuple(g for g in self.guards if g.flag is None or g.flag not in allowed)

    def summary(self) -> dict[str, dict[str, int]]:
        def count(
            items: tuple[ShowChange, ...] | tuple[AudioJob, ...] | tuple[EpisodeChange, ...],
            action: str,
        ) -> int:
            return sum(1 for i in items if i.action == action)

        return {
            "shows": {a: count(self.shows, a) for a in ("create", "update", "delete")},
            "episodes": {a: count(self.episodes, a) for a in ("add", "replace", "remove")},
            "audio": {
                "generate": count(self.audio, "generate"),
                "reuse": count(self.audio, "reuse")
                + count(self.audio, "resume")
                + count(self.audio, "existing"),
            },
        }


def counted(n: int, noun: str) -> str:
    """ "1 episode", "2 episodes": how every report counts things."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
