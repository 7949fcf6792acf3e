"""The Action's apply step ends with `podsync verify` (input `verify`, on by default): what
listeners get is checked on every apply, not only what the API answered.

``verify: "true"`` reads each feed and asks each episode's audio for its type and length (a
HEAD, no download): cheap enough for every push, and it catches a missing episode, a duplicate,
the wrong order and a silent stub. ``"audio"`` also downloads and decodes every MP3 (as
`podsync verify` does by default); ``"false"`` skips the check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from podsync.render.verify import render_verify_text, verdict
from podsync.verify import verify


def verify_after_apply(
    project: Path,
    mode: str,
    concurrency: int,
    say: Callable[[str], None],
    add_summary: Callable[[str], None],
) -> list[str]:
    """Run the check, report it to the log and the job summary; the problems that fail the
    step (none when it passed, or only warned)."""
    if mode == "false":
        return []
    result = verify(project, audio=mode == "audio", concurrency=concurrency)
    text = render_verify_text(result)
    say(text.rstrip("\n"))
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)  # a title with backticks cannot close the block
    add_summary(f"### podsync verify\n\n{fence}\n{text}{fence}\n")
    return [] if result.ok else [f"{verdict(result)} See the log for each URL."]
