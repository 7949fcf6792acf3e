"""The lock's data model: immutable records of what podsync created and paid for, and the
entries they become in the lock file; podsync.lock_file reads and writes the file itself."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace
from typing import Any

from podsync.applied_source import AppliedSource
from podsync.model import AUDIO_SUCCEEDED, AUDIO_UNSUCCESSFUL

LOCK_VERSION = 1


@dataclass(frozen=True)
class LockedEpisode:
    """A live episode podsync published, and what it published it with."""

    episode_id: str
    mic_id: str
    digest: str
    title: str
    description: str
    # `protect: true` as last applied; kept here so that removing the episode from its manifest
    # (which removes the `protect:` line with it) is still refused
    protected: bool = False
    # the source as published, the "before" of a plan's source fields (None: not known)
    source: AppliedSource | None = None


@dataclass(frozen=True)
class LockedShow:
    """A live show podsync manages; title/description are the values it last applied."""

    show_id: str
    title: str
    description: str
    episodes: dict[str, LockedEpisode] = field(default_factory=dict)
    protected: bool = False  # `protect: true` as last applied, as for LockedEpisode
    # live episode id -> key: the old version of a re-published episode, still to be removed
    retired: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CachedAudio:
    """An audio job podsync paid for, keyed in the lock by the digest of its source."""

    mic_id: str
    status: str
    audio_url: str | None = None
    audio_page_url: str | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == AUDIO_SUCCEEDED

    @property
    def failed(self) -> bool:
        """Finished without audio (failed, cancelled, expired, missing...): pay for a new job."""
        return self.status in AUDIO_UNSUCCESSFUL


@dataclass(frozen=True)
class UnconfirmedJob:
    """A POST /audios without a clear answer on record: a job may exist (and be billed) that
    podsync cannot find, since the API cannot list jobs. Written before the request is sent and
    replaced by the job's record when its answer comes, so a run killed in between still leaves
    it; kept so the next plan says it may pay twice."""

    at: str  # when, ISO 8601 UTC
    request: str  # the request and what went wrong with it


@dataclass(frozen=True)
class AppliedApproval:
    """A pull request's reviewed plan that the GitHub Action applied, keyed in the lock by the
    pull request's number: an approval is used once (podsync.github.review)."""

    checksum: str
    merge_commit: str


Touched = tuple[tuple[str, str], ...]  # (section, key): ("audio", digest), ("shows", key)...


@dataclass(frozen=True)
class Delta:
    """What a `with_*` changed in the lock it was made from: the lock's journal then writes
    those records only, without comparing thousands of others (podsync.lock_journal). The
    parent is held weakly, so that a run does not keep every lock it made alive."""

    parent: weakref.ref[Lock]
    touched: Touched


