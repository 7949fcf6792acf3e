"""plan(desired, lock, live) -> Plan: the one place that decides what apply will do.

Pure: no I/O, no clock, inputs never mutated. Everything clever lives here so it can be
tested with plain objects: drift repair, adoption, key renames, audio reuse, publishing order,
what to leave alone, and the guards apply checks before removing anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from podsync.errors import PlanError
from podsync.lock import CachedAudio, Lock, LockedEpisode, LockedShow
from podsync.model import (
    AUDIO_SUCCEEDED,
    AUDIO_UNSUCCESSFUL,
    Desired,
    Episode,
    Live,
    LiveEpisode,
    LiveShow,
    Safety,
    Show,
)
from podsync.plan import (
    AudioAction,
    AudioJob,
    EpisodeChange,
    Guard,
    GuardKind,
    GuardSettings,
    Plan,
    ShowChange,
    Unmanaged,
    counted,
)
from podsync.safe_text import cut

DRIFT = "drift: changed outside podsync"
WARNED_TITLE_CHARS = 200  # of a live title quoted in a warning: a server may send pages of it
DEFAULT_SAFETY = Safety()


@dataclass
class _Builder:
    """Accumulates one plan; audio jobs are deduplicated by digest (one job per source)."""

    lock: Lock
    live_audio: Mapping[str, str]
    no_delete: bool = False
    live_read: bool = True  # False: `live` is the lock's record (an offline plan)
    shows: list[ShowChange] = field(default_factory=list)
    audio: dict[str, AudioJob] = field(default_factory=dict)
    episodes: list[EpisodeChange] = field(default_factory=list)
    removals: list[EpisodeChange] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    forget: list[tuple[str, str | None]] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    protect: list[tuple[str, str | None, bool]] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)

    def guard(self, kind: GuardKind, target: str, message: str, flag: str | None = None) -> None:
        """Record why apply must refuse this plan; the message is a warning of the plan too."""
        self.guards.append(Guard(kind, target, message, flag))
        self.warnings.append(message)

    def hold_back(self, what: str) -> bool:
        """With --no-delete, leave out a change that removes something live (and say so)."""
        if self.no_delete:
            self.held_back.append(what)
        return self.no_delete

    def record_protect(self, show: str, episode: str | None, wanted: bool, recorded: bool) -> None:
        """Have apply write `protect:` into the lock when the record it will hold differs."""
        if wanted != recorded:
            self.protect.append((show, episode, wanted))

    def need_audio(
        self, show: Show, episode: Episode, published: LockedEpisode | None = None
    ) -> None:
        """Generate, resume or reuse the audio for this source, trusting the account's word on
        a job's status over the lock's (the lock may come from another account). Audio the
        lock records as published for this very source counts as cached."""
        digest = episode.source.digest
        if digest in self.audio:
            return
        cached = self.lock.audio.get(digest)
        if cached is None and published is not None and published.digest == digest:
            cached = CachedAudio(published.mic_id, AUDIO_SUCCEEDED)
        status = self.live_audio.get(cached.mic_id, cached.status) if cached else None
        if cached is None or status in AUDIO_UNSUCCESSFUL:
            action: AudioAction = "generate"
            mic_id: str | None = None
            self.warn_unconfirmed(show, episode)
        elif status == AUDIO_SUCCEEDED:
            action, mic_id = "reuse", cached.mic_id
        else:
            action, mic_id = "resume", cached.mic_id
        job = AudioJob(action, digest, show.key, episode.key, episode.title, episode.source, mic_id)
        self.add_job(job)

    def warn_unconfirmed(self, show: Show, episode: Episode) -> None:
        unconfirmed = self.lock.unconfirmed.get(episode.source.digest)
        if unconfirmed is not None:
            self.warnings.append(
                f"audio for '{show.key}/{episode.key}' was submitted at {unconfirmed.at} but the "
                f"answer was lost ({unconfirmed.request}); ZenMic cannot list jobs, so if that "
                "job was billed, this plan pays for the audio a second time"
            )

    def reuse_published(self, show: Show, episode: Episode, mic_id: str) -> None:
        """A re-publish needs no job: the live episode's own audio is published again."""
        digest = episode.source.digest
        job = AudioJob(
            "reuse", digest, show.key, episode.key, episode.title, episode.source, mic_id
        )
        self.add_job(job)

    def add_job(self, job: AudioJob) -> None:
        self.audio.setdefault(job.digest, job)


