"""Which cached audio jobs the account must confirm before the final plan."""

from __future__ import annotations

from podsync.lock import Lock
from podsync.model import Desired, Live
from podsync.plan import GenerateAudio
from podsync.planner.project import plan


def audio_to_verify(
    desired: Desired, lock: Lock, live: Live, *, no_delete: bool = False
) -> set[str]:
    """mic_ids of cached jobs this plan would reuse or wait on: their status is asked of the
    account before the final plan, so a plan never promises audio that is not there."""
    first = plan(desired, lock, live, no_delete=no_delete)
    return {j.mic_id for j in first.audio if not isinstance(j, GenerateAudio)}
