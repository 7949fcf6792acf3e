"""The data podsync reasons about: what the manifests want (Desired) and what the API has (Live).

Everything here is frozen: the planner compares these values and never mutates them.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

SourceKind = Literal["topic", "document", "dialogue", "audio"]

AUDIO_SUCCEEDED = "succeeded"
AUDIO_MISSING = "missing"  # podsync's own word: the account answered 404 for the job
# Finished without audio: a new job is needed. Any status not listed here or above is in progress.
AUDIO_UNSUCCESSFUL = frozenset(
    {"failed", "error", "cancelled", "canceled", "expired", AUDIO_MISSING}
)
AUDIO_FINISHED = AUDIO_UNSUCCESSFUL | {AUDIO_SUCCEEDED}


@dataclass(frozen=True)
class Location:
    """Where a value came from, so plan-time errors can point at the manifest line."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Document:
    """A document source, identified by its bytes (sha256) rather than its name."""

    path: str  # absolute path on disk, for upload
    display: str  # the path as written in the manifest (relative to it), for plans and messages
    sha256: str
    size: int
    content_type: str


@dataclass(frozen=True)
class Source:
    """Everything that determines an episode's audio; its digest keys the audio cache.

    A `dialogue_file` in a manifest becomes `kind="dialogue"` with the file's lines, so moving
    a dialogue between inline and file form does not pay for new audio. `kind="audio"` is an
    existing ZenMic audio job (`mic_id`), published as it is: nothing is generated.
    """

    kind: SourceKind
    topic: str | None = None
    duration_minutes: int | None = None
    document: Document | None = None
    dialogue: tuple[tuple[str, str], ...] = ()
    style_prompt: str | None = None
    mic_id: str | None = None  # kind "audio" only

    def fingerprint(self) -> dict[str, object]:
        """The canonical, file-name-free description that the digest is computed over. An
        existing job is described by its id alone, in a shape of its own, so the digests of
        the other kinds stay as they were and no generated source can share one with it."""
        if self.kind == "audio":
            return {"kind": self.kind, "mic_id": self.mic_id}
        return {
            "kind": self.kind,
            "topic": self.topic,
            "duration_minutes": self.duration_minutes,
            "document_sha256": self.document.sha256 if self.document else None,
            "dialogue": [list(line) for line in self.dialogue],
            "style_prompt": self.style_prompt,
        }

    @functools.cached_property  # asked several times per episode per plan; a frozen value
    def digest(self) -> str:
        canonical = json.dumps(self.fingerprint(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PinnedScript:
    """The script `podsync script` wrote for a topic or document episode, pinned by `script:`
    in its source (podsync/script_pins.py): the audio is made from its dialogue, which a
    reviewer read, not from words generated unseen at apply. `inputs` is the topic or document
    source the manifest gives (what `podsync script` asks POST /scripts about); `stale` names
    what in it changed since the script was written (empty: the pin is fresh)."""

    file: str  # relative to the project, for messages
    path: str  # absolute, for `podsync script` to rewrite
    inputs: Source
    stale: tuple[str, ...] = ()


@dataclass(frozen=True)
class Episode:
    key: str
    title: str
    description: str
    source: Source
    location: Location | None = field(default=None, compare=False)
    protect: bool = False  # podsync refuses to remove or replace it (recorded in the lock too)
    script: PinnedScript | None = None  # `source` is then its dialogue


@dataclass(frozen=True)
class Show:
    key: str
    title: str
    description: str
    episodes: tuple[Episode, ...]
    show_id: str | None = None  # explicit adoption of an existing live show
    location: Location | None = field(default=None, compare=False)
    protect: bool = False  # podsync refuses to delete it (recorded in the lock too)


@dataclass(frozen=True)
class Safety:
    """How much apply may remove in one run before it refuses (podsync.yaml `safety:`).

    As octoDNS's plan safety: a run that would remove or re-publish more than
    `max_removal_share` of a show's live episodes, in a show that holds at least
    `min_episodes`, needs `apply --allow-mass-removal`: a typo in a template or a bad merge
    should not empty a feed that listeners subscribe to."""

    max_removal_share: float = 0.3
    min_episodes: int = 10


@dataclass(frozen=True)
class Desired:
    """The project's manifests, fully rendered: templates done, files hashed, paths resolved."""

    shows: tuple[Show, ...]
    safety: Safety = Safety()
    # (show key, warning code) pairs podsync.yaml's `acknowledge:` lists: the plan still holds
    # those warnings, marked acknowledged, and the renderers fold them into one line
    acknowledge: frozenset[tuple[str, str]] = frozenset()

    def show(self, key: str) -> Show | None:
        return next((s for s in self.shows if s.key == key), None)


@dataclass(frozen=True)
class LiveEpisode:
    id: str
    mic_id: str
    title: str
    description: str
    audio_url: str | None = None


@dataclass(frozen=True)
class LiveShow:
    show_id: str
    title: str
    description: str
    feed_url: str | None = None
    # None when podsync did not read them (a show it does not manage)
    episodes: tuple[LiveEpisode, ...] | None = None
    # what the show listing says the show holds (None: not said); checked against `episodes`
    episode_count: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class LiveJob:
    """A cached audio job as the account reports it now (GET /audios/{id}): what a reviewer's
    "listen" link and a check of audio named in a pull request's lock edit rely on."""

    status: str
    title: str | None = None
    created_at: str | None = None
    audio_page_url: str | None = None


@dataclass(frozen=True)
class Live:
    """What the ZenMic account holds right now; `read` is False when it was not consulted.

    `audio` maps the mic_ids of cached jobs the plan would rely on to their status now, so a
    plan never promises to reuse audio that the account does not have."""

    shows: tuple[LiveShow, ...]
    read: bool = True
    audio: Mapping[str, str] = field(default_factory=dict)
    jobs: Mapping[str, LiveJob] = field(default_factory=dict)  # the same jobs, in full

    def show(self, show_id: str) -> LiveShow | None:
        return next((s for s in self.shows if s.show_id == show_id), None)
