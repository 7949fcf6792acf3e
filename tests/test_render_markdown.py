"""The Markdown plan (PR comment and job summary): wording, escaping, base diffs, size limits.

Hand-built Plans for the renderer; a real project, git repository and emulator for the golden
file, which is the comment a reviewer reads for a realistic pull request.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml

from podsync.git_history import load_base
from podsync.lock import Lock, read_lock
from podsync.manifest import load_project
from podsync.model import Desired, Document, Episode, Live, Show, Source
from podsync.plan import (
    AddEpisode,
    AdoptEpisode,
    AudioAction,
    AudioJob,
    CreateShow,
    DeleteShow,
    EpisodeChange,
    FieldChange,
    ForgetEpisode,
    GenerateAudio,
    Guard,
    GuardCode,
    Plan,
    Reason,
    RemoveEpisode,
    ReplaceEpisode,
    ResumeAudio,
    ReuseAudio,
    ShowChange,
    Unmanaged,
    UpdateShow,
    Warning,
    WarningCode,
)
from podsync.plan_file import plan_checksum
from podsync.planner import plan as make_plan
from podsync.render import FORMATS, render
from podsync.render.markdown import (
    COMMENT_LIMIT,
    code,
    estimated_minutes,
    md,
    render_markdown,
)
from podsync.render.phrases import plain_episode_reason, plain_show_reason
from tests.conftest import EXAMPLES, TEST_KEY, Cli, Emulator

GOLDEN = Path(__file__).resolve().parent / "golden" / "plan-comment.md"
TABLE_ROW = re.compile(r"^\| .* \|$")
FENCE = re.compile(r"^(`{3,})(\w*)$")

TOPIC = Source("topic", topic="How tides work", duration_minutes=15)
DEFAULT_TOPIC = Source("topic", topic="Moon phases")
OLD_LINES = (("female", "Welcome back."), ("male", "Three themes today."), ("female", "Bye."))
NEW_LINES = (("female", "Welcome back."), ("male", "Four themes today."), ("female", "Bye."))


def dialogue(lines: tuple[tuple[str, str], ...]) -> Source:
    return Source("dialogue", dialogue=lines)


def document(sha: str, size: int) -> Source:
    doc = Document("/abs/docs/p.md", "docs/p.md", sha * 64, size, "text/markdown")
    return Source("document", topic="Focus on privacy", document=doc)


def base_with(*episodes: Episode, show: str = "tw") -> Desired:
    return Desired((Show(show, "Tech", "About tech.", episodes),))


def publish(
    action: Literal["add", "replace"],
    key: str,
    source: Source,
    reason: Reason,
    *,
    title: str | None = None,
    episode_id: str | None = None,
    republish: bool = False,
) -> EpisodeChange:
    fields = ("tw", key, reason, 0, title or key.title(), "d", source.digest)
    if action == "add":
        return AddEpisode(*fields)
    return ReplaceEpisode(*fields, episode_id or "ep", "mic_live", republish)


def job(action: AudioAction, key: str, source: Source, mic_id: str | None = None) -> AudioJob:
    if action == "generate":
        return GenerateAudio(source.digest, "tw", key, key.title(), source)
    made = ResumeAudio if action == "resume" else ReuseAudio
    return made(source.digest, "tw", key, key.title(), source, mic_id or "mic")


def check_structure(markdown: str) -> None:
    """Every table row has its header's columns, every fence and <details> is closed."""
    lines = markdown.splitlines()
    columns = None
    fence = None
    for line in lines:
        if fence is not None:
            if line == fence:
                fence = None
            continue
        opened = FENCE.match(line)
        if opened:
            fence = opened.group(1)
            continue
        if TABLE_ROW.match(line):
            cells = len(re.split(r"(?<!\\)\|", line)) - 2
            if columns is None:
                columns = cells
            assert cells == columns, line
        else:
            columns = None
    assert fence is None, "a code fence is left open"
    assert markdown.count("<details>") == markdown.count("</details>")
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")
    assert "\n\n\n" not in markdown


# --- wording --------------------------------------------------------------------------------


