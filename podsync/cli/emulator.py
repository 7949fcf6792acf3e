"""`podsync emulator` (the local ZenMic, with its faults and quirks) and `podsync schema`."""

from __future__ import annotations

from pathlib import Path

import click

from podsync.cli import F, main, reports_errors


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
    from podsync.endpoint import emulator_state_dir

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
