"""What `pin-scripts` did on a pull request, as the head of its plan comment: the scripts
committed to the branch (the words themselves are in the plan below, folded for a new episode,
as a diff for a changed one), why none were, or which script request failed."""

from __future__ import annotations

from podsync.github.pin_scripts import Pinning
from podsync.plan import counted
from podsync.render.markdown import md
from podsync.render.scripts import event_line


def pinning_markdown(pinning: Pinning | None) -> str:
    """Empty when pin-scripts was off or had nothing to write."""
    if pinning is None or (not pinning.events and not pinning.skipped and not pinning.failed):
        return ""
    parts = []
    written = pinning.written
    if pinning.commit is not None:
        parts.append(
            f"**Scripts pinned for review:** podsync wrote the scripts of "
            f"{counted(len(written), 'episode')} (POST /scripts, free) and committed them to "
            f"`{md(pinning.branch)}` as `{pinning.commit[:12]}` (github-actions\\[bot\\]). "
            "Read the words below; edit a line of a script file and push to change them. The "
            "merge pays only for audio made from these scripts."
        )
        parts.append("\n".join(f"- {md(event_line(e))}" for e in written))
    if pinning.skipped:
        parts.append(f"**Scripts not pinned:** {md(pinning.skipped)}")
    if pinning.failed:
        failed = " ".join(pinning.failed.replace("`", "'").split())
        parts.append(
            f"**A script request failed:** `{failed}`. Its episode "
            "has no pinned script: push again to retry, or run `podsync script` for it."
        )
    return "\n\n".join(parts) + "\n\n"
