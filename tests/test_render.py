"""The text, JSON and Markdown renderers, fed hand-built Plans (the planner is tested elsewhere)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from podsync.model import Document, Source
from podsync.plan import (
    AddEpisode,
    AdoptEpisode,
    AdoptShow,
    CreateShow,
    DeleteShow,
    FieldChange,
    GenerateAudio,
    Guard,
    GuardCode,
    Plan,
    Reason,
    RemoveEpisode,
    ReplaceEpisode,
    ResumeAudio,
    ReuseAudio,
    Unmanaged,
    UpdateShow,
    Warning,
    WarningCode,
)
from podsync.render import FORMATS, plan_to_dict, render

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "schemas" / "plan.schema.json").read_text("utf-8")
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")

TOPIC = Source("topic", topic="How tides work", duration_minutes=15)
TOPIC_OLD = Source("topic", topic="How tides work", duration_minutes=10)
DOCUMENT = Source(
    "document",
    document=Document(
        path="/home/ana/pod/docs/whitepaper.pdf",
        display="docs/whitepaper.pdf",
        sha256="3fa4b1c2d3e4" + "0" * 52,
        size=1_572_864,
        content_type="application/pdf",
    ),
    style_prompt="calm, slow",
)
DIALOGUE = Source("dialogue", dialogue=(("female", "Welcome back."), ("male", "Glad to be here.")))
REPUBLISHED = Source("topic", topic="Moon phases", duration_minutes=5)


DUPLICATE = Warning(
    WarningCode.DUPLICATE_EPISODE,
    "daily",
    None,
    {"title": "Guest | special", "episode_id": "ep_99"},
)
DELETED = (
    "show 'gone' (sh_300, 2 episodes) will be DELETED from the account: its manifest was "
    "removed; apply refuses this without --allow-destroy"
)


def full_plan() -> Plan:
    """One of everything: every show, audio and episode action, unmanaged episodes, warnings."""
    return Plan(
        shows=(
            CreateShow("ocean", Reason.NEW, "Ocean Notes", "Weekly sea science."),
            AdoptShow("daily", "sh_100", Reason.SAME_TITLE, "Daily", "Old blurb"),
            UpdateShow(
                "daily",
                "sh_100",
                Reason.DESCRIPTION_CHANGED,
                "Daily",
                "A new blurb\nover two lines",
                (FieldChange("description", "Old blurb", "A new blurb\nover two lines"),),
            ),
            UpdateShow(
                "tech",
                "sh_200",
                Reason.DRIFT_CHANGED,
                "Tech | Talk",
                "Gadgets.",
                (FieldChange("title", "Tech Talk (old)", "Tech | Talk"),),
            ),
            DeleteShow("gone", "sh_300", Reason.REMOVED_FROM_MANIFEST, "Gone Show", "Bye."),
        ),
        audio=(
            GenerateAudio(TOPIC.digest, "ocean", "tides", "Tides", TOPIC),
            ResumeAudio(DOCUMENT.digest, "ocean", "paper", "The paper", DOCUMENT, "mic_41"),
            ReuseAudio(DIALOGUE.digest, "daily", "chat", "A chat", DIALOGUE, "mic_7"),
            ReuseAudio(REPUBLISHED.digest, "daily", "moon", "Moon | phases", REPUBLISHED, "mic_8"),
        ),
        episodes=(
            AddEpisode("ocean", "tides", Reason.NEW, 0, "Tides", "Why.", TOPIC.digest),
            AddEpisode("ocean", "paper", Reason.NEW, 1, "The paper", "Read.", DOCUMENT.digest),
            ReplaceEpisode(
                "daily",
                "chat",
                Reason.SOURCE_CHANGED,
                0,
                "A chat",
                "Talk.",
                DIALOGUE.digest,
                "ep_1",
                "mic_1",
            ),
            ReplaceEpisode(
                "daily",
                "moon",
                Reason.TITLE_CHANGED,
                1,
                "Moon | phases",
                "Look up.",
                REPUBLISHED.digest,
                "ep_2",
                "mic_8",
                republish=True,
            ),
            AdoptEpisode(
                "daily",
                "intro",
                Reason.SAME_TITLE,
                2,
                "Intro",
                "Hi.",
                TOPIC_OLD.digest,
                "ep_3",
                "mic_3",
            ),
            RemoveEpisode(
                "daily", "old", Reason.REMOVED_FROM_MANIFEST, "Old episode", "ep_4", "mic_4"
            ),
        ),
        unmanaged=(Unmanaged("daily", "ep_99", "Guest | special"),),
        guards=(
            Guard(
                GuardCode.DESTROY, "gone", None, {"show_id": "sh_300", "episodes": 2, "foreign": 0}
            ),
        ),
        warnings=(DUPLICATE,),
    )


def validate(document: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


def test_schema_is_valid_2020_12_with_id() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"].endswith("/plan.schema.json")


def test_json_validates_and_counts() -> None:
    document = json.loads(render(full_plan(), "json"))
    validate(document)
    assert document["format_version"] == 3
    assert document["live_read"] is True
    assert document["summary"] == {
        "shows": {"create": 1, "update": 2, "delete": 1},
        "episodes": {"add": 2, "replace": 2, "remove": 1},
        "audio": {"generate": 1, "reuse": 3},
    }
    types = [c["type"] for c in document["changes"]]
    assert types == ["show"] * 5 + ["audio"] * 4 + ["episode"] * 6
    assert [c["action"] for c in document["changes"] if c["type"] == "episode"] == [
        "add",
        "add",
        "replace",
        "replace",
        "adopt",
        "remove",
    ]
    assert document["unmanaged"] == [
        {"show": "daily", "episode_id": "ep_99", "title": "Guest | special"}
    ]
    assert document["warnings"] == [
        {
            "code": "duplicate_episode",
            "show": "daily",
            "episode": None,
            "params": {"title": "Guest | special", "episode_id": "ep_99"},
            "acknowledged": False,
        }
    ]
    assert document["guards"][0]["code"] == "destroy"


def test_json_change_fields() -> None:
    changes = plan_to_dict(full_plan())["changes"]
    update = changes[3]
    assert update == {
        "type": "show",
        "action": "update",
        "show": "tech",
        "show_id": "sh_200",
        "reason": "drift_changed",
        "title": "Tech | Talk",
        "description": "Gadgets.",
        "before": {"title": "Tech Talk (old)"},
        "renamed_from": None,
        "fields": [{"path": "title", "before": "Tech Talk (old)", "after": "Tech | Talk"}],
    }
    resume = changes[6]
    assert resume["action"] == "resume"
    assert resume["mic_id"] == "mic_41"
    assert resume["digest"] == DOCUMENT.digest
    assert DOCUMENT.document is not None
    assert resume["source"]["document"] == {
        "path": "docs/whitepaper.pdf",
        "sha256": DOCUMENT.document.sha256,
        "size": 1_572_864,
        "content_type": "application/pdf",
    }
    assert "/home/ana" not in json.dumps(changes)
    dialogue = changes[7]["source"]
    assert dialogue["kind"] == "dialogue"
    assert dialogue["dialogue"][1] == {"speaker": "male", "text": "Glad to be here."}
    republish = changes[12]
    assert (republish["episode"], republish["republish"], republish["episode_id"]) == (
        "moon",
        True,
        "ep_2",
    )
    remove = changes[-1]
    assert (remove["action"], remove["digest"], remove["title"]) == (
        "remove",
        None,
        "Old episode",
    )


def test_json_is_deterministic_sorted_and_newline_terminated() -> None:
    text = render(full_plan(), "json")
    assert text == render(full_plan(), "json")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_schema_rejects_what_the_renderer_never_writes() -> None:
    document = plan_to_dict(full_plan())
    broken = copy.deepcopy(document)
    broken["changes"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)
    broken = copy.deepcopy(document)
    broken["changes"][5]["action"] = "delete"  # an audio job cannot be deleted
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)
    broken = copy.deepcopy(document)
    del broken["summary"]["audio"]["reuse"]
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def test_empty_plan_in_every_format() -> None:
    empty = Plan()
    document = json.loads(render(empty, "json"))
    validate(document)
    assert document["changes"] == [] and document["unmanaged"] == []
    assert all(n == 0 for group in document["summary"].values() for n in group.values())
    assert render(empty, "text") == "No changes. Your podcasts match the manifests.\n"
    assert render(empty, "text", color=True) == render(empty, "text")
    markdown = render(empty, "markdown")
    assert "No changes. Your podcasts match the manifests." in markdown
    assert "| Action |" not in markdown and "[!WARNING]" not in markdown


def test_text_lines() -> None:
    text = render(full_plan(), "text")
    lines = text.splitlines()
    expected = [
        "show ocean (new)",
        '  + create show "Ocean Notes" (new)',
        '  $ generate audio for tides: topic "How tides work", 15 min (new paid audio job)',
        "  > resume audio for paper [mic_41]: document docs/whitepaper.pdf "
        '(1.5 MiB, sha256:3fa4b1c2d3e4), style "calm, slow" '
        "(submitted by an earlier run; not paid again)",
        '  + add episode tides "Tides" (new)',
        "show daily (sh_100)",
        '  = adopt live show "Daily" (a live show has this title)',
        "  ~ update show (description changed)",
        '      description: "Old blurb" -> "A new blurb over two lines"',
        "  = reuse audio for chat [mic_7]: dialogue, 2 lines (female, male) "
        "(finished audio in the cache)",
        '  ~ replace episode chat "A chat" [ep_1] (source changed): '
        "new audio, re-published: moves to the top of the feed",
        '  ~ replace episode moon "Moon | phases" [ep_2] (title changed): '
        "same audio, re-published: moves to the top of the feed",
        '  - remove episode old "Old episode" [ep_4] (removed from the manifest)',
        "show tech (sh_200)",
        '      title: "Tech Talk (old)" -> "Tech | Talk"',
        "show gone (sh_300)",
        '  - delete show "Gone Show" (manifest removed)',
        "Warnings:",
        f"  ! {DELETED}",
        "  ! possible duplicate in show 'daily': live episode 'Guest | special', id ep_99, not "
        "managed by podsync; if an apply published it twice, remove the extra one by hand",
        "Unmanaged episodes (not created by podsync; left alone):",
        '  ? daily: "Guest | special" [ep_99]',
    ]
    for line in expected:
        assert line in lines
    assert lines.index("show ocean (new)") < lines.index("show daily (sh_100)")
    assert lines.index("show gone (sh_300)") < lines.index("Warnings:")
    assert lines[-1] == (
        "Plan: 1 show to create, 2 to update, 1 to delete; "
        "2 episodes to add, 2 to replace, 1 to remove; "
        "1 audio job to generate, 3 reused; 1 show and 1 episode to adopt."
    )
    assert text.endswith(".\n") and ANSI.search(text) is None
    symbols = {line[2] for line in lines if line.startswith("  ") and line[2] != " "}
    assert symbols == set("+~-=$>!?")


def test_text_summary_without_adoptions_matches_the_documented_sentence() -> None:
    plan = Plan(
        shows=(CreateShow("ocean", Reason.NEW, "Ocean", ""),),
        audio=(
            GenerateAudio(TOPIC.digest, "ocean", "a", "A", TOPIC),
            GenerateAudio(DOCUMENT.digest, "ocean", "b", "B", DOCUMENT),
            ReuseAudio(DIALOGUE.digest, "ocean", "c", "C", DIALOGUE, "mic_1"),
        ),
        episodes=tuple(
            AddEpisode("ocean", key, Reason.NEW, i, key.upper(), "", TOPIC.digest)
            for i, key in enumerate("abc")
        )
        + (
            ReplaceEpisode(
                "ocean", "d", Reason.SOURCE_CHANGED, 3, "D", "", TOPIC.digest, "ep_d", "mic_d"
            ),
        ),
    )
    assert render(plan, "text").splitlines()[-1] == (
        "Plan: 1 show to create, 0 to update, 0 to delete; "
        "3 episodes to add, 1 to replace, 0 to remove; "
        "2 audio jobs to generate, 1 reused."
    )


def test_text_color_only_when_asked() -> None:
    plain = render(full_plan(), "text", color=False)
    colored = render(full_plan(), "text", color=True)
    assert ANSI.search(plain) is None
    assert "\x1b[32m" in colored  # green: create/add
    assert "\x1b[33m" in colored  # yellow: update/replace
    assert "\x1b[31m" in colored  # red: delete/remove
    assert ANSI.sub("", colored) == plain


def test_text_neutralises_control_characters_from_live_titles() -> None:
    plan = Plan(
        episodes=(
            RemoveEpisode(
                "daily", "x", Reason.REMOVED_FROM_MANIFEST, "Evil\x1b[2Jtitle", "ep_x", "mic_x"
            ),
        )
    )
    text = render(plan, "text")
    assert "\x1b" not in text
    assert '"Evil\\x1b[2Jtitle"' in text


def test_text_no_changes_still_lists_unmanaged_and_warnings() -> None:
    plan = Plan(
        unmanaged=(Unmanaged("daily", "ep_99", "Hand-made"),),
        warnings=(DUPLICATE,),
    )
    text = render(plan, "text")
    assert text.startswith("Warnings:\n")
    assert "  ! possible duplicate in show 'daily'" in text
    assert '  ? daily: "Hand-made" [ep_99]' in text
    assert text.splitlines()[-1] == "No changes. Your podcasts match the manifests."


def test_markdown_tables_escape_and_warnings() -> None:
    """The full plan in Markdown; tests/test_render_markdown.py covers the format in depth."""
    markdown = render(full_plan(), "markdown")
    lines = markdown.splitlines()
    assert lines[0] == "## podsync plan"
    assert (
        "**Plan: 1 show to create, 2 to update, 1 to delete; 2 episodes to add, 2 to replace, "
        "1 to remove; 1 audio job to generate, 3 reused; 1 show and 1 episode to adopt.**"
    ) in lines
    assert "> [!WARNING]" in lines
    assert (
        "> - show 'gone' (sh\\_300, 2 episodes) will be DELETED from the account: its manifest "
        "was removed; apply refuses this without --allow-destroy"
    ) in lines
    assert "### Show `ocean` (new)" in lines
    assert "### Show `daily` (`sh_100`)" in lines
    assert "| Change | Episode | Title | Why | Audio |" in lines
    assert "| add | `tides` | Tides | New episode | new job, ≈ 15 min |" in lines
    assert (
        "| re-publish | `moon` | Moon \\| phases | Title changed | same audio, no cost |"
    ) in lines
    assert "| remove | `old` | Old episode | Removed from the manifest | — |" in lines
    assert '- `tides`: topic "How tides work", 15 min' in lines
    assert (
        "- `paper`: document `docs/whitepaper.pdf` (1.5 MiB, `sha256:3fa4b1c2d3e4`), "
        'style "calm, slow"'
    ) in lines
    assert '  - title: "Tech Talk (old)" → "Tech \\| Talk"' in lines
    assert '  - description: "Old blurb" → "A new blurb over two lines"' in lines
    assert "| `daily` | `ep_99` | Guest \\| special |" in lines
    # every table row has exactly the columns of its header: no cell was split by a pipe
    for line in lines:
        if line.startswith("| "):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            assert len(cells) in (3, 5), line
    assert markdown.endswith("\n") and "\n\n\n" not in markdown


def test_markdown_escapes_html_and_live_read() -> None:
    plan = Plan(
        episodes=(AddEpisode("s", "e", Reason.NEW, 0, "<!-- hide --> *bold*", "", TOPIC.digest),),
        unmanaged=(Unmanaged("s", "ep`1", "x"),),
        live_read=False,
    )
    markdown = render(plan, "markdown")
    assert "| add | `e` | \\<!-- hide --\\> \\*bold\\* | New episode | — |" in markdown
    assert "| `s` | ep\\`1 | x |" in markdown
    assert "> **Offline plan: the ZenMic account was not read.**" in markdown


def test_document_sources_show_display_path_never_the_absolute_one() -> None:
    for fmt in FORMATS:
        output = render(full_plan(), fmt)
        assert "docs/whitepaper.pdf" in output
        assert "/home/ana" not in output


def test_formats_and_unknown_format() -> None:
    assert FORMATS == ("text", "json", "markdown")
    for fmt in FORMATS:
        assert render(full_plan(), fmt).endswith("\n")
    with pytest.raises(ValueError, match="unknown plan format 'html'"):
        render(full_plan(), "html")
