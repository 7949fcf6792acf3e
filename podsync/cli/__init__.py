"""The podsync command line: parse options, call podsync.operations, format what it returns,
map errors to exit codes.

Exit codes are decided here and nowhere else: 0 success (or no changes), 1 any error,
2 changes pending (plan --detailed-exitcode only); EXIT_CODES maps each error to its code.

This module holds what every command shares (the `main` group, exit codes, error reporting,
the common options); each command lives in the module named for it, imported at the end so that
importing podsync.cli registers them all on `main`.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from podsync import __version__
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

F = TypeVar("F", bound=Callable[..., Any])

# httpx imports its own command line (httpx._main: rich, pygments and more, some 40 ms of every
# command that talks to the API) whenever rich is installed, as it is beside podsync, which
# never runs it. A module marked missing is one httpx skips (its `httpx.main` then says that
# the command line is not installed); a process that has loaded httpx already keeps it whole.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

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
    from podsync import safe_text  # its patterns are compiled when there is something to say

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

text_or_json_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
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


def _to_stderr(text: str) -> None:
    _say(text, err=True)


# Last, as they use the group and the options above: each command module registers on `main`.
# Each command imports what it needs when it runs: `podsync --help` must not pay for the HTTP
# client, the event loop, the schema checker and the templates.
from podsync.cli import action, apply, emulator, lock, plan, project, verify  # noqa: E402, F401
