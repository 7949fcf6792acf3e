"""The sticky plan comment: one comment per pull request and project folder, found again by a
hidden marker on its first line and updated on every push, never piled up.

It also carries, in hidden markers after the plan, what the next runs need: the head commit the
plan was made for, the checksum of the plan a reviewer approves by merging, the audio jobs the
pull request's previews paid for (podsync.github.preview), and the labels of the plan's changes
(base64 JSON), so that a refused apply can say what differs from the reviewed plan.

    <!-- podsync:plan dir=<working-directory> -->
    ...the plan as Markdown...
    <sub>Planned for commit 0123456789ab.</sub>
    <!-- podsync:head <sha> -->
    <!-- podsync:checksum sha256:... -->
    <!-- podsync:preview eyJzaGEyNTY6Li4uIjp7fX0= -->
    <!-- podsync:changes WyJhZGQgZXBpc29kZSAuLi4iXQ== -->

Only the action's own comments count. Anyone can post a comment that starts with the marker and
carries a checksum; if such a comment were read as the approved plan, a pull request's author
could approve their own changes, and if it were updated, its author could edit what the bot
wrote. So a comment is the action's only when its author is the configured login:
`github-actions[bot]` (the workflow's GITHUB_TOKEN), an App's `name[bot]`, or, given explicitly,
the user whose personal token posts the comments. Markers are read only from the block of
marker lines that ends the comment, never from the plan above them, which quotes manifests.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import quote

from podsync.errors import EditedByOther
from podsync.github import preview
from podsync.github.api import Comment, Edited, GitHubApi
from podsync.lock import CachedAudio
from podsync.render.markdown import COMMENT_CHARS, COMMENT_LIMIT

DEFAULT_AUTHOR = "github-actions[bot]"
FAILURE_LINES = 50  # problems quoted in a failed plan's comment; the annotations have all
FAILURE_CHARS = 20_000

_MARKER = re.compile(r"<!-- podsync:([a-z]+) (\S+) -->")
_CHECKSUM = re.compile(r"sha256:[0-9a-f]{64}")
_SHA = re.compile(r"[0-9a-f]{7,64}")


@dataclass(frozen=True)
class Approved:
    """What a plan comment recorded: the plan's checksum, the labels of its changes (None when
    they did not fit), the audio its previews paid for, and the commit it was made for."""

    checksum: str
    labels: tuple[str, ...] | None
    previewed: Mapping[str, CachedAudio] = field(default_factory=dict)
    head_sha: str | None = None


@dataclass(frozen=True)
class Posted:
    """`stale`: not updated, since the comment is for a newer head commit than this run's."""

    action: Literal["created", "updated", "unchanged", "skipped", "stale"]
    comment: Comment | None


def plan_marker(working_directory: str) -> str:
    """The first line of the comment for the project in `working_directory`."""
    return f"<!-- podsync:plan dir={normalize_directory(working_directory)} -->"


def normalize_directory(working_directory: str) -> str:
    """`./shows/`, `shows` and `shows/.` name one project and so one comment; `>` and spaces
    are escaped so the name cannot end the HTML comment it sits in."""
    path = PurePosixPath(working_directory.replace("\\", "/") or ".")
    return quote(str(path), safe="/._-~")


def written_by(comment: Comment, author: str) -> bool:
    """Whether `comment` is the action's: posted by `author`, which must also be a bot account
    when its login is a bot's (`...[bot]`, a name no person can register)."""
    if comment.author.casefold() != author.strip().casefold():
        return False
    return comment.author_is_bot or not author.strip().endswith("[bot]")


def verified_body(api: GitHubApi, comment: Comment, author: str) -> str:
    """The body of the action's comment as the action last wrote it, or EditedByOther.

    GitHub lets anyone with write access edit any comment, and the author stays the bot: the
    author alone does not show that the checksum and the preview marker are the action's. So
    ask GitHub who last edited it (GraphQL `editor`, GitHub's own record: nobody can set it
    but by editing). An edit by the action itself replaces the whole body with one it made,
    and it reads earlier markers only from comments that pass this check, so a body whose last
    editor is the action holds only what it wrote. The body is the one that same answer gave:
    an edit between two requests cannot slip in."""
    edited = api.edited(comment)
    if edited.editor is None and edited.last_edited_at is not None:
        raise EditedByOther("an account since deleted")  # GraphQL's editor is then null
    if edited.editor is not None and not _same_actor(edited, author):
        raise EditedByOther(edited.editor)
    return edited.body


def _same_actor(edited: Edited, author: str) -> bool:
    """`author` as REST spells it (`github-actions[bot]`) against GraphQL's editor login
    (`github-actions`, typename Bot)."""
    login = (edited.editor or "").casefold()
    wanted = author.strip().casefold()
    if wanted.endswith("[bot]"):
        return edited.editor_is_bot and login in (wanted, wanted.removesuffix("[bot]"))
    return not edited.editor_is_bot and login == wanted


