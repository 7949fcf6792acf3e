"""Where to listen, in words: the lines apply prints after its closing table, and the list a
preview ends with (podsync.listen gathers the links)."""

from __future__ import annotations

from podsync.listen import EpisodeLink, Listen
from podsync.render.text import quote

_NOT_READY = {
    "failed": "(audio job failed: see above)",
    "not_ready": "(not ready)",
}


def listen_lines(listen: Listen, *, preview: bool = False) -> list[str]:
    """The heading and one line per feed and episode; no lines when there is nothing to name."""
    if not listen.feeds and not listen.episodes:
        return []
    heading = "Listen before publishing:" if preview else "Listen to what was published:"
    if listen.local:
        heading = heading.removesuffix(":") + " (files the local emulator wrote; no server needed):"
    lines = [heading]
    lines += [f"  feed of {f.show}: {f.feed or '(feed URL not known)'}" for f in listen.feeds]
    lines += [_episode(e) for e in listen.episodes]
    return lines


def _episode(link: EpisodeLink) -> str:
    where = link.page
    if link.status != "ready":
        where = _NOT_READY[link.status]
    elif not where:
        where = "(ready; ZenMic gave no audio page)"
    return f"  {link.show}/{link.key} {quote(link.title)}: {where}"


def listen_markdown(listen: Listen) -> list[str]:
    """The same for a job summary: http(s) links only (a URL from the API is never trusted
    to be one), each title escaped."""
    from podsync.render.markdown import code, listen_url, md

    if not listen.feeds and not listen.episodes:
        return []

    def link(url: str) -> str:
        safe = listen_url(url)
        return f"[{md(url)}]({safe})" if safe else code(url or "(not known)")

    lines = ["**Listen to what was published:**", ""]
    lines += [f"- feed of {code(f.show)}: {link(f.feed)}" for f in listen.feeds]
    lines += [
        f"- {code(f'{e.show}/{e.key}')} {md(e.title)}: {link(e.page)}" for e in listen.episodes
    ]
    return [*lines, ""]
