"""The words for a guard (plan.Guard): why apply refuses a plan and what lifts the refusal;
also the removal-share wording a safety warning shares with it. One of the phrases modules:
render/phrases.py is their index."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from podsync.plan import Guard, GuardCode, Reason, counted
from podsync.render.reason_phrases import EPISODE_REASONS, stale_words


def episode_ref(show: object, episode: object) -> str:
    return f"episode '{show}/{episode}'"


def share(value: object) -> str:
    return f"{float(value):.0%}"  # type: ignore[arg-type]


def removal_share(removed: int, live: int, show: object) -> str:
    return (
        f"{removed} of the {live} live episodes of show '{show}' ({removed / live:.0%}) would be "
        "removed or re-published in one run"
    )


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
            f"{removal_share(p['removed'], p['live'], show)}, more than the safety limit of "
            f"{share(p['max_removal_share'])} (podsync.yaml safety.max_removal_share): apply "
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
    target = episode_ref(show, guard.episode)
    if code is GuardCode.PROTECTED_REMOVED:
        return (
            f"{target} is protected (protect: true, recorded in podsync.lock) but was removed "
            "from the manifest: apply refuses to remove it; to remove it, put it back with "
            "`protect: false`, apply, then remove it"
        )
    if code is GuardCode.STALE_SCRIPT:
        name = f"{show}/{guard.episode}"
        changed = stale_words(p["changed"])
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
    return episode_ref(guard.show, guard.episode) if guard.episode else f"show '{guard.show}'"