def live_show_ids_to_read(desired: Desired, lock: Lock, live_shows: Iterable[LiveShow]) -> set[str]:
    """Which live shows' episodes the planner needs: the managed ones and adoption candidates.

    Reading only these keeps a no-change plan at 1 + (number of shows) requests."""
    live_list = list(live_shows)
    listed = {s.show_id for s in live_list}
    wanted = {s.show_id for s in lock.shows.values()}
    claimed = set(wanted)
    for show in desired.shows:
        locked = lock.shows.get(show.key)
        if show.show_id:
            wanted.add(show.show_id)
        elif locked is None or locked.show_id not in listed:
            wanted.update(
                s.show_id for s in live_list if s.title == show.title and s.show_id not in claimed
            )
    return wanted


def audio_to_verify(
    desired: Desired, lock: Lock, live: Live, *, no_delete: bool = False
) -> set[str]:
    """mic_ids of cached jobs this plan would reuse or wait on: their status is asked of the
    account before the final plan, so a plan never promises audio that is not there."""
    first = plan(desired, lock, live, no_delete=no_delete)
    return {j.mic_id for j in first.audio if j.action != "generate" and j.mic_id}


def plan(desired: Desired, lock: Lock, live: Live, *, no_delete: bool = False) -> Plan:
    """Compare the three inputs and return every change apply must make, in apply's order.

    With `no_delete` (apply --no-delete) nothing live is removed: episode removals, show
    deletions and replaces (which remove the live episode) are held back, and a warning
    names them."""
    b = _Builder(lock, live.audio, no_delete, live.read)
    desired_keys = {s.key for s in desired.shows}
    renames = _renames(desired, lock, desired_keys)
    claimed = {s.show_id for s in lock.shows.values()} | {
        s.show_id for s in desired.shows if s.show_id
    }
    managed: list[tuple[Show, LiveShow]] = []
    for show in desired.shows:
        own = lock.shows.get(show.key)
        source = renames.get(show.key)
        locked = lock.shows[source] if source else own
        if own is not None and show.show_id and own.show_id != show.show_id:
            _warn_left_behind(b, show, own, live)
        live_show, locked = _plan_show(b, show, locked, source, live, claimed)
        if live_show is not None:
            claimed.add(live_show.show_id)
            managed.append((show, live_show))
        b.record_protect(show.key, None, show.protect, locked.protected if locked else False)
        _plan_episodes(b, show, locked, live_show, desired.safety)
    for key, locked_show in sorted(lock.shows.items()):
        if key not in desired_keys and key not in renames.values():
            _plan_show_deletion(b, key, locked_show, live)
    _warn_about_duplicate_shows(b, managed, live, claimed)
    _hint_at_renames(b)
    if b.held_back:
        b.warnings.append(
            f"--no-delete holds back {counted(len(b.held_back), 'change')} that would remove "
            f"something live: {', '.join(b.held_back)}; apply without --no-delete to make them"
        )
    return Plan(
        shows=tuple(b.shows),
        audio=tuple(b.audio.values()),
        episodes=tuple(b.episodes + b.removals),
        unmanaged=tuple(b.unmanaged),
        warnings=tuple(b.warnings),
        live_read=live.read,
        forget=tuple(b.forget),
        guards=tuple(b.guards),
        protect=tuple(b.protect),
        settings=guard_settings(desired, lock),
    )


def guard_settings(desired: Desired, lock: Lock) -> GuardSettings:
    """The settings the guards were decided by, for the checksum (see GuardSettings)."""
    in_manifests = [s.key for s in desired.shows if s.protect] + [
        f"{s.key}/{e.key}" for s in desired.shows for e in s.episodes if e.protect
    ]
    in_lock = [key for key, s in lock.shows.items() if s.protected] + [
        f"{key}/{e_key}"
        for key, s in lock.shows.items()
        for e_key, e in s.episodes.items()
        if e.protected
    ]
    return GuardSettings(
        max_removal_share=desired.safety.max_removal_share,
        min_episodes=desired.safety.min_episodes,
        protected_in_manifests=tuple(sorted(in_manifests)),
        protected_in_lock=tuple(sorted(in_lock)),
    )