def test_episode_table_says_why_in_plain_words_and_what_audio_costs() -> None:
    plan = Plan(
        audio=(
            job("generate", "tides", TOPIC),
            job("generate", "moon", DEFAULT_TOPIC),
            job("reuse", "back", dialogue(OLD_LINES), "mic_1"),
            job("resume", "doc", document("a", 2048), "mic_2"),
        ),
        episodes=(
            publish("add", "tides", TOPIC, Reason.NEW),
            publish("add", "moon", DEFAULT_TOPIC, Reason.NEW),
            publish("add", "back", dialogue(OLD_LINES), Reason.DRIFT_REMOVED),
            publish("replace", "doc", document("a", 2048), Reason.SOURCE_CHANGED, episode_id="7"),
            publish(
                "replace",
                "same",
                TOPIC,
                Reason.TITLE_AND_DESCRIPTION_CHANGED,
                episode_id="8",
                republish=True,
            ),
            RemoveEpisode("tw", "old", Reason.REMOVED_FROM_MANIFEST, "Old", "ep_9", "mic_9"),
            AdoptEpisode(
                "tw", "found", Reason.SAME_TITLE, 0, "Found", "d", TOPIC.digest, "ep_8", "mic_8"
            ),
        ),
    )
    lines = render_markdown(plan).splitlines()
    assert "| Change | Episode | Title | Why | Audio |" in lines
    assert "| add | `tides` | Tides | New episode | new job, ≈ 15 min |" in lines
    assert "| add | `moon` | Moon | New episode | new job, ≈ 5 min (default length) |" in lines
    assert (
        "| add | `back` | Back | Deleted by hand in ZenMic (drift), published again "
        "| generated earlier, no cost (job mic\\_1) |"
    ) in lines
    assert (
        "| replace | `doc` | Doc | Source changed: new audio "
        "| submitted earlier, no new cost (job mic\\_2) |"
    ) in lines
    assert (
        "| re-publish | `same` | Same | Title changed; description changed | same audio, no cost |"
    ) in lines
    assert "| remove | `old` | Old | Removed from the manifest | — |" in lines
    assert "| adopt | `found` | Found | Already live with this title, taken over as it is " in (
        "\n".join(lines)
    )
    audio = next(line for line in lines if line.startswith("**Audio:**"))
    assert audio == (
        "**Audio:** 2 new audio jobs to generate, ≈ 20 min of audio (`moon` at ZenMic's "
        "default length of 5 minutes). 2 jobs reused or resumed at no cost."
    )
    check_structure("\n".join(lines) + "\n")


def test_every_reason_has_words_for_a_reviewer() -> None:
    assert plain_episode_reason(Reason.DRIFT_CHANGED).startswith("Edited by hand in ZenMic")
    assert plain_episode_reason(Reason.DRIFT_AUDIO_SWAPPED).startswith("Audio swapped by hand")
    assert plain_episode_reason(Reason.DESCRIPTION_DIFFERS) == (
        "Description differs from the live episode"
    )
    assert plain_episode_reason(Reason.RENAMED, "old") == "Renamed from 'old'"
    for reason in Reason:
        assert plain_episode_reason(reason, "x") and plain_show_reason(reason, "x")


def test_estimated_minutes() -> None:
    assert estimated_minutes(TOPIC) == 15
    assert estimated_minutes(DEFAULT_TOPIC) == 5
    assert estimated_minutes(document("a", 10)) == 5
    words = " ".join(["word"] * 75)
    assert estimated_minutes(dialogue((("male", words), ("female", words)))) == 1.0


def test_show_changes_before_and_after() -> None:
    plan = Plan(
        shows=(
            CreateShow("new", Reason.NEW, "New Show", "Hi."),
            UpdateShow(
                "tw",
                "sh_1",
                Reason.TITLE_CHANGED,
                "Tech | Weekly",
                "About.",
                (FieldChange("title", "Tech", "Tech | Weekly"),),
            ),
            DeleteShow("gone", "sh_2", Reason.REMOVED_FROM_MANIFEST, "Gone", ""),
        ),
        guards=(
            Guard(
                GuardCode.DESTROY, "gone", None, {"show_id": "sh_2", "episodes": 0, "foreign": 0}
            ),
        ),
    )
    markdown = render_markdown(plan)
    lines = markdown.splitlines()
    assert "### Show `new` (new)" in lines
    assert '- **Create show** "New Show": a new show' in lines
    assert "- **Update show**: title changed in the manifest" in lines
    assert '  - title: "Tech" → "Tech \\| Weekly"' in lines
    assert '- **Delete show** "Gone": its manifest was removed' in lines
    assert "> [!WARNING]" in lines
    assert markdown.count("show 'gone' (sh\\_2, 0 episodes) will be DELETED") == 1


