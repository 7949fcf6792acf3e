"""One show: which live show it is (the adoption rule), and create, adopt, update or delete it."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from podsync.errors import PlanError
from podsync.lock import LockedShow
from podsync.model import Live, LiveShow, Show
from podsync.plan import (
    AdoptShow,
    CreateShow,
    DeleteShow,
    FieldChange,
    ForgetShow,
    GuardCode,
    Reason,
    ShowChange,
    UpdateShow,
    WarningCode,
)
from podsync.planner.builder import _Builder
from podsync.planner.reasons import _differing, _why_changed


@dataclass(frozen=True)
class ShowMatch:
    """The adoption rule's answer for one manifest show: the live show its `show_id` names, or
    else the one its lock entry records if the account lists it; with neither, `titled` holds
    the unclaimed live shows with its title (one: adopt it; none: create the show)."""

    show_id: str | None
    live: LiveShow | None  # that show as listed, if it is
    locked: LockedShow | None  # the lock entry, when it records that very show
    titled: tuple[LiveShow, ...] = ()


def match_show(
    show: Show, locked: LockedShow | None, live_shows: Iterable[LiveShow], claimed: Collection[str]
) -> ShowMatch:
    """The one place that says how a manifest's show finds its live show: what to read (phase
    one) and what to adopt (the plan) both ask it. An explicit show_id wins; then the lock's
    record, while the account still lists it; then an unclaimed live show with the title."""
    listed = list(live_shows)
    named = show.show_id or (locked.show_id if locked is not None else None)
    live_show = next((s for s in listed if s.show_id == named), None)
    if show.show_id or live_show is not None:
        kept = locked if locked is not None and locked.show_id == named else None
        return ShowMatch(named, live_show, kept)
    titled = tuple(s for s in listed if s.title == show.title and s.show_id not in claimed)
    return ShowMatch(None, None, None, titled)


def _plan_show(
    b: _Builder,
    show: Show,
    locked: LockedShow | None,
    renamed_from: str | None,
    live: Live,
    claimed: set[str],
) -> tuple[LiveShow | None, LockedShow | None]:
    """Decide create / adopt / update for one show; returns its live show and usable lock entry."""
    match = match_show(show, locked, live.shows, claimed)
    if match.show_id is None:
        live_show = _adopt_by_title(b, show, locked is not None, renamed_from, match.titled)
    else:
        live_show = match.live or _unlisted_show(b, show, match.show_id, live.read)
        if match.locked is None:
            b.shows.append(_adopt(show, live_show, Reason.SHOW_ID_SET))
        elif renamed_from:
            b.shows.append(_adopt(show, live_show, Reason.RENAMED, renamed_from))
    if live_show is not None:
        _plan_show_update(b, show, live_show, match.locked)
    return live_show, match.locked


def _unlisted_show(b: _Builder, show: Show, show_id: str, live_read: bool) -> LiveShow:
    """A show_id the account does not list is a mistake in the manifest; offline it is only
    unknown (see _unread_show)."""
    if not live_read:
        return _unread_show(b, show, show_id)
    raise PlanError(
        f"{show.location or show.key}: show_id '{show_id}' is not in the account "
        "(remove show_id to create the show)"
    )


def _adopt_by_title(
    b: _Builder,
    show: Show,
    gone: bool,
    renamed_from: str | None,
    same_title: tuple[LiveShow, ...],
) -> LiveShow | None:
    """Adopt the one unclaimed live show with the manifest's title, or create the show (`gone`:
    the lock names a show the account no longer has); more than one such show is ambiguous."""
    if len(same_title) > 1:
        ids = ", ".join(s.show_id for s in same_title)
        raise PlanError(
            f"{show.location or show.key}: {len(same_title)} live shows are titled "
            f"'{show.title}' ({ids}) and podsync.lock records none of them; add "
            f"`show_id: <one of them>` to the manifest to adopt it"
        )
    if renamed_from:
        b.forget.append(ForgetShow(renamed_from))
    if not same_title:
        reason = Reason.DRIFT_DELETED if gone else Reason.NEW
        b.shows.append(CreateShow(show.key, reason, show.title, show.description))
        return None
    b.shows.append(_adopt(show, same_title[0], Reason.SAME_TITLE))
    return same_title[0]


def _plan_show_update(
    b: _Builder, show: Show, live_show: LiveShow, locked: LockedShow | None
) -> None:
    before = _differing(live_show, show)
    if before:
        b.shows.append(
            UpdateShow(
                show.key,
                live_show.show_id,
                _why_changed(before, locked, show),
                show.title,
                show.description,
                tuple(FieldChange(f, old, getattr(show, f)) for f, old in before.items()),
            )
        )


def _unread_show(b: _Builder, show: Show, show_id: str) -> LiveShow:
    """Offline, a show_id the lock does not record cannot be looked up: plan to adopt it as
    the manifest describes it, with no known episodes, and say what a real plan may differ in."""
    b.warn(WarningCode.SHOW_NOT_READ, show.key, show_id=show_id)
    return LiveShow(show_id, show.title, show.description, episodes=())


def _plan_show_deletion(b: _Builder, key: str, locked: LockedShow, live: Live) -> None:
    live_show = live.show(locked.show_id)
    if live_show is None:
        b.forget.append(ForgetShow(key))
        return
    if b.hold_back("delete_show", key, show_id=live_show.show_id):
        return
    episodes = live_show.episodes or ()
    ours = {e.episode_id for e in locked.episodes.values()} | set(locked.retired)
    foreign = sum(1 for e in episodes if e.id not in ours)
    b.shows.append(
        DeleteShow(
            key,
            live_show.show_id,
            Reason.REMOVED_FROM_MANIFEST,
            live_show.title,
            live_show.description,
        )
    )
    b.guard(
        GuardCode.DESTROY,
        key,
        show_id=live_show.show_id,
        episodes=len(episodes),
        foreign=foreign,
    )
    protected = [k for k, e in sorted(locked.episodes.items()) if e.protected]
    if locked.protected:
        b.guard(GuardCode.PROTECTED_SHOW, key)
    elif protected:
        b.guard(GuardCode.PROTECTED_EPISODES, key, episodes=protected)


def _adopt(
    show: Show, live_show: LiveShow, why: Reason, renamed_from: str | None = None
) -> ShowChange:
    return AdoptShow(
        show.key, live_show.show_id, why, live_show.title, live_show.description, renamed_from
    )
