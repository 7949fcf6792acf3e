"""`podsync script`: write the words of topic and document episodes with POST /scripts and pin
them in the project (podsync.script_pins), or accept stale pins as they are.

Scripts are free and audio is not: this writes files and asks for scripts, never for audio;
the apply that follows pays for the audio of the pinned dialogue. A fresh pin is kept (no
request) unless `force`; a stale one is written again, or with `accept` kept as it is by
refreshing its `generated_from` without a request. Each script is written, and pinned in its
manifest, as soon as it arrives, so a failure half-way leaves whole pins behind it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from podsync.client import ZenMicClient
from podsync.endpoint import api_endpoint
from podsync.errors import ApiError, ConfigError
from podsync.manifest_edit import add_script_entry, set_generated_from
from podsync.model import Desired, Episode, Show
from podsync.operations.steps import load_desired
from podsync.script_pins import generated_from, script_path, script_text, write_atomically

Action = Literal["written", "rewritten", "kept", "accepted", "fresh"]


@dataclass(frozen=True)
class ScriptEvent:
    """What happened to one episode's script; `pinned_in` names the manifest that got its
    `script:` line, `stale` what had changed for a pin written again or accepted."""

    show: str
    episode: str
    action: Action
    file: str  # relative to the project
    lines: int = 0
    pinned_in: str | None = None
    stale: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScriptResult:
    events: tuple[ScriptEvent, ...]
    requests: int  # POST /scripts sent


@dataclass(frozen=True)
class _Job:
    show: Show
    episode: Episode
    target: Path


def write_scripts(
    project: Path,
    names: Sequence[str],
    *,
    force: bool = False,
    accept: bool = False,
    report: Callable[[ScriptEvent], None] | None = None,
) -> ScriptResult:
    """Pin the scripts of the episodes `names` picks (SHOW or SHOW/EPISODE; none: every topic
    and document episode). Raises ConfigError for a name that picks nothing it could script,
    before any request or file is written."""
    root = project.resolve()
    desired = load_desired(project)
    picked = _select(desired, names)
    events: list[ScriptEvent] = []

    def done(event: ScriptEvent) -> None:
        events.append(event)
        if report is not None:
            report(event)

    jobs: list[_Job] = []
    for show, episode in picked:
        pin = episode.script
        if accept:
            if pin is None:
                name = f"{show.key}/{episode.key}"
                raise ConfigError(f"episode {name} has no pinned script to accept")
            continue
        if pin is not None and not pin.stale and not force:
            continue
        target = Path(pin.path) if pin else script_path(root, show.key, episode.key)
        if pin is None and target.exists() and not force:
            raise ConfigError(
                f"{target.relative_to(root).as_posix()} exists but no manifest pins it; "
                f"podsync script --force {show.key}/{episode.key} replaces it"
            )
        jobs.append(_Job(show, episode, target))
    for show, episode in picked:
        pin = episode.script
        if pin is not None and (accept or (not pin.stale and not force)):
            if accept and pin.stale:
                set_generated_from(Path(pin.path), pin.file, generated_from(pin.inputs))
            action: Action = ("accepted" if pin.stale else "fresh") if accept else "kept"
            done(ScriptEvent(show.key, episode.key, action, pin.file, stale=pin.stale))
    if jobs:
        with api_endpoint(project) as endpoint:
            asyncio.run(_write_all(endpoint.url, endpoint.api_key, root, jobs, done))
    return ScriptResult(tuple(events), sum(1 for e in events if e.action in _REQUESTED))


_REQUESTED = ("written", "rewritten")


async def _write_all(
    url: str, api_key: str, root: Path, jobs: list[_Job], done: Callable[[ScriptEvent], None]
) -> None:
    async with ZenMicClient(url, api_key) as client:
        for job in jobs:
            done(await _write_one(client, root, job))


async def _write_one(client: ZenMicClient, root: Path, job: _Job) -> ScriptEvent:
    show, episode, pin = job.show, job.episode, job.episode.script
    inputs = pin.inputs if pin else episode.source
    name = f"{show.key}/{episode.key}"
    try:
        written = await client.write_script(inputs, episode.title)
    except ApiError as exc:
        raise exc.for_target(f"script of episode {name}") from None
    text = script_text(episode.key, written.title, written.style_prompt, written.dialogue, inputs)
    write_atomically(job.target, text)
    file = job.target.relative_to(root).as_posix()
    lines = len(written.dialogue)
    if pin is not None:
        return ScriptEvent(show.key, episode.key, "rewritten", file, lines, stale=pin.stale)
    assert episode.location is not None  # the loader places every episode
    manifest = Path(episode.location.file)
    folder = Path(os.path.abspath(manifest)).parent.resolve()
    entry = Path(os.path.relpath(job.target, folder)).as_posix()
    add_script_entry(manifest, episode.location.file, episode.key, entry)
    return ScriptEvent(show.key, episode.key, "written", file, lines, episode.location.file)


def _select(desired: Desired, names: Sequence[str]) -> list[tuple[Show, Episode]]:
    """The episodes `names` picks, in manifest order, each once."""
    if not names:
        return [(s, e) for s in desired.shows for e in s.episodes if _scriptable(e)]
    picked: dict[tuple[str, str], tuple[Show, Episode]] = {}
    for name in names:
        show_key, _, episode_key = name.partition("/")
        show = desired.show(show_key)
        if show is None:
            raise ConfigError(f"no show {show_key!r} in the manifests")
        if not episode_key:
            picked.update(((show.key, e.key), (show, e)) for e in show.episodes if _scriptable(e))
            continue
        episode = next((e for e in show.episodes if e.key == episode_key), None)
        if episode is None:
            raise ConfigError(f"show {show_key} has no episode {episode_key!r}")
        if not _scriptable(episode):
            raise ConfigError(
                f"episode {name} has a dialogue source: its words are in the project already"
            )
        picked[(show.key, episode.key)] = (show, episode)
    order = {(s.key, e.key): n for n, (s, e) in enumerate(_all(desired))}
    return sorted(picked.values(), key=lambda pair: order[(pair[0].key, pair[1].key)])


def _all(desired: Desired) -> list[tuple[Show, Episode]]:
    return [(s, e) for s in desired.shows for e in s.episodes]


def _scriptable(episode: Episode) -> bool:
    return episode.script is not None or episode.source.kind in ("topic", "document")


def project_and_names(arguments: Sequence[str]) -> tuple[Path, list[str]]:
    """`[DIR] [SHOW[/EPISODE]]...`: the first argument is the project when it is a folder
    (show keys hold no '/', so `./x` or `x/` always reads as a folder)."""
    if arguments and Path(arguments[0]).is_dir():
        return Path(arguments[0]), list(arguments[1:])
    return Path("."), list(arguments)