def test_republish_warnings_become_one_line_naming_the_episodes() -> None:
    changes = tuple(
        publish("replace", key, TOPIC, Reason.TITLE_CHANGED, episode_id=str(n), republish=True)
        for n, key in enumerate(("a", "b"))
    )
    held = {"change": "remove_episode", "show": "tw", "episode": "x"}
    warnings = (Warning(WarningCode.HELD_BACK, None, None, {"changes": [held]}),)
    markdown = render_markdown(Plan(episodes=changes, warnings=warnings))
    assert (
        "> - 2 episodes are re-published (tw/a, tw/b): each is removed and added again, so it "
        "moves to the top of the feed"
    ) in markdown.splitlines()
    assert "> - \\--no-delete holds back 1 change" in markdown


def test_no_changes_is_one_line_and_offline_says_live_state_was_not_read() -> None:
    assert render(Plan(), "markdown") == (
        "## podsync plan\n\n**No changes. Your podcasts match the manifests.**\n"
    )
    offline = render_markdown(Plan(live_read=False)).splitlines()
    assert offline[2] == "**No changes between the manifests and podsync.lock.**"
    assert offline[4] == "> [!IMPORTANT]"
    assert offline[5].startswith(
        "> **Offline plan: the ZenMic account was not read.** This plan compares the manifests "
        "with podsync.lock (what podsync last applied) only. Changes made in the account "
        "outside podsync"
    )
    assert offline[5].endswith("apply plans again against the account first.")


def test_lock_only_unmanaged_checksum_and_listen_links() -> None:
    source = dialogue(NEW_LINES)
    plan = Plan(
        audio=(job("reuse", "back", source, "mic_1"),),
        episodes=(publish("add", "back", source, Reason.NEW),),
        unmanaged=(Unmanaged("tw", "99", "Hand | made"),),
        protect=(("tw", "back", True),),
        forget=(ForgetEpisode("tw", "gone"),),
    )
    pages = {source.digest: "https://zenmic.example/audio/x (1)"}
    markdown = render_markdown(plan, audio_pages=pages)
    lines = markdown.splitlines()
    assert (
        "| add | `back` | Back | New episode | generated earlier, no cost (job mic\\_1) · "
        "[listen](https://zenmic.example/audio/x%20%281%29) |"
    ) in lines
    assert "### Recorded in podsync.lock only" in lines
    assert "- episode tw/back: protect: true" in lines
    assert "- forget episode tw/gone: gone from both the manifests and the account" in lines
    assert "| `tw` | `99` | Hand \\| made |" in lines
    assert lines[-1] == f"<sub>Plan checksum: `{plan_checksum(plan)}`</sub>"
    hostile = render_markdown(plan, audio_pages={source.digest: "javascript:alert(1)"})
    assert "listen" not in hostile


# --- escaping -------------------------------------------------------------------------------


def test_manifest_and_api_strings_cannot_break_the_markdown() -> None:
    evil = "a | b <!-- hide\n--> `tick` *x* @octocat # h"
    source = dialogue((("male", "``` not a fence end"), ("female", "~~~ `` ```` x")))
    plan = Plan(
        shows=(CreateShow("s|x", Reason.NEW, evil, evil),),
        audio=(job("generate", "e", source),),
        episodes=(publish("add", "e", source, Reason.NEW, title=evil),),
        unmanaged=(Unmanaged("tw", "ep`1", evil),),
        warnings=(
            Warning(WarningCode.DUPLICATE_EPISODE, "tw", None, {"title": evil, "episode_id": "1"}),
        ),
    )
    markdown = render_markdown(plan, base=base_with())
    check_structure(markdown)
    assert re.search(r"(?<!\\)<!--", markdown) is None
    assert "@octocat" not in markdown  # a word joiner keeps GitHub from notifying anyone
    assert "\\`tick\\`" in markdown
    assert "##### h" not in markdown
    assert "`````diff" in markdown  # longer than the longest backtick run in the dialogue
    assert "+male: ``` not a fence end" in markdown
    assert md("# heading") == "\\# heading"
    assert md("1. item") == "1\\. item"
    assert code("a|b") == "a\\|b" and code("ok-1") == "`ok-1`"


