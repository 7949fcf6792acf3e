"""After apply (and a preview), podsync names where to listen, and every link it prints opens:
against an emulator server, its feed and audio pages over HTTP; in local mode, whose emulator
stops with the command, the files it wrote under .podsync/emulator/."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.conftest import Cli
from tests.helpers import edit, episode

FEED = re.compile(r"^  feed of ([a-z-]+): (\S+)$", re.MULTILINE)
EPISODE = re.compile(r"^  tech-weekly/([a-z-]+) \"[^\"]+\": (\S+)$", re.MULTILINE)


def after(heading: str, output: str) -> str:
    """The lines under ``heading`` (up to the next blank line)."""
    assert heading in output, output
    return output.split(heading, 1)[1].split("\n\n", 1)[0]


def test_preview_and_apply_name_pages_that_open_and_apply_names_each_feed(
    cli: Cli, project: Path
) -> None:
    previewed = cli("apply", str(project), "--preview", "--auto-approve")
    assert previewed.exit_code == 0, previewed.output
    pages = dict(EPISODE.findall(after("Listen before publishing:", previewed.output)))
    assert list(pages) == ["ai-health", "privacy", "handmade", "roadmap"]
    for page in pages.values():
        opened = httpx.get(page)
        assert opened.status_code == 200 and "<audio" in opened.text, page

    applied = cli("apply", str(project), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    listen = after("Listen to what was published:", applied.output)
    with cli.emulator.api() as api:
        (show,) = api.get("/podcasts").json()["data"]
    assert FEED.findall(listen) == [("tech-weekly", show["feed_url"])]  # the show just created
    assert dict(EPISODE.findall(listen)) == pages  # the previewed audio, now published

    edit(project, lambda d: episode(d, "privacy").update(title="Episode 2 - Your Privacy"))
    again = cli("apply", str(project), "--auto-approve")
    assert again.exit_code == 0, again.output
    listen = after("Listen to what was published:", again.output)
    assert dict(EPISODE.findall(listen)) == {"privacy": pages["privacy"]}  # the re-published one
    assert FEED.findall(listen) == [("tech-weekly", show["feed_url"])]