def _renames(desired: Desired, lock: Lock, desired_keys: set[str]) -> dict[str, str]:
    """New show key -> the lock key it replaces: a key changed in the manifest is a rename (the
    show keeps its id, feed and episodes), not a delete plus a create.

    An explicit show_id names its lock entry outright. Otherwise the orphaned entry must carry
    the same title podsync last applied, and must not lose to another orphan that shares
    episode keys with the show: a wrong rename would send one show's episodes to another's
    subscribers, which is worse than the delete that --allow-destroy guards."""
    explicit = {s.show_id for s in desired.shows if s.show_id}
    orphans = {k: v for k, v in lock.shows.items() if k not in desired_keys}
    renames: dict[str, str] = {}
    for show in desired.shows:
        if not show.show_id:
            continue
        owners = [k for k, v in lock.shows.items() if v.show_id == show.show_id and k != show.key]
        taken = [k for k in owners if k in desired_keys]
        if taken:
            raise PlanError(
                f"{show.location or show.key}: show_id '{show.show_id}' is managed by show "
                f"'{taken[0]}' already; one live show can belong to one manifest only"
            )
        own = lock.shows.get(show.key)
        if owners and (own is None or own.show_id != show.show_id):
            renames[show.key] = owners[0]
    for show in desired.shows:
        if show.show_id or show.key in lock.shows:
            continue
        pool = {
            k: v
            for k, v in orphans.items()
            if v.show_id not in explicit and k not in renames.values()
        }
        keys = {e.key for e in show.episodes}
        sharing = {k for k, v in pool.items() if keys & set(v.episodes)}
        titled = [k for k, v in pool.items() if v.title == show.title]
        if len(titled) == 1 and (not sharing or titled[0] in sharing):
            renames[show.key] = titled[0]
    return renames


def _plan_show(
    b: _Builder,
    show: Show,
    locked: LockedShow | None,
    renamed_from: str | None,
    live: Live,
    claimed: set[str],
) -> tuple[LiveShow | None, LockedShow | None]:
    """Decide create / adopt / update for one show; returns its live show and usable lock entry."""
    live_show: LiveShow | None = None
    recorded_live = live.show(locked.show_id) if locked is not None else None
    if show.show_id:
        live_show = live.show(show.show_id)
        if live_show is None and not live.read:
            live_show = _unread_show(b, show, show.show_id)
        if live_show is None:
            raise PlanError(
                f"{show.location or show.key}: show_id '{show.show_id}' is not in the account "
                "(remove show_id to create the show)"
            )
        if locked is None or locked.show_id != show.show_id:
            b.shows.append(_adopt(show, live_show, "show_id set in the manifest"))
            locked = None
        elif renamed_from:
            b.shows.append(_adopt(show, live_show, f"renamed from '{renamed_from}'", renamed_from))
    elif recorded_live is not None:
        live_show = recorded_live
        if renamed_from:
            b.shows.append(_adopt(show, live_show, f"renamed from '{renamed_from}'", renamed_from))
    else:
        gone = locked is not None  # the lock names a show the account no longer has
        same_title = [s for s in live.shows if s.title == show.title and s.show_id not in claimed]
        if len(same_title) > 1:
            ids = ", ".join(s.show_id for s in same_title)
            raise PlanError(
                f"{show.location or show.key}: {len(same_title)} live shows are titled "
                f"'{show.title}' ({ids}) and podsync.lock records none of them; add "
                f"`show_id: <one of them>` to the manifest to adopt it"
            )
        if renamed_from:
            b.forget.append((renamed_from, None))
        if not same_title:
            reason = "drift: deleted outside podsync" if gone else "new"
            b.shows.append(
                ShowChange("create", show.key, None, reason, show.title, show.description)
            )
            return None, None
        locked = None
        live_show = same_title[0]
        b.shows.append(_adopt(show, live_show, "a live show has this title"))
    before = {
        field: getattr(live_show, field)
        for field in ("title", "description")
        if getattr(live_show, field) != getattr(show, field)
    }
    if before:
        b.shows.append(
            ShowChange(
                "update",
                show.key,
                live_show.show_id,
                _why_changed(before, locked, show),
                show.title,
                show.description,
                before=before,
            )
        )
    return live_show, locked


def _unread_show(b: _Builder, show: Show, show_id: str) -> LiveShow:
    """Offline, a show_id the lock does not record cannot be looked up: plan to adopt it as
    the manifest describes it, with no known episodes, and say what a real plan may differ in."""
    b.warnings.append(
        f"show '{show.key}' names show_id '{show_id}', which podsync.lock does not record and "
        "this plan did not read: whether that show exists, how it differs from the manifest, "
        "and which of its episodes apply would adopt instead of adding, only a plan that "
        "reads the account can tell"
    )
    return LiveShow(show_id, show.title, show.description, episodes=())


