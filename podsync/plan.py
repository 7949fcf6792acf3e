"""The Plan: every change apply will make, in the order it will make them.

One object feeds every renderer (text, JSON, Markdown) and the executor, so what a reviewer
reads is what apply does. The codes it carries (reasons, warnings, guards) are in
plan_codes.py and importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from podsync.counting import counted as counted
from podsync.model import Source

# The codes, importable from here too: podsync.plan is the whole plan vocabulary.
from podsync.plan_codes import ACKNOWLEDGEABLE as ACKNOWLEDGEABLE
from podsync.plan_codes import AUDIO_REASONS as AUDIO_REASONS
from podsync.plan_codes import GUARD_FLAGS as GUARD_FLAGS
from podsync.plan_codes import AudioAction as AudioAction
from podsync.plan_codes import Guard as Guard
from podsync.plan_codes import GuardCode as GuardCode
from podsync.plan_codes import GuardSettings as GuardSettings
from podsync.plan_codes import Reason as Reason
from podsync.plan_codes import Warning as Warning
from podsync.plan_codes import WarningCode as WarningCode

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
