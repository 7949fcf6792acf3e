"""podsync.lock edits in a pull request: shown to the reviewer, and audio added by hand is
reused only when the account vouches for it.

podsync writes podsync.lock only on the default branch, in the apply after a merge (a preview
carries its jobs in the plan comment, never in the lock). So every change a pull request makes
to the lock is someone's hand edit, and the lock decides what apply does: which audio an
episode is published with (its digest -> job), which shows and episodes are podsync's (ids),
and what is protected. Left unshown, a pull request could add an episode, point its digest at
another episode's finished job with an `audio_page_url` at any site, and get a plan that says
"generated earlier, no cost" for audio nobody made for it.

So the plan comment lists every lock change against the pull request's base as a warning, and
a reused job that the merged pull request put in the lock by hand is accepted only when
GET /audios/{id} says it finished, carries the episode's title, was made after the branch
was, and is no other entry's job in the base lock; otherwise apply refuses before any change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from podsync.lock import AppliedApproval, CachedAudio, Lock, LockedEpisode, LockedShow
from podsync.model import AUDIO_SUCCEEDED, Live
from podsync.plan import AudioJob, Plan, Warning, WarningCode
from podsync.render.phrases import unvouched_text

UNVOUCHED_ADVICE = (
    "Audio is reused only as podsync recorded it, or as a preview of the pull request made it: "
    "take the entry out of podsync.lock (the apply then generates the audio), or let the plan "
    'step preview it (preview: "true"), and merge that.'
)


@dataclass(frozen=True)
class LockEdit:
    """One difference between the base's lock and the pull request's: `what` changed on
    `target` ("show", "show/episode" or an audio digest), from `before` to `after`."""

    kind: str  # "audio", "show", "episode", "unconfirmed", "applied" (a pull request's number)
    target: str
    what: str  # "added", "removed", or the field that changed
    before: str | None = None
    after: str | None = None


def lock_edits(base: Lock, head: Lock) -> list[LockEdit]:
    """Every difference between two locks, in a stable order."""
    edits: list[LockEdit] = []
    for key in sorted(set(base.shows) | set(head.shows)):
        edits += _record_edits("show", key, base.shows.get(key), head.shows.get(key))
        old = base.shows[key].episodes if key in base.shows else {}
        new = head.shows[key].episodes if key in head.shows else {}
        for episode in sorted(set(old) | set(new)):
            target = f"{key}/{episode}"
            edits += _record_edits("episode", target, old.get(episode), new.get(episode))
    for digest in sorted(set(base.audio) | set(head.audio)):
        edits += _record_edits("audio", digest, base.audio.get(digest), head.audio.get(digest))
    for number in sorted(set(base.applied) | set(head.applied), key=_numeric):
        before_record, after_record = base.applied.get(number), head.applied.get(number)
        edits += _record_edits("applied", number, before_record, after_record)
    for digest in sorted(set(base.unconfirmed) | set(head.unconfirmed)):
        before, after = base.unconfirmed.get(digest), head.unconfirmed.get(digest)
        if before != after:
            edits.append(
                LockEdit(
                    "unconfirmed",
                    digest,
                    "changed" if before and after else ("added" if after else "removed"),
                )
            )
    return edits


Record = LockedShow | LockedEpisode | CachedAudio | AppliedApproval


def _numeric(number: str) -> tuple[int, str]:
    return (int(number), "") if number.isdigit() else (0, number)


def _record_edits(
    kind: str, target: str, before: Record | None, after: Record | None
) -> list[LockEdit]:
    if before == after:
        return []
    if before is None:
        return [LockEdit(kind, target, "added", None, _identity(after))]
    if after is None:
        return [LockEdit(kind, target, "removed", _identity(before), None)]
    return [
        LockEdit(kind, target, name, _text(old), _text(new))
        for name, old, new in _fields(before, after)
        if old != new
    ]


def _fields(before: Record, after: Record) -> Iterator[tuple[str, object, object]]:
    for name in before.__dataclass_fields__:
        if name != "episodes":
            yield name, getattr(before, name), getattr(after, name)


def _identity(record: Record | None) -> str | None:
    if isinstance(record, LockedShow):
        return record.show_id
    if isinstance(record, LockedEpisode):
        return f"{record.episode_id}, audio {record.mic_id}"
    if isinstance(record, CachedAudio):
        return f"job {record.mic_id}"
    if isinstance(record, AppliedApproval):
        return f"checksum {record.checksum}, merge {record.merge_commit[:12]}"
    return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def hand_added_audio(base: Lock, head: Lock) -> dict[str, CachedAudio]:
    """digest -> job of the audio entries whose job the pull request set by hand."""
    return {
        digest: audio
        for digest, audio in head.audio.items()
        if base.audio.get(digest) is None or base.audio[digest].mic_id != audio.mic_id
    }


def undo_hand_audio(lock: Lock, base: Lock, head: Lock, keep: frozenset[str] = frozenset()) -> Lock:
    """`lock` with each audio entry the pull request set by hand (`base` -> `head`) and that
    is still as it set it put back as `base` had it, except the digests in `keep` (reused by
    this apply, after the account vouched for them). An entry left in the lock would be taken
    by the next pull request's plan for podsync's own record, and reused unchecked."""
    audio = dict(lock.audio)
    for digest, entry in hand_added_audio(base, head).items():
        if digest in keep or audio.get(digest) != entry:
            continue
        if digest in base.audio:
            audio[digest] = base.audio[digest]
        else:
            del audio[digest]
    return replace(lock, audio=audio)


@dataclass(frozen=True)
class Unvouched:
    """A reused job the pull request put in the lock by hand that the account does not vouch
    for, and why: each reason a code with its values (render/phrases.py words them)."""

    show: str
    episode: str
    mic_id: str
    reasons: tuple[dict[str, object], ...]

    def warning(self) -> Warning:
        params = {"mic_id": self.mic_id, "reasons": [dict(r) for r in self.reasons]}
        return Warning(WarningCode.AUDIO_UNVOUCHED, self.show, self.episode, params)


def unvouched_jobs(
    plan: Plan, live: Live, added: dict[str, CachedAudio], base: Lock, since: datetime | None
) -> list[Unvouched]:
    """Each reused job that the pull request put in the lock by hand and that is not the
    episode's, by the account's word (GET /audios/{id}); nothing when every one is."""
    problems = []
    publishing = {
        c.digest for c in plan.episodes if c.action in ("add", "replace") and not c.republish
    }
    for job in plan.audio:
        entry = added.get(job.digest)
        if job.action == "generate" or entry is None or entry.mic_id != job.mic_id:
            continue
        if job.digest not in publishing:  # a re-publish keeps the live episode's own audio
            continue
        reasons = _reasons(job, live, base, since)
        if reasons:
            problems.append(Unvouched(job.show, job.episode, job.mic_id, tuple(reasons)))
    return problems


def unvouched(
    plan: Plan, live: Live, added: dict[str, CachedAudio], base: Lock, since: datetime | None
) -> list[str]:
    """unvouched_jobs, in words: what a refused apply says."""
    return [
        unvouched_text(u.show, u.episode, u.warning().params)
        for u in unvouched_jobs(plan, live, added, base, since)
    ]


def _reasons(
    job: AudioJob, live: Live, base: Lock, since: datetime | None
) -> list[dict[str, object]]:
    mic_id = getattr(job, "mic_id", "")
    found = live.jobs.get(mic_id)
    if found is None:
        return [{"code": "not_read"}]
    reasons: list[dict[str, object]] = []
    if found.status != AUDIO_SUCCEEDED:
        reasons.append({"code": "status", "status": found.status})
    if found.title != job.title:
        reasons.append({"code": "title", "title": found.title, "wanted": job.title})
    made = _when(found.created_at)
    if since is not None and (made is None or made < since):
        reasons.append(
            {"code": "made_before", "made_at": found.created_at, "since": since.isoformat()}
        )
    owners = [{"audio": d} for d, a in base.audio.items() if a.mic_id == mic_id] + [
        {"episode": f"{show}/{key}"}
        for show, record in base.shows.items()
        for key, episode in record.episodes.items()
        if episode.mic_id == mic_id
    ]
    if owners:
        reasons.append({"code": "in_base", "owners": owners[:3]})
    return reasons


def _when(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        made = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return made if made.tzinfo is not None else None


def edit_warnings(edits: list[LockEdit], plan: Plan) -> list[Warning]:
    """One warning per lock edit, naming the episode an audio entry is for where the plan
    knows it."""
    episodes = {job.digest: f"{job.show}/{job.episode}" for job in plan.audio}
    return [
        Warning(
            WarningCode.LOCK_EDITED,
            params={
                "kind": edit.kind,
                "target": edit.target,
                "what": edit.what,
                "before": edit.before,
                "after": edit.after,
                "owner": episodes.get(edit.target)
                if edit.kind in ("audio", "unconfirmed")
                else None,
            },
        )
        for edit in edits
    ]
