"""The sticky plan comment: one comment per pull request and project folder, found again by a
hidden marker on its first line and updated on every push, never piled up.

It also carries what apply needs after the merge, in hidden markers: the checksum of the plan a
reviewer approved, and the labels of its changes (base64 JSON), so that a refused apply can say
what differs between the reviewed plan and the one it would run now.

    <!-- podsync:plan dir=<working-directory> -->
    ...the plan as Markdown...
    <!-- podsync:checksum sha256:... -->
    <!-- podsync:changes WyJhZGQgZXBpc29kZSAuLi4iXQ== -->
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import quote

from podsync.github.api import Comment, GitHubApi

# GitHub refuses comments over 65,536 characters; the Markdown body is kept under 60,000 and
# the change labels are left out when they would push the comment past this.
MAX_COMMENT_CHARS = 65_000

_CHECKSUM = re.compile(r"<!-- podsync:checksum (sha256:[0-9a-f]{64}) -->")
_CHANGES = re.compile(r"<!-- podsync:changes ([A-Za-z0-9+/=]*) -->")


@dataclass(frozen=True)
class Approved:
    """What a plan comment recorded: the plan's checksum and, unless too long, its changes."""

    checksum: str
    labels: tuple[str, ...] | None


@dataclass(frozen=True)
class Posted:
    action: Literal["created", "updated", "unchanged", "skipped"]
    comment: Comment | None


def plan_marker(working_directory: str) -> str:
    """The first line of the comment for the project in `working_directory`."""
    return f"<!-- podsync:plan dir={normalize_directory(working_directory)} -->"


def normalize_directory(working_directory: str) -> str:
    """`./shows/`, `shows` and `shows/.` name one project and so one comment; `>` and spaces
    are escaped so the name cannot end the HTML comment it sits in."""
    path = PurePosixPath(working_directory.replace("\\", "/") or ".")
    return quote(str(path), safe="/._-~")


def compose(markdown: str, *, working_directory: str, checksum: str, labels: Sequence[str]) -> str:
    """The whole comment: the marker line, the plan, then the checksum and changes markers."""
    head = plan_marker(working_directory)
    tail = f"<!-- podsync:checksum {checksum} -->"
    text = f"{head}\n{markdown.rstrip()}\n\n{tail}\n"
    encoded = base64.b64encode(json.dumps(list(labels)).encode("utf-8")).decode("ascii")
    changes = f"<!-- podsync:changes {encoded} -->\n"
    return text + changes if len(text) + len(changes) <= MAX_COMMENT_CHARS else text


def parse(body: str) -> Approved | None:
    """The checksum and change labels a plan comment carries; None if it has no checksum."""
    checksum = _CHECKSUM.search(body)
    if checksum is None:
        return None
    return Approved(checksum.group(1), _labels(body))


def _labels(body: str) -> tuple[str, ...] | None:
    found = _CHANGES.search(body)
    if found is None:
        return None
    try:
        labels = json.loads(base64.b64decode(found.group(1), validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        return None
    return tuple(labels)


def find_sticky(comments: Sequence[Comment], working_directory: str) -> Comment | None:
    """The plan comment for this project: the oldest whose first line is its marker, preferring
    one posted by a bot (the action) over a person's comment that happens to start alike."""
    marker = plan_marker(working_directory)
    mine = [c for c in comments if c.body.lstrip().split("\n", 1)[0].strip() == marker]
    by_bots = [c for c in mine if c.author_is_bot]
    candidates = by_bots or mine
    return min(candidates, key=lambda c: c.id) if candidates else None


def post_sticky(
    api: GitHubApi,
    repo: str,
    number: int,
    body: str,
    *,
    working_directory: str,
    has_changes: bool,
) -> Posted:
    """Update this project's plan comment on `number`, or create it; with no changes and no
    comment yet, post nothing (a PR that touches no podcast needs no podsync comment)."""
    existing = find_sticky(api.list_issue_comments(repo, number), working_directory)
    if existing is not None:
        if existing.body == body:
            return Posted("unchanged", existing)
        return Posted("updated", api.update_issue_comment(repo, existing.id, body))
    if not has_changes:
        return Posted("skipped", None)
    return Posted("created", api.create_issue_comment(repo, number, body))
