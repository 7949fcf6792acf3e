"""The plan's codes in words: one table per kind of code, shared by every renderer.

The planner, the executor and the checksum deal in codes (plan.Reason, WarningCode, GuardCode);
only this module turns them into sentences, so rewording one touches nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from podsync.plan import (
    AudioAction,
    Guard,
    GuardCode,
    Plan,
    Reason,
    Warning,
    WarningCode,
    counted,
)
from podsync.safe_text import cut

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

WARNED_TITLE_CHARS = 200  # of a live title quoted in a warning


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


def _episode(show: object, episode: object) -> str:
    return f"episode '{show}/{episode}'"


def _share(value: object) -> str:
    return f"{float(value):.0%}"  # type: ignore[arg-type]


def _held(change: Mapping[str, Any]) -> str:
    kind, show, episode = change["change"], change["show"], change.get("episode")
    if kind == "delete_show":
        return f"delete show '{show}' ({change.get('show_id')})"
    if kind == "remove_old_version":
        return f"remove the old version of episode '{show}/{episode}'"
    if kind == "replace_episode":
        reason = EPISODE_REASONS[Reason(change["reason"])]
        return f"replace episode '{show}/{episode}' ({reason})"
    return f"remove episode '{show}/{episode}'"


def _unconfirmed(w: Warning, p: Mapping[str, Any]) -> str:
    return (
        f"audio for '{w.show}/{w.episode}' was submitted at {p['at']} but the answer was lost "
        f"({p['request']}); ZenMic cannot list jobs, so if that job was billed, this plan pays "
        "for the audio a second time"
    )


def _held_back(w: Warning, p: Mapping[str, Any]) -> str:
    changes = [_held(c) for c in p["changes"]]
    return (
        f"--no-delete holds back {counted(len(changes), 'change')} that would remove something "
        f"live: {', '.join(changes)}; apply without --no-delete to make them"
    )


def _left_behind(w: Warning, p: Mapping[str, Any]) -> str:
    old, count = p["old_show_id"], counted(p["episodes"], "episode")
    return (
        f"show '{w.show}' moves from {old} to {p['show_id']} (show_id changed): {old} and its "
        f"{count} stay in the account, no longer managed by podsync"
    )


def _not_read(w: Warning, p: Mapping[str, Any]) -> str:
    return (
        f"show '{w.show}' names show_id '{p['show_id']}', which podsync.lock does not record and "
        "this plan did not read: whether that show exists, how it differs from the manifest, "
        "and which of its episodes apply would adopt instead of adding, only a plan that "
        "reads the account can tell"
    )


def _rename_hint(w: Warning, p: Mapping[str, Any]) -> str:
    deleted = ", ".join(f"{d['show']} ({d['show_id']})" for d in p["deleted"])
    return (
        f"new show(s) {', '.join(p['created'])} and deleted show(s) {deleted}: if a show key "
        "was renamed, set `show_id:` in its manifest to keep the show and its feed"
    )


def _live_title(p: Mapping[str, Any]) -> str:
    """A live title quoted in a warning, cut: a server may send pages of it."""
    return cut(str(p["title"]), WARNED_TITLE_CHARS)


def _duplicate_show(w: Warning, p: Mapping[str, Any]) -> str:
    return (
        f"possible duplicate of show '{w.show}': live show '{_live_title(p)}', id {p['show_id']}, "
        "not managed by podsync; if an apply created it twice, delete the extra one by hand"
    )


def _duplicate_episode(w: Warning, p: Mapping[str, Any]) -> str:
    return (
        f"possible duplicate in show '{w.show}': live episode '{_live_title(p)}', id "
        f"{p['episode_id']}, not managed by podsync; if an apply published it twice, remove "
        "the extra one by hand"
    )


def _duplicate_audio(w: Warning, p: Mapping[str, Any]) -> str:
    return (
        f"possible duplicate in show '{w.show}': live episode '{_live_title(p)}', id "
        f"{p['episode_id']}, not managed by podsync, has the audio ({p['mic_id']}) this plan "
        f"publishes for '{w.show}/{w.episode}', so apply would put it on the feed twice; if "
        f"it is that episode, give '{w.episode}' its live title to adopt it, or remove it"
    )


def _removal_share(removed: int, live: int, show: object) -> str:
    return (
        f"{removed} of the {live} live episodes of show '{show}' ({removed / live:.0%}) would be "
        "removed or re-published in one run"
    )


def _loosened(w: Warning, p: Mapping[str, Any]) -> str:
    return (
        f"{_removal_share(p['removed'], p['live'], w.show)}: the default safety limit of "
        f"{_share(p['default_share'])} would refuse this, and podsync.yaml's safety: lets it "
        f"through (max_removal_share {_share(p['max_removal_share'])}, min_episodes "
        f"{p['min_episodes']})"
    )


def _feed_order(w: Warning, p: Mapping[str, Any]) -> str:
    # `order` and `wanted` are in publishing order (oldest first); the feed shows newest first
    listed, wanted = ", ".join(reversed(p["order"])), ", ".join(reversed(p["wanted"]))
    return (
        f"the feed of show '{w.show}' will list episodes newest first as {listed}, not in "
        f"manifest order (newest first: {wanted}): ZenMic adds each new or re-published "
        "episode at the top of the feed, and podsync does not re-publish episodes just to "
        "reorder them"
    )


LOCK_EDITED = (
    "podsync.lock is edited by hand in this pull request (podsync writes it only in the apply "
    "on the default branch)"
)


def _lock_edited(w: Warning, p: Mapping[str, Any]) -> str:
    kind, target = p["kind"], p["target"]
    if kind in ("audio", "unconfirmed"):
        owner = f" (episode '{p['owner']}')" if p.get("owner") else ""
        where = f"{kind} {target[:19]}…{owner}"
    elif kind == "applied":  # forged, a later apply is refused; removed, a re-run is not
        where = f"the record of pull request #{target}'s applied approval"
    else:
        where = f"{kind} '{target}'"
    before, after = p.get("before"), p.get("after")
    if p["what"] in ("added", "removed"):
        change = p["what"] + (f": {after or before}" if after or before else "")
    else:
        change = f"{p['what']} {before!r} → {after!r}"
    return f"{LOCK_EDITED}: {where} {change}"


def _lock_not_compared(w: Warning, p: Mapping[str, Any]) -> str:
    return (
        "podsync.lock could not be compared with the pull request's base commit (check out "
        "with fetch-depth: 0), so edits to it are not listed; the apply after the merge checks "
        "every reused job with the account"
    )


def _unvouched(w: Warning, p: Mapping[str, Any]) -> str:
    return f"{unvouched_text(w.show, w.episode, p)}: the apply after the merge refuses it"


def unvouched_text(show: str | None, episode: str | None, p: Mapping[str, Any]) -> str:
    """Why the account does not vouch for a job a pull request put in the lock by hand."""
    reasons = "; ".join(_VOUCH_REASONS[r["code"]](r) for r in p["reasons"])
    return (
        f"podsync.lock points the audio of episode '{show}/{episode}' at job {p['mic_id']} by "
        f"hand, and ZenMic does not vouch for it: {reasons}"
    )


def _owner(owner: Mapping[str, str]) -> str:
    if "audio" in owner:
        return f"audio {owner['audio'][:19]}…"
    return f"episode '{owner['episode']}'"


_VOUCH_REASONS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "not_read": lambda r: "the account was not read for it",
    "status": lambda r: f"its status is {r['status']!r}, not 'succeeded'",
    "title": lambda r: f"it is titled {r['title']!r}, not {r['wanted']!r}",
    "made_before": lambda r: (
        f"it was made at {r['made_at'] or '(no time given)'}, before the pull request's "
        f"branch was ({r['since']})"
    ),
    "in_base": lambda r: (
        f"the base's podsync.lock has it already, for {', '.join(map(_owner, r['owners']))}"
    ),
}


WARNINGS: dict[WarningCode, Callable[[Warning, Mapping[str, Any]], str]] = {
    WarningCode.UNCONFIRMED_AUDIO: _unconfirmed,
    WarningCode.HELD_BACK: _held_back,
    WarningCode.SHOW_LEFT_BEHIND: _left_behind,
    WarningCode.SHOW_NOT_READ: _not_read,
    WarningCode.RENAME_HINT: _rename_hint,
    WarningCode.DUPLICATE_SHOW: _duplicate_show,
    WarningCode.DUPLICATE_EPISODE: _duplicate_episode,
    WarningCode.DUPLICATE_AUDIO: _duplicate_audio,
    WarningCode.SAFETY_LOOSENED: _loosened,
    WarningCode.FEED_ORDER: _feed_order,
    WarningCode.LOCK_EDITED: _lock_edited,
    WarningCode.LOCK_NOT_COMPARED: _lock_not_compared,
    WarningCode.AUDIO_UNVOUCHED: _unvouched,
}


def warning_text(warning: Warning) -> str:
    """A warning as one sentence."""
    return WARNINGS[warning.code](warning, warning.params)


def plan_warnings(plan: Plan, *, verbose: bool = False) -> list[str]:
    """The sentences a plan's reader sees, guards first (apply refuses those). Unless
    `verbose`, a warning podsync.yaml acknowledges is folded into one closing line that still
    names it, and a feed order this plan does not change is left out."""
    lines = [guard_text(g) for g in plan.guards]
    hidden = []
    for warning in plan.warnings:
        if verbose:
            lines.append(
                warning_text(warning) + (" (acknowledged)" if warning.acknowledged else "")
            )
        elif warning.acknowledged:
            hidden.append(f"{warning.code.value} for {warning.show}")
        elif not warning.routine:
            lines.append(warning_text(warning))
    if hidden:
        lines.append(
            f"{counted(len(hidden), 'acknowledged warning')} hidden ({', '.join(hidden)}; "
            f"podsync.yaml acknowledge:): `podsync plan --verbose` shows "
            f"{'it' if len(hidden) == 1 else 'them'} in full"
        )
    return lines


def guard_text(guard: Guard) -> str:
    """Why apply refuses the plan, with what lifts the refusal."""
    p: Mapping[str, Any] = guard.params
    show, code = guard.show, guard.code
    if code is GuardCode.DESTROY:
        also = f", {p['foreign']} of them not created by podsync" if p["foreign"] else ""
        return (
            f"show '{show}' ({p['show_id']}, {counted(p['episodes'], 'episode')}{also}) will be "
            "DELETED from the account: its manifest was removed; apply refuses this without "
            "--allow-destroy"
        )
    if code is GuardCode.MASS_REMOVAL:
        return (
            f"{_removal_share(p['removed'], p['live'], show)}, more than the safety limit of "
            f"{_share(p['max_removal_share'])} (podsync.yaml safety.max_removal_share): apply "
            "refuses this without --allow-mass-removal"
        )
    if code is GuardCode.PROTECTED_SHOW:
        return (
            f"show '{show}' is protected (protect: true, recorded in podsync.lock): apply "
            "refuses to delete it, even with --allow-destroy; to delete it, put its manifest "
            "back with `protect: false`, apply, then remove the manifest"
        )
    if code is GuardCode.PROTECTED_EPISODES:
        episodes: Sequence[str] = p["episodes"]
        return (
            f"show '{show}' holds protected {counted(len(episodes), 'episode')} "
            f"({', '.join(episodes)}; recorded in podsync.lock) that deleting it would remove: "
            "apply refuses this, even with --allow-destroy; set `protect: false` on them and "
            "apply first"
        )
    target = _episode(show, guard.episode)
    if code is GuardCode.PROTECTED_REMOVED:
        return (
            f"{target} is protected (protect: true, recorded in podsync.lock) but was removed "
            "from the manifest: apply refuses to remove it; to remove it, put it back with "
            "`protect: false`, apply, then remove it"
        )
    if code is GuardCode.STALE_SCRIPT:
        name = f"{show}/{guard.episode}"
        changed = " and ".join(STALE_FIELDS.get(f, f) for f in p["changed"])
        return (
            f"{target} pins a stale script ({p['file']}): {changed} changed since it was "
            "written, so apply refuses to pay for audio from it; write it again with "
            f"`podsync script {name}`, keep it as it is with `podsync script --accept {name}`, "
            "or delete its `script:` line to generate the audio at apply"
        )
    where = "the manifest" if p["protected_in"] == "manifest" else "podsync.lock"
    first = (
        "set `protect: false` and"
        if p["protected_in"] == "manifest"
        else "its `protect: false` is not recorded yet:"
    )
    reason = EPISODE_REASONS[Reason(p["reason"])]
    return (
        f"{target} is protected (protect: true in {where}) but would be re-published ({reason}), "
        f"which removes the live episode: apply refuses this; {first} run `apply --no-delete` "
        "first (it records that and holds the re-publish back)"
    )


def guard_target(guard: Guard) -> str:
    """ "show 'x'" or "episode 'x/y'": what a guard stops."""
    return _episode(guard.show, guard.episode) if guard.episode else f"show '{guard.show}'"
