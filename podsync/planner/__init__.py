"""plan(desired, lock, live) -> Plan: the one place that decides what apply will do.

Pure: no I/O, no clock, inputs never mutated. Everything clever lives here so it can be
tested with plain objects: drift repair, adoption, key renames, audio reuse, publishing order,
what to leave alone, and the guards apply checks before removing anything.

    project    plan(): the whole project, show by show
    shows      one show: create, adopt, update, delete; which live shows to read
    episodes   one show's episodes: keep, publish, adopt, remove
    renames    show and episode keys renamed in the manifest
    republish  replacing a live episode, and finishing a re-publish that stopped
    reasons    why a title or description changes
    guards     what apply refuses without a flag, and the settings that decided it
    warnings   what the plan says it leaves alone or cannot do
    audio      which cached audio jobs to confirm with the account
    builder    the accumulator the parts above write one plan into

Names with a leading underscore are private to this package; only the names below are its API.
"""

from __future__ import annotations

from podsync.planner.audio import audio_to_verify
from podsync.planner.guards import guard_settings
from podsync.planner.project import plan
from podsync.planner.shows import live_show_ids_to_read

__all__ = ["audio_to_verify", "guard_settings", "live_show_ids_to_read", "plan"]
