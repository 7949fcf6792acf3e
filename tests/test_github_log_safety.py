"""User text cannot command the runner: titles, descriptions, topics, live titles and manifest
problems reach the step's log, and the runner reads every log line for workflow commands
(`::name::` at a line's start, the legacy `##[name]` anywhere). The logs of whole runs in the
simulated runner are read with a port of the runner's parser (tests/runner_log.py)."""

from __future__ import annotations

from typing import Any

from podsync.github.log_safety import log_safe
from podsync.github.runner import workflow_command
from tests.fake_github import FakeGitHub
from tests.runner_log import Command, commands_in
from tests.runner_sim import PROJECT_DIR, SHOW_FILE, Sim

PR = 7
# Each tries a command podsync never sends, or hides its own, or ends a line to start one.
HOSTILE = [
    "##[add-mask]PWNED-mask",
    "x ##[set-output name=lock-file;]/etc/PWNED",
    "##[stop-commands]PWNEDtoken",
    "  ##[error]PWNED-error",
    "::add-mask::PWNED-v2",
    "\n::set-output name=lock-file::/etc/PWNED-v2",
    "\r::error::PWNED-cr",
    "\u2028 ::warning::PWNED-ls",
    "##[ERROR file=a.yaml]PWNED-case",
]


def hostile(n: int) -> str:
    """Text number `n`, with half of HOSTILE in turn (a live title holds 255 characters)."""
    return f"T{n} " + " ".join(HOSTILE[:5] if n % 2 else HOSTILE[4:])


def foreign(commands: list[Command]) -> list[Command]:
    """Commands that are not podsync's own annotations: any legacy command, any command but an
    annotation, and any annotation whose text was injected rather than written by podsync."""
    return [
        c
        for c in commands
        if c.form != "v2"
        or c.name not in ("warning", "error", "notice")
        or c.data.startswith("PWNED")
        or "PWNED" in "".join(c.properties.values())
    ]


def test_the_parser_port_reads_commands_as_the_runner_does() -> None:
    found = commands_in(
        "plain\n  ::error file=a.yaml,line=3::bad%0Aworse\r"
        "text ##[add-mask]secret\n::unknown::x\n##[stop-commands]tok\n::error::hidden\n"
        "##[tok]\n::warning::seen"
    )
    assert [(c.form, c.name, c.data) for c in found] == [
        ("v2", "error", "bad\nworse"),
        ("v1", "add-mask", "secret"),
        ("v1", "stop-commands", "tok"),
        ("v1", "tok", ""),
        ("v2", "warning", "seen"),
    ]
    assert found[0].properties == {"file": "a.yaml", "line": "3"}


def test_log_safe_text_is_no_command_and_annotations_still_are() -> None:
    for text in HOSTILE:
        assert commands_in(log_safe(text)) == [], text
        assert commands_in(log_safe("title: " + text)) == [], text
    assert log_safe("Episode 5 - Quantum: a primer") == "Episode 5 - Quantum: a primer"
    assert log_safe("a\n\u2060 ::add-mask::x ##[") == "a\n\u2060 :\\:add-mask::x #\\#["
    annotation = workflow_command("error", "bad ##[add-mask]x\n::error::y", file="a:b,c", line=3)
    (found,) = commands_in(annotation)
    assert (found.name, found.data) == ("error", "bad ##[add-mask]x\n::error::y")
    assert found.properties == {"file": "a:b,c", "line": "3"}


def _hostile_episode(data: dict[str, Any]) -> None:
    data["episodes"].append(
        {
            "key": "quantum",
            "title": hostile(1),
            "description": hostile(2),
            "source": {"topic": hostile(3), "duration_minutes": 4},
        }
    )
    next(e for e in data["episodes"] if e["key"] == "privacy")["description"] = hostile(4)


def test_hostile_manifest_and_live_titles_reach_the_log_as_text(
    sim: Sim, github: FakeGitHub
) -> None:
    with sim.emulator.api() as api:  # someone edits the live show and adds an episode by hand
        show = api.get("/podcasts").json()["data"][0]
        assert api.patch(f"/podcasts/{show['show_id']}", json={"title": hostile(5)}).is_success
        job = api.post("/audios", json={"source": "topic", "topic": "x", "title": hostile(6)})
        added = api.post(
            f"/podcasts/{show['show_id']}/episodes",
            json={"mic_id": job.json()["data"]["id"], "title": hostile(7), "description": "d"},
        )
        assert added.is_success, added.text
    sim.open_pull_request()
    sim.edit_show(_hostile_episode)
    sim.commit("A hostile episode")
    planned = sim.step("plan", sim.pull_request_event(PR, action="opened"))
    assert planned.exit_code == 0, planned.output
    assert "PWNED-mask" in planned.output, "the text is shown, as text"
    assert foreign(commands_in(planned.output)) == []

    before = sim.head("main", sim.origin)
    applied = sim.step("apply", sim.push_event(before, sim.merge(PR)))
    assert applied.exit_code == 0, applied.output
    assert "PWNED" in applied.output
    assert foreign(commands_in(applied.output)) == []


def test_hostile_manifest_problems_reach_the_log_as_text(sim: Sim, github: FakeGitHub) -> None:
    sim.open_pull_request()
    path = sim.work / SHOW_FILE
    path.write_text(
        path.read_text()
        + '  - key: "bad\\n::add-mask::PWNED-key ##[stop-commands]PWNEDstop"\n'
        + '    "title\\r::set-output name=lock-file::PWNED-prop": 1\n'
        + "    ##[add-mask]PWNED-comment: 2\n"
    )
    sim.commit("A broken manifest")
    failed = sim.step("plan", sim.pull_request_event(PR, action="opened"))
    assert failed.exit_code == 1, failed.output
    assert f"::error file={PROJECT_DIR}/shows/tech-weekly.yaml,line=" in failed.output
    commands = commands_in(failed.output)
    assert [c for c in commands if c.name == "error" and c.properties.get("file")], commands
    assert foreign(commands) == []
