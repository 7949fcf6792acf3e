"""Apply a Plan: shows first, audio jobs concurrently, episodes in manifest order, removals last.

Every step that changes the world is followed at once by a lock write, every POST /audios is
preceded by one (an unconfirmed record: money in flight), and every audio job's mic_id is written
before podsync waits on it. A run killed at any moment therefore leaves a lock that a new `plan`
can trust: it resumes submitted jobs instead of paying for them twice, and warns about a job
whose answer it never recorded. A re-publish adds the new version before it removes the old one,
so no failure takes an episode off the feed.

One failure does not stop the rest: apply finishes what it can and reports what failed.

The package: run.py orders the steps, shows.py, audio.py and episodes.py take them,
base.py holds what they share (the outcome, the polling policy, create-exactly-once), and
records.py the lock records apply writes without a request.
"""

from podsync.executor.base import CREATE_ATTEMPTS, AudioFailed, Outcome, PollPolicy, Report
from podsync.executor.records import (
    adopt_episode,
    adopt_show,
    forget_retired,
    forget_stale,
    protected_keys,
    publishing,
    publishing_new_audio,
    record_protection,
)
from podsync.executor.run import Executor

__all__ = [
    "CREATE_ATTEMPTS",
    "AudioFailed",
    "Executor",
    "Outcome",
    "PollPolicy",
    "Report",
    "adopt_episode",
    "adopt_show",
    "forget_retired",
    "forget_stale",
    "protected_keys",
    "publishing",
    "publishing_new_audio",
    "record_protection",
]