def _warn_left_behind(b: _Builder, show: Show, own: LockedShow, live: Live) -> None:
    left = live.show(own.show_id)
    if left is not None:
        count = counted(len(left.episodes or ()), "episode")
        b.warnings.append(
            f"show '{show.key}' moves from {own.show_id} to {show.show_id} (show_id changed): "
            f"{own.show_id} and its {count} stay in the account, no longer managed by podsync"
        )


def _hint_at_renames(b: _Builder) -> None:
    created = [c.key for c in b.shows if c.action == "create" and c.reason == "new"]
    deleted = [f"{c.key} ({c.show_id})" for c in b.shows if c.action == "delete"]
    if created and deleted:
        b.warnings.append(
            f"new show(s) {', '.join(created)} and deleted show(s) {', '.join(deleted)}: if a "
            "show key was renamed, set `show_id:` in its manifest to keep the show and its feed"
        )


def _plan_show_deletion(b: _Builder, key: str, locked: LockedShow, live: Live) -> None:
    live_show = live.show(locked.show_id)
    if live_show is None:
        b.forget.append((key, None))
        return
    if b.hold_back(f"delete show '{key}' ({live_show.show_id})"):
        return
    episodes = live_show.episodes or ()
    ours = {e.episode_id for e in locked.episodes.values()} | set(locked.retired)
    foreign = sum(1 for e in episodes if e.id not in ours)
    b.shows.append(
        ShowChange(
            "delete",
            key,
            live_show.show_id,
            "manifest removed",
            before={"title": live_show.title, "description": live_show.description},
        )
    )
    also = f", {foreign} of them not created by podsync" if foreign else ""
    target = f"show '{key}'"
    b.guard(
        "destroy",
        target,
        f"{target} ({live_show.show_id}, {counted(len(episodes), 'episode')}{also}) will be "
        "DELETED from the account: its manifest was removed; apply refuses this without "
        "--allow-destroy",
        "--allow-destroy",
    )
    protected = [k for k, e in sorted(locked.episodes.items()) if e.protected]
    if locked.protected:
        b.guard(
            "protected",
            target,
            f"{target} is protected (protect: true, recorded in podsync.lock): apply refuses to "
            "delete it, even with --allow-destroy; to delete it, put its manifest back with "
            "`protect: false`, apply, then remove the manifest",
        )
    elif protected:
        b.guard(
            "protected",
            target,
            f"{target} holds protected {counted(len(protected), 'episode')} "
            f"({', '.join(protected)}; recorded in podsync.lock) that deleting it would remove: "
            "apply refuses this, even with --allow-destroy; set `protect: false` on them and "
            "apply first",
        )


def _adopt(
    show: Show, live_show: LiveShow, why: str, renamed_from: str | None = None
) -> ShowChange:
    return ShowChange(
        "adopt",
        show.key,
        live_show.show_id,
        why,
        live_show.title,
        live_show.description,
        renamed_from=renamed_from,
    )


def _why_changed(before: dict[str, str], recorded: object, wanted: object) -> str:
    """'title changed' when the manifest moved away from what podsync last applied; drift when
    the manifest still says what podsync applied but the live value differs."""
    if recorded is None:
        return " and ".join(f"{f} differs" for f in before)
    edited = [f for f in before if getattr(recorded, f) != getattr(wanted, f)]
    return " and ".join(f"{f} changed" for f in edited) if edited else DRIFT


