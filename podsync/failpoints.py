"""Failpoints: named places where podsync can be made to die on purpose, to prove re-runs safe.

The crash tests need podsync killed at exact moments (a show created but not yet recorded, a job
submitted but not yet in the lock, a lock write half done). A timer cannot hit those windows
reliably, so, like FreeBSD's fail points or etcd's gofail, the code names them and a test arms
them through the environment:

    PODSYNC_FAILPOINTS="show-created=1,lock-renaming=3"

kills the process with SIGKILL (no cleanup, no flush: a real crash) the first time a show has
been created, or the third time a lock write is about to rename its temp file. Unset, as it is
for every user, `reached()` costs one dict lookup.
"""

from __future__ import annotations

import os
import signal

FAILPOINTS_ENV = "PODSYNC_FAILPOINTS"
POINTS = frozenset(
    {
        "show-created",  # POST /podcasts answered, show not yet in the lock
        "audio-sending",  # the unconfirmed record of a POST /audios written, request not sent
        "audio-submitted",  # POST /audios answered, mic_id not yet in the lock
        "audio-recorded",  # mic_id in the lock, before the first poll
        "audio-polled",  # a poll answered, mid-wait
        "episode-added",  # POST .../episodes answered, episode not yet in the lock
        "episode-retiring",  # a re-publish's new version and its retired old one in the lock
        "episode-removed",  # DELETE .../episodes answered, the lock still lists it
        "lock-written-half",  # half of the new lock in its temp file
        "lock-renaming",  # the temp file complete and synced, before the rename
    }
)


def _armed() -> dict[str, int]:
    armed: dict[str, int] = {}
    for item in os.environ.get(FAILPOINTS_ENV, "").split(","):
        name, _, count = item.strip().partition("=")
        if name in POINTS:
            armed[name] = int(count) if count.strip().isdigit() else 1
    return armed


_ARMED = _armed()
_hits: dict[str, int] = {}


def reached(name: str) -> None:
    """Die here, with SIGKILL, if a test armed this point and this is its chosen passage."""
    if name not in _ARMED:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == _ARMED[name]:
        os.kill(os.getpid(), signal.SIGKILL)
