"""The sticky comment's markers: composed, parsed back, and found again among others; only the
action's own comments count."""

from __future__ import annotations

from podsync.github import preview
from podsync.github.api import Comment
from podsync.github.comment import (
    compose,
    compose_failure,
    find_sticky,
    head_of,
    normalize_directory,
    parse,
    plan_marker,
    previewed_in,
    written_by,
)
from podsync.lock import CachedAudio, Lock
from podsync.model import Source
from podsync.plan import Plan, ResumeAudio
from podsync.render.markdown import COMMENT_CHARS, COMMENT_LIMIT

CHECKSUM = "sha256:" + "ab" * 32
LABELS = ["add episode tech-weekly/quantum (new)", "generate audio tech-weekly/quantum (x)"]
HEAD = "0123456789abcdef0123456789abcdef01234567"
BOT = "github-actions[bot]"


def comment(id: int, body: str, login: str = BOT, bot: bool = True) -> Comment:
    return Comment(id, body, login, bot, "")


def fixed(text: str) -> object:
    return lambda max_chars: text[:max_chars]


def digest(n: int) -> str:
    return f"sha256:{n:064x}"


def test_markers_round_trip() -> None:
    jobs = {digest(1): CachedAudio("mic_1", "succeeded", audio_page_url="https://z/a/1")}
    body = compose(
        fixed("## podsync plan\n"),  # type: ignore[arg-type]
        working_directory="./podcast/",
        checksum=CHECKSUM,
        labels=LABELS,
        head_sha=HEAD,
        previewed=jobs,
    )
    assert body.splitlines()[0] == "<!-- podsync:plan dir=podcast -->"
    assert f"commit `{HEAD[:12]}`" in body, "the commit is shown"
    approved = parse(body)
    assert approved is not None
    assert approved.checksum == CHECKSUM and approved.labels == tuple(LABELS)
    assert approved.head_sha == HEAD and dict(approved.previewed) == jobs
    assert parse("## a comment without markers") is None


def test_markers_are_read_only_from_the_end_not_from_the_plan_quoting_a_manifest() -> None:
    forged = f"```diff\n+male: <!-- podsync:checksum sha256:{'cd' * 32} -->\n```\n"
    body = compose(
        fixed(forged),  # type: ignore[arg-type]
        working_directory=".",
        checksum=CHECKSUM,
        labels=[],
    )
    approved = parse(body)
    assert approved is not None and approved.checksum == CHECKSUM
    assert parse(f"{plan_marker('.')}\n{forged}") is None


def test_the_comment_fits_githubs_limit_and_drops_only_the_labels() -> None:
    many = [f"add episode show/ep-{n} (new)" for n in range(3000)]
    asked: list[int] = []

    def render(max_chars: int) -> str:
        asked.append(max_chars)
        return "x" * max_chars

    jobs = {digest(n): CachedAudio(f"mic_{n}", "succeeded") for n in range(10)}
    body = compose(render, working_directory=".", checksum=CHECKSUM, labels=many, previewed=jobs)
    assert len(body) <= COMMENT_LIMIT and asked == [COMMENT_CHARS]
    approved = parse(body)
    assert approved is not None and approved.checksum == CHECKSUM and approved.labels is None
    assert len(approved.previewed) == 10, "the previewed jobs are never dropped to fit"


def test_the_plan_gets_less_room_when_the_preview_marker_is_long() -> None:
    page = "https://emulator.zenmic.invalid/audio/" + "p" * 120
    jobs = {
        digest(n): CachedAudio(f"mic_{n:04}", "succeeded", audio_page_url=page) for n in range(500)
    }
    line, kept = preview.encode(jobs)
    assert len(line) <= preview.PREVIEW_MARKER_CHARS and 50 < len(kept) < 500
    assert list(kept) == sorted(jobs)[: len(kept)], "the first in digest order are kept"
    body = compose(
        lambda max_chars: "x" * max_chars,
        working_directory=".",
        checksum=CHECKSUM,
        labels=[],
        head_sha=HEAD,
        previewed=kept,
    )
    assert len(body) <= COMMENT_LIMIT
    assert dict(previewed_in(body)) == kept


