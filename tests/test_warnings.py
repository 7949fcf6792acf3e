"""Warnings a user can live with: each said once, the feed order only when a plan changes it,
and podsync.yaml's `acknowledge:` folding a show's known warnings into one line that names
them (the plan still records them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import feedparser
import httpx
import yaml

from podsync.manifest import load_project
from podsync.model import Desired
from podsync.plan import WarningCode
from podsync.planner import plan
from podsync.render import render
from tests.conftest import Cli
from tests.helpers import SHOW, edit
from tests.test_planner import episode, published, show

FEED_NOTE = "not in manifest order"


def out_of_order() -> tuple[Desired, Desired, object, object]:
    """A show published as b, c whose manifest now says c, b (nothing to do), and the same
    with a new episode a (which this plan publishes at the top of the feed)."""
    lock, live = published(show(episode("b"), episode("c")))
    unchanged = Desired((show(episode("c"), episode("b")),))
    adding = Desired((show(episode("c"), episode("b"), episode("a")),))
    return unchanged, adding, lock, live


def test_feed_order_is_said_when_the_plan_changes_the_feed_and_kept_for_verbose_and_json() -> None:
    unchanged, adding, lock, live = out_of_order()
    quiet = plan(unchanged, lock, live)  # type: ignore[arg-type]
    assert not quiet.has_changes
    (warning,) = quiet.warnings
    assert (warning.code, warning.params["changed"]) == (WarningCode.FEED_ORDER, False)
    assert FEED_NOTE not in render(quiet, "text")
    assert render(quiet, "text") == "No changes. Your podcasts match the manifests.\n"
    assert FEED_NOTE not in render(quiet, "markdown")
    assert FEED_NOTE in render(quiet, "text", verbose=True)
    document = json.loads(render(quiet, "json"))
    assert [(w["code"], w["params"]["changed"]) for w in document["warnings"]] == [
        ("feed_order", False)
    ]

    loud = plan(adding, lock, live)  # type: ignore[arg-type]
    assert [w.params["changed"] for w in loud.warnings] == [True]
    assert render(loud, "text").count(FEED_NOTE) == 1
    assert render(loud, "markdown").count(FEED_NOTE) == 1


def test_an_acknowledged_warning_is_folded_into_one_line_that_names_it() -> None:
    _, adding, lock, live = out_of_order()
    acknowledged = Desired(adding.shows, acknowledge=frozenset({("tw", "feed_order")}))
    p = plan(acknowledged, lock, live)  # type: ignore[arg-type]
    (warning,) = p.warnings
    assert warning.acknowledged
    text = render(p, "text")
    assert FEED_NOTE not in text
    assert (
        "  ! 1 acknowledged warning hidden (feed_order for tw; podsync.yaml acknowledge:): "
        "`podsync plan --verbose` shows it in full"
    ) in text.splitlines()
    assert "1 acknowledged warning hidden (feed\\_order for tw" in render(p, "markdown")
    assert f"{FEED_NOTE} (a, b, c)" not in render(p, "text", verbose=True)
    assert "(acknowledged)" in render(p, "text", verbose=True)
    assert json.loads(render(p, "json"))["warnings"][0]["acknowledged"] is True
    # another show's acknowledgement does not hide this one
    other = Desired(adding.shows, acknowledge=frozenset({("other", "feed_order")}))
    assert FEED_NOTE in render(plan(other, lock, live), "text")  # type: ignore[arg-type]


def test_a_republish_is_said_once_on_its_own_line() -> None:
    lock, live = published(show(episode("a")))
    p = plan(Desired((show(episode("a", title="Better")),)), lock, live)
    text = render(p, "text")
    assert text.count("moves to the top of the feed") == 1
    assert "Warnings:" not in text
    assert render(p, "markdown").count("moves to the top of the feed") == 1


def test_podsync_yaml_acknowledges_per_show_and_an_unknown_code_is_named_at_its_line(
    cli: Cli, project: Path
) -> None:
    config = project / "podsync.yaml"
    settings = config.read_text("utf-8")
    config.write_text(settings + "acknowledge:\n  tech-weekly: [feed_order]\n", "utf-8")
    assert load_project(project).acknowledge == frozenset({("tech-weekly", "feed_order")})
    config.write_text(settings + "acknowledge:\n  tech-weekly: [feed_ordr]\n", "utf-8")
    refused = cli("plan", str(project))
    assert refused.exit_code == 1
    line = settings.count("\n") + 2
    assert f"podsync.yaml:{line}:17: " in refused.output
    assert "not 'feed_ordr'" in refused.output


def test_the_feed_order_warning_names_the_order_the_feed_then_shows(
    cli: Cli, project: Path
) -> None:
    """The order the plan says the feed will have is the one a podcast app then reads from it
    (newest first), not the order episodes were published in."""
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    intro = {
        "key": "intro",
        "title": "Episode 0 - Welcome",
        "source": {"dialogue": [["male", "Welcome to the show."]]},
    }
    edit(project, lambda d: d["episodes"].insert(0, intro))
    planned = cli("plan", str(project))
    (said,) = [line for line in planned.output.splitlines() if FEED_NOTE in line]
    promised = said.split("will list episodes newest first as ", 1)[1].split(", not in", 1)[0]
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    with cli.emulator.api() as api:
        (live,) = api.get("/podcasts").json()["data"]
    keys = {e["title"]: e["key"] for e in load_yaml(project)["episodes"]}
    feed = feedparser.parse(httpx.get(live["feed_url"], timeout=60).content)  # makes the MP3s
    assert ", ".join(keys[e.title] for e in feed.entries) == promised
    assert promised == "intro, roadmap, handmade, privacy, ai-health"


def load_yaml(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((project / SHOW).read_text("utf-8"))
    return data
