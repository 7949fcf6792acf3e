"""The options and result of an action step, shared by action.py and the step helpers
(comment_step, preview_step, lock_step, step_report), which take them without importing
action.py (which imports them)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from podsync.endpoint import API_KEY_ENV, local_mode
from podsync.github.comment import DEFAULT_AUTHOR
from podsync.lock import CachedAudio
from podsync.operations import Settings

Say = Callable[[str], None]
CommentMode = Literal["auto", "true", "false"]
Previewed = Mapping[str, CachedAudio]


@dataclass(frozen=True)
class ActionOptions:
    """The action's inputs, as `podsync action` options."""

    working_directory: str = "."
    comment: CommentMode = "auto"
    allow_destroy: bool = False
    allow_mass_removal: bool = False
    commit_lock: bool = True
    preview: bool = False
    pin_scripts: bool = False
    require_review: bool = True
    comment_author: str = DEFAULT_AUTHOR
    concurrency: int = 8
    lock_timeout: float = 0.0
    poll_interval: float = 2.0
    verify: str = (
        "true"  # after apply: "true" (feeds and audio headers), "audio" (and decode), "false"
    )

    @property
    def project(self) -> Path:
        return Path(self.working_directory or ".")


@dataclass
class StepResult:
    """What the step did, for the exit code: `problems` failed it after it reported."""

    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def has_api_key() -> bool:
    """Whether a live plan is possible: a key, or the embedded emulator (which needs none)."""
    return bool(os.environ.get(API_KEY_ENV, "").strip()) or local_mode()


def operation_settings(options: ActionOptions) -> Settings:
    return Settings(
        concurrency=options.concurrency,
        lock_timeout=options.lock_timeout,
        poll_interval=options.poll_interval,
        allow_destroy=options.allow_destroy,
        allow_mass_removal=options.allow_mass_removal,
    )
