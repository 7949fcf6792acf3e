"""`podsync status`: the managed shows as the account has them, and the account's others, in
text and JSON, with GET requests only."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Cli, Emulator
from tests.helpers import FAST_POLL, run_podsync


@pytest.fixture
def methods(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every request podsync sends (in this process), as "METHOD /path": a spy on the real
    transport, the requests still go to the emulator over HTTP."""
    sent: list[str] = []
    send = httpx.AsyncClient.send

    async def spy(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> Any:
        sent.append(f"{request.method} {request.url.path}")
        return await send(self, request, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "send", spy)
    yield sent


def test_status_lists_managed_and_unmanaged_shows_reading_only(
    cli: Cli, emulator: Emulator, project: Path, methods: list[str]
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    lock = json.loads((project / "podsync.lock").read_text())
    show_id = lock["shows"]["tech-weekly"]["show_id"]
    with emulator.api() as api:
        made = api.post("/podcasts", json={"title": "Made by hand", "description": "x"})
        other = made.json()["data"]["show_id"]
    os.utime(project / "podsync.lock", (1_800_000_000, 1_800_000_000))
    before = emulator.account()
    methods.clear()

    text = cli("status", str(project))
    assert text.exit_code == 0, text.output
    feed = f"{emulator.url.removesuffix('/api/v2')}/cdn/podcast"
    assert text.output == (
        "Last apply: 2027-01-15 08:00:00 UTC\n"
        "\n"
        "Managed (1 show):\n"
        f'  tech-weekly [{show_id}] "Acme Tech Weekly": 4 episodes (4 by podsync), '
        f"feed {feed}/{show_id}/feed.xml\n"
        "\n"
        "Not managed by this project (1 show; adopt one with `show_id:` in a manifest):\n"
        f'  [{other}] "Made by hand": 0 episodes, feed {feed}/{other}/feed.xml\n'
    )

    as_json = cli("status", str(project), "--format", "json")
    assert json.loads(as_json.output) == {
        "last_apply": "2027-01-15T08:00:00+00:00",
        "managed": [
            {
                "key": "tech-weekly",
                "show_id": show_id,
                "title": "Acme Tech Weekly",
                "live": True,
                "feed_url": f"{feed}/{show_id}/feed.xml",
                "episodes": 4,
                "managed_episodes": 4,
            }
        ],
        "unmanaged": [
            {
                "show_id": other,
                "title": "Made by hand",
                "feed_url": f"{feed}/{other}/feed.xml",
                "episodes": 0,
            }
        ],
    }
    assert methods and all(m.startswith("GET ") for m in methods), methods
    assert emulator.account() == before


def test_status_says_when_a_managed_show_is_gone_and_nothing_was_applied(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    fresh = cli("status", str(project))
    assert fresh.output == (
        "Last apply: never\n\n"
        "Managed: none yet (podsync apply creates the shows of shows/)\n\n"
        "Not managed by this project: none\n"
    )
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    show_id = json.loads((project / "podsync.lock").read_text())["shows"]["tech-weekly"]["show_id"]
    with emulator.api() as api:
        assert api.delete(f"/podcasts/{show_id}").status_code == 200
    gone = cli("status", str(project))
    assert (
        f'  tech-weekly [{show_id}] "Acme Tech Weekly": gone from the account '
        "(the next apply creates it again)\n"
    ) in gone.output


def test_in_local_mode_status_names_the_feed_file_that_outlives_the_command(
    project: Path,
) -> None:
    """The embedded emulator stops with the command, so the URL it served leads nowhere; the
    feed file it wrote under .podsync/emulator/ is what a user can open."""
    env = {"ZENMIC_API_URL": "local", "ZENMIC_API_KEY": "", "ZENMIC_EMULATOR_JOB_SECONDS": "0"}
    assert run_podsync("apply", str(project), "--auto-approve", FAST_POLL, env=env).returncode == 0
    shown = run_podsync("status", str(project), "--format", "json", env=env)
    assert shown.returncode == 0, shown.stderr
    (managed,) = json.loads(shown.stdout)["managed"]
    feed = Path(managed["feed_url"])
    assert feed == project / ".podsync" / "emulator" / "feeds" / f"{managed['show_id']}.xml"
    assert feed.read_text().startswith("<?xml")
