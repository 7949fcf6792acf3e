"""`podsync import`: bring shows made outside podsync (in ZenMic's web page, say) under its care,
as `terraform import` and `octodns-dump` start users from what they have.

Each live show that no manifest and no lock record claims becomes one new manifest in shows/:
its title, description and `show_id:`, and its episodes in feed order, each keyed by a slug of
its title and published from the audio it already has (`source: {audio: <mic_id>}`). The lock
records every show and episode as podsync records what it published, so the next plan has
nothing to do and nothing is published or paid for again. From then on an `audio:` source is
a source like any other: replacing it by a topic is a source change (one new job).

An episode whose audio podsync cannot name (no mic_id in the listing, or a job the account does
not have or that did not succeed) is not imported: it is reported, stays live, and, unmanaged,
is left alone. This module decides and reads; podsync.operations.importing writes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from podsync.applied_source import applied_source
from podsync.client import ZenMicClient
from podsync.errors import ApiError, ConfigError
from podsync.limits import MAX_TEXT_CHARS, MAX_TITLE_CHARS
from podsync.live import read_audio_jobs
from podsync.lock import Lock, LockedEpisode, LockedShow
from podsync.model import AUDIO_MISSING, AUDIO_SUCCEEDED, Desired, LiveEpisode, LiveShow, Source

KEY_CHARS = 48  # of a key made from a title: enough to recognise it, short enough to type
_NOT_KEY = re.compile(r"[^a-z0-9]+")
_TEMPLATE_OPENERS = re.compile(r"\{[{%#]")
_MIC_ID = re.compile(r"\S+")


@dataclass(frozen=True)
class Skipped:
    """A live episode left out of the import, and why: it stays live and unmanaged."""

    show_id: str
    episode_id: str
    title: str
    why: str


@dataclass(frozen=True)
class ImportedShow:
    """A live show as its new manifest and lock record will hold it."""

    key: str
    live: LiveShow
    episodes: tuple[tuple[str, LiveEpisode], ...]  # (key, live episode), in feed order
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True)
class Found:
    """What an import would write: the shows, and the live shows left alone as managed."""

    shows: tuple[ImportedShow, ...]
    managed: int  # live shows already claimed by a manifest or the lock
    refused: tuple[tuple[LiveShow, str], ...] = ()  # shows no manifest can describe, and why


def slug(text: str, fallback: str) -> str:
    """A key from a title: ASCII letters and digits joined by '-', at most KEY_CHARS long (cut
    at a '-' where one is near), `fallback` when nothing of the title is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = _NOT_KEY.sub("-", ascii_text.lower()).strip("-")
    if len(words) > KEY_CHARS:
        cut = words[:KEY_CHARS]
        words = cut.rsplit("-", 1)[0] if "-" in cut[KEY_CHARS // 2 :] else cut
    return words.strip("-") or fallback


def unique_keys(titles: Iterable[str], fallback: str, taken: Collection[str] = ()) -> list[str]:
    """One key per title, in order: its slug, or the slug with -2, -3... when an earlier title
    (or `taken`) has it. The same titles in the same order always give the same keys."""
    used = set(taken)
    keys = []
    for title in titles:
        base = slug(title, fallback)
        key, n = base, 2
        while key in used:
            key, n = f"{base}-{n}", n + 1
        used.add(key)
        keys.append(key)
    return keys


def claims(desired: Desired, lock: Lock) -> dict[str, str]:
    """show_id -> why a live show is not imported: the lock records it, or a manifest names it
    by `show_id:` (claimed_by_title adds the shows a manifest will adopt by title)."""
    why: dict[str, str] = {}
    for key, locked in lock.shows.items():
        why[locked.show_id] = f"podsync.lock records it as show '{key}'"
    for show in desired.shows:
        where = str(show.location.file) if show.location else f"show '{show.key}'"
        if show.show_id:
            why.setdefault(show.show_id, f"{where} names it (show_id)")
    return why


def claimed_by_title(desired: Desired, lock: Lock, live: Iterable[LiveShow]) -> dict[str, str]:
    """Live shows that a manifest not yet applied will adopt by its title."""
    why: dict[str, str] = {}
    for show in desired.shows:
        if show.show_id or show.key in lock.shows:
            continue
        where = str(show.location.file) if show.location else f"show '{show.key}'"
        for candidate in live:
            if candidate.title == show.title:
                why.setdefault(candidate.show_id, f"{where} has its title (a plan adopts it)")
    return why


def select(
    live: list[LiveShow], desired: Desired, lock: Lock, wanted: Collection[str]
) -> tuple[list[LiveShow], int]:
    """The live shows to import (those named, or every one nobody claims) and how many are
    claimed already. A named show that is not live, or is claimed, is a ConfigError before
    anything is written: the user asked for something this import cannot do."""
    claimed = claims(desired, lock)
    for show_id, why in claimed_by_title(desired, lock, live).items():
        claimed.setdefault(show_id, why)
    listed = {s.show_id for s in live}
    if wanted:
        problems = [f"show {i} is not in the account" for i in wanted if i not in listed]
        problems += [f"show {i} is managed already: {claimed[i]}" for i in wanted if i in claimed]
        if problems:
            raise ConfigError("; ".join(problems) + "; nothing was imported")
        chosen = [s for s in live if s.show_id in set(wanted)]
    else:
        chosen = [s for s in live if s.show_id not in claimed]
    return chosen, sum(1 for s in live if s.show_id in claimed)


async def read_account(
    client: ZenMicClient,
    desired: Desired,
    lock: Lock,
    wanted: Collection[str],
    *,
    taken: Collection[str] = (),
    concurrency: int = 8,
) -> Found:
    """Read the shows to import, their episodes (every page), and the status of each audio job
    they publish; `taken` are show keys (file names) already used in the project."""
    live = await client.list_shows()
    chosen, managed = select(live, desired, lock, wanted)
    refused = [(s, why) for s in chosen if (why := unfit_text(s.title, s.description))]
    chosen = [s for s in chosen if not unfit_text(s.title, s.description)]
    show_keys = unique_keys(
        [s.title for s in chosen], "show", {*taken, *(s.key for s in desired.shows), *lock.shows}
    )
    shows = []
    for key, show in zip(show_keys, chosen, strict=True):
        try:
            episodes = await client.list_episodes(
                show.show_id, show.episode_count, without_mic_id=True
            )
        except ApiError as exc:
            raise exc.for_target(f"show {show.show_id}") from None
        jobs = await read_audio_jobs(
            client,
            {e.mic_id for e in episodes if e.mic_id},
            concurrency=concurrency,
            name=name_audio(show.show_id),
        )
        statuses = {mic_id: job.status for mic_id, job in jobs.items()}
        shows.append(imported_show(key, show, episodes, statuses))
    return Found(tuple(shows), managed, tuple(refused))


def imported_show(
    key: str, show: LiveShow, episodes: Iterable[LiveEpisode], statuses: Mapping[str, str]
) -> ImportedShow:
    """The show with keys for the episodes whose audio succeeded, and the rest skipped."""
    kept: list[LiveEpisode] = []
    skipped: list[Skipped] = []
    for episode in episodes:
        why = _unusable(episode, statuses.get(episode.mic_id))
        if why is None:
            kept.append(episode)
        else:
            skipped.append(Skipped(show.show_id, episode.id, episode.title, why))
    keys = unique_keys([e.title for e in kept], "episode")
    return ImportedShow(key, show, tuple(zip(keys, kept, strict=True)), tuple(skipped))


def _unusable(episode: LiveEpisode, status: str | None) -> str | None:
    if not episode.mic_id:
        return "the listing gives it no mic_id, so its audio job is unknown"
    if not _MIC_ID.fullmatch(episode.mic_id):
        return f"its mic_id {episode.mic_id!r} holds whitespace, which a manifest cannot name"
    unfit = unfit_text(episode.title, episode.description)
    if unfit is not None:
        return unfit
    if status == AUDIO_MISSING:
        return f"its audio job {episode.mic_id} is not in the account (GET /audios answered 404)"
    if status != AUDIO_SUCCEEDED:
        return f"its audio job {episode.mic_id} is {status or 'unknown'}, not succeeded"
    return None


def unfit_text(title: str, description: str) -> str | None:
    """Why a live title or description cannot be written into a manifest that validates (the
    plan after the import must read it), or None: blank or over the API's own limits."""
    if not title.strip():
        return "its title is blank, which a manifest cannot hold"
    if len(title) > MAX_TITLE_CHARS:
        return f"its title is {len(title):,} characters long, over the {MAX_TITLE_CHARS} allowed"
    if len(description) > MAX_TEXT_CHARS:
        return (
            f"its description is {len(description):,} characters long, over the "
            f"{MAX_TEXT_CHARS:,} allowed"
        )
    return None


def locked_show(show: ImportedShow) -> LockedShow:
    """The lock record of an imported show: what apply records after publishing it so."""
    return LockedShow(
        show_id=show.live.show_id,
        title=show.live.title,
        description=show.live.description,
        episodes={
            key: LockedEpisode(
                episode_id=e.id,
                mic_id=e.mic_id,
                digest=Source("audio", mic_id=e.mic_id).digest,
                title=e.title,
                description=e.description,
                source=applied_source(Source("audio", mic_id=e.mic_id)),
            )
            for key, e in show.episodes
        },
    )


def manifest_text(show: ImportedShow, origin: str, when: str) -> str:
    """The new manifest: a comment header saying where it came from, then plain YAML whose
    values load back to the live text exactly (template syntax in a title is escaped)."""
    data: dict[str, Any] = {
        "show": show.key,
        "show_id": show.live.show_id,
        "title": literal(show.live.title),
        "description": literal(show.live.description),
        "episodes": [
            {
                "key": key,
                "title": literal(e.title),
                "description": literal(e.description),
                "source": {"audio": e.mic_id},
            }
            for key, e in show.episodes
        ],
    }
    header = [
        f"# Imported by `podsync import` on {when} from ZenMic show {show.live.show_id}",
        f"# at {origin}.",
        "# Each episode publishes the audio it already has (source: audio: <mic_id>), as it is.",
        "# Replace a source by a topic, document, dialogue or dialogue_file to have podsync make",
        "# new audio for that episode (one paid job) and re-publish it.",
    ]
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n" + body


def literal(text: str) -> str:
    """`text` as a manifest value that renders back to itself: a manifest value holding `{{`
    or `{%` is a Jinja template, so each `{{`, `{%` and `{#` in it is written as an expression
    printing those two characters."""
    if "{{" not in text and "{%" not in text:
        return text
    return _TEMPLATE_OPENERS.sub(_quoted, text)


def _quoted(match: re.Match[str]) -> str:
    return "{{ '" + match.group() + "' }}"


class _Dumper(yaml.SafeDumper):
    """Indents a list under its key (`episodes:` then `  - key: ...`), as the examples do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def name_audio(show_id: str) -> Callable[[str], str]:
    """How a failed read of a job names it: by the show it is imported from."""
    return lambda mic_id: f"audio {mic_id} of show {show_id}"
