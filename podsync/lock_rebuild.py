"""`podsync lock rebuild`: a new podsync.lock from the live account, when the old one is corrupt
or lost.

Rebuilding is adoption and nothing else. Given the manifests, an empty lock and the account, the
planner adopts every live show that a manifest names (by show_id or by title) and every live
episode of it whose title matches; those adoptions are recorded exactly as apply records them,
and no request that changes the account is sent. Whatever has no live match is left for the next
apply to create.

A title is a weak key: a title edited in a manifest but not yet applied matches no live show. So
what the old lock still tells is used too. A corrupt lock (a merge conflict, a truncated write)
usually still holds its `"<show key>": {... "show_id": "<id>"` lines; a show id found there for
exactly one show, and live in the account, is adopted as if the manifest said `show_id:`. A lock
that reads fine (`--force`) gives more: its show ids, its audio cache (jobs still running are
resumed, not paid for again), its unconfirmed submissions, and its records of the shows and
episodes that the rebuild matched to the same ids (the last-applied values, `protected`, and the
digest the live audio was made from, so a source edited since is still planned).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from podsync.applied_source import applied_source
from podsync.client import ZenMicClient
from podsync.errors import ConfigError, CorruptLock, LockError, SetupError
from podsync.executor import adopt_episode, adopt_show
from podsync.live import read_live
from podsync.lock import LOCK_NAME, Lock, LockedShow, read_lock, write_lock
from podsync.model import Desired, LiveShow, Source
from podsync.operations.steps import Inputs, read_and_plan
from podsync.plan import counted
from podsync.safe_text import cut, one_line

# How many unmatched live shows the summary lists (each costs a request to count its episodes).
MAX_CANDIDATES = 20
TITLE_CHARS = 200  # of a live title in the summary


@dataclass(frozen=True)
class Previous:
    """The lock being replaced, and what can still be learnt from it."""

    set_aside: str | None  # "corrupt", "old" or None (there is none): how it is kept
    lock: Lock | None = None  # the whole lock, when it reads fine
    show_ids: dict[str, str] = field(default_factory=dict)  # show key -> show_id it names

    @property
    def salvaged(self) -> bool:
        """The show ids come from the text of a lock that does not read."""
        return self.lock is None and bool(self.show_ids)


@dataclass(frozen=True)
class Candidate:
    """A live show that no manifest matched: maybe a show whose title was edited."""

    show_id: str
    title: str
    episodes: int


@dataclass(frozen=True)
class Rebuilt:
    """The recovered lock, and what the manifests want that the account does not have."""

    lock: Lock
    missing_shows: tuple[str, ...]  # show keys the next apply creates
    missing_episodes: tuple[str, ...]  # "show/episode" the next apply publishes
    previous: Previous = Previous(None)
    recovered: tuple[tuple[str, str], ...] = ()  # (show key, show_id) adopted by the old id
    not_live: tuple[tuple[str, str], ...] = ()  # (show key, show_id) the old lock names, gone
    candidates: tuple[Candidate, ...] = ()  # live shows no manifest matched
    more_candidates: int = 0  # unmatched live shows beyond MAX_CANDIDATES

    @property
    def episodes(self) -> int:
        return sum(len(s.episodes) for s in self.lock.shows.values())


def read_previous(path: Path, *, force: bool) -> Previous:
    """What the current lock still tells, and how it will be kept: "corrupt" if it cannot be
    read as a lock, "old" if it reads fine (only with --force). Refuse to replace a good lock."""
    try:
        old = read_lock(path)
    except CorruptLock:
        return Previous("corrupt", show_ids=salvage_show_ids(_raw_text(path)))
    except LockError:
        if force:
            return Previous("old")
        raise
    if not os.path.lexists(path):
        return Previous(None)
    if not force:
        raise ConfigError(
            f"{path} reads fine, so there is nothing to rebuild; to replace it anyway with a lock "
            f"rebuilt from the live account, pass --force (it is kept as {LOCK_NAME}.old-<time>)"
        )
    return Previous("old", old, {key: s.show_id for key, s in old.shows.items()})


# podsync writes the lock with indent=2 and sorted keys, so a show opens at four spaces and its
# show_id sits at six; merge conflicts and truncation keep lines whole. Episodes (eight spaces)
# and audio entries have no show_id at six, so they cannot lend theirs to a show key.
_SHOW_OPENS = re.compile(r' {4}"([^"\\]+)": \{')
_SHOW_ID = re.compile(r' {6}"show_id": "([^"\\]+)",?')
_CONFLICT_MARKER = re.compile(r"(<{7}|={7}|>{7}|\|{7})(\s|$)")


def salvage_show_ids(text: str) -> dict[str, str]:
    """Show key -> show_id, from the text of a lock that does not parse: only keys that name
    exactly one id, and ids that exactly one key names. Best effort, and never trusted alone:
    the caller adopts an id only if the account has that show."""
    found: dict[str, set[str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if _CONFLICT_MARKER.match(line):
            continue
        if opened := _SHOW_OPENS.fullmatch(line):
            current = opened.group(1)
        elif (show_id := _SHOW_ID.fullmatch(line)) and current is not None:
            found.setdefault(current, set()).add(show_id.group(1))
        elif line[:5].strip():  # anything at a show's depth or shallower closes it
            current = None
    single = {key: next(iter(ids)) for key, ids in found.items() if len(ids) == 1}
    named = [show_id for show_id in single.values()]
    return {key: show_id for key, show_id in single.items() if named.count(show_id) == 1}


def _raw_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:  # a directory, unreadable: nothing to salvage
        return ""


async def rebuild_lock(
    desired: Desired,
    client: ZenMicClient,
    previous: Previous | None = None,
    *,
    concurrency: int = 8,
) -> Rebuilt:
    """Plan against an empty lock and keep only the adoptions: reads, never writes, the API."""
    previous = previous or Previous(None)
    ids = _known_ids(desired, previous)
    desired, recovered = await _adopt_by_id(desired, client, ids)
    planned = await read_and_plan(
        Inputs(desired, Lock(), Path(LOCK_NAME)), client, concurrency=concurrency
    )
    lock = Lock()
    for show in planned.plan.shows:
        if show.action == "adopt":
            lock = adopt_show(lock, show)
    sources = {(s.key, e.key): e.source for s in desired.shows for e in s.episodes}
    for episode in planned.plan.episodes:
        if episode.action == "adopt" and episode.show in lock.shows:
            lock = adopt_episode(lock, episode)
            source = sources.get((episode.show, episode.key))
            lock = _with_source(lock, episode.show, episode.key, source)
    if previous.lock is not None:
        lock = carry_over(lock, previous.lock)
    missing_shows = tuple(c.key for c in planned.plan.shows if c.action == "create")
    candidates: tuple[Candidate, ...] = ()
    more = 0
    if missing_shows:
        adopted = {s.show_id for s in lock.shows.values()}
        unmatched = [s for s in planned.live.shows if s.show_id not in adopted]
        candidates = await _count_episodes(client, unmatched[:MAX_CANDIDATES], concurrency)
        more = max(0, len(unmatched) - MAX_CANDIDATES)
    return Rebuilt(
        lock,
        missing_shows,
        tuple(f"{c.show}/{c.key}" for c in planned.plan.episodes if c.action == "add"),
        previous,
        tuple((key, show_id) for key, show_id in recovered.items() if key in lock.shows),
        tuple((key, show_id) for key, show_id in ids.items() if key not in recovered),
        candidates,
        more,
    )


def _with_source(lock: Lock, show: str, key: str, source: Source | None) -> Lock:
    """The adopted episode's record with the fields of the manifest's source, when its digest
    is the one recorded as published (as apply records them; podsync/applied_source.py)."""
    record = lock.shows[show].episodes[key]
    if source is None or source.digest != record.digest:
        return lock
    return lock.with_episode(show, key, replace(record, source=applied_source(source)))


def _known_ids(desired: Desired, previous: Previous) -> dict[str, str]:
    """Show key -> the show_id the old lock names for it, where the manifest names none (an
    explicit `show_id:` always wins) and no manifest names that id."""
    explicit = {s.show_id for s in desired.shows if s.show_id}
    known = ((s.key, previous.show_ids.get(s.key)) for s in desired.shows if not s.show_id)
    return {key: show_id for key, show_id in known if show_id and show_id not in explicit}


async def _adopt_by_id(
    desired: Desired, client: ZenMicClient, ids: dict[str, str]
) -> tuple[Desired, dict[str, str]]:
    """The manifests with `show_id:` set for the known ids that the account has; and those
    (show key -> show_id)."""
    if not ids:
        return desired, {}
    live = {s.show_id for s in await client.list_shows()}
    recovered = {key: show_id for key, show_id in ids.items() if show_id in live}
    shows = tuple(
        replace(s, show_id=recovered[s.key]) if s.key in recovered else s for s in desired.shows
    )
    return replace(desired, shows=shows), recovered


async def _count_episodes(
    client: ZenMicClient, shows: list[LiveShow], concurrency: int
) -> tuple[Candidate, ...]:
    if not shows:
        return ()
    ids = {s.show_id for s in shows}
    live = await read_live(client, ids, concurrency=concurrency)
    return tuple(
        Candidate(s.show_id, s.title, len(s.episodes or ())) for s in live.shows if s.show_id in ids
    )


def carry_over(rebuilt: Lock, old: Lock) -> Lock:
    """The rebuilt lock with what a readable old lock knew: its whole audio cache and
    unconfirmed submissions; for each rebuilt show with the old record's show_id, that record
    (last-applied title and description, protected); for each adopted episode with the old
    record's episode_id, that record as it was (digest, mic_id, last-applied values,
    protected). Matched by id, not key, so a key renamed in a manifest does not lose them."""
    old_shows = {s.show_id: s for s in old.shows.values()}
    shows: dict[str, LockedShow] = {}
    for key, show in rebuilt.shows.items():
        before = old_shows.get(show.show_id)
        if before is None:
            shows[key] = show
            continue
        old_episodes = {e.episode_id: e for e in before.episodes.values()}
        episodes = {k: old_episodes.get(e.episode_id, e) for k, e in show.episodes.items()}
        shows[key] = replace(before, episodes=episodes)
    return Lock(shows, dict(old.audio), dict(old.unconfirmed), dict(old.applied))


def install_lock(path: Path, lock: Lock, set_aside: str | None) -> Path | None:
    """Move the current lock (file or whatever else is there) aside, then write the new one
    atomically; return where the old one went."""
    kept = None
    if set_aside is not None and os.path.lexists(path):
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = path.with_name(f"{path.name}.{set_aside}-{stamp}")
        n = 1
        while os.path.lexists(kept):
            n += 1
            kept = path.with_name(f"{path.name}.{set_aside}-{stamp}-{n}")
        try:
            os.rename(path, kept)
        except OSError as exc:
            raise SetupError(f"{path}: cannot move it aside to {kept.name}: {exc}") from None
    try:
        write_lock(path, lock)
    except OSError as exc:
        raise SetupError(f"{path}: cannot write the rebuilt lock: {exc}") from None
    return kept


def summary(rebuilt: Rebuilt, path: Path, kept: Path | None) -> list[str]:
    """What was recovered and what was not, for the person who ran the command."""
    shows = counted(len(rebuilt.lock.shows), "show")
    lines = [
        f"Rebuilt {path} from the live account: {shows} and "
        f"{counted(rebuilt.episodes, 'episode')} recovered (no change was made to the account)."
    ]
    if kept is not None:
        lines.append(f"The previous lock is kept as {kept}.")
    old = rebuilt.previous.lock
    if rebuilt.recovered and rebuilt.previous.salvaged:
        lines.append("Adopted by the show id found in the unreadable lock (and live):")
        lines.extend(f"  show {key} ({show_id})" for key, show_id in rebuilt.recovered)
    if rebuilt.not_live:
        lines.append("The previous lock names show ids that the account does not have:")
        lines.extend(f"  show {key} ({show_id})" for key, show_id in rebuilt.not_live)
    if old is not None:
        lines.append(
            f"Kept from the old lock: its audio cache ({counted(len(old.audio), 'job')}"
            f"{f', {len(old.unconfirmed)} unconfirmed' if old.unconfirmed else ''}) and, for "
            "the shows and episodes it recorded under the same ids, what it recorded of them."
        )
    lines.extend(_missing_shows(rebuilt))
    created = set(rebuilt.missing_shows)
    episodes = [k for k in rebuilt.missing_episodes if k.split("/", 1)[0] not in created]
    if episodes:
        lines.append("No live episode of their show has their title, so the next apply publishes:")
        lines.extend(f"  episode {k}" for k in episodes)
    if rebuilt.missing_episodes and old is None:
        lines.append(
            "Audio jobs that were submitted but not yet published cannot be recovered (ZenMic "
            "cannot list jobs): the next apply submits them again."
        )
    lines.append("Run `podsync plan` to see what the next apply would do.")
    return lines


def _missing_shows(rebuilt: Rebuilt) -> list[str]:
    if not rebuilt.missing_shows:
        return []
    lines = ["No live show has the title these manifests give, so the next apply creates them:"]
    for key in rebuilt.missing_shows:
        count = sum(1 for k in rebuilt.missing_episodes if k.split("/", 1)[0] == key)
        lines.append(f"  show {key} (with {counted(count, 'episode')})")
    if not rebuilt.candidates:
        lines.append("The account has no other show.")
        return lines
    lines.append("Live shows that no manifest matched:")
    lines.extend(
        f'  "{one_line(cut(c.title, TITLE_CHARS))}" (show_id {one_line(c.show_id)}, '
        f"{counted(c.episodes, 'episode')})"
        for c in rebuilt.candidates
    )
    if rebuilt.more_candidates:
        lines.append(f"  and {rebuilt.more_candidates} more")
    lines.append(
        "If one of them is one of these shows (its title edited in the manifest since the last "
        "apply, say), add `show_id: <its id>` to that show's manifest and run `podsync lock "
        "rebuild --force` again; otherwise the next apply creates a new show beside it."
    )
    return lines
