"""`podsync status` as text for a terminal and as JSON for scripts; both complete documents
ending in one newline. Titles come from the account: the CLI prints them through safe_text."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from podsync.plan import counted
from podsync.render.text import quote
from podsync.safe_text import escape_json
from podsync.status import ManagedShow, OtherShow, Status

STATUS_FORMATS: tuple[str, ...] = ("text", "json")


def render_status(status: Status, fmt: str) -> str:
    return _json(status) if fmt == "json" else _text(status)


def _text(status: Status) -> str:
    lines = [f"Last apply: {_when(status.last_apply) if status.last_apply else 'never'}"]
    lines.append("")
    if status.managed:
        lines.append(f"Managed ({counted(len(status.managed), 'show')}):")
        lines.extend(_managed_line(show) for show in status.managed)
    else:
        lines.append("Managed: none yet (podsync apply creates the shows of shows/)")
    lines.append("")
    if status.unmanaged:
        lines.append(
            f"Not managed by this project ({counted(len(status.unmanaged), 'show')}; "
            "adopt one with `show_id:` in a manifest):"
        )
        lines.extend(_other_line(show) for show in status.unmanaged)
    else:
        lines.append("Not managed by this project: none")
    return "\n".join(lines) + "\n"


def _managed_line(show: ManagedShow) -> str:
    head = f"  {show.key} [{show.show_id}] {quote(show.title)}"
    if not show.live:
        return f"{head}: gone from the account (the next apply creates it again)"
    managed = f"{show.managed_episodes} by podsync"
    return f"{head}: {counted(show.episodes or 0, 'episode')} ({managed}), {_feed(show.feed_url)}"


def _other_line(show: OtherShow) -> str:
    count = show.episodes
    episodes = "episodes not counted" if count is None else counted(count, "episode")
    return f"  [{show.show_id}] {quote(show.title)}: {episodes}, {_feed(show.feed_url)}"


def _feed(url: str | None) -> str:
    return f"feed {url}" if url else "no feed URL"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _json(status: Status) -> str:
    document: dict[str, Any] = {
        "last_apply": status.last_apply.isoformat() if status.last_apply else None,
        "managed": [
            {
                "key": show.key,
                "show_id": show.show_id,
                "title": show.title,
                "live": show.live,
                "feed_url": show.feed_url,
                "episodes": show.episodes,
                "managed_episodes": show.managed_episodes,
            }
            for show in status.managed
        ],
        "unmanaged": [
            {
                "show_id": show.show_id,
                "title": show.title,
                "feed_url": show.feed_url,
                "episodes": show.episodes,
            }
            for show in status.unmanaged
        ],
    }
    return escape_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
