"""`podsync import` and `source: {audio: <mic_id>}`: an account made by hand (as ZenMic's web page
makes it) comes under podsync without publishing or paying for anything, and from then on an
`audio:` source is a source like any other."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from podsync.emulator import Quirks
from podsync.errors import PlanError
from podsync.importer import imported_show, literal, slug, unique_keys
from podsync.lock import Lock, read_lock
from podsync.manifest import load_project
from podsync.model import (
    Desired,
    Episode,
    Live,
    LiveEpisode,
    LiveShow,
    Location,
    Show,
    Source,
)
from podsync.plan_file import plan_to_dict
from podsync.planner import audio_to_verify, plan
from podsync.render import render
from podsync.schema import SCHEMA_DIR
from tests.conftest import Cli, Emulator, StartEmulator

HAND_MADE = {
    "Tech Weekly": ["Intro", "Intro", "Café {{ host }} talk", "AI & You!"],
    "Zwei": ["Eins"],
}


def by_hand(api: httpx.Client, shows: dict[str, list[str]]) -> dict[str, str]:
    """Make shows, audio jobs and episodes over HTTP as the web page would; title -> show_id."""
    ids = {}
    for title, episodes in shows.items():
        answer = api.post("/podcasts", json={"title": title, "description": f"About {title}"})
        show_id = answer.json()["data"]["show_id"]
        ids[title] = show_id
        for name in episodes:
            job = api.post("/audios", json={"source": "topic", "topic": name, "title": name})
            mic_id = job.json()["data"]["id"]
            body = {"mic_id": mic_id, "title": name, "description": f"All about {name}"}
            added = api.post(f"/podcasts/{show_id}/episodes", json=body)
            assert added.status_code == 201, added.text
    return ids


def manifest(project: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((project / "shows" / name).read_text())
    return data


def test_import_then_plan_changes_nothing_and_a_switched_source_costs_one_job(
    cli: Cli, emulator: Emulator, tmp_path: Path
) -> None:
    with emulator.api() as api:
        ids = by_hand(api, HAND_MADE)
    project = tmp_path / "imported"
    result = cli("import", str(project))
    assert result.exit_code == 0, result.output
    assert f'+ wrote shows/tech-weekly.yaml: show "Tech Weekly" ({ids["Tech Weekly"]})' in (
        result.output
    )
    text = (project / "shows" / "tech-weekly.yaml").read_text()
    assert text.startswith("# Imported by `podsync import` on ")
    assert f"from ZenMic show {ids['Tech Weekly']}" in text
    tech = manifest(project, "tech-weekly.yaml")
    assert tech["show_id"] == ids["Tech Weekly"]
    assert [e["key"] for e in tech["episodes"]] == ["intro", "intro-2", "cafe-host-talk", "ai-you"]
    assert all(set(e["source"]) == {"audio"} for e in tech["episodes"])
    loaded = load_project(project).show("tech-weekly")
    assert loaded is not None
    assert [e.title for e in loaded.episodes] == HAND_MADE["Tech Weekly"], "templates escaped"
    lock = read_lock(project / "podsync.lock")
    assert set(lock.shows) == {"tech-weekly", "zwei"} and not lock.audio

    before = emulator.stats()
    planned = cli("plan", str(project))
    assert planned.exit_code == 0, planned.output
    assert "No changes" in planned.output
    after = emulator.stats()
    assert after["writes"] == before["writes"], "plan sent nothing that changes anything"
    assert after["requests"] > before["requests"], "the plan did read the account"

    tech["episodes"][1]["source"] = {"topic": "A second introduction"}
    (project / "shows" / "tech-weekly.yaml").write_text(yaml.safe_dump(tech, sort_keys=False))
    switched = cli("plan", str(project))
    assert "1 audio job to generate" in switched.output
    # import recorded each episode's source (its job), so the plan says what it was
    assert 'source.kind: "audio" -> "topic"' in switched.output
    assert "source.topic: (none) -> A second introduction" in switched.output
    assert "replace episode intro-2" in switched.output and "(source changed)" in switched.output
    applied = cli("apply", str(project), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert emulator.stats()["audios"] == before["audios"] + 1, "exactly one audio job"
    assert "No changes" in cli("plan", str(project)).output


def test_an_audio_source_publishes_the_existing_job_and_pays_for_nothing(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    with emulator.api() as api:
        job = api.post("/audios", json={"source": "topic", "topic": "Made by hand"})
    mic_id = job.json()["data"]["id"]
    path = project / "shows" / "tech-weekly.yaml"
    data = yaml.safe_load(path.read_text())
    data["episodes"][0]["source"] = {"audio": mic_id}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    audios = emulator.stats()["audios"]
    planned = cli("plan", str(project))
    assert (
        f"= existing audio for {data['episodes'][0]['key']} [{mic_id}]: audio already in the "
        "account (published as it is; not paid)" in planned.output
    )
    assert "0 audio jobs to generate" in planned.output
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.stats()["audios"] == audios, "no job generated"
    key = data["episodes"][0]["key"]
    recorded = read_lock(project / "podsync.lock").shows["tech-weekly"].episodes[key]
    assert recorded.mic_id == mic_id
    assert recorded.digest == Source("audio", mic_id=mic_id).digest
    assert "No changes" in cli("plan", str(project)).output


def test_pinning_an_episode_to_the_audio_it_has_publishes_nothing(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    path = project / "shows" / "tech-weekly.yaml"
    data = yaml.safe_load(path.read_text())
    key = data["episodes"][0]["key"]
    recorded = read_lock(project / "podsync.lock").shows["tech-weekly"].episodes[key]
    data["episodes"][0]["source"] = {"audio": recorded.mic_id}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    writes = emulator.stats()["writes"]
    assert "No changes" in cli("plan", str(project)).output
    data["episodes"][0]["title"] = "Renamed"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    republished = read_lock(project / "podsync.lock").shows["tech-weekly"].episodes[key]
    assert republished.mic_id == recorded.mic_id, "the same audio, re-published for the title"
    assert republished.digest == Source("audio", mic_id=recorded.mic_id).digest
    assert emulator.stats()["writes"] == writes + 2, "one add and one removal, no audio job"


def test_a_hand_made_episode_named_by_its_audio_is_adopted_not_published_again(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    show_id = read_lock(project / "podsync.lock").shows["tech-weekly"].show_id
    with emulator.api() as api:
        mic_id = api.post("/audios", json={"source": "topic", "topic": "x"}).json()["data"]["id"]
        body = {"mic_id": mic_id, "title": "Bonus", "description": "Made by hand"}
        assert api.post(f"/podcasts/{show_id}/episodes", json=body).status_code == 201
    path = project / "shows" / "tech-weekly.yaml"
    data = yaml.safe_load(path.read_text())
    bonus = {"key": "bonus", "title": "Bonus", "description": "Made by hand"}
    data["episodes"].append({**bonus, "source": {"audio": mic_id}})
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    writes = emulator.stats()["writes"]
    planned = cli("plan", str(project))
    assert "= adopt episode bonus" in planned.output and "add episode" not in planned.output
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.stats()["writes"] == writes, "adopting sends nothing"
    assert read_lock(project / "podsync.lock").shows["tech-weekly"].episodes["bonus"].mic_id == (
        mic_id
    )
    assert "No changes" in cli("plan", str(project)).output


@pytest.mark.parametrize(
    ("topic", "said"),
    [
        (None, "answered 404: the account has no such job"),
        ("[emulator:fail] broken", "says the job failed: it has no audio to publish"),
    ],
)
def test_a_missing_or_failed_audio_job_is_a_plan_error_naming_the_episode(
    topic: str | None, said: str, cli: Cli, emulator: Emulator, project: Path
) -> None:
    mic_id = "nosuchjob"
    if topic is not None:
        with emulator.api() as api:
            mic_id = api.post("/audios", json={"source": "topic", "topic": topic}).json()["data"][
                "id"
            ]
    path = project / "shows" / "tech-weekly.yaml"
    data = yaml.safe_load(path.read_text())
    key = data["episodes"][0]["key"]
    data["episodes"][0]["source"] = {"audio": mic_id}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    before = emulator.stats()
    for command in (("plan",), ("apply", "--auto-approve")):
        result = cli(command[0], str(project), *command[1:])
        assert result.exit_code == 1
        assert f"episode 'tech-weekly/{key}' publishes existing audio {mic_id}" in result.output
        assert f"GET /audios/{mic_id} {said}" in result.output
        assert "shows/tech-weekly.yaml:" in result.output
    assert emulator.stats()["writes"] == before["writes"], "nothing sent that changes anything"


def test_imported_manifests_without_their_lock_records_are_adopted_sending_nothing(
    cli: Cli, emulator: Emulator, tmp_path: Path
) -> None:
    with emulator.api() as api:
        by_hand(api, HAND_MADE)
    project = tmp_path / "stopped"
    assert cli("import", str(project)).exit_code == 0
    (project / "podsync.lock").unlink()  # as if import stopped before writing it
    writes = emulator.stats()["writes"]
    planned = cli("plan", str(project))
    assert planned.output.count("adopt episode") == 5 and "add episode" not in planned.output
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert "No changes" in cli("plan", str(project)).output
    assert emulator.stats()["writes"] == writes


def test_import_never_overwrites_a_manifest(cli: Cli, emulator: Emulator, tmp_path: Path) -> None:
    with emulator.api() as api:
        by_hand(api, {"Zwei": ["Eins"]})
    project = tmp_path / "p"
    (project / "shows").mkdir(parents=True)
    mine = "show: zwei\ntitle: Another show of mine\n"
    (project / "shows" / "zwei.yaml").write_text(mine)
    (project / "shows" / "Zwei-2.YML").write_text("show: zwei-two\ntitle: And one more\n")
    result = cli("import", str(project))
    assert result.exit_code == 0, result.output
    assert (project / "shows" / "zwei.yaml").read_text() == mine
    assert "+ wrote shows/zwei-3.yaml" in result.output
    assert manifest(project, "zwei-3.yaml")["show"] == "zwei-3"
    again = cli("import", str(project))
    assert "Nothing to import; 1 live show managed already" in again.output
    titled = tmp_path / "titled"  # a manifest not applied yet that will adopt it by title
    (titled / "shows").mkdir(parents=True)
    (titled / "shows" / "mine.yaml").write_text("show: mine\ntitle: Zwei\n")
    assert "Nothing to import; 1 live show managed already" in cli("import", str(titled)).output
    by_id = cli("import", "--show", manifest(project, "zwei-3.yaml")["show_id"], str(titled))
    assert by_id.exit_code == 1
    assert "is managed already: " in by_id.output
    assert "shows/mine.yaml has its title (a plan adopts it); nothing was imported" in by_id.output


def test_a_show_file_made_meanwhile_is_not_overwritten_and_import_exits_1(
    cli: Cli, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with emulator.api() as api:
        by_hand(api, {"Zwei": ["Eins"]})
    project = tmp_path / "p"
    # the file appears after import looked at shows/ and before it writes
    monkeypatch.setattr("podsync.operations.importing.taken_names", lambda project: set())
    (project / "shows").mkdir(parents=True)
    mine = "show: mine\ntitle: Mine\n"
    (project / "shows" / "zwei.yaml").write_text(mine)
    result = cli("import", str(project))
    assert result.exit_code == 1
    assert (
        '! show "Zwei" (zwe-' in result.output
        and "not imported: shows/zwei.yaml exists (made meanwhile); it was not overwritten"
        in result.output
    )
    assert (project / "shows" / "zwei.yaml").read_text() == mine
    assert not (project / "podsync.lock").exists()


def test_import_reads_every_page_of_a_paginating_server(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    shows = {f"Show {n}": [f"Episode {n}.{i}" for i in range(5)] for n in range(3)}
    with start_emulator(quirks=Quirks(pagination="link", page_size=2)) as emulator:
        with emulator.api() as api:
            by_hand(api, shows)
        cli = Cli(emulator)
        project = tmp_path / "paged"
        result = cli("import", str(project))
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in (project / "shows").iterdir()) == [
            "show-0.yaml",
            "show-1.yaml",
            "show-2.yaml",
        ]
        keys = [e["key"] for e in manifest(project, "show-2.yaml")["episodes"]]
        assert keys == [f"episode-2-{i}" for i in range(5)], "every page, in feed order"
        before = emulator.stats()["writes"]
        assert "No changes" in cli("plan", str(project)).output
        assert emulator.stats()["writes"] == before


def test_import_names_shows_and_reports_episodes_it_cannot_import(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    with start_emulator(quirks=Quirks(listing_without_mic_id=True)) as emulator:
        with emulator.api() as api:
            ids = by_hand(api, {"One": ["A"], "Two": ["B"]})
        cli = Cli(emulator)
        project = tmp_path / "named"
        unknown = cli("import", "--show", "nope-123", str(project))
        assert unknown.exit_code == 1
        assert "show nope-123 is not in the account; nothing was imported" in unknown.output
        result = cli("import", "--show", ids["Two"], str(project))
        assert result.exit_code == 0, result.output
        assert [p.name for p in (project / "shows").iterdir()] == ["two.yaml"]
        assert manifest(project, "two.yaml")["episodes"] == []
        assert (
            f'! episode "B" (2) of show {ids["Two"]} not imported: the listing gives it no '
            "mic_id, so its audio job is unknown; it stays live, unmanaged" in result.output
        )
        twice = cli("import", "--show", ids["Two"], str(project))
        assert twice.exit_code == 1
        assert "is managed already: podsync.lock records it as show 'two'" in twice.output


def test_live_text_no_manifest_can_hold_is_reported_not_written(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    with start_emulator(quirks=Quirks(odd_text=True)) as emulator:  # 10,000-character titles
        with emulator.api() as api:
            by_hand(api, {"Long": ["A"]})
        project = tmp_path / "odd"
        result = Cli(emulator)("import", str(project))
        assert result.exit_code == 0, result.output
        assert "not imported: its title is 10," in result.output
        assert "characters long, over the 255 allowed; it stays unmanaged" in result.output
        assert not (project / "shows").exists() and not (project / "podsync.lock").exists()
    show = LiveShow("s-1", "Show", "")
    episodes = [
        LiveEpisode("1", "m1", "  ", ""),
        LiveEpisode("2", "m 2", "Spaced", ""),
        LiveEpisode("3", "m3", "Fine", ""),
    ]
    statuses = {"m1": "succeeded", "m 2": "succeeded", "m3": "succeeded"}
    imported = imported_show("show", show, episodes, statuses)
    assert [(key, e.id) for key, e in imported.episodes] == [("fine", "3")]
    assert [s.why for s in imported.skipped] == [
        "its title is blank, which a manifest cannot hold",
        "its mic_id 'm 2' holds whitespace, which a manifest cannot name",
    ]


def test_keys_from_titles_are_slugs_unique_and_stable() -> None:
    titles = ["Intro", "intro", "Ça va? Très bien!", "", "???", "Intro", "x" * 80]
    keys = unique_keys(titles, "episode")
    assert keys == unique_keys(titles, "episode")
    assert keys[:6] == ["intro", "intro-2", "ca-va-tres-bien", "episode", "episode-2", "intro-3"]
    assert len(keys[6]) <= 48
    assert unique_keys(["Tech"], "show", {"tech"}) == ["tech-2"]
    assert slug("The  Future -- of AI, part 2", "x") == "the-future-of-ai-part-2"


def test_literal_values_render_back_to_themselves() -> None:
    assert literal("plain {x} and }}") == "plain {x} and }}"
    assert literal("{{ a }} {% b %} {# c #}") == ("{{ '{{' }} a }} {{ '{%' }} b %} {{ '{#' }} c #}")


def test_existing_audio_is_checked_after_the_read_and_said_in_every_format() -> None:
    source = Source("audio", mic_id="abc12345")
    episode = Episode("ep1", "Ep 1", "", source, Location("shows/tech.yaml", 9, 7))
    desired = Desired((Show("tech", "Tech", "", (episode,)),))
    live = Live(shows=())
    assert audio_to_verify(desired, Lock(), live) == {"abc12345"}, "asked in the read phase"
    with pytest.raises(PlanError, match=r"^shows/tech.yaml:9:7: episode 'tech/ep1' .* still "):
        plan(desired, Lock(), replace(live, audio={"abc12345": "running"}))
    made = plan(desired, Lock(), replace(live, audio={"abc12345": "succeeded"}))
    assert [type(job).__name__ for job in made.audio] == ["ExistingAudio"]
    assert not made.needs_jobs and made.summary()["audio"] == {"generate": 0, "reuse": 1}
    document = plan_to_dict(made)
    schema = json.loads((SCHEMA_DIR / "plan.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert document["changes"][1]["reason"] == "audio_existing"
    markdown = render(made, "markdown")
    assert "existing audio, published as it is, no cost (job abc12345)" in markdown
    assert "0 audio jobs to generate" in render(made, "text")
