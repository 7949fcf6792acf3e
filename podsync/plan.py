"""The Plan: every change apply will make, in the order it will make them.

One object feeds every renderer (text, JSON, Markdown) and the executor, so what a reviewer
reads is what apply does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from podsync.model import Source

ShowAction = Literal["create", "update", "delete", "adopt"]
AudioAction = Literal["generate", "resume", "reuse"]
EpisodeAction = Literal["add", "replace", "remove", "adopt"]
GuardKind = Literal["protected", "mass-removal", "destroy"]


@dataclass(frozen=True)
class ShowChange:
    action: ShowAction
    key: str
    show_id: str | None  # None until created
    reason: str
    title: str | None = None  # desired values (None for delete)
    description: str | None = None
    before: dict[str, str] | None = None  # live values that change, for update/delete
    renamed_from: str | None = None  # adopt: the lock entry moves from this key (a key rename)


@dataclass(frozen=True)
class AudioJob:
    """Audio an episode needs. `generate` pays for a new job; `resume` waits on a job a
    previous run submitted; `reuse` takes finished audio from the cache."""

    action: AudioAction
    digest: str
    show: str
    episode: str
    title: str
    source: Source
    mic_id: str | None = None


@dataclass(frozen=True)
class EpisodeChange:
    """An episode to publish or unpublish. There is no PATCH for episodes, so a metadata
    change is a `replace` with the same audio (`republish=True`)."""

    action: EpisodeAction
    show: str
    key: str
    reason: str
    position: int = 0  # index in the manifest, the publishing order
    title: str | None = None
    description: str | None = None
    digest: str | None = None  # audio to publish (add/replace/adopt)
    episode_id: str | None = None  # live episode to remove (replace/remove) or adopt
    mic_id: str | None = None  # live mic_id being removed or adopted
    republish: bool = False
    renamed_from: str | None = None  # adopt: the lock record moves from this key (a key rename)


@dataclass(frozen=True)
class Unmanaged:
    """A live episode podsync did not create; reported, never touched."""

    show: str
    episode_id: str
    title: str


@dataclass(frozen=True)
class Guard:
    """A reason apply refuses this plan. The plan is still made and shown in full, with the
    message among its warnings, so a reviewer sees why; only apply refuses it, before any
    change. `flag` is the apply option that lifts the guard; None means none does (a
    protected show or episode: set `protect: false` and apply first)."""

    kind: GuardKind
    target: str  # "show 'x'" or "episode 'x/y'"
    message: str
    flag: str | None = None


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
    warnings: tuple[str, ...] = field(default=())
    live_read: bool = True
    # lock entries (show key, episode key or None) gone from both the manifests and the account:
    # apply drops them from the lock, with no request
    forget: tuple[tuple[str, str | None], ...] = ()
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
        return any(a.action != "reuse" for a in self.audio)

    @property
    def has_deletes(self) -> bool:
        return any(s.action == "delete" for s in self.shows) or any(
            e.action == "remove" for e in self.episodes
        )

    def refused(self, allowed: frozenset[str] = frozenset()) -> tuple[Guard, ...]:
        """The guards that stop apply, given the apply flags (such as --allow-destroy) set."""
        return tuple(g for g in self.guards if g.flag is None or g.flag not in allowed)

    def summary(self) -> dict[str, dict[str, int]]:
        def count(items: tuple[ShowChange | AudioJob | EpisodeChange, ...], action: str) -> int:
            return sum(1 for i in items if i.action == action)

        return {
            "shows": {a: count(self.shows, a) for a in ("create", "update", "delete")},
            "episodes": {a: count(self.episodes, a) for a in ("add", "replace", "remove")},
            "audio": {
                "generate": count(self.audio, "generate"),
                "reuse": count(self.audio, "reuse") + count(self.audio, "resume"),
            },
        }


def counted(n: int, noun: str) -> str:
    """ "1 episode", "2 episodes": how every report counts things."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
