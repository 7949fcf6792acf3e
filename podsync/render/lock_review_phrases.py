"""The words for what a pull request did to podsync.lock by hand (podsync.github.lock_review):
the lock-edit warnings and why the account does not vouch for a hand-set audio job. One of
the phrases modules: render/phrases.py is their index."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from podsync.plan import Warning

LOCK_EDITED = (
    "podsync.lock is edited by hand in this pull request (podsync writes it only in the apply "
    "on the default branch)"
)


def lock_edited(w: Warning, p: Mapping[str, Any]) -> str:
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


def lock_not_compared(w: Warning, p: Mapping[str, Any]) -> str:
    return (
        "podsync.lock could not be compared with the pull request's base commit (check out "
        "with fetch-depth: 0), so edits to it are not listed; the apply after the merge checks "
        "every reused job with the account"
    )


def unvouched(w: Warning, p: Mapping[str, Any]) -> str:
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