def _plan_episodes(
    b: _Builder,
    show: Show,
    locked: LockedShow | None,
    live_show: LiveShow | None,
    safety: Safety,
) -> None:
    locked_eps = locked.episodes if locked is not None else {}
    live_eps = {e.id: e for e in (live_show.episodes or ())} if live_show is not None else {}
    claimed = {e.episode_id for e in locked_eps.values() if e.episode_id in live_eps}
    kept: list[tuple[str, str]] = []  # (live episode id, key) of managed episodes left in place
    _plan_retired(b, show, locked, live_eps, claimed)
    renames = _episode_renames(show, locked_eps, live_eps)
    for position, episode in enumerate(show.episodes):
        recorded = locked_eps.get(episode.key)
        current = live_eps.get(recorded.episode_id) if recorded else None
        # Publishing and adopting write a fresh lock record, unprotected until apply records
        # the manifest's `protect:` on it.
        if recorded is not None and current is not None:
            added = _unrecorded_republish(b, show, episode, recorded, current, live_eps, claimed)
            if added is not None:
                claimed.add(added.id)
                kept.append((added.id, episode.key))
                _finish_republish(b, show, episode, position, added, current)
                b.record_protect(show.key, episode.key, episode.protect, False)
                continue
            if _plan_published(b, show, episode, position, recorded, current):
                b.record_protect(show.key, episode.key, episode.protect, False)
            else:
                kept.append((current.id, episode.key))
                b.record_protect(show.key, episode.key, episode.protect, recorded.protected)
            continue
        renamed = renames.get(episode.source.digest) if recorded is None else None
        if renamed is not None:
            old_key, old = renames.pop(episode.source.digest)
            if not _plan_episode_rename(b, show, episode, position, old_key, old, live_eps):
                kept.append((old.episode_id, episode.key))
            b.record_protect(show.key, episode.key, episode.protect, old.protected)
            continue
        adoptable = _adoptable(
            b, episode, live_eps, claimed, title_only=locked is None, recorded=recorded
        )
        if adoptable is not None:
            claimed.add(adoptable.id)
            if not _plan_adoption(b, show, episode, position, adoptable):
                kept.append((adoptable.id, episode.key))
            b.record_protect(show.key, episode.key, episode.protect, False)
            continue
        reason = "drift: removed outside podsync" if recorded is not None else "new"
        b.need_audio(show, episode, recorded)
        b.episodes.append(_publishing(show, episode, position, reason))
        b.record_protect(show.key, episode.key, episode.protect, False)
    desired_keys = {e.key for e in show.episodes}
    moved = {c.renamed_from for c in b.episodes if c.show == show.key and c.renamed_from}
    for key, recorded in sorted(locked_eps.items()):
        current = live_eps.get(recorded.episode_id)
        if key in desired_keys or key in moved:
            continue
        if current is None:
            b.forget.append((show.key, key))
            continue
        if b.hold_back(f"remove episode '{show.key}/{key}'"):
            continue
        if recorded.protected:
            target = f"episode '{show.key}/{key}'"
            b.guard(
                "protected",
                target,
                f"{target} is protected (protect: true, recorded in podsync.lock) but was "
                "removed from the manifest: apply refuses to remove it; to remove it, put it "
                "back with `protect: false`, apply, then remove it",
            )
        b.removals.append(
            EpisodeChange(
                "remove",
                show.key,
                key,
                "removed from the manifest",
                title=current.title,
                episode_id=current.id,
                mic_id=current.mic_id,
            )
        )
    for live_episode in live_eps.values():
        if live_episode.id not in claimed:
            b.unmanaged.append(Unmanaged(show.key, live_episode.id, live_episode.title))
    _warn_about_duplicate_episodes(b, show, live_eps, claimed)
    live_order = list(live_eps)
    if not b.live_read:  # the lock does not record the feed's order: assume the manifest's
        positions = {e.key: n for n, e in enumerate(show.episodes)}
        live_order = [i for i, _ in sorted(kept, key=lambda pair: positions[pair[1]])]
    _warn_about_order(b, show, live_order, kept)
    _guard_mass_removal(b, show.key, len(live_eps), safety)


def _warn_about_duplicate_shows(
    b: _Builder, managed: list[tuple[Show, LiveShow]], live: Live, claimed: set[str]
) -> None:
    """A live show podsync does not manage, titled like one it does, may be a second copy made
    by a create whose answer was lost: name it, since nothing else in the plan would."""
    for show, live_show in managed:
        titles = {show.title, live_show.title}
        for other in live.shows:
            if other.show_id not in claimed and other.title in titles:
                title = cut(other.title, WARNED_TITLE_CHARS)
                b.warnings.append(
                    f"possible duplicate of show '{show.key}': live show '{title}', id "
                    f"{other.show_id}, not managed by podsync; if an apply created it twice, "
                    "delete the extra one by hand"
                )


def _warn_about_duplicate_episodes(
    b: _Builder, show: Show, live_eps: Mapping[str, LiveEpisode], claimed: set[str]
) -> None:
    """The same for an episode in a managed show: one podsync does not manage, with the title
    or the audio (mic_id) of one it does, or with the audio this plan is about to publish (a
    lost lock record: apply would put that audio on the feed twice)."""
    mine = [live_eps[i] for i in claimed if i in live_eps]
    titles = {e.title for e in show.episodes} | {e.title for e in mine}
    mic_ids = {e.mic_id for e in mine if e.mic_id}
    publishing = {j.mic_id: j.episode for j in b.audio.values() if j.show == show.key and j.mic_id}
    for other in live_eps.values():
        if other.id in claimed:
            continue
        title = cut(other.title, WARNED_TITLE_CHARS)
        if other.title in titles or other.mic_id in mic_ids:
            b.warnings.append(
                f"possible duplicate in show '{show.key}': live episode '{title}', id "
                f"{other.id}, not managed by podsync; if an apply published it twice, remove "
                "the extra one by hand"
            )
        elif other.mic_id in publishing:
            key = publishing[other.mic_id]
            b.warnings.append(
                f"possible duplicate in show '{show.key}': live episode '{title}', id "
                f"{other.id}, not managed by podsync, has the audio ({other.mic_id}) this plan "
                f"publishes for '{show.key}/{key}', so apply would put it on the feed twice; if "
                f"it is that episode, give '{key}' its live title to adopt it, or remove it"
            )


