"""plan(desired, lock, live) -> Plan: the one place that decides what apply will do.

Pure: no I/O, no clock, inputs never mutated. Everything clever lives here so it can be
tested with plain objects: drift repair, adoption, key renames, audio reuse, publishing order,
what to leave alone, and the guards apply checks before removing anything.

Two phases. Phase one, `to_read` (reads.py), names what the plan needs from the account: the
episode listings of the shows it may manage or adopt, then the status of the cached audio jobs
it may rely on. Phase two, `plan`, runs once on what was read.

    reads      phase one: Reads, to_read, live_show_ids_to_read, audio_to_verify
    project    plan(): the whole project, show by show
    shows      the adoption rule (match_show); create, adopt, update, delete a show
    episodes   one show's episodes: keep, publish, adopt, remove
    renames    show and episode keys renamed in the manifest
    republish  replacing a live episode, and finishing a re-publish that stopped
    audio      which job a source gets: generate, resume or reuse
    reasons    why a title or description changes
    guards     what apply refuses without a flag, and the settings that decided it
    warnings   what the plan says it leaves alone or cannot do
    existing   audio that was in the account before podsync (`source: {audio: mic_id}`)
    builder    the accumulator the parts above write one plan into

Names with a leading underscore are private to this package; only the names below are its API.
"""

from __future__ import annotations

from podsync.planner.guards import guard_settings
from podsync.planner.project import plan
from podsync.planner.reads import Reads, audio_to_verify, live_show_ids_to_read, to_read

__all__ = [
    "Reads",
    "audio_to_verify",
    "guard_settings",
    "live_show_ids_to_read",
    "plan",
    "to_read",
]
