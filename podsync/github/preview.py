"""Listen before merge without a commit: the audio jobs a pull request's preview paid for travel
in its plan comment, not in podsync.lock on its branch.

A lock commit on the pull request's branch conflicted with the lock commits apply makes on main
(a merge conflict that blocks the pull request), and, pushed with GITHUB_TOKEN, left a head
commit whose required checks never run. So a preview commits nothing; the plan comment carries a
hidden marker, digest -> job, of the jobs this pull request's previews recorded:

    <!-- podsync:preview <base64 JSON {digest: {mic_id, status, audio_page_url}}> -->

- the next push to the pull request seeds its lock's audio cache from the bot's comment before
  previewing, so only new or changed sources are generated; the comment keeps every job the
  pull request's previews paid for, also for sources it no longer has (a change reverted
  reuses its job), as many as PREVIEW_MARKER_CHARS holds, and only while the bot is the
  comment's last editor (podsync.github.comment.verified_body);
- the apply after the merge seeds main's lock from the approved comment before planning, so its
  plan reuses those jobs (and so is the plan reviewed, checksum and all), and the lock it
  commits records them.

Jobs still running when the preview stopped travel too: the next run waits on them instead of
paying again (waiting on a job and reusing it count as the same change in the checksum). Only
jobs previews submitted travel, never one the branch's lock already names, and a carried job
takes the place of the lock's for its source. The planner asks the account for the status of
every cached job it reuses, so a marker naming a job the account does not have costs a new job,
never a broken apply.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from podsync.lock import CachedAudio, Lock
from podsync.plan import Plan

# The marker's share of a comment (GitHub allows 65,536 characters in all). About 250
# characters a job: over a hundred previewed episodes in one pull request.
PREVIEW_MARKER_CHARS = 30_000
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_MAX_FIELD = 2_000  # a job id, status or page address longer than this is not ZenMic's


def carried(plan: Plan, committed: Lock, now: Lock) -> dict[str, CachedAudio]:
    """The jobs to carry in the comment: each of the plan's audio jobs that the lock records
    `now` (after this run's preview, with what earlier previews carried) but the lock committed
    on the branch does not, unless it finished without audio.

    A job the committed lock names anywhere is never carried: a branch could point a new
    source's digest at another episode's finished job in its lock, then revert the lock, and
    the marker would launder that job into the apply. Carried jobs are only those previews
    submitted for their own source."""
    known = {audio.mic_id for audio in committed.audio.values()}
    jobs = {}
    for job in plan.audio:
        cached = now.audio.get(job.digest)
        if cached is None or cached.failed or cached.mic_id in known:
            continue
        jobs[job.digest] = CachedAudio(
            cached.mic_id, cached.status, audio_page_url=cached.audio_page_url
        )
    return jobs


def seed(lock: Lock, jobs: Mapping[str, CachedAudio]) -> Lock:
    """`lock` with `jobs` in its audio cache. A carried job wins over the one the lock holds
    for the same source: a preview made it because that one was unusable when it ran (gone
    from the account, say, which the lock cannot know), it is the job the reviewed plan
    reuses, and like every carried job it was submitted for exactly this source."""
    for digest, audio in sorted(jobs.items()):
        if lock.audio.get(digest) != audio:
            lock = lock.with_audio(digest, audio)
    return lock


def earlier(
    previewed: Mapping[str, CachedAudio], jobs: Mapping[str, CachedAudio], committed: Lock
) -> dict[str, CachedAudio]:
    """The jobs earlier previews of the pull request paid for that this run's plan does not use
    (`jobs` are those it does), in the order the comment had them: kept in the comment, so a
    source changed and then changed back reuses its job instead of paying for a third one, and
    the lock after the merge records them. Never one the committed lock names (see `carried`),
    nor one that finished without audio."""
    known = {audio.mic_id for audio in committed.audio.values()}
    return {
        digest: audio
        for digest, audio in previewed.items()
        if digest not in jobs and not audio.failed and audio.mic_id not in known
    }


def encode(
    jobs: Mapping[str, CachedAudio], history: Mapping[str, CachedAudio] | None = None
) -> tuple[str, dict[str, CachedAudio]]:
    """The marker line (empty with no jobs) and the jobs it holds: as many as fit in
    PREVIEW_MARKER_CHARS, `jobs` first in digest order, then `history` (earlier previews' jobs
    the plan no longer uses) in its order, most recent first, until the room is used. A job of
    `jobs` left out is paid for again after the merge, and the plan the comment shows must say
    so: the caller plans with the jobs returned."""
    ordered = [
        *sorted(jobs.items()),
        *((d, a) for d, a in (history or {}).items() if d not in jobs),
    ]
    kept: dict[str, Any] = {}
    size = 2  # bytes of the JSON text: the braces
    for digest, audio in ordered:
        entry = {"mic_id": audio.mic_id, "status": audio.status}
        if audio.audio_page_url:
            entry["audio_page_url"] = audio.audio_page_url
        piece = len(_dumps({digest: entry}).encode("utf-8")) - 2 + (1 if kept else 0)
        if _marker_length(size + piece) > PREVIEW_MARKER_CHARS:
            if digest in jobs:
                break
            continue
        kept[digest] = entry
        size += piece
    if not kept:
        return "", {}
    text = json.dumps(
        {d: dict(sorted(e.items())) for d, e in kept.items()},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    merged = {**(history or {}), **jobs}
    return f"<!-- podsync:preview {payload} -->", {d: merged[d] for d in kept}


def decode(payload: str) -> dict[str, CachedAudio]:
    """The jobs in a marker's payload; anything malformed is left out (it only costs a job)."""
    try:
        data = json.loads(base64.b64decode(payload, validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    jobs = {}
    for digest, entry in data.items():
        if not (isinstance(digest, str) and _DIGEST.fullmatch(digest) and isinstance(entry, dict)):
            continue
        mic_id, status, page = entry.get("mic_id"), entry.get("status"), entry.get("audio_page_url")
        if not (_field(mic_id) and _field(status) and (page is None or _field(page))):
            continue
        jobs[digest] = CachedAudio(str(mic_id), str(status), audio_page_url=page)
    return jobs


def _field(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX_FIELD


def _dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _marker_length(json_bytes: int) -> int:
    """Characters of the marker for a JSON text of `json_bytes` UTF-8 bytes (base64: 4 for 3)."""
    return len("<!-- podsync:preview  -->") + 4 * -(-json_bytes // 3)