REPUBLISHED = "the old version of an episode podsync re-published"


def _plan_retired(
    b: _Builder,
    show: Show,
    locked: LockedShow | None,
    live_eps: Mapping[str, LiveEpisode],
    claimed: set[str],
) -> None:
    """Remove the old versions of re-published episodes that are still live: a re-publish adds
    the new version first, and the run that did stopped, or failed to remove the old one.
    The lock records them, so the plan says podsync re-published them, not that someone did."""
    for episode_id, key in sorted((locked.retired if locked else {}).items()):
        old = live_eps.get(episode_id)
        if old is None:
            continue  # apply forgets the record
        claimed.add(episode_id)
        if not b.hold_back(f"remove the old version of episode '{show.key}/{key}'"):
            b.removals.append(_removal(show, key, old, REPUBLISHED))


def _unrecorded_republish(
    b: _Builder,
    show: Show,
    episode: Episode,
    recorded: LockedEpisode,
    current: LiveEpisode,
    live_eps: Mapping[str, LiveEpisode],
    claimed: set[str],
) -> LiveEpisode | None:
    """The new version of a re-publish whose run stopped between adding it and recording it:
    an unclaimed live episode that is exactly what the manifest asks for (title, description,
    and the audio podsync has for this source), beside the recorded one that is not."""
    digest = episode.source.digest
    if (current.title, current.description) == (episode.title, episode.description) and (
        recorded.digest == digest
    ):
        return None  # nothing to re-publish: another episode like it is someone else's
    cached = b.lock.audio.get(digest)
    audio = {cached.mic_id} if cached is not None and cached.succeeded else set()
    if recorded.digest == digest:
        audio.add(current.mic_id)
    for live_episode in live_eps.values():
        if (
            live_episode.id not in claimed
            and live_episode.id != current.id
            and live_episode.mic_id in audio
            and (live_episode.title, live_episode.description)
            == (episode.title, episode.description)
            and not b.hold_back(f"remove the old version of episode '{show.key}/{episode.key}'")
        ):
            return live_episode
    return None


def _finish_republish(
    b: _Builder,
    show: Show,
    episode: Episode,
    position: int,
    added: LiveEpisode,
    old: LiveEpisode,
) -> None:
    """Record the new version of an interrupted re-publish and remove the old one."""
    b.episodes.append(
        EpisodeChange(
            "adopt",
            show.key,
            episode.key,
            "re-published by podsync in a run that stopped before recording it",
            position,
            added.title,
            added.description,
            episode.source.digest,
            added.id,
            added.mic_id,
        )
    )
    b.removals.append(_removal(show, episode.key, old, REPUBLISHED))


def _removal(show: Show, key: str, live_episode: LiveEpisode, reason: str) -> EpisodeChange:
    return EpisodeChange(
        "remove",
        show.key,
        key,
        reason,
        title=live_episode.title,
        episode_id=live_episode.id,
        mic_id=live_episode.mic_id,
    )


def _guard_mass_removal(b: _Builder, show_key: str, live_count: int, safety: Safety) -> None:
    """Refuse (unless --allow-mass-removal) removing or re-publishing more than the settable
    share of a show's live episodes in one run, once the show holds enough to judge by."""
    removed = sum(
        1
        for c in (*b.episodes, *b.removals)
        if c.show == show_key and c.action in ("remove", "replace") and c.episode_id
    )
    if not _over_limit(removed, live_count, safety):
        if _over_limit(removed, live_count, DEFAULT_SAFETY):
            # podsync.yaml may loosen the guard in the very change it lets through: say so
            b.warnings.append(
                f"{removed} of the {live_count} live episodes of show '{show_key}' "
                f"({removed / live_count:.0%}) would be removed or re-published in one run: "
                f"the default safety limit of {DEFAULT_SAFETY.max_removal_share:.0%} would "
                "refuse this, and podsync.yaml's safety: lets it through "
                f"(max_removal_share {safety.max_removal_share:.0%}, min_episodes "
                f"{safety.min_episodes})"
            )
        return
    b.guard(
        "mass-removal",
        f"show '{show_key}'",
        f"{removed} of the {live_count} live episodes of show '{show_key}' "
        f"({removed / live_count:.0%}) would be removed or re-published in one run, more than "
        f"the safety limit of {safety.max_removal_share:.0%} (podsync.yaml "
        "safety.max_removal_share): apply refuses this without --allow-mass-removal",
        "--allow-mass-removal",
    )