# --- base: dialogue diffs and what changed -----------------------------------------------


def test_dialogue_diff_against_the_base() -> None:
    new, old = dialogue(NEW_LINES), dialogue(OLD_LINES)
    plan = Plan(
        audio=(job("generate", "talk", new), job("generate", "fresh", new)),
        episodes=(
            publish("replace", "talk", new, Reason.SOURCE_CHANGED, episode_id="3"),
            publish("add", "fresh", new, Reason.NEW),
        ),
    )
    base = base_with(Episode("talk", "Talk", "d", old))
    markdown = render_markdown(plan, base=base)
    assert "| replace | `talk` | Talk | Source changed: dialogue edited |" in markdown
    assert (
        "Dialogue of `talk`: 1 line added, 1 removed\n\n"
        "```diff\n"
        "@@ line 1 @@\n"
        " female: Welcome back.\n"
        "-male: Three themes today.\n"
        "+male: Four themes today.\n"
        " female: Bye.\n"
        "```\n"
    ) in markdown
    assert "Dialogue of `fresh`: 3 lines, all new" in markdown
    assert "Dialogue of" not in render_markdown(plan)  # no base, no diff


def test_base_names_what_a_title_and_a_document_were() -> None:
    new_doc, old_doc = document("b", 4096), document("a", 2048)
    plan = Plan(
        audio=(job("generate", "doc", new_doc),),
        episodes=(
            publish("replace", "doc", new_doc, Reason.SOURCE_CHANGED, episode_id="1"),
            publish(
                "replace",
                "t",
                TOPIC,
                Reason.TITLE_CHANGED,
                title="New",
                episode_id="2",
                republish=True,
            ),
        ),
    )
    base = base_with(Episode("doc", "Doc", "d", old_doc), Episode("t", "Old", "d", TOPIC))
    markdown = render_markdown(plan, base=base)
    assert "| Source changed: document edited |" in markdown
    assert (
        '| re-publish | `t` | New | Title changed (was "Old") | same audio, no cost |' in markdown
    )
    assert (
        "- `doc`: document `docs/p.md` (4.0 KiB, `sha256:bbbbbbbbbbbb`; "
        'was 2.0 KiB, `sha256:aaaaaaaaaaaa`), focus "Focus on privacy"'
    ) in markdown


def test_document_text_never_appears_in_any_format(tmp_path: Path) -> None:
    sentinel = "The secret launch date is the ninth of Thermidor."
    project = tmp_path / "p"
    shutil.copytree(EXAMPLES, project, ignore=shutil.ignore_patterns(".podsync", "podsync.lock"))
    (project / "docs" / "privacy.md").write_text(f"# Policy\n\n{sentinel}\n", "utf-8")
    desired = load_project(project)
    plan = make_plan(desired, Lock(), Live(()))
    assert any(j.source.kind == "document" for j in plan.audio)
    outputs = [render(plan, fmt) for fmt in FORMATS]
    outputs.append(render_markdown(plan, base=desired))
    outputs.append(render_markdown(replace(plan, live_read=False), base=desired, max_chars=500))
    for output in outputs:
        assert sentinel not in output
        assert "Thermidor" not in output
    assert "docs/privacy.md" in outputs[2]


# --- size -----------------------------------------------------------------------------------


