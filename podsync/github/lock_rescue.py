"""When podsync.lock cannot be pushed after an apply, keep it where a person can get it.

The apply has already created episodes and paid for audio; the lock is the only record of which
live episodes and jobs are podsync's. Left in the runner's workspace it is deleted with the
job, and the next run would not know them (it would adopt by title at best, pay again at
worst). So the complete lock goes to the job summary (it holds ids, digests and public audio
URLs, the same as the copy committed to the repository, and never the API key) and to a file
under RUNNER_TEMP, named by the `lock-file` output for a later step (an artifact upload), with
the commands to commit it by hand.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from podsync.errors import SetupError
from podsync.github.runner import Runner, workflow_command
from podsync.github.state_commit import Git

Say = Callable[[str], None]
_FENCE = re.compile(r"`{3,}")
# GitHub drops a step summary over 1 MiB, and the instructions with it: a larger lock is only in
# the file.
MAX_INLINE = 512 * 1024


def keep_lock(
    runner: Runner, lock_path: Path, working_directory: str, branch: str, say: Say
) -> Path:
    """Copy the lock to RUNNER_TEMP, set the `lock-file` output, and put the lock and how to
    commit it in the job summary; returns the copy's path."""
    text = lock_path.read_text(encoding="utf-8")
    copy = runner.temp_dir / f"podsync{_suffix(working_directory)}.lock"
    try:
        runner.temp_dir.mkdir(parents=True, exist_ok=True)
        copy.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SetupError(f"cannot save a copy of podsync.lock to {copy}: {exc.strerror}") from None
    runner.set_outputs({"lock-file": str(copy)})
    in_repo = _repository_path(lock_path)
    runner.add_summary(summary(text, in_repo=in_repo, branch=branch))
    say(
        workflow_command(
            "error",
            f"podsync.lock, which records what this apply created and paid for, was not "
            f"pushed to {branch}. It is saved as {copy} (output lock-file) and shown in full in "
            f"the job summary: commit it to {branch} as {in_repo} before the next apply",
        )
    )
    return copy


def summary(text: str, *, in_repo: str, branch: str) -> str:
    """The job-summary section: what happened, how to commit the lock, and the lock itself."""
    size = len(text.encode("utf-8"))
    return "\n".join(
        [
            "### podsync.lock was not committed",
            "",
            f"This apply changed the ZenMic account, and `podsync.lock` records what it created "
            f"and paid for, but it could not be pushed to `{branch}` (see the error in the log). "
            "Until it is committed, the next run does not know these records. Commit it by "
            "hand, from a clone of the repository:",
            "",
            "```sh",
            f"git switch {branch} && git pull",
            f"# save the file below as {in_repo}, then:",
            f"git add {in_repo}",
            'git commit -m "podsync: record the last apply in podsync.lock"',
            "git push",
            "```",
            "",
            f"If `{in_repo}` changed on `{branch}` after this run started (another apply), do not "
            "overwrite it: merge the two, or run `podsync lock rebuild` there.",
            "",
            *(
                _folded(text, size)
                if size <= MAX_INLINE
                else [f"It is too large to show here ({size} bytes): use the lock-file output.", ""]
            ),
        ]
    )


def _folded(text: str, size: int) -> list[str]:
    longest = max((len(m) for m in _FENCE.findall(text)), default=2)
    fence = "`" * max(3, longest + 1)  # longer than any run of backticks in a title
    return [
        f"<details><summary>podsync.lock ({size} bytes)</summary>",
        "",
        f"{fence}json",
        text.rstrip("\n"),
        fence,
        "",
        "</details>",
        "",
    ]


def _suffix(working_directory: str) -> str:
    """One file per project folder, as for the saved plan."""
    directory = working_directory.strip().strip("/") or "."
    if directory in (".", "./"):
        return ""
    return "-" + hashlib.sha256(directory.encode()).hexdigest()[:8]


def _repository_path(lock_path: Path) -> str:
    """The lock's path in the repository (as `git add` takes it from the root)."""
    git = Git(lock_path.parent)
    prefix = git.call("rev-parse", "--show-prefix")
    if prefix.returncode != 0:
        return str(lock_path)
    return prefix.stdout.strip() + lock_path.name