def _over_limit(removed: int, live_count: int, safety: Safety) -> bool:
    """Whether removing ``removed`` of ``live_count`` live episodes trips ``safety``."""
    if live_count == 0 or live_count < safety.min_episodes:
        return False
    return removed / live_count > safety.max_removal_share


def _plan_published(
    b: _Builder,
    show: Show,
    episode: Episode,
    position: int,
    recorded: LockedEpisode,
    current: LiveEpisode,
) -> bool:
    """An episode podsync published that is still live: keep it (False), or re-publish or
    replace it (True)."""
    digest = episode.source.digest
    source_changed = recorded.digest != digest or current.mic_id != recorded.mic_id
    before = {
        field: getattr(current, field)
        for field in ("title", "description")
        if getattr(current, field) != getattr(episode, field)
    }
    if not source_changed and not before:
        return False
    if source_changed:
        reason = "source changed" if recorded.digest != digest else DRIFT + " (audio swapped)"
    else:
        reason = _why_changed(before, recorded, episode)
    if b.hold_back(f"replace episode '{show.key}/{episode.key}' ({reason})"):
        return False
    if source_changed:
        b.need_audio(show, episode)
    protected_by = (
        "the manifest" if episode.protect else "podsync.lock" if recorded.protected else None
    )
    _republish(b, show, episode, position, current, reason, not source_changed, protected_by)
    return True


def _episode_renames(
    show: Show, locked_eps: Mapping[str, LockedEpisode], live_eps: Mapping[str, LiveEpisode]
) -> dict[str, tuple[str, LockedEpisode]]:
    """Lock records whose key left the manifest while a new key has exactly their source: the
    key was renamed. Keyed by digest; a digest shared by several such records or several new
    keys is no evidence, so it is left to the usual remove + add."""
    desired = {e.key for e in show.episodes}
    gone = [
        (key, r) for key, r in locked_eps.items() if key not in desired and r.episode_id in live_eps
    ]
    new = [e.source.digest for e in show.episodes if e.key not in locked_eps]
    renames = {}
    for key, record in gone:
        same = [k for k, r in gone if r.digest == record.digest]
        if len(same) == 1 and new.count(record.digest) == 1:
            renames[record.digest] = (key, record)
    return renames


def _plan_episode_rename(
    b: _Builder,
    show: Show,
    episode: Episode,
    position: int,
    old_key: str,
    old: LockedEpisode,
    live_eps: Mapping[str, LiveEpisode],
) -> bool:
    """Keep the live episode under its new key (no request), then set title and description
    right; True when that re-publishes it."""
    current = live_eps[old.episode_id]
    b.episodes.append(
        EpisodeChange(
            "adopt",
            show.key,
            episode.key,
            f"renamed from '{old_key}'",
            position,
            current.title,
            current.description,
            episode.source.digest,
            current.id,
            current.mic_id,
            renamed_from=old_key,
        )
    )
    before = {
        field: getattr(current, field)
        for field in ("title", "description")
        if getattr(current, field) != getattr(episode, field)
    }
    if not before:
        return False
    reason = _why_changed(before, old, episode)
    if b.hold_back(f"replace episode '{show.key}/{episode.key}' ({reason})"):
        return False
    protected_by = "the manifest" if episode.protect else "podsync.lock" if old.protected else None
    _republish(b, show, episode, position, current, reason, True, protected_by)
    return True


def _plan_adoption(
    b: _Builder, show: Show, episode: Episode, position: int, live_episode: LiveEpisode
) -> bool:
    """Take a live episode under management as it is, then set its description right (True
    when that re-publishes it)."""
    b.episodes.append(
        EpisodeChange(
            "adopt",
            show.key,
            episode.key,
            "a live episode has this title; its audio is taken as this source's",
            position,
            live_episode.title,
            live_episode.description,
            episode.source.digest,
            live_episode.id,
            live_episode.mic_id,
        )
    )
    reason = "description differs"
    if live_episode.description == episode.description or b.hold_back(
        f"replace episode '{show.key}/{episode.key}' ({reason})"
    ):
        return False
    protected_by = "the manifest" if episode.protect else None
    _republish(b, show, episode, position, live_episode, reason, True, protected_by)
    return True


