"""The guards apply checks before removing anything or paying for a stale script, and the
settings they were decided by."""

from __future__ import annotations

from podsync.lock import Lock
from podsync.model import Desired, Safety, Show
from podsync.plan import GuardCode, GuardSettings, RemoveEpisode, ReplaceEpisode, WarningCode
from podsync.planner.builder import _Builder

DEFAULT_SAFETY = Safety()


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


def _guard_mass_removal(b: _Builder, show_key: str, live_count: int, safety: Safety) -> None:
    """Refuse (unless --allow-mass-removal) removing or re-publishing more than the settable
    share of a show's live episodes in one run, once the show holds enough to judge by."""
    removed = sum(
        1
        for c in (*b.episodes, *b.removals)
        if c.show == show_key and isinstance(c, (RemoveEpisode, ReplaceEpisode))
    )
    if not _over_limit(removed, live_count, safety):
        if _over_limit(removed, live_count, DEFAULT_SAFETY):
            # podsync.yaml may loosen the guard in the very change it lets through: say so
            b.warn(
                WarningCode.SAFETY_LOOSENED,
                show_key,
                removed=removed,
                live=live_count,
                default_share=DEFAULT_SAFETY.max_removal_share,
                max_removal_share=safety.max_removal_share,
                min_episodes=safety.min_episodes,
            )
        return
    b.guard(
        GuardCode.MASS_REMOVAL,
        show_key,
        removed=removed,
        live=live_count,
        max_removal_share=safety.max_removal_share,
    )


def _over_limit(removed: int, live_count: int, safety: Safety) -> bool:
    """Whether removing ``removed`` of ``live_count`` live episodes trips ``safety``."""
    if live_count == 0 or live_count < safety.min_episodes:
        return False
    return removed / live_count > safety.max_removal_share


def _guard_stale_scripts(b: _Builder, show: Show) -> None:
    """Refuse, whatever the flags, while a pinned script was written for another topic,
    document or length than the manifest's: its words may no longer be what the episode is
    about, and podsync never pays for audio from them without being told (write it again with
    `podsync script`, or accept it with `podsync script --accept`)."""
    for episode in show.episodes:
        pin = episode.script
        if pin is not None and pin.stale:
            b.guard(
                GuardCode.STALE_SCRIPT,
                show.key,
                episode.key,
                file=pin.file,
                changed=list(pin.stale),
            )
