"""What `podsync script` did, in words: one line per episode, then what it cost."""

from __future__ import annotations

from podsync.operations.scripts import ScriptEvent, ScriptResult
from podsync.plan import counted
from podsync.render.reason_phrases import stale_words


def event_line(event: ScriptEvent) -> str:
    name = f"{event.show}/{event.episode}"
    changed = stale_words(event.stale)
    if event.action == "written":
        return (
            f"wrote {event.file} ({counted(event.lines, 'line')}) for {name} and pinned it in "
            f"{event.pinned_in}"
        )
    if event.action == "rewritten":
        why = f": {changed} changed since the last one" if changed else ""
        return f"wrote {event.file} again ({counted(event.lines, 'line')}) for {name}{why}"
    if event.action == "accepted":
        return f"accepted {event.file} as it is for {name} ({changed} changed since it was written)"
    if event.action == "fresh":
        return f"kept {event.file} for {name}: it is fresh, nothing to accept"
    return f"kept {event.file} for {name}: it is fresh (--force writes it again)"


def cost_line(result: ScriptResult) -> str:
    """The requests sent: scripts are free, audio is paid for by the next apply."""
    sent = counted(result.requests, "script request")
    return (
        f"{sent} (POST /scripts) sent; no audio was generated: the next apply pays for the "
        "audio of new and edited scripts."
    )
