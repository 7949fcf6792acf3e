"""The import operation: read the account (podsync.importer), write one new manifest per show,
record the shows in podsync.lock; under the apply mutex, since it writes the lock.

Manifests are written first and the lock once at the end: a run stopped in between leaves
manifests with `show_id:` that the lock does not record yet, which the next plan adopts (no
request) rather than creating anything. A manifest is never overwritten: the file is created
exclusively, and a name already taken in shows/ gets the next free `-2`, `-3` suffix.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from podsync.apply_mutex import hold_project
from podsync.client import ZenMicClient
from podsync.endpoint import Endpoint, api_endpoint, shown_url
from podsync.errors import ConfigError, LockError
from podsync.importer import Found, ImportedShow, Skipped, locked_show, manifest_text, read_account
from podsync.lock import LOCK_NAME, Lock, read_lock, write_lock
from podsync.manifest import SHOW_SUFFIXES, SHOWS_DIR, load_project
from podsync.model import Desired, LiveShow
from podsync.plan import counted
from podsync.safe_text import cut

TITLE_CHARS = 200  # of a live title in what import prints: a server may send pages of it


@dataclass(frozen=True)
class ImportResult:
    """What the import wrote (path relative to the project, and the show), what it could not
    write (the show and why), and what it left out."""

    written: tuple[tuple[str, ImportedShow], ...]
    not_written: tuple[tuple[ImportedShow, str], ...]
    skipped: tuple[Skipped, ...]
    managed: int  # live shows already managed, left alone
    lock_path: Path
    refused: tuple[tuple[LiveShow, str], ...] = ()  # shows no manifest can describe


def import_shows(
    project: Path,
    show_ids: Collection[str],
    *,
    concurrency: int = 8,
    lock_timeout: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import the named live shows, or every one not yet managed, into `project` (created if
    it does not exist). The manifests already there must be valid: what they claim is left
    alone, and the plan after the import must be able to read them."""
    try:
        project.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {project}: {exc.strerror or exc}") from None
    desired = load_project(project)
    with hold_project(project, lock_timeout, command="import", on_wait=on_wait):
        lock_path = project / LOCK_NAME
        lock = read_lock(lock_path)
        with api_endpoint(project) as endpoint:
            found = asyncio.run(_read(endpoint, desired, lock, show_ids, project, concurrency))
            origin = shown_url(endpoint.url.split("?")[0].split("#")[0])  # goes into a file
        when = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        written, not_written = [], []
        for show in found.shows:
            problem = _write_new(project, show, manifest_text(show, origin, when))
            if problem is None:
                written.append((f"{SHOWS_DIR}/{show.key}.yaml", show))
                lock = lock.with_show(show.key, locked_show(show))
            else:
                not_written.append((show, problem))
        if written:
            _record(lock_path, lock)
    skipped = tuple(s for show in found.shows for s in show.skipped)
    return ImportResult(
        tuple(written), tuple(not_written), skipped, found.managed, lock_path, found.refused
    )


async def _read(
    endpoint: Endpoint,
    desired: Desired,
    lock: Lock,
    show_ids: Collection[str],
    project: Path,
    concurrency: int,
) -> Found:
    async with ZenMicClient(endpoint.url, endpoint.api_key) as client:
        return await read_account(
            client, desired, lock, show_ids, taken=taken_names(project), concurrency=concurrency
        )


def _record(path: Path, lock: Lock) -> None:
    try:
        write_lock(path, lock)
    except OSError as exc:
        raise LockError(
            f"cannot write {path}: {exc.strerror or exc}; the manifests were written, and the "
            "next plan adopts their shows by show_id without sending anything"
        ) from None


def taken_names(project: Path) -> set[str]:
    """Names a new show file must not take: every show file's name in shows/, in any case."""
    folder = project / SHOWS_DIR
    if not folder.is_dir():
        return set()
    return {p.stem.lower() for p in folder.iterdir() if p.suffix.lower() in SHOW_SUFFIXES}


def _write_new(project: Path, show: ImportedShow, text: str) -> str | None:
    """Create shows/<key>.yaml, never replacing a file; the problem, if it could not."""
    folder = project / SHOWS_DIR
    path = folder / f"{show.key}.yaml"
    try:
        folder.mkdir(exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except FileExistsError:
        return f"{SHOWS_DIR}/{path.name} exists (made meanwhile); it was not overwritten"
    except OSError as exc:
        return f"cannot write {SHOWS_DIR}/{path.name}: {exc.strerror or exc}"
    return None


def import_summary(result: ImportResult) -> list[str]:
    """What `podsync import` says: each file written, each show and episode it could not
    import and why, and what to run next."""
    lines = []
    left = f"; {counted(result.managed, 'live show')} managed already, left alone"
    if not result.written and not result.not_written and not result.refused:
        why = left if result.managed else ": the account has no shows"
        lines.append(f"Nothing to import{why}.")
    for path, show in result.written:
        episodes = counted(len(show.episodes), "episode")
        title = cut(show.live.title, TITLE_CHARS)
        lines.append(f'+ wrote {path}: show "{title}" ({show.live.show_id}), {episodes}')
    for show, problem in result.not_written:
        title = cut(show.live.title, TITLE_CHARS)
        lines.append(f'! show "{title}" ({show.live.show_id}) not imported: {problem}')
    for live, why in result.refused:
        title = cut(live.title, TITLE_CHARS)
        lines.append(f'! show "{title}" ({live.show_id}) not imported: {why}; it stays unmanaged')
    for item in result.skipped:
        lines.append(
            f'! episode "{cut(item.title, TITLE_CHARS)}" ({item.episode_id}) of show '
            f"{item.show_id} not imported: "
            f"{item.why}; it stays live, unmanaged, and podsync leaves it alone"
        )
    if result.written:
        shows = counted(len(result.written), "show")
        lines.append(
            f"Imported {shows}{left if result.managed else ''}; recorded in "
            f"{result.lock_path.name}. Next: `podsync plan` (it should say No changes)."
        )
    return lines
