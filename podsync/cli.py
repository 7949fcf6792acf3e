"""The podsync command line: parse options, call podsync.operations, format what it returns,
map errors to exit codes.

Exit codes are decided here and nowhere else: 0 success (or no changes), 1 any error,
2 changes pending (plan --detailed-exitcode only); EXIT_CODES maps each error to its code.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from podsync import __version__, safe_text
from podsync.endpoint import emulator_state_dir
from podsync.errors import (
    ApiError,
    ConfigError,
    DocumentChanged,
    EditedByOther,
    GitError,
    GitHubError,
    LockError,
    ManifestError,
    ManifestNotEdited,
    NotReviewed,
    PlanError,
    PodsyncError,
    ReviewMismatch,
    SetupError,
    StalePlan,
    StateError,
    UnsafePlan,
    UnverifiedAudio,
)
from podsync.render import FORMATS

# Each command imports what it needs when it runs: `podsync --help` must not pay for the HTTP
# client, the event loop, the schema checker and the templates.
if TYPE_CHECKING:
    from podsync.executor import Outcome
    from podsync.listen import Listen
    from podsync.model import Desired
    from podsync.operations import Hooks, Inputs, Planned, Settings

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 1
EXIT_CHANGES = 2  # plan --detailed-exitcode: changes pending
# Every error exits 1 today; each kind is listed so that giving one its own code is one line.
EXIT_CODES: dict[type[PodsyncError], int] = {
    ManifestError: EXIT_ERROR,
    ConfigError: EXIT_ERROR,
    SetupError: EXIT_ERROR,
    GitError: EXIT_ERROR,
    LockError: EXIT_ERROR,
    ApiError: EXIT_ERROR,
    DocumentChanged: EXIT_ERROR,
    ManifestNotEdited: EXIT_ERROR,
    PlanError: EXIT_ERROR,
    StalePlan: EXIT_ERROR,
    UnsafePlan: EXIT_ERROR,
    GitHubError: EXIT_ERROR,
    EditedByOther: EXIT_ERROR,
    NotReviewed: EXIT_ERROR,
    ReviewMismatch: EXIT_ERROR,
    UnverifiedAudio: EXIT_ERROR,
    StateError: EXIT_ERROR,
    PodsyncError: EXIT_ERROR,
}


def exit_code(error: PodsyncError) -> int:
    """The code of the nearest kind of `error` in EXIT_CODES."""
    for kind in type(error).__mro__:
        if kind in EXIT_CODES:
            return EXIT_CODES[kind]
    return EXIT_ERROR


project_argument = click.argument(
    "project",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)


def reports_errors(func: F, clean: Callable[[str], str] = str, annotate: bool = True) -> F:
    """Turn every PodsyncError into its message and exit code 1: users never see tracebacks
    for their own mistakes or the API's refusals. `clean` makes the text safe where it goes
    (the Actions runner's log, for `podsync action`). Inside GitHub Actions, errors are also
    annotations, manifest problems on their file and line (`annotate`: unless the command
    makes its own)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ManifestError as exc:
            for problem in exc.problems:
                _say(str(problem), err=True, clean=clean)
            if annotate and os.environ.get("GITHUB_ACTIONS") == "true":
                _annotate(exc)
            count = len(exc.problems)
            click.echo(
                f"{count} problem{'s' if count != 1 else ''} found; nothing was sent.", err=True
            )
            sys.exit(exit_code(exc))
        except PodsyncError as exc:
            _say(f"Error: {exc}", err=True, clean=clean)
            if annotate and os.environ.get("GITHUB_ACTIONS") == "true":
                _annotate(exc)
            sys.exit(exit_code(exc))
        except KeyboardInterrupt:
            click.echo("\nInterrupted. Run `podsync plan` to see where things stand.", err=True)
            sys.exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


def _annotate(error: PodsyncError) -> None:
    """The error as workflow commands, escaped as the runner decodes them: each manifest
    problem as `::error file=,line=,col=::`, which GitHub shows on its diff line (as yamllint's
    github format does), anything else as one `::error::`."""
    from podsync.github.runner import error_annotations

    for line in error_annotations(error):
        click.echo(line, err=True)


def _say(text: str, err: bool = False, clean: Callable[[str], str] = str) -> None:
    """Echo a message that may carry the API's words (an error, a title): control and bidi
    characters are shown as escapes, so they cannot move the cursor or reorder the line;
    `clean` then fits it to where it goes (the Actions runner's log)."""
    click.echo(clean(safe_text.message(text)), err=err)


def use_color(choice: str) -> bool:
    """--color auto: only on a terminal, and never with NO_COLOR set (an empty value is unset)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


concurrency_option = click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Requests (and, for apply, audio jobs) in flight at once.",
)

lock_timeout_option = click.option(
    "--lock-timeout",
    type=click.FloatRange(0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="Wait this long for another apply on the project to finish (0: stop at once).",
)

no_delete_option = click.option(
    "--no-delete",
    is_flag=True,
    help="Leave out everything that removes something live: episode removals, replaces "
    "(a replace removes the old version of the live episode) and show deletions.",
)

regenerate_option = click.option(
    "--regenerate",
    "regenerate",
    multiple=True,
    metavar="SHOW/EPISODE",
    help="Pay for a new audio job for this episode although its source did not change, and "
    "re-publish it with it (repeatable). The old job stays in podsync.lock's history.",
)

color_option = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text output.",
)


class PodsyncGroup(click.Group):
    """click exits 2 on a usage error, but 2 means "changes pending" here; make it 1."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_ERROR)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(EXIT_ERROR)


@click.group(cls=PodsyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="podsync")
def main() -> None:
    """Podcasts as code: keep shows and episodes as YAML, plan and apply them on ZenMic.

    \b
    Environment:
      ZENMIC_API_KEY   your ZenMic API key (never printed or written anywhere)
      ZENMIC_API_URL   default https://zenmic.com/api/v2; "local" runs the
                       embedded emulator with its state in PROJECT/.podsync/
      ZENMIC_EMULATOR_QUIRKS  legal ways the local emulator differs from its
                       defaults, e.g. delete_no_content=true
      ZENMIC_EMULATOR_FAULTS  faults the local emulator injects, e.g.
                       "throttle=0.1,unavailable=0.1,drop=0.02,seed=7"
                       (names as podsync emulator --fault-*)
      NO_COLOR         turn colour off

    \b
    Exit codes: 0 success or no changes, 1 error,
                2 changes pending (plan --detailed-exitcode).
    """


@main.command(short_help="Check the manifests; no API call.")
@project_argument
@reports_errors
def validate(project: Path) -> None:
    """Check the manifests in PROJECT (default: the current folder); no API call."""
    from podsync.inputs import load_inputs
    from podsync.plan import counted

    inputs = load_inputs(project)
    shows = len(inputs.desired.shows)
    episodes = sum(len(s.episodes) for s in inputs.desired.shows)
    click.echo(f"{counted(shows, 'show')}, {counted(episodes, 'episode')}: valid.")


@main.command(short_help="Show what apply would change.")
@project_argument
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes, 0 when none (1 is still an error).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Also save the plan to this file, for `podsync apply FILE` to apply exactly it.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Let --out replace an existing file that is not a saved plan (never the lock or a "
    "manifest).",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Compare the manifests with podsync.lock only: no API key needed, no request sent "
    "(a pull request from a fork). Changes made in the account outside podsync are not seen, "
    "and the plan cannot be applied.",
)
@click.option(
    "--base-ref",
    metavar="REF",
    default=None,
    help="Compare with the manifests at this git commit or ref (a pull request's base, or "
    "HEAD) to show the changed dialogue lines (text and Markdown) and what a title was "
    "(Markdown).",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Text: also show the warnings a plan leaves out by default (acknowledged in "
    "podsync.yaml, a feed order this plan does not change).",
)
@concurrency_option
@no_delete_option
@regenerate_option
@color_option
@reports_errors
def plan(
    project: Path,
    fmt: str,
    detailed_exitcode: bool,
    out: Path | None,
    force: bool,
    offline: bool,
    base_ref: str | None,
    concurrency: int,
    no_delete: bool,
    regenerate: tuple[str, ...],
    color: str,
    verbose: bool,
) -> None:
    """Show what apply would change in the ZenMic account for PROJECT (default: .)."""
    from podsync import operations
    from podsync.operations import load_inputs
    from podsync.plan_file import plan_checksum
    from podsync.regenerate import regenerate_names
    from podsync.render import render
    from podsync.saved_plan import check_plan_target, write_saved_plan

    inputs = load_inputs(project)
    again = regenerate_names(inputs.desired, regenerate)
    if out is not None:
        check_plan_target(out, project, inputs.desired, force=force)
    if offline:
        planned = operations.plan_offline(inputs, no_delete=no_delete, regenerate=again)
    else:
        planned = operations.plan(
            project, inputs, concurrency=concurrency, no_delete=no_delete, regenerate=again
        )
    colored = use_color(color)
    base = _base(project, base_ref) if base_ref else None
    document = render(planned.plan, fmt, color=colored, base=base, verbose=verbose)
    click.echo(document, nl=False, color=colored)
    if out is not None:
        options = {"no_delete": no_delete, "regenerate": sorted(again)}
        write_saved_plan(out, planned, project, options)
        checksum = plan_checksum(planned.plan)
        click.echo(
            f"\nSaved the offline plan to {out} (checksum {checksum}). It did not read the "
            "account, so it cannot be applied."
            if offline
            else f"\nSaved the plan to {out} (checksum {checksum}).\n"
            f"To apply exactly this plan: podsync apply {out}",
            err=True,
        )
    if detailed_exitcode and planned.plan.has_changes:
        sys.exit(EXIT_CHANGES)


def _base(project: Path, ref: str) -> Desired | None:
    """The manifests at `ref`, or None with a note: a missing base only costs the diffs."""
    from podsync.git_history import load_base

    base = load_base(project, ref)
    if base is None:
        click.echo(
            f"Note: could not read the manifests at {ref!r} (not a git repository, an unknown "
            "ref, or the project was not there or did not validate); the plan shows no "
            "dialogue diffs.",
            err=True,
        )
    return base


@main.command(short_help="Make the ZenMic account match the manifests.")
@click.argument(
    "target", default=".", type=click.Path(exists=True, path_type=Path), metavar="[PROJECT|PLAN]"
)
@click.option(
    "--project",
    "project_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="With a saved PLAN: the project folder [default: the one the plan was made in].",
)
@click.option(
    "--auto-approve", is_flag=True, help="Apply without asking (required without a terminal)."
)
@click.option(
    "--allow-destroy", is_flag=True, help="Allow deleting shows whose manifest was removed."
)
@click.option(
    "--allow-mass-removal",
    is_flag=True,
    help="Allow removing or re-publishing more than the safety share of a show's episodes "
    "(podsync.yaml safety.max_removal_share, default 30%) in one run.",
)
@no_delete_option
@regenerate_option
@click.option(
    "--verify",
    "verify_after",
    is_flag=True,
    help="Then run `podsync verify`: check each show's feed and audio as listeners get them.",
)
@click.option(
    "--preview",
    is_flag=True,
    help="Only generate the audio of new and changed episodes, to listen to before "
    "publishing: record the jobs in podsync.lock and print each episode's audio page; change "
    "no show or episode. The apply that follows reuses the audio and pays nothing twice.",
)
@concurrency_option
@lock_timeout_option
@click.option("--poll-interval", type=click.FloatRange(0.01), default=2.0, hidden=True)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print only the closing table: no plan (unless apply asks first), no progress.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: stdout is one JSON document, the plan and how the apply ended; progress and "
    "the closing table go to stderr. Needs --auto-approve or a saved plan.",
)
@color_option
@reports_errors
def apply(
    target: Path,
    project_dir: Path | None,
    auto_approve: bool,
    allow_destroy: bool,
    allow_mass_removal: bool,
    no_delete: bool,
    verify_after: bool,
    regenerate: tuple[str, ...],
    preview: bool,
    concurrency: int,
    lock_timeout: float,
    poll_interval: float,
    quiet: bool,
    fmt: str,
    color: str,
) -> None:
    """Make the ZenMic account match the manifests in PROJECT (default: the current folder).

    Given a PLAN file saved by `podsync plan --out`, apply exactly that plan, without asking
    again (it was reviewed when saved); if the manifests, podsync.lock or the live account
    changed since, refuse it as stale.
    """
    from podsync import operations
    from podsync.operations import Hooks, Settings, load_inputs
    from podsync.regenerate import regenerate_names
    from podsync.render import render
    from podsync.render.json import render_apply_json
    from podsync.render.progress import progress_display
    from podsync.saved_plan import check_applicable, check_fresh, read_saved_plan

    saved = read_saved_plan(target) if target.is_file() else None
    if saved is None and project_dir is not None:
        raise click.UsageError("--project goes with a saved plan file, not a project folder")
    if saved is not None and preview:
        raise click.UsageError("--preview goes with a project folder, not a saved plan file")
    if fmt == "json" and preview:
        raise click.UsageError("--format json goes with apply, not --preview")
    if fmt == "json" and not auto_approve and saved is None:
        raise click.UsageError("--format json needs --auto-approve (or a saved plan): no prompt")
    if preview and verify_after:
        raise click.UsageError("--verify goes with an apply that publishes, not --preview")
    if fmt == "json" and verify_after:
        raise click.UsageError("--verify goes with text output: run podsync verify --format json")
    if saved is not None:
        check_applicable(saved, target)
    project = project_dir or (saved.project_dir(target) if saved is not None else target)
    if saved is not None:  # a saved plan is applied as it was planned
        if no_delete and not saved.options.get("no_delete"):
            raise click.UsageError("this plan was saved without --no-delete; plan again with it")
        no_delete = bool(saved.options.get("no_delete"))
        asked = tuple(saved.options.get("regenerate", ()))
        if regenerate and sorted(set(regenerate)) != sorted(asked):
            raise click.UsageError(
                "this plan was saved with other --regenerate names; plan again with them"
            )
        regenerate = asked
    inputs = load_inputs(project)
    again = regenerate_names(inputs.desired, regenerate)
    approved = auto_approve or saved is not None
    if not approved and not sys.stdin.isatty():
        raise ConfigError("apply asks for confirmation; without a terminal pass --auto-approve")
    colored = use_color(color)
    settings = Settings(
        concurrency=concurrency,
        lock_timeout=lock_timeout,
        poll_interval=poll_interval,
        no_delete=no_delete,
        regenerate=again,
        allow_destroy=allow_destroy,
        allow_mass_removal=allow_mass_removal,
    )

    # --quiet and --format json keep stdout for the closing table or the JSON document
    brief = (quiet or fmt == "json") and approved

    def shown(planned: Planned) -> None:
        if saved is not None:  # refused before printing: a stale plan must not look approved
            check_fresh(saved, planned)
        if not brief:
            click.echo(render(planned.plan, "text", color=colored), nl=False, color=colored)

    display = progress_display(quiet=quiet, write=_to_stderr, color=color)
    hooks = Hooks(
        on_wait=_to_stderr,
        report=display.report,
        shown=shown,
        approve=_confirm(approved, blank=not brief),
        progress=display,
    )
    if preview:
        _preview(project, inputs, settings, hooks, approved)
        return
    result = operations.apply(project, inputs, settings, hooks)
    if not result.approved:
        click.echo("Apply cancelled; nothing was changed.")
        sys.exit(EXIT_ERROR)
    if fmt == "json":
        click.echo(render_apply_json(result.planned.plan, result.outcome), nl=False)
    if result.applied is not None:
        if fmt != "json" and not quiet:
            _say_listen(result.listen)
        _report_outcome(result.applied.outcome, to_stderr=fmt == "json")
        result.applied.raise_if_stopped()  # the run stopped (a lock it cannot write)
        if not result.applied.outcome.ok:
            sys.exit(EXIT_ERROR)
    if verify_after:
        click.echo("")
        _run_verify(project, audio=True, fmt="text", concurrency=concurrency)


def _confirm(approved: bool, blank: bool = True) -> Callable[[Planned], bool]:
    def approve(planned: Planned) -> bool:
        if not approved and not click.confirm("\nApply these changes?", default=False):
            return False
        if blank:
            click.echo("")
        return True

    return approve


def _preview(
    project: Path, inputs: Inputs, settings: Settings, hooks: Hooks, approved: bool
) -> None:
    """apply --preview: make the audio of the episodes the plan publishes with new audio,
    after asking (new jobs are paid for) unless approved, then list where to listen."""
    from podsync import operations
    from podsync.executor import publishing_new_audio
    from podsync.plan import counted

    def approve(planned: Planned) -> bool:
        episodes = publishing_new_audio(planned.plan)
        digests = {c.digest for c in episodes}
        paid = sum(1 for j in planned.plan.audio if j.action == "generate" and j.digest in digests)
        if not episodes:
            click.echo("\nNothing to preview: no episode is added or replaced with new audio.")
            return False
        click.echo(
            f"\nPreview: {counted(paid, 'new audio job')} to pay for, for "
            f"{counted(len(episodes), 'episode')}; no show or episode is published or changed."
        )
        if paid and not approved and not click.confirm("Generate this audio?", default=False):
            click.echo("Preview cancelled; nothing was changed.")
            sys.exit(EXIT_ERROR)
        click.echo("")
        return True

    result = operations.preview(project, inputs, settings, replace(hooks, approve=approve))
    if result.ran:
        _say_listen(result.listen, preview=True)
    _report_outcome(result.outcome, "Preview", "podsync apply --preview")
    if not result.outcome.ok:
        sys.exit(EXIT_ERROR)


def _report_outcome(
    outcome: Outcome, what: str = "Apply", again: str = "podsync apply", to_stderr: bool = False
) -> None:
    """The closing table: the counts, then (after a failure or Ctrl-C) where to pick up."""
    from podsync.operations import outcome_report

    headline, details = outcome_report(outcome, what, again)
    click.echo("", err=to_stderr)
    _say(headline, err=to_stderr)
    for line in details:
        _say(line, err=True)


def _say_listen(listen: Listen, *, preview: bool = False) -> None:
    """Where to hear what was published (or previewed): feeds and audio pages, or files."""
    from podsync.render.listen import listen_lines

    for n, line in enumerate(listen_lines(listen, preview=preview)):
        _say(("\n" if n == 0 else "") + line)


def _to_stderr(text: str) -> None:
    _say(text, err=True)


@main.command(short_help="Write and pin the scripts of topic and document episodes.")
@click.argument("targets", nargs=-1, metavar="[DIR] [SHOW[/EPISODE]]...")
@click.option("--force", is_flag=True, help="Write fresh scripts again too (one new request each).")
@click.option(
    "--accept",
    is_flag=True,
    help="Keep the named stale scripts as they are: record the manifest's topic, document "
    "and length as what they were written from, without a request.",
)
@reports_errors
def script(targets: tuple[str, ...], force: bool, accept: bool) -> None:
    """Write the words of topic and document episodes (POST /scripts, free) into
    scripts/SHOW/EPISODE.yaml and pin them with `script:` in the manifest: apply then makes
    the audio from that dialogue, which you may edit and a reviewer reads. Without names, every
    topic and document episode whose script is missing or stale; a fresh one is kept."""
    from podsync.operations.scripts import project_and_names, write_scripts
    from podsync.render.scripts import cost_line, event_line

    if accept and force:
        raise click.UsageError("--accept keeps scripts as they are; --force writes them again")
    project, names = project_and_names(targets)
    if accept and not names:
        raise click.UsageError("--accept needs the episodes to accept: SHOW/EPISODE")
    result = write_scripts(
        project, names, force=force, accept=accept, report=lambda e: _say(event_line(e))
    )
    click.echo(cost_line(result))


@main.command(short_help="List the managed shows and the account's others; read-only.")
@project_argument
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@concurrency_option
@reports_errors
def status(project: Path, fmt: str, concurrency: int) -> None:
    """List the shows PROJECT's podsync.lock manages (default: .), with their live ids, feed
    URLs and episode counts, when the lock was last written, and the account's shows the
    project does not manage. Only reads: no manifest needed, GET requests only."""
    from podsync.render.status import render_status
    from podsync.status import project_status

    _say(render_status(project_status(project, concurrency=concurrency), fmt).rstrip("\n"))


@main.command(short_help="Check each show's feed and audio as listeners get them.")
@project_argument
@click.option(
    "--no-audio",
    is_flag=True,
    help="Check the feeds and that each audio file answers, without downloading and decoding it.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@concurrency_option
@reports_errors
def verify(project: Path, no_audio: bool, fmt: str, concurrency: int) -> None:
    """Read each managed show's feed in PROJECT (default: the current folder) as a podcast app
    would and check every episode of the manifests: listed once, with its title, newest first,
    its audio reachable and (unless --no-audio) a decodable MP3 of about the length asked.
    Exits 1 on any mismatch, naming the URL that disagreed."""
    _run_verify(project, audio=not no_audio, fmt=fmt, concurrency=concurrency)


def _run_verify(project: Path, *, audio: bool, fmt: str, concurrency: int) -> None:
    from podsync.render.verify import render_verify
    from podsync.verify import verify as verify_project

    result = verify_project(project, audio=audio, concurrency=concurrency)
    click.echo(render_verify(result, fmt), nl=False)
    if not result.ok:
        sys.exit(EXIT_ERROR)


@main.group("lock", short_help="Repair podsync.lock.")
def lock_group() -> None:
    """Repair podsync.lock, podsync's record of what it created and paid for."""


@lock_group.command("rebuild", short_help="Rebuild podsync.lock from the live account.")
@project_argument
@click.option("--force", is_flag=True, help="Replace a lock that reads fine too.")
@concurrency_option
@lock_timeout_option
@reports_errors
def lock_rebuild(project: Path, force: bool, concurrency: int, lock_timeout: float) -> None:
    """Rebuild PROJECT's podsync.lock (default: .) from the live account when it is corrupt
    or lost: adopt the live shows and episodes that match the manifests, change nothing live.

    The old file is kept beside it as podsync.lock.corrupt-<time>.
    """
    from podsync import operations
    from podsync.lock_rebuild import summary
    from podsync.operations import Hooks, Settings

    settings = Settings(concurrency=concurrency, lock_timeout=lock_timeout)
    result = operations.rebuild_lock(project, settings, Hooks(on_wait=_to_stderr), force=force)
    for line in summary(result.rebuilt, result.path, result.kept):
        _say(line)


@main.command(short_help="Start a new project.")
@click.argument(
    "directory", default=".", type=click.Path(file_okay=False, path_type=Path), metavar="[DIR]"
)
@click.option(
    "--show", metavar="KEY", default=None, help="The first show's key [default: from DIR's name]."
)
@click.option("--github", is_flag=True, help="Also write .github/workflows/podsync.yml.")
@reports_errors
def init(directory: Path, show: str | None, github: bool) -> None:
    """Write a new project in DIR (default: the current folder, created if missing):
    podsync.yaml, a show with one episode of each source kind, .gitignore, the JSON Schemas
    for editors, and with --github the workflow. Never overwrites a file."""
    from podsync.init_project import create_project

    for line in create_project(directory, show, github=github):
        click.echo(line)


@main.command("import", short_help="Write manifests for live shows podsync does not manage.")
@click.argument("project", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--show",
    "show_ids",
    multiple=True,
    metavar="SHOW_ID",
    help="Import this live show (repeatable); default: every live show not managed yet.",
)
@concurrency_option
@lock_timeout_option
@reports_errors
def import_command(
    project: Path, show_ids: tuple[str, ...], concurrency: int, lock_timeout: float
) -> None:
    """Bring live shows (made in ZenMic's web page, say) under podsync in PROJECT (default: .):
    one new manifest per show in shows/, each episode publishing the audio it already has
    (source: {audio: <mic_id>}), and all of it recorded in podsync.lock, so the next plan
    says No changes. Never overwrites a file: a taken name gets a -2 suffix.

    Exits 1 when a show's manifest could not be written; an episode whose audio is unknown
    is reported and left out (it stays live, unmanaged).
    """
    from podsync.operations.importing import import_shows, import_summary

    result = import_shows(
        project,
        show_ids,
        concurrency=concurrency,
        lock_timeout=lock_timeout,
        on_wait=_to_stderr,
    )
    for line in import_summary(result):
        _say(line)
    if result.not_written:
        sys.exit(EXIT_ERROR)


@main.command(short_help="Print one of podsync's JSON Schemas.")
@click.argument(
    "name",
    type=click.Choice(["manifest", "project", "lock", "plan", "script"]),
    default="manifest",
)
def schema(name: str) -> None:
    """Print the JSON Schema NAME (default: manifest). For editor completion:

    \b
      podsync schema > manifest.schema.json
    and in each show file:
      # yaml-language-server: $schema=../manifest.schema.json
    """
    from podsync.schema import SCHEMA_DIR

    click.echo((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"), nl=False)


_FAULT_HELP = {
    "throttle": "Share of API requests answered 429 with Retry-After, before any effect.",
    "unavailable": "Share of API requests answered 503 with Retry-After, before any effect.",
    "ambiguous": "Share of API requests answered 500 after the effect happened.",
    "drop": "Share of API requests whose connection drops before any effect.",
    "drop-after": "Share of API requests whose connection drops after the effect.",
    "job-failure": "Share of audio jobs that end failed.",
}


def _fault_options(func: F) -> F:
    """The --fault-* options of `podsync emulator`; each lands in ``fault_<name>``."""
    func = click.option(
        "--fault-latency",
        type=click.FloatRange(0),
        default=0.0,
        metavar="SECONDS",
        help="Delay added to every API request.",
    )(func)
    for name, text in reversed(_FAULT_HELP.items()):
        func = click.option(
            f"--fault-{name}", type=click.FloatRange(0, 1), default=0.0, metavar="SHARE", help=text
        )(func)
    return func


@main.command(short_help="Run a local ZenMic-compatible API server.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=int, default=8765, show_default=True, help="Port to listen on (0: any free)."
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the emulator keeps its state [default: ./.podsync/emulator].",
)
@click.option(
    "--job-seconds",
    type=click.FloatRange(0),
    default=3.0,
    show_default=True,
    help="How long each audio job takes.",
)
@click.option(
    "--public-url",
    default=None,
    metavar="URL",
    help="Root of the links it gives out (audio, audio pages, feeds) when clients reach it "
    "at another address [default: the address it listens on].",
)
@_fault_options
@click.option(
    "--fault-seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the fault decisions: the same requests get the same faults.",
)
@click.option(
    "--quirk",
    "quirk_specs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Behave in a legal way a real server may differ from the emulator, e.g. "
    "delete_no_content=true (repeatable; names in podsync/emulator/quirks.py).",
)
@reports_errors
def emulator(
    host: str,
    port: int,
    state_dir: Path | None,
    job_seconds: float,
    public_url: str | None,
    fault_seed: int,
    quirk_specs: tuple[str, ...],
    **fault_settings: float,
) -> None:
    """Run a local ZenMic-compatible API server.

    Point ZENMIC_API_URL at the URL it prints. Run it from your project folder to share
    state with ZENMIC_API_URL=local. The --fault-* options make a share of API requests
    fail the ways a real API and network do, to see podsync recover.
    """
    from podsync.emulator import Faults, Quirks, serve_forever

    settings = {name.removeprefix("fault_"): value for name, value in fault_settings.items()}
    faults = Faults(**settings, seed=fault_seed)  # type: ignore[arg-type]
    quirks = Quirks.parse(",".join(quirk_specs))
    directory = state_dir or emulator_state_dir(Path("."))

    def ready(url: str) -> None:
        click.echo(f"ZenMic emulator on {url} (state in {directory})")
        click.echo(f"Point podsync at it: ZENMIC_API_URL={url} (any API key is accepted).")
        if faults.active:
            click.echo(f"Injecting faults: {faults.describe()}")
        if quirks.active:
            click.echo(f"Quirks: {quirks.describe()}")
        click.echo(f"Audio is written to {directory / 'audio'}, feeds to {directory / 'feeds'}.")
        click.echo("Ctrl-C stops it.")

    serve_forever(
        directory,
        host=host,
        port=port,
        job_seconds=job_seconds,
        api_key=None,
        public_url=public_url,
        faults=faults,
        quirks=quirks,
        on_ready=ready,
    )


@main.group("action", short_help="For the GitHub Action: plan on pull requests, apply on merge.")
def action_group() -> None:
    """For the GitHub Action (action.yml): run inside a GitHub Actions job.

    \b
    plan   on a pull request: the plan as one sticky PR comment and the job
           summary, with its checksum; without ZENMIC_API_KEY (a fork), from
           podsync.lock alone
    apply  on a push to the default branch: apply only the plan approved on
           the merged pull request (same checksum, once, in a comment nobody
           but the bot edited), then commit podsync.lock; any other ref stands
           down, a forced push is refused

    Every option also reads an environment variable (PODSYNC_*), which is how
    the action passes its inputs. It reads GITHUB_EVENT_NAME, GITHUB_EVENT_PATH,
    GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_REF, GITHUB_TOKEN, GITHUB_API_URL,
    GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP from the runner.
    """


def _action_options(func: F) -> F:
    """The action's inputs, each also read from a PODSYNC_* variable."""
    options = [
        click.option(
            "--working-directory",
            envvar="PODSYNC_WORKING_DIRECTORY",
            default=".",
            show_default=True,
            help="The podsync project folder, relative to the workspace.",
        ),
        click.option(
            "--comment",
            envvar="PODSYNC_COMMENT",
            type=click.Choice(["auto", "true", "false"], case_sensitive=False),
            default="auto",
            show_default=True,
            help="Post the plan as a sticky PR comment (auto: on pull requests).",
        ),
        click.option(
            "--allow-destroy",
            envvar="PODSYNC_ALLOW_DESTROY",
            type=click.BOOL,
            default=False,
            show_default=True,
            help="apply: allow deleting shows whose manifest was removed.",
        ),
        click.option(
            "--allow-mass-removal",
            envvar="PODSYNC_ALLOW_MASS_REMOVAL",
            type=click.BOOL,
            default=False,
            show_default=True,
            help="apply: allow removing more than the safety share of a show's episodes.",
        ),
        click.option(
            "--commit-lock",
            envvar="PODSYNC_COMMIT_LOCK",
            type=click.BOOL,
            default=True,
            show_default=True,
            help="apply: commit and push podsync.lock to the branch afterwards.",
        ),
        click.option(
            "--preview",
            envvar="PODSYNC_PREVIEW",
            type=click.BOOL,
            default=False,
            show_default=True,
            help="plan: generate the audio of new and changed episodes for review, without "
            "publishing, and link it in the comment.",
        ),
        click.option(
            "--pin-scripts",
            envvar="PODSYNC_PIN_SCRIPTS",
            type=click.BOOL,
            default=False,
            show_default=True,
            help="plan: write the scripts of new and changed topic and document episodes "
            "(POST /scripts) and commit them to the pull request's branch for review.",
        ),
        click.option(
            "--comment-author",
            envvar="PODSYNC_COMMENT_AUTHOR",
            default="github-actions[bot]",
            show_default=True,
            help="The login that posts the plan comments (another bot's, or a person's with a "
            "personal token): only its comments are updated, and read as the approved plan.",
        ),
        click.option(
            "--require-review",
            envvar="PODSYNC_REQUIRE_REVIEW",
            type=click.BOOL,
            default=True,
            show_default=True,
            help="apply: only apply the plan approved on the merged pull request.",
        ),
        click.option(
            "--verify",
            envvar="PODSYNC_VERIFY",
            type=click.Choice(["true", "audio", "false"], case_sensitive=False),
            default="true",
            show_default=True,
            help="apply: then check each feed and each episode's audio as listeners get it "
            "(audio: also download and decode every MP3; false: skip).",
        ),
        concurrency_option,
        lock_timeout_option,
        click.option("--poll-interval", type=click.FloatRange(0.01), default=2.0, hidden=True),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _reports_errors_in_log(func: F) -> F:
    """reports_errors for the runner's log, where user text must not read as a command."""
    from podsync.github.log_safety import log_safe

    return reports_errors(func, log_safe, annotate=False)  # _run_action annotates


@action_group.command("plan", short_help="Plan, comment on the pull request, write outputs.")
@_action_options
@_reports_errors_in_log
def action_plan(**options: Any) -> None:
    """Plan the project in --working-directory for the pull request that started this job:
    the plan goes to a sticky PR comment and to the job summary, its checksum and counts to
    the step outputs."""
    from podsync.github.action import run_plan

    _run_action(run_plan, options)


@action_group.command("apply", short_help="Apply the reviewed plan, commit podsync.lock.")
@_action_options
@_reports_errors_in_log
def action_apply(**options: Any) -> None:
    """Apply the plan approved on the pull request this push merged, only if the plan is still
    exactly that one (same checksum), then commit and push podsync.lock."""
    from podsync.github.action import run_apply

    _run_action(run_apply, options)


def _run_action(step: Callable[..., Any], options: dict[str, Any]) -> None:
    from podsync.github.action import ActionOptions
    from podsync.github.log_safety import safe_say
    from podsync.github.runner import Runner, error_annotations, workflow_command

    lowered = {name: options[name].lower() for name in ("comment", "verify")}
    settings = ActionOptions(**{**options, **lowered})
    try:
        result = step(settings, Runner.from_env(os.environ), safe_say(click.echo))
    except PodsyncError as exc:
        for line in error_annotations(exc):
            click.echo(line)
        raise
    for problem in result.problems:
        click.echo(workflow_command("error", problem))
    if not result.ok:
        sys.exit(EXIT_ERROR)
