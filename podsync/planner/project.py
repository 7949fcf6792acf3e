"""plan(): the whole project, show by show, in the order apply runs it."""

from __future__ import annotations

from podsync.lock import Lock
from podsync.model import Desired, Live, LiveShow, Show
from podsync.plan import Plan, WarningCode
from podsync.planner.builder import _Builder
from podsync.planner.episodes import _plan_episodes
from podsync.planner.guards import _guard_stale_scripts, guard_settings
from podsync.planner.renames import _renames, _source_entry
from podsync.planner.shows import _plan_show, _plan_show_deletion
from podsync.planner.warnings import (
    _acknowledged,
    _hint_at_renames,
    _warn_about_duplicate_shows,
    _warn_left_behind,
)


def plan(
    desired: Desired,
    lock: Lock,
    live: Live,
    *,
    no_delete: bool = False,
    regenerate: frozenset[str] = frozenset(),
) -> Plan:
    """Compare the three inputs and return every change apply must make, in apply's order.

    With `no_delete` (apply --no-delete) nothing live is removed: episode removals, show
    deletions and replaces (which remove the live episode) are held back, and a warning
    names them. `regenerate` ("show/episode", apply --regenerate) pays for a new audio job
    for those episodes whatever the cache holds, and re-publishes them with it."""
    b = _Builder(lock, live.audio, no_delete, live.read, regenerate=regenerate)
    desired_keys = {s.key for s in desired.shows}
    renames = _renames(desired, lock, desired_keys)
    claimed = {s.show_id for s in lock.shows.values()} | {
        s.show_id for s in desired.shows if s.show_id
    }
    managed: list[tuple[Show, LiveShow]] = []
    for show in desired.shows:
        own = lock.shows.get(show.key)
        if own is not None and show.show_id and own.show_id != show.show_id:
            _warn_left_behind(b, show, own, live)
        locked = _source_entry(show, lock, renames)
        live_show, locked = _plan_show(b, show, locked, renames.get(show.key), live, claimed)
        if live_show is not None:
            claimed.add(live_show.show_id)
            managed.append((show, live_show))
        b.record_protect(show.key, None, show.protect, locked.protected if locked else False)
        _plan_episodes(b, show, locked, live_show, desired.safety)
        _guard_stale_scripts(b, show)
    for key, locked_show in sorted(lock.shows.items()):
        if key not in desired_keys and key not in renames.values():
            _plan_show_deletion(b, key, locked_show, live)
    _warn_about_duplicate_shows(b, managed, live, claimed)
    _hint_at_renames(b)
    if b.held_back:
        b.warn(WarningCode.HELD_BACK, changes=list(b.held_back))
    return Plan(
        shows=tuple(b.shows),
        audio=tuple(b.audio.values()),
        episodes=tuple(b.episodes + b.removals),
        unmanaged=tuple(b.unmanaged),
        warnings=tuple(_acknowledged(w, desired.acknowledge) for w in b.warnings),
        live_read=live.read,
        forget=tuple(b.forget),
        guards=tuple(b.guards),
        protect=tuple(b.protect),
        settings=guard_settings(desired, lock),
    )
