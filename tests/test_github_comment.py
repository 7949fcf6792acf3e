"""The sticky comment's markers: composed, parsed back, and found again among others."""

from __future__ import annotations

from podsync.github.api import Comment
from podsync.github.comment import (
    MAX_COMMENT_CHARS,
    compose,
    find_sticky,
    normalize_directory,
    parse,
    plan_marker,
)

CHECKSUM = "sha256:" + "ab" * 32
LABELS = ["add episode tech-weekly/quantum (new)", "generate audio tech-weekly/quantum (x)"]


def comment(id: int, body: str, bot: bool = True) -> Comment:
    return Comment(id, body, "github-actions[bot]" if bot else "bob", bot, "")


def test_markers_round_trip() -> None:
    body = compose(
        "## podsync plan\n", working_directory="./podcast/", checksum=CHECKSUM, labels=LABELS
    )
    assert body.splitlines()[0] == "<!-- podsync:plan dir=podcast -->"
    approved = parse(body)
    assert approved is not None
    assert approved.checksum == CHECKSUM and approved.labels == tuple(LABELS)
    assert parse("## a comment without markers") is None


def test_the_change_labels_are_dropped_before_the_comment_gets_too_long() -> None:
    many = [f"add episode show/ep-{n} (new)" for n in range(3000)]
    body = compose("x" * 59_000, working_directory=".", checksum=CHECKSUM, labels=many)
    assert len(body) <= MAX_COMMENT_CHARS
    approved = parse(body)
    assert approved is not None and approved.checksum == CHECKSUM and approved.labels is None


def test_one_project_one_marker_whatever_the_spelling() -> None:
    assert {normalize_directory(d) for d in ("podcast", "./podcast", "podcast/", "podcast/.")} == {
        "podcast"
    }
    assert normalize_directory("") == normalize_directory("./") == "."
    assert plan_marker("evil --> <b>").count(">") == 1, "the name cannot end the comment"


def test_the_sticky_comment_is_the_bots_oldest_for_this_folder() -> None:
    mine = plan_marker("podcast")
    comments = [
        comment(1, "LGTM", bot=False),
        comment(2, f"{mine}\nquoted by a person", bot=False),
        comment(3, f"{plan_marker('other')}\nanother project's plan"),
        comment(4, f"{mine}\nthe plan"),
        comment(5, f"{mine}\na duplicate"),
    ]
    found = find_sticky(comments, "./podcast")
    assert found is not None and found.id == 4
    assert find_sticky(comments[:2], "podcast") == comments[1], "a person's, if nothing else"
    assert find_sticky(comments[:1], "podcast") is None
