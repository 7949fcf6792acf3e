"""The words for a change's reason (plan.Reason): short for the terminal and the log, full
sentences for a reviewer, and the other per-change wording (fields edited, audio actions,
a stale script's inputs). One of the phrases modules: render/phrases.py is their index."""

from __future__ import annotations

from collections.abc import Iterable

from podsync.plan import AudioAction, Reason

# Terminal and log wording: short, as a change line's parenthesis.
EPISODE_REASONS: dict[Reason, str] = {
    Reason.NEW: "new",
    Reason.SOURCE_CHANGED: "source changed",
    Reason.TITLE_CHANGED: "title changed",
    Reason.DESCRIPTION_CHANGED: "description changed",
    Reason.TITLE_AND_DESCRIPTION_CHANGED: "title changed and description changed",
    Reason.TITLE_DIFFERS: "title differs",
    Reason.DESCRIPTION_DIFFERS: "description differs",
    Reason.TITLE_AND_DESCRIPTION_DIFFER: "title differs and description differs",
    Reason.DRIFT_CHANGED: "drift: changed outside podsync",
    Reason.DRIFT_AUDIO_SWAPPED: "drift: changed outside podsync (audio swapped)",
    Reason.DRIFT_REMOVED: "drift: removed outside podsync",
    Reason.DRIFT_DELETED: "drift: deleted outside podsync",
    Reason.RENAMED: "renamed",
    Reason.REMOVED_FROM_MANIFEST: "removed from the manifest",
    Reason.REPUBLISHED_OLD_VERSION: "the old version of an episode podsync re-published",
    Reason.REPUBLISH_UNRECORDED: "re-published by podsync in a run that stopped before "
    "recording it",
    Reason.SAME_TITLE: "a live episode has this title; its audio is taken as this source's",
    Reason.SHOW_ID_SET: "show_id set in the manifest",
    Reason.AUDIO_NOT_CACHED: "new paid audio job",
    Reason.AUDIO_SUBMITTED: "submitted by an earlier run; not paid again",
    Reason.AUDIO_CACHED: "finished audio in the cache",
    Reason.AUDIO_EXISTING: "published as it is; not paid",
    Reason.REGENERATE_ASKED: "regenerate (asked)",
}
SHOW_REASONS: dict[Reason, str] = {
    **EPISODE_REASONS,
    Reason.REMOVED_FROM_MANIFEST: "manifest removed",
    Reason.SAME_TITLE: "a live show has this title",
}

# A reviewer's wording (Markdown): full sentences, capitalised for a table cell.
PLAIN_EPISODE_REASONS: dict[Reason, str] = {
    Reason.NEW: "New episode",
    Reason.SOURCE_CHANGED: "Source changed: new audio",
    Reason.TITLE_CHANGED: "Title changed",
    Reason.DESCRIPTION_CHANGED: "Description changed",
    Reason.TITLE_AND_DESCRIPTION_CHANGED: "Title changed; description changed",
    Reason.TITLE_DIFFERS: "Title differs from the live episode",
    Reason.DESCRIPTION_DIFFERS: "Description differs from the live episode",
    Reason.TITLE_AND_DESCRIPTION_DIFFER: "Title differs from the live episode; description "
    "differs from the live episode",
    Reason.DRIFT_CHANGED: "Edited by hand in ZenMic (drift), put back as the manifest says",
    Reason.DRIFT_AUDIO_SWAPPED: "Audio swapped by hand in ZenMic (drift), the manifest's audio "
    "is published again",
    Reason.DRIFT_REMOVED: "Deleted by hand in ZenMic (drift), published again",
    Reason.REMOVED_FROM_MANIFEST: "Removed from the manifest",
    Reason.SAME_TITLE: "Already live with this title, taken over as it is",
    Reason.REPUBLISHED_OLD_VERSION: "The old version of an episode podsync re-published",
    Reason.REPUBLISH_UNRECORDED: "Re-published by podsync in a run that stopped before "
    "recording it",
    Reason.REGENERATE_ASKED: "Regenerate (asked): a new take of the same source, new audio",
}
PLAIN_SHOW_REASONS: dict[Reason, str] = {
    Reason.NEW: "a new show",
    Reason.REMOVED_FROM_MANIFEST: "its manifest was removed",
    Reason.DRIFT_DELETED: "deleted by hand in ZenMic (drift), created again",
    Reason.DRIFT_CHANGED: "edited by hand in ZenMic (drift), put back as the manifest says",
    Reason.TITLE_CHANGED: "title changed in the manifest",
    Reason.DESCRIPTION_CHANGED: "description changed in the manifest",
    Reason.TITLE_AND_DESCRIPTION_CHANGED: "title changed in the manifest; description changed "
    "in the manifest",
    Reason.TITLE_DIFFERS: "the live show's title differs",
    Reason.DESCRIPTION_DIFFERS: "the live show's description differs",
    Reason.TITLE_AND_DESCRIPTION_DIFFER: "the live show's title differs; the live show's "
    "description differs",
    Reason.SHOW_ID_SET: "show_id set in the manifest",
    Reason.SAME_TITLE: "a live show already has this title, taken over",
}
# The fields a reason says the manifest edited, for "(was ...)" beside them.
EDITED_FIELDS: dict[Reason, tuple[str, ...]] = {
    Reason.TITLE_CHANGED: ("title",),
    Reason.DESCRIPTION_CHANGED: ("description",),
    Reason.TITLE_AND_DESCRIPTION_CHANGED: ("title", "description"),
}
AUDIO_WORDS: dict[AudioAction, str] = {
    "generate": EPISODE_REASONS[Reason.AUDIO_NOT_CACHED],
    "resume": EPISODE_REASONS[Reason.AUDIO_SUBMITTED],
    "reuse": EPISODE_REASONS[Reason.AUDIO_CACHED],
    "existing": EPISODE_REASONS[Reason.AUDIO_EXISTING],
}

# What a stale pinned script names as changed (script_pins.INPUT_FIELDS).
STALE_FIELDS: dict[str, str] = {
    "source": "the kind of source",
    "topic": "the topic",
    "document": "the document",
    "duration_minutes": "the length",
    "generated_from": "its generated_from record",
}


def stale_words(fields: Iterable[str]) -> str:
    """What changed under a pinned script, as words: "the topic and the length"."""
    return " and ".join(STALE_FIELDS.get(f, f) for f in fields)


def episode_reason(reason: Reason, renamed_from: str | None = None) -> str:
    """An episode change's reason for a terminal line."""
    if reason is Reason.RENAMED:
        return f"renamed from '{renamed_from}'"
    return EPISODE_REASONS[reason]


def show_reason(reason: Reason, renamed_from: str | None = None) -> str:
    if reason is Reason.RENAMED:
        return f"renamed from '{renamed_from}'"
    return SHOW_REASONS[reason]


def plain_episode_reason(reason: Reason, renamed_from: str | None = None) -> str:
    """An episode change's reason in a reviewer's words."""
    if reason in PLAIN_EPISODE_REASONS:
        return PLAIN_EPISODE_REASONS[reason]
    text = episode_reason(reason, renamed_from)
    return text[:1].upper() + text[1:]


def plain_show_reason(reason: Reason, renamed_from: str | None = None) -> str:
    if reason is Reason.RENAMED:
        return f"its key was renamed from {renamed_from!r}"
    return PLAIN_SHOW_REASONS.get(reason) or show_reason(reason)