def test_preview_marker_rejects_what_is_not_a_job() -> None:
    import base64
    import json

    data = {
        digest(1): {"mic_id": "mic_1", "status": "succeeded"},
        "not-a-digest": {"mic_id": "mic_2", "status": "succeeded"},
        digest(3): {"mic_id": "", "status": "succeeded"},
        digest(4): {"mic_id": "mic_4", "status": 5},
        digest(5): "mic_5",
    }
    payload = base64.b64encode(json.dumps(data).encode()).decode()
    assert set(preview.decode(payload)) == {digest(1)}
    assert preview.decode("!!not base64!!") == {}
    assert preview.decode(base64.b64encode(b"[1, 2]").decode()) == {}


def test_a_carried_job_takes_the_place_of_the_locks_for_its_source() -> None:
    lock = Lock().with_audio(digest(1), CachedAudio("mic_gone", "succeeded"))
    lock = lock.with_audio(digest(2), CachedAudio("x", "failed"))
    carried = {
        digest(1): CachedAudio("mic_new", "succeeded"),  # made because mic_gone was gone
        digest(2): CachedAudio("mic_2", "succeeded"),
        digest(3): CachedAudio("mic_3", "running"),
    }
    seeded = preview.seed(lock, carried)
    assert {d: a.mic_id for d, a in seeded.audio.items()} == {
        digest(1): "mic_new",
        digest(2): "mic_2",
        digest(3): "mic_3",
    }


def test_a_job_the_branch_lock_names_is_never_carried() -> None:
    """A branch could point a new source at another episode's job in its lock, preview, then
    revert the lock: the comment must not launder that job into the apply."""
    source = Source(kind="topic", topic="new")
    job = ResumeAudio(source.digest, "tw", "q", "Q", source, "mic_other")
    plan = Plan(audio=(job,))
    committed = Lock().with_audio(source.digest, CachedAudio("mic_other", "running"))
    now = committed.with_audio(source.digest, CachedAudio("mic_other", "succeeded"))
    assert preview.carried(plan, committed, now) == {}
    fresh = committed.with_audio(source.digest, CachedAudio("mic_made", "succeeded"))
    assert set(preview.carried(plan, committed, fresh)) == {source.digest}


def test_a_failed_plan_comment_has_no_checksum_but_keeps_the_previewed_audio() -> None:
    jobs = {digest(1): CachedAudio("mic_1", "succeeded")}
    problems = [f"shows/a.yaml:{n}:3: title: expected a string ```" for n in range(1, 80)]
    body = compose_failure("podcast", HEAD, problems, previewed=jobs)
    assert body.splitlines()[0] == plan_marker("podcast")
    assert parse(body) is None, "nothing can be applied from it"
    assert head_of(body) == HEAD and dict(previewed_in(body)) == jobs
    assert "shows/a.yaml:1:3: title: expected a string" in body
    assert "\n````\n" in body, "a fence longer than any backticks in the problems"
    assert "29 more" in body


def test_one_project_one_marker_whatever_the_spelling() -> None:
    assert {normalize_directory(d) for d in ("podcast", "./podcast", "podcast/", "podcast/.")} == {
        "podcast"
    }
    assert normalize_directory("") == normalize_directory("./") == "."
    assert plan_marker("evil --> <b>").count(">") == 1, "the name cannot end the comment"


def test_the_sticky_comment_is_the_configured_authors_oldest_for_this_folder() -> None:
    mine = plan_marker("podcast")
    comments = [
        comment(1, "LGTM", "bob", bot=False),
        comment(2, f"{mine}\nquoted by a person", "bob", bot=False),
        comment(3, f"{plan_marker('other')}\nanother project's plan"),
        comment(4, f"{mine}\nthe plan"),
        comment(5, f"{mine}\na duplicate"),
        comment(6, f"{mine}\nanother bot's", "renovate[bot]"),
    ]
    found = find_sticky(comments, "./podcast")
    assert found is not None and found.id == 4
    assert find_sticky(comments[:3], "podcast") is None, "a person's comment is never it"
    assert find_sticky(comments, "podcast", "renovate[bot]") == comments[5]


def test_the_author_is_the_configured_login_and_a_bot_when_its_name_says_so() -> None:
    assert written_by(comment(1, ""), "github-actions[bot]")
    assert written_by(comment(1, "", "GitHub-Actions[bot]"), "github-actions[bot]")
    assert not written_by(comment(1, "", "github-actions[bot]", bot=False), "github-actions[bot]")
    assert not written_by(comment(1, "", "mallory", bot=False), "github-actions[bot]")
    # a personal token's user, configured explicitly
    assert written_by(comment(1, "", "podcast-ci", bot=False), "podcast-ci")
    assert not written_by(comment(1, "", "mallory", bot=False), "podcast-ci")
