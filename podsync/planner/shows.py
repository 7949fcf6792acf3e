"""One show: create, adopt, update or delete it, and which live shows are worth reading."""

from __future__ import annotations

from collections.abc import Iterable

from podsync.errors import PlanError
from podsync.lock import Lock, LockedShow
from podsync.model import Desired, Live, LiveShow, Show
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
from podsync.planner.reasons import _why_changed


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
            b.shows.append(_adopt(show, live_show, Reason.SHOW_ID_SET))
            locked = None
        elif renamed_from:
            b.shows.append(_adopt(show, live_show, Reason.RENAMED, renamed_from))
    elif recorded_live is not None:
        live_show = recorded_live
        if renamed_from:
            b.shows.append(_adopt(show, live_show, Reason.RENAMED, renamed_from))
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
            b.forget.append(ForgetShow(renamed_from))
        if not same_title:
            reason = Reason.DRIFT_DELETED if gone else Reason.NEW
            b.shows.append(CreateShow(show.key, reason, show.title, show.description))
            return None, None
        locked = None
        live_show = same_title[0]
        b.shows.append(_adopt(show, live_show, Reason.SAME_TITLE))
    before = {
        field: getattr(live_show, field)
        for field in ("title", "description")
        if getattr(live_show, field) != getattr(show, field)
    }
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
    return live_show, locked


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