def huge_plan() -> tuple[Plan, Desired]:
    """Thousands of changes over many shows, long dialogues, unmanaged episodes, warnings."""
    long_old = tuple(("male", f"Line {n} of the old script.") for n in range(300))
    long_new = tuple(("female", f"Line {n} of the new script.") for n in range(300))
    audio, episodes, base_eps = [], [], []
    shows: list[ShowChange] = [
        UpdateShow(
            "tw",
            "sh_1",
            Reason.TITLE_CHANGED,
            "Tech",
            "About tech.",
            (FieldChange("title", "T", "Tech"),),
        )
    ]
    for n in range(3000):
        source = dialogue(long_new + (("male", f"episode {n}"),)) if n < 50 else DEFAULT_TOPIC
        source = source if n < 50 else replace(DEFAULT_TOPIC, topic=f"Topic number {n}")
        audio.append(job("generate", f"e{n}", source))
        episodes.append(
            publish("replace", f"e{n}", source, Reason.SOURCE_CHANGED, episode_id=str(n))
        )
        if n < 50:
            base_eps.append(Episode(f"e{n}", "t", "d", dialogue(long_old)))
    for n in range(1500):
        shows.append(CreateShow(f"show-{n:04}", Reason.NEW, f"Show {n}", ""))
        episodes.append(
            AddEpisode(f"show-{n:04}", "first", Reason.NEW, 0, "First", "", TOPIC.digest)
        )
    plan = Plan(
        shows=tuple(shows),
        audio=tuple(audio),
        episodes=tuple(episodes),
        unmanaged=tuple(Unmanaged("tw", str(n), f"Hand-made {n}") for n in range(2000)),
        warnings=tuple(
            Warning(
                WarningCode.DUPLICATE_EPISODE, "tw", None, {"title": "x" * 200, "episode_id": n}
            )
            for n in range(500)
        )
        + (
            Warning(
                WarningCode.HELD_BACK,
                params={
                    "changes": [
                        {"change": "remove_episode", "show": "tw", "episode": str(n)}
                        for n in range(5000)
                    ]
                },
            ),
        ),
        protect=tuple(("tw", f"e{n}", True) for n in range(1000)),
    )
    return plan, base_with(*base_eps)


def test_a_plan_of_thousands_of_changes_fits_a_github_comment() -> None:
    plan, base = huge_plan()
    markdown = render_markdown(plan, base=base)
    assert len(markdown) <= 60_000 < COMMENT_LIMIT
    check_structure(markdown)
    assert markdown.startswith("## podsync plan\n\n**Plan: 1500 shows to create")
    assert "more episode changes not shown here: see the full plan in the job summary" in markdown
    assert "more shows with changes not shown here" in markdown
    assert "or run `podsync plan`" in markdown
    assert "more warnings not shown here" in markdown
    assert "<details><summary>" in markdown
    assert f"`{plan_checksum(plan)}`" in markdown
    roomy = render_markdown(plan, base=base, max_chars=1_000_000)
    assert len(roomy) <= 1_000_000
    rows = re.compile(r"^\| (add|replace) \|", re.MULTILINE)
    assert len(rows.findall(roomy)) > len(rows.findall(markdown)) > 0
    check_structure(roomy)


@pytest.mark.parametrize("limit", [400, 2_000, 65_536])
def test_every_limit_is_kept(limit: int) -> None:
    plan, base = huge_plan()
    markdown = render_markdown(plan, base=base, max_chars=limit)
    assert len(markdown) <= limit
    assert markdown.endswith("\n")


def test_long_sections_fold_into_details() -> None:
    source = dialogue(tuple(("male", f"Line {n}.") for n in range(40)))
    plan = Plan(
        audio=(job("generate", "long", source),),
        episodes=(publish("add", "long", source, Reason.NEW),)
        + tuple(publish("add", f"e{n}", TOPIC, Reason.NEW) for n in range(30)),
        unmanaged=tuple(Unmanaged("tw", str(n), f"Hand-made {n}") for n in range(20)),
    )
    markdown = render_markdown(plan, base=base_with())
    check_structure(markdown)
    assert "<details><summary>31 episode changes</summary>" in markdown
    assert (
        "<details><summary>Dialogue of <code>long</code>: 40 lines, all new</summary>" in markdown
    )
    assert "<details><summary>20 unmanaged episodes</summary>" in markdown
    assert "not shown here" not in markdown


