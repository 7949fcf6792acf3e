"""What a step reports where people look: the plan in Markdown for the job summary (within
GitHub's limit), the step outputs, and the log lines after an apply; split from action.py,
which only calls it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from podsync.github.comment import normalize_directory
from podsync.github.runner import Runner
from podsync.github.step import ActionOptions, Say
from podsync.model import Desired
from podsync.operations import Applied, Planned, audio_pages, outcome_report
from podsync.render.markdown import SUMMARY_LIMIT, render_markdown
from podsync.saved_plan import write_saved_plan

# The job summary gets the whole plan in practice: GitHub allows a step 1 MiB of summary, and
# a plan is cut only past this many characters (and to a quarter of the limit should its
# characters take more than a byte each, keeping room for the apply's table after it).
SUMMARY_CHARS = 900_000


def stand_down(runner: Runner, headline: str, message: str) -> None:
    """Nothing is applied (a later push's run applies, or this push is not one to apply): say
    so where people look, with outputs that change nothing."""
    runner.add_summary(f"## podsync apply\n\n**{headline}** {message}\n")
    runner.set_outputs(
        {
            "has-changes": "false",
            "has-deletes": "false",
            "audio-to-generate": "0",
            "plan-checksum": "",
            "plan-file": "",
        }
    )


def say_outcome(applied: Applied, say: Say) -> None:
    headline, details = outcome_report(applied.outcome)
    say("")
    say(headline)
    for line in details:
        say(line)


def plan_markdown(
    planned: Planned,
    base: Desired | None,
    max_chars: int | None = None,
    *,
    checksum: str,
    scripts: Mapping[tuple[str, str], str] | None = None,
) -> str:
    """The plan in Markdown within `max_chars`; by default for the job summary, whole in
    practice and within GitHub's byte limit whatever the characters."""
    pages = audio_pages(planned.plan, planned.live)

    def markdown(room: int) -> str:
        return render_markdown(
            planned.plan,
            base=base,
            audio_pages=pages,
            max_chars=room,
            checksum=checksum,
            scripts=scripts,
        )

    if max_chars is not None:
        return markdown(max_chars)
    text = markdown(SUMMARY_CHARS)
    if len(text.encode("utf-8")) > SUMMARY_LIMIT * 7 // 8:
        text = markdown(SUMMARY_LIMIT // 4)
    return text


def write_outputs(runner: Runner, planned: Planned, options: ActionOptions, checksum: str) -> None:
    plan = planned.plan
    plan_file = _plan_file(runner, options)
    write_saved_plan(plan_file, planned, options.project, {"no_delete": False})
    runner.set_outputs(
        {
            "has-changes": _flag(plan.has_changes),
            "has-deletes": _flag(plan.has_deletes),
            "audio-to-generate": str(sum(1 for job in plan.audio if job.action == "generate")),
            "plan-checksum": checksum,
            "plan-file": str(plan_file),
        }
    )


def _plan_file(runner: Runner, options: ActionOptions) -> Path:
    """One file per project folder, so two podsync steps in one job do not overwrite each
    other's plan."""
    directory = normalize_directory(options.working_directory)
    suffix = "" if directory == "." else "-" + hashlib.sha256(directory.encode()).hexdigest()[:8]
    runner.temp_dir.mkdir(parents=True, exist_ok=True)
    return runner.temp_dir / f"podsync-plan{suffix}.json"


def _flag(value: bool) -> str:
    return "true" if value else "false"
