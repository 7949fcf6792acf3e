"""The words for a warning (plan.Warning, one function per WarningCode) and the warning lines
a plan's reader sees, guards first. One of the phrases modules: render/phrases.py is their
index."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from podsync.plan import Plan, Reason, Warning, WarningCode, counted
from podsync.render.guard_phrases import guard_text, removal_share, share
from podsync.render.lock_review_phrases import lock_edited, lock_not_compared, unvouched
from podsync.render.reason_phrases import EPISODE_REASONS
from podsync.safe_text import cut

WARNED_TITLE_CHARS = 200  # of a live title quoted in a warning


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


def _loosened(w: Warning, p: Mapping[str, Any]) -> str:
    return (
        f"{removal_share(p['removed'], p['live'], w.show)}: the default safety limit of "
        f"{share(p['default_share'])} would refuse this, and podsync.yaml's safety: lets it "
        f"through (max_removal_share {share(p['max_removal_share'])}, min_episodes "
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
    WarningCode.LOCK_EDITED: lock_edited,
    WarningCode.LOCK_NOT_COMPARED: lock_not_compared,
    WarningCode.AUDIO_UNVOUCHED: unvouched,
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