@dataclass(frozen=True)
class Lock:
    """Immutable: every `with_*` returns a new Lock, so the planner can trust its input."""

    shows: dict[str, LockedShow] = field(default_factory=dict)
    audio: dict[str, CachedAudio] = field(default_factory=dict)
    unconfirmed: dict[str, UnconfirmedJob] = field(default_factory=dict)
    applied: dict[str, AppliedApproval] = field(default_factory=dict)
    # digest -> the finished jobs a newer one replaced (oldest first): `apply --regenerate`
    # keeps what it paid for before, so a regenerate asked by mistake can be undone
    history: dict[str, tuple[CachedAudio, ...]] = field(default_factory=dict)
    # set by the `with_*` that made this lock (not by `replace`, nor by a constructor: a lock
    # made another way is compared whole)
    delta: Delta | None = field(default=None, init=False, compare=False, repr=False)

    def touched_since(self, ancestor: Lock, most: int = 8) -> Touched | None:
        """The records changed since `ancestor`, if this lock was made from it by at most
        `most` `with_*` calls whose locks are all still alive; None: not known."""
        touched: Touched = ()
        lock = self
        for _ in range(most):
            if lock is ancestor:
                return touched
            delta = lock.delta
            parent = delta.parent() if delta is not None else None
            if delta is None or parent is None:
                return None
            touched += delta.touched
            lock = parent
        return touched if lock is ancestor else None

    def _derive(self, touched: Touched, **fields: Any) -> Lock:
        lock = replace(self, **fields)
        object.__setattr__(lock, "delta", Delta(weakref.ref(self), touched))
        return lock

    def with_show(self, key: str, show: LockedShow) -> Lock:
        return self._derive((("shows", key),), shows={**self.shows, key: show})

    def without_show(self, key: str) -> Lock:
        shows = {k: v for k, v in self.shows.items() if k != key}
        return self._derive((("shows", key),), shows=shows)

    def with_episode(self, show_key: str, key: str, episode: LockedEpisode) -> Lock:
        show = self.shows[show_key]
        return self.with_show(show_key, replace(show, episodes={**show.episodes, key: episode}))

    def without_episode(self, show_key: str, key: str) -> Lock:
        show = self.shows[show_key]
        remaining = {k: v for k, v in show.episodes.items() if k != key}
        return self.with_show(show_key, replace(show, episodes=remaining))

    def with_retired(self, show_key: str, episode_id: str, key: str) -> Lock:
        """The show records `episode_id` as the old version of its episode `key`: podsync
        published the new version and is to remove this one."""
        show = self.shows[show_key]
        return self.with_show(show_key, replace(show, retired={**show.retired, episode_id: key}))

    def without_retired(self, show_key: str, episode_id: str) -> Lock:
        show = self.shows.get(show_key)
        if show is None or episode_id not in show.retired:
            return self
        retired = {i: k for i, k in show.retired.items() if i != episode_id}
        return self.with_show(show_key, replace(show, retired=retired))

    def with_protection(self, show_key: str, episode_key: str | None, protected: bool) -> Lock:
        """The show (episode_key None) or episode marked protected or not; unknown keys are
        left alone (the record appears once apply has created it)."""
        show = self.shows.get(show_key)
        if show is None:
            return self
        if episode_key is None:
            return self.with_show(show_key, replace(show, protected=protected))
        episode = show.episodes.get(episode_key)
        if episode is None:
            return self
        return self.with_episode(show_key, episode_key, replace(episode, protected=protected))

    def with_audio(self, digest: str, audio: CachedAudio) -> Lock:
        """The job for `digest`; a job now on record settles any unconfirmed submission."""
        unconfirmed = {d: u for d, u in self.unconfirmed.items() if d != digest}
        history = self.history
        old = self.audio.get(digest)
        if old is not None and old.succeeded and old.mic_id != audio.mic_id:
            history = {**history, digest: (*history.get(digest, ()), old)}
        return self._derive(
            (("audio", digest), ("unconfirmed", digest), ("history", digest)),
            audio={**self.audio, digest: audio},
            unconfirmed=unconfirmed,
            history=history,
        )

    def with_unconfirmed(self, digest: str, job: UnconfirmedJob) -> Lock:
        unconfirmed = {**self.unconfirmed, digest: job}
        return self._derive((("unconfirmed", digest),), unconfirmed=unconfirmed)

    def without_unconfirmed(self, digest: str) -> Lock:
        """Settled without a job: the API refused the request, or it was never sent."""
        unconfirmed = {d: u for d, u in self.unconfirmed.items() if d != digest}
        return self._derive((("unconfirmed", digest),), unconfirmed=unconfirmed)

    def with_applied(self, pull_request: int, approval: AppliedApproval) -> Lock:
        key = str(pull_request)
        return self._derive((("applied", key),), applied={**self.applied, key: approval})

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": LOCK_VERSION,
            "shows": {key: show_entry(s) for key, s in self.shows.items()},
            "audio": {digest: entry(a) for digest, a in self.audio.items()},
            **(
                {"unconfirmed": {d: vars(u) for d, u in self.unconfirmed.items()}}
                if self.unconfirmed
                else {}
            ),
            **({"applied": {n: vars(a) for n, a in self.applied.items()}} if self.applied else {}),
            **(
                {"history": {d: [_drop_none(vars(a)) for a in h] for d, h in self.history.items()}}
                if self.history
                else {}
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lock:
        shows = {
            key: LockedShow(
                show_id=s["show_id"],
                title=s["title"],
                description=s["description"],
                episodes={k: _episode(e) for k, e in s["episodes"].items()},
                protected=s.get("protected", False),
                retired=dict(s.get("retired", {})),
            )
            for key, s in data["shows"].items()
        }
        audio = {digest: CachedAudio(**a) for digest, a in data["audio"].items()}
        unconfirmed = {
            digest: UnconfirmedJob(**u) for digest, u in data.get("unconfirmed", {}).items()
        }
        applied = {n: AppliedApproval(**a) for n, a in data.get("applied", {}).items()}
        history = {
            digest: tuple(CachedAudio(**a) for a in jobs)
            for digest, jobs in data.get("history", {}).items()
        }
        return cls(
            shows=shows, audio=audio, unconfirmed=unconfirmed, applied=applied, history=history
        )


def show_entry(show: LockedShow) -> dict[str, Any]:
    """A show as the lock file holds it."""
    return _drop_none(
        {
            "show_id": show.show_id,
            "title": show.title,
            "description": show.description,
            "episodes": {k: entry(e) for k, e in show.episodes.items()},
            "protected": show.protected,
            **({"retired": dict(show.retired)} if show.retired else {}),
        }
    )


def _episode(data: dict[str, Any]) -> LockedEpisode:
    source = data.get("source")
    if source is None:
        return LockedEpisode(**data)
    return LockedEpisode(**{**data, "source": AppliedSource.from_dict(source)})


def entry(record: LockedEpisode | CachedAudio | UnconfirmedJob | AppliedApproval) -> dict[str, Any]:
    """An episode, audio job, unconfirmed submission or approval as the lock file holds it."""
    if isinstance(record, LockedEpisode) and record.source is not None:
        return _drop_none({**vars(record), "source": record.source.to_dict()})
    return _drop_none(vars(record))


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    """Unset fields are left out, `protected: false` too, so older locks stay byte-identical."""
    return {k: v for k, v in values.items() if v is not None and v is not False}