# --- git base -------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=podsync test",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding the example project in a subfolder, committed on main."""
    root = tmp_path / "repo"
    shutil.copytree(
        EXAMPLES, root / "podcast", ignore=shutil.ignore_patterns(".podsync", "podsync.lock")
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    return root


def test_load_base_reads_a_subfolder_project_at_a_ref(repo: Path) -> None:
    project = repo / "podcast"
    script = project / "scripts" / "roadmap.yaml"
    script.write_text(script.read_text().replace("Three big themes", "Four big themes"))
    (project / "docs" / "privacy.md").write_text("changed\n")
    git(repo, "commit", "-qam", "edit")
    base = load_base(project, "main~1")
    assert base is not None
    show = base.shows[0]
    roadmap = next(e for e in show.episodes if e.key == "roadmap")
    assert roadmap.source.dialogue[1][1].startswith("Three big themes")
    privacy = next(e for e in show.episodes if e.key == "privacy").source.document
    assert privacy is not None and privacy.display == "../docs/privacy.md"
    assert privacy.size == len((EXAMPLES / "docs" / "privacy.md").read_bytes())
    assert show.title == "Acme Tech Weekly"  # podsync.yaml vars came along
    now = load_base(project, "HEAD")
    assert now is not None and now != base


def test_load_base_of_a_project_at_the_repository_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".podsync", "podsync.lock"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    base = load_base(root, "main")
    assert base is not None and [len(s.episodes) for s in base.shows] == [4]


def test_load_base_is_none_when_the_base_cannot_be_had(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = repo / "podcast"
    assert load_base(project, "no-such-branch") is None
    assert load_base(project, "--output=/tmp/x") is None
    (repo / "other").mkdir()
    (repo / "other" / "podsync.yaml").write_text("vars: {}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "other")
    assert load_base(repo / "other", "main~1") is None  # not there at that commit
    manifest = project / "shows" / "tech-weekly.yaml"
    manifest.write_text(manifest.read_text() + "\nbogus: true\n")
    git(repo, "commit", "-qam", "broken")
    assert load_base(project, "HEAD") is None  # did not validate then
    outside = tmp_path / "not-a-repo"
    shutil.copytree(EXAMPLES, outside)
    assert load_base(outside, "HEAD") is None
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert load_base(project, "main") is None


def test_plan_base_ref_in_the_cli(cli: Cli, repo: Path) -> None:
    project = repo / "podcast"
    unknown = cli("plan", str(project), "--format", "markdown", "--base-ref", "nope")
    assert unknown.exit_code == 0
    assert "could not read the manifests at 'nope'" in unknown.stderr
    assert "| add | `roadmap` |" in unknown.stdout
    script = project / "scripts" / "roadmap.yaml"
    script.write_text(script.read_text().replace("Three big themes", "Four big themes"))
    known = cli("plan", str(project), "--format", "markdown", "--base-ref", "main")
    assert known.exit_code == 0 and known.stderr == ""
    assert "-male: Three big themes" in known.stdout and "+male: Four big themes" in known.stdout
    text = cli("plan", str(project), "--base-ref", "main")
    assert text.exit_code == 0 and text.stderr == ""
    assert "      -male: Three big themes" in text.stdout  # text shows the lines too
    machine = cli("plan", str(project), "--format", "json", "--base-ref", "nope")
    assert machine.exit_code == 0 and machine.stderr == ""  # JSON does not read the base


# --- golden ---------------------------------------------------------------------------------


def edit_show(project: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = project / "shows" / "tech-weekly.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_golden_pull_request_comment(cli: Cli, emulator: Emulator, repo: Path) -> None:
    """A realistic pull request: a new topic episode, an edited dialogue, a title change, an
    edited document, a removal, drift and an episode made by hand in the account, compared
    with the base branch. PODSYNC_UPDATE_GOLDEN=1 rewrites the golden file."""
    project = repo / "podcast"

    def launch(data: dict[str, Any]) -> None:
        data["episodes"].append(
            {
                "key": "launch",
                "title": "Episode 5 - Launch Day",
                "description": "The story of our launch.",
                "source": {
                    "topic": "How a small team ships a product launch",
                    "duration_minutes": 8,
                },
            }
        )

    edit_show(project, launch)
    applied = cli("apply", str(project), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "launch episode")

    lock = read_lock(project / "podsync.lock")
    show = lock.shows["tech-weekly"]
    launched = show.episodes["launch"]
    with emulator.api() as api:  # by hand in the account: drift and an unmanaged episode
        api.delete(f"/podcasts/{show.show_id}/episodes/{launched.episode_id}").raise_for_status()
        made = api.post(
            f"/podcasts/{show.show_id}/episodes",
            json={
                "title": "Listener Q&A | live",
                "description": "by hand",
                "mic_id": launched.mic_id,
            },
        )
        made.raise_for_status()
    hand_made = str(made.json()["data"]["id"])

    git(repo, "checkout", "-qb", "new-episodes")

    def edits(data: dict[str, Any]) -> None:
        data["description"] = (
            "A weekly conversation about technology, hosted by {{ host }} and guests."
        )
        next(e for e in data["episodes"] if e["key"] == "ai-health")["title"] = (
            "Episode 1 - AI in Medicine, Revisited"
        )
        data["episodes"] = [e for e in data["episodes"] if e["key"] != "handmade"]
        data["episodes"].append(
            {
                "key": "security",
                "title": "Episode 6 - Security",
                "description": "How we keep your data safe.",
                "source": {"topic": "Security practices at a small software company"},
            }
        )

    edit_show(project, edits)
    script = project / "scripts" / "roadmap.yaml"
    script.write_text(
        script.read_text().replace(
            "Three big themes: speed, privacy, and better search.",
            "Four big themes: speed, privacy, better search, and accessibility.",
        )
        + '- [female, "And accessibility? That one is new."]\n'
    )
    policy = project / "docs" / "privacy.md"
    policy.write_text(policy.read_text() + "- We delete inactive accounts after two years.\n")
    git(repo, "commit", "-qam", "new episodes")

    result = cli("plan", str(project), "--format", "markdown", "--base-ref", "main")
    assert result.exit_code == 0, result.output
    markdown = normalise(
        result.stdout, show.show_id, hand_made, read_lock(project / "podsync.lock")
    )
    check_structure(markdown)
    if os.environ.get("PODSYNC_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(markdown, "utf-8")
    assert markdown == GOLDEN.read_text("utf-8")


def normalise(markdown: str, show_id: str, episode_id: str, lock: Lock) -> str:
    """Placeholders for what changes from run to run: ids the account hands out, the checksum."""
    markdown = markdown.replace(f"`{show_id}`", "`<show-id>`")
    markdown = markdown.replace(f"| `{episode_id}` |", "| `<episode-id>` |")
    for audio in lock.audio.values():
        markdown = markdown.replace(audio.mic_id, "<mic-id>")
    return re.sub(r"`sha256:[0-9a-f]{64}`", "`<checksum>`", markdown)


def test_golden_file_reads_as_markdown_a_reviewer_wants() -> None:
    """The checked-in comment itself: under the limit, and saying each thing issue 4 asks."""
    golden = GOLDEN.read_text("utf-8")
    check_structure(golden)
    assert len(golden) < COMMENT_LIMIT
    for expected in (
        "| add | `security` | Episode 6 - Security | New episode |",
        "-male: Three big themes",
        'Title changed (was "Episode 1 - AI in Medicine")',
        "| remove | `handmade` |",
        "Deleted by hand in ZenMic (drift)",
        "document `../docs/privacy.md`",
        "> [!WARNING]",
        "moves to the top of the feed",
        "**Audio:** 3 new audio jobs to generate",
        "`<checksum>`",
    ):
        assert expected in golden, expected
    assert TEST_KEY not in golden


def test_titles_cannot_become_links_issue_references_or_mentions() -> None:
    from podsync.render.markdown import md

    rendered = md("Hear https://evil.example/x, www.evil.example, #123 and @maintainer")
    for autolink in ("://e", "www.e", "#1", "@m"):
        assert autolink not in rendered, autolink
    assert rendered.replace("\u2060", "") == (
        "Hear https://evil.example/x, www.evil.example, #123 and @maintainer"
    )