def compose(
    render: Callable[[int], str],
    *,
    working_directory: str,
    checksum: str,
    labels: Sequence[str],
    head_sha: str = "",
    previewed: Mapping[str, CachedAudio] | None = None,
) -> str:
    """The whole comment, at most COMMENT_LIMIT characters: the marker line, the plan as
    `render(max_chars)` gives it in the room the markers leave, then the markers. The change
    labels are the one marker left out when they do not fit; `previewed` is expected to fit
    already (preview.encode bounds it)."""
    head = plan_marker(working_directory)
    preview_line, _ = preview.encode(previewed or {})
    markers = [f"<!-- podsync:head {head_sha} -->" if head_sha else ""]
    markers += [f"<!-- podsync:checksum {checksum} -->", preview_line]
    tail = "\n".join(line for line in markers if line) + "\n"
    footer = f"<sub>Planned for commit `{head_sha[:12]}`.</sub>\n\n" if head_sha else ""
    room = COMMENT_LIMIT - len(head) - len(footer) - len(tail) - 4
    text = f"{head}\n{render(min(COMMENT_CHARS, room)).rstrip()}\n\n{footer}{tail}"
    encoded = base64.b64encode(json.dumps(list(labels)).encode("utf-8")).decode("ascii")
    changes = f"<!-- podsync:changes {encoded} -->\n"
    return text + changes if len(text) + len(changes) <= COMMENT_LIMIT else text


def compose_failure(
    working_directory: str,
    head_sha: str,
    problems: Sequence[str],
    *,
    previewed: Mapping[str, CachedAudio] | None = None,
) -> str:
    """The comment after a plan failed: what went wrong, for which commit, and no checksum, so
    that merging now applies nothing (apply finds no approved plan). The audio earlier
    previews paid for stays recorded, for the next push to reuse."""
    preview_line, _ = preview.encode(previewed or {})
    markers = [f"<!-- podsync:head {head_sha} -->" if head_sha else "", preview_line]
    tail = "\n".join(line for line in markers if line)
    text = f"{plan_marker(working_directory)}\n{failure_markdown(head_sha, problems)}"
    return f"{text}\n{tail}\n" if tail else text


def failure_markdown(head_sha: str, problems: Sequence[str]) -> str:
    """A failed plan in Markdown, for the comment and the job summary: the problems (each
    FILE:LINE:COL for a manifest) in a code block, so nothing in them is formatted."""
    shown = "\n".join(problems[:FAILURE_LINES])[:FAILURE_CHARS]
    more = len(problems) - min(len(problems), FAILURE_LINES)
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", shown)), default=0) + 1)
    commit = f" for commit `{head_sha[:12]}`" if head_sha else ""
    lines = [
        "## podsync plan",
        "",
        f"**The plan failed{commit}.** Fix the problems below and push again; until a plan "
        "succeeds, merging applies nothing.",
        "",
        fence,
        shown,
        fence,
    ]
    if more:
        lines += ["", f"_{more:,} more: see the annotations of the job._"]
    return "\n".join(lines) + "\n"


def parse(body: str) -> Approved | None:
    """What a plan comment carries; None if it has no checksum (a failed plan's comment)."""
    markers = _markers(body)
    checksum = markers.get("checksum", "")
    if not _CHECKSUM.fullmatch(checksum):
        return None
    return Approved(
        checksum,
        _labels(markers.get("changes")),
        previewed_in(body),
        head_of(body),
    )


def previewed_in(body: str) -> dict[str, CachedAudio]:
    """The audio jobs a plan comment says the pull request's previews paid for."""
    return preview.decode(_markers(body).get("preview", ""))


def head_of(body: str) -> str | None:
    """The head commit a plan comment was made for, if it says."""
    sha = _markers(body).get("head", "")
    return sha if _SHA.fullmatch(sha) else None


def _markers(body: str) -> dict[str, str]:
    """name -> value of the marker lines ending the comment (the first of a name counts)."""
    found: dict[str, str] = {}
    for line in reversed(body.rstrip("\n").split("\n")):
        matched = _MARKER.fullmatch(line.strip())
        if matched is None:
            break
        found[matched.group(1)] = matched.group(2)
    return found


def _labels(encoded: str | None) -> tuple[str, ...] | None:
    if encoded is None:
        return None
    try:
        labels = json.loads(base64.b64decode(encoded, validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        return None
    return tuple(labels)


def find_sticky(
    comments: Sequence[Comment], working_directory: str, author: str = DEFAULT_AUTHOR
) -> Comment | None:
    """The plan comment for this project: the oldest by `author` whose first line is its
    marker. Anyone else's comment is never it, whatever it says."""
    marker = plan_marker(working_directory)
    mine = [
        c
        for c in comments
        if written_by(c, author) and c.body.lstrip().split("\n", 1)[0].strip() == marker
    ]
    return min(mine, key=lambda c: c.id) if mine else None


def post_sticky(
    api: GitHubApi,
    repo: str,
    number: int,
    body: str,
    *,
    working_directory: str,
    has_changes: bool,
    author: str = DEFAULT_AUTHOR,
    head_sha: str = "",
) -> Posted:
    """Update this project's plan comment on `number`, or create it; with no changes and no
    comment yet, post nothing (a pull request that touches no podcast needs no comment).

    A run for an older head commit (a re-run of an old job, or one that finished late) does
    not overwrite a comment made for another commit while the pull request's head is not this
    run's: the comment would go back to a plan nobody should merge."""
    existing = find_sticky(api.list_issue_comments(repo, number), working_directory, author)
    if existing is None:
        if not has_changes:
            return Posted("skipped", None)
        return Posted("created", api.create_issue_comment(repo, number, body))
    if existing.body == body:
        return Posted("unchanged", existing)
    recorded = head_of(existing.body)
    if head_sha and recorded and recorded != head_sha:
        current = api.get_pull(repo, number).head_sha
        if current and current != head_sha:
            return Posted("stale", existing)
    return Posted("updated", api.update_issue_comment(repo, existing.id, body))