def _republish(
    b: _Builder,
    show: Show,
    episode: Episode,
    position: int,
    current: LiveEpisode,
    reason: str,
    same_audio: bool,
    protected_by: str | None = None,
) -> None:
    """A replace: publish the manifest's episode, then remove the live one. `protected_by`
    names where `protect: true` comes from, if anywhere: then apply refuses it."""
    if protected_by is not None:
        target = f"episode '{show.key}/{episode.key}'"
        first = (
            "set `protect: false` and"
            if protected_by == "the manifest"
            else "its `protect: false` is not recorded yet:"
        )
        b.guard(
            "protected",
            target,
            f"{target} is protected (protect: true in {protected_by}) but would be re-published "
            f"({reason}), which removes the live episode: apply refuses this; {first} run "
            "`apply --no-delete` first (it records that and holds the re-publish back)",
        )
    if same_audio:
        b.reuse_published(show, episode, current.mic_id)
    b.episodes.append(_publishing(show, episode, position, reason, current, same_audio))
    b.warnings.append(
        f"episode '{show.key}/{episode.key}' is re-published ({reason}): it is removed and added "
        "again, so it moves to the top of the feed"
    )


def _publishing(
    show: Show,
    episode: Episode,
    position: int,
    reason: str,
    replacing: LiveEpisode | None = None,
    republish: bool = False,
) -> EpisodeChange:
    """An add, or with `replacing` a replace, that publishes `episode` as the manifest says."""
    return EpisodeChange(
        "replace" if replacing else "add",
        show.key,
        episode.key,
        reason,
        position,
        episode.title,
        episode.description,
        episode.source.digest,
        replacing.id if replacing else None,
        replacing.mic_id if replacing else None,
        republish=republish,
    )


def _adoptable(
    b: _Builder,
    episode: Episode,
    live_eps: dict[str, LiveEpisode],
    claimed: set[str],
    *,
    title_only: bool,
    recorded: LockedEpisode | None = None,
) -> LiveEpisode | None:
    """A live episode podsync has no live record of but that is evidently this one.

    Either its audio is the job the cache holds for this source, or the audio of the lock's own
    record for this very source (an add, or the add of a re-publish, whose answer was lost), or
    the whole show is unknown to the lock (adopted, or the lock was lost) and the title
    matches. In a show podsync manages, a same-titled episode it did not create is someone
    else's and is left alone. A cached job the account does not have counts for nothing."""
    cached = b.lock.audio.get(episode.source.digest)
    if cached is not None and b.live_audio.get(cached.mic_id) in AUDIO_UNSUCCESSFUL:
        cached = None
    own_mic = (
        recorded.mic_id
        if recorded is not None and recorded.digest == episode.source.digest
        else None
    )
    for live_episode in live_eps.values():
        if live_episode.id in claimed or live_episode.title != episode.title:
            continue
        if cached is not None and cached.succeeded and cached.mic_id == live_episode.mic_id:
            return live_episode
        if own_mic is not None and own_mic == live_episode.mic_id:
            return live_episode
        if cached is None and title_only:
            return live_episode
    return None


def _warn_about_order(
    b: _Builder, show: Show, live_order: list[str], kept: list[tuple[str, str]]
) -> None:
    """ZenMic appends every added episode to the feed, so apply can only keep manifest order
    for episodes it publishes; say so when the feed will not follow the manifest."""
    index = {episode_id: n for n, episode_id in enumerate(live_order)}
    published = [key for _, key in sorted(kept, key=lambda pair: index[pair[0]])]
    publishing = sorted(
        (c for c in b.episodes if c.show == show.key and c.action in ("add", "replace")),
        key=lambda c: c.position,
    )
    after = published + [c.key for c in publishing if c.key not in published]
    wanted = [e.key for e in show.episodes if e.key in after]
    if after != wanted:
        b.warnings.append(
            f"the feed of show '{show.key}' will list episodes as {', '.join(after)}, not in "
            f"manifest order ({', '.join(wanted)}): ZenMic adds each new or re-published "
            "episode at the top of the feed, and podsync does not re-publish episodes just to "
            "reorder them"
        )
