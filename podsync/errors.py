"""The exception tree every user-facing failure goes through.

    PodsyncError                  anything podsync reports to a user
    ├── ManifestError             bad input; carries a list of Problems, each FILE:LINE:COL
    ├── ConfigError               a setting is wrong: an environment variable, an option, a
    │                             folder that is not a project, a quirk or fault spec
    ├── SetupError                the machine will not let podsync work: a file or folder it
    │   │                         cannot write, a port it cannot listen on, a runner without
    │   │                         its environment
    │   └── ProjectBusy           another podsync process holds the apply mutex
    ├── GitError                  git failed, or the repository cannot show what is needed
    │   ├── LockConflict          podsync.lock changed on the branch while this run worked
    │   └── RewrittenHistory      the default branch was force-pushed
    ├── LockError                 podsync.lock unreadable or invalid
    │   └── CorruptLock           its content is not a lock; `podsync lock rebuild` recovers
    ├── ApiError                  the API said no (or never answered); names request and target
    ├── GitHubError               a GitHub request failed (podsync.github.api)
    ├── EditedByOther             someone else edited the action's plan comment
    ├── DocumentChanged           a document is no longer the one checked; nothing uploaded
    ├── ManifestNotEdited         `podsync script` could not add one line without changing more
    ├── PlanError                 the plan cannot be made (e.g. ambiguous adoption)
    ├── StalePlan                 a saved plan no longer describes what apply would do
    │                             (podsync.saved_plan)
    ├── UnsafePlan                the plan is valid but a guard refuses to apply it
    ├── NotReviewed               no approved plan for this push, and one is required
    ├── ReviewMismatch            the plan differs from the one the pull request approved
    ├── UnverifiedAudio           a job set by hand in podsync.lock the account does not vouch for
    └── StateError                the emulator's state.json cannot be read

Each is raised where it happens and turned into a message and an exit code in one place,
podsync.cli.exit_code; nothing below the CLI prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class PodsyncError(Exception):
    """Root of every error podsync reports to a user instead of a traceback."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one input file, 1-based like editors show it."""

    file: str
    line: int
    col: int
    message: str = field(compare=False)

    def __post_init__(self) -> None:
        # Messages quote the user's text (keys, values, file names): a newline or an escape
        # sequence in it must not forge another FILE:LINE:COL line or drive the terminal.
        object.__setattr__(self, "file", _one_line(self.file))
        object.__setattr__(self, "message", _one_line(self.message))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class ManifestError(PodsyncError):
    """Every problem found in the project's input, raised once after collecting them all."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(PodsyncError):
    """A setting podsync was given is wrong: fix it and run again."""


class SetupError(PodsyncError):
    """The machine or the runner does not let podsync do its work (a file it cannot write, a
    port it cannot take, an environment variable the runner should have set)."""


class ProjectBusy(SetupError):
    """Another podsync process holds the project's apply mutex."""


class GitError(PodsyncError):
    """A git command failed, or the checkout cannot show what podsync must check."""


class LockConflict(GitError):
    """podsync.lock changed on the branch while this run worked on its own copy."""


class RewrittenHistory(GitError):
    """The default branch was force-pushed: nothing reviewed covers what it now holds."""


class GitHubError(PodsyncError):
    """A GitHub request failed; `status` is None when it never got an answer."""

    def __init__(self, method: str, path: str, status: int | None, message: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        code = f" -> {status}" if status is not None else ""
        super().__init__(f"GitHub {method} {path}{code}: {message}")


class EditedByOther(PodsyncError):
    """Someone other than the action edited its plan comment after it wrote it."""

    def __init__(self, editor: str) -> None:
        self.editor = editor
        super().__init__(f"the plan comment was last edited by {editor}")


class NotReviewed(PodsyncError):
    """No approved plan was found for this push, and one is required."""


class ReviewMismatch(PodsyncError):
    """The plan now differs from the one the pull request's comment approved."""


class UnverifiedAudio(PodsyncError):
    """A job the merged pull request put in podsync.lock by hand, which the account does not
    vouch for as the episode's audio."""


class StateError(PodsyncError):
    """state.json exists but cannot be read; the emulator refuses to start rather than lose it."""


class LockError(PodsyncError):
    """podsync.lock cannot be read or does not match its schema."""


class CorruptLock(LockError):
    """podsync.lock holds something that is not a lock (truncated, not JSON, wrong shape): the
    case `podsync lock rebuild` exists for, as opposed to, say, a permission problem."""


class PlanError(PodsyncError):
    """The inputs are valid but no safe plan exists (for example an ambiguous adoption)."""


class UnsafePlan(PodsyncError):
    """A guard refuses to apply a plan; the reasons say which flag would allow it."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("refusing to apply:\n" + "\n".join(f"  - {r}" for r in reasons))


class DocumentChanged(PodsyncError):
    """A document's bytes at upload are not the ones validated and hashed: it was edited, or
    swapped (for a symlink out of the project, say), after the plan was made."""


class ManifestNotEdited(PodsyncError):
    """A user's YAML file could not be edited without changing more than the line podsync
    adds (podsync.manifest_edit); it is left as it was, and the message says what to add."""


class ApiError(PodsyncError):
    """A ZenMic request failed; names the request and the show/episode it was for."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        message: str,
        target: str | None = None,
        *,
        outcome_unknown: bool = False,
        unanswered: bool = False,
    ):
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.target = target
        # a request that creates something may have taken effect although it failed
        self.outcome_unknown = outcome_unknown
        # no answer came in time: the server may still be acting on the request
        self.unanswered = unanswered
        where = f" (for {target})" if target else ""
        code = f" -> {status}" if status is not None else ""
        super().__init__(f"{method} {path}{code}{where}: {message}")

    def for_target(self, target: str) -> ApiError:
        """The same failure, labelled with the show/episode it was for."""
        return ApiError(
            self.method,
            self.path,
            self.status,
            self.message,
            target,
            outcome_unknown=self.outcome_unknown,
            unanswered=self.unanswered,
        )
