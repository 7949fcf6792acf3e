"""Field-level changes: which fields of an episode differ, each as `{path, before, after}`.

The planner knows its "befores" itself: the live episode's title and description, and the
source podsync last published it with (podsync.lock: its digest, and since the lock records
them, its fields; see podsync/applied_source.py). The lock holds a dialogue's line count and
digest, not its words, so the old lines come from the manifests at a git ref (`plan
--base-ref`, the pull request's base in the GitHub Action): `with_base` replaces the source
fields with those, the base being what the reviewer compares with. A lock written before it
recorded sources has only the digest: that row is then all there is.
Paths read as in the JSON plan: `title`, `digest`, `source.topic`, `source.document.sha256`,
`source.dialogue[3][1]`, `source.dialogue_digest`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from typing import Any

from podsync.applied_source import ORDER, AppliedSource, applied_source
from podsync.model import Desired, Episode, LiveEpisode, Source
from podsync.plan import FieldChange, FieldValue, Plan, ReplaceEpisode

Dialogue = tuple[tuple[str, str], ...]


def live_changes(
    current: LiveEpisode,
    episode: Episode,
    recorded_digest: str | None = None,
    recorded_source: AppliedSource | None = None,
) -> tuple[FieldChange, ...]:
    """What a replace changes that the planner can see: the live title and description, the
    digest of the source the lock says it was published with, and that source's fields."""
    changes = [
        FieldChange(name, getattr(current, name), getattr(episode, name))
        for name in ("title", "description")
        if getattr(current, name) != getattr(episode, name)
    ]
    if recorded_digest is not None and recorded_digest != episode.source.digest:
        changes.append(FieldChange("digest", recorded_digest, episode.source.digest))
        if recorded_source is not None:
            changes.extend(recorded_changes(recorded_source, episode.source))
    return tuple(changes)


def recorded_changes(recorded: AppliedSource, new: Source) -> tuple[FieldChange, ...]:
    """The source fields that differ from those the lock recorded; a dialogue as its number
    of lines and digest (`source.dialogue_lines`, `source.dialogue_digest`)."""
    return _compared(recorded.fields(), applied_source(new).fields(), ORDER)


def source_changes(old: Source, new: Source) -> tuple[FieldChange, ...]:
    """The source fields that differ. DeepDiff compares the nested fields (the document's
    path, hash and size under `source.document`); a dialogue is compared line by line with
    difflib instead, since DeepDiff pairs list items by index, so one inserted line would
    show every later line as changed."""
    return _compared(_fields(old), _fields(new), _ORDER) + dialogue_changes(
        old.dialogue, new.dialogue
    )


def _compared(
    old: dict[str, Any], new: dict[str, Any], order: tuple[str, ...]
) -> tuple[FieldChange, ...]:
    from deepdiff import DeepDiff  # and numpy: only a plan that changes a source needs them

    diff = DeepDiff(old, new, view="tree", verbose_level=2)
    changes = [
        FieldChange(_path(level.path()), _value(level.t1), _value(level.t2))
        for levels in diff.values()
        for level in levels
    ]
    changes.sort(key=lambda c: order.index(c.path.split(".")[1]))
    return tuple(changes)


def dialogue_changes(old: Dialogue, new: Dialogue) -> tuple[FieldChange, ...]:
    """Changed lines as `source.dialogue[N][1]` (the text) or `[N][0]` (the speaker), N the
    line's index in the new dialogue; an added line is `source.dialogue[N]` from null, a
    removed one `source.dialogue[N]` (its old index) to null."""
    changes: list[FieldChange] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        for k in range(paired):
            (old_speaker, old_text), (speaker, text) = old[i1 + k], new[j1 + k]
            for part, before, after in ((0, old_speaker, speaker), (1, old_text, text)):
                if before != after:
                    changes.append(FieldChange(f"source.dialogue[{j1 + k}][{part}]", before, after))
        changes.extend(
            FieldChange(f"source.dialogue[{i}]", list(old[i]), None) for i in range(i1 + paired, i2)
        )
        changes.extend(
            FieldChange(f"source.dialogue[{j}]", None, list(new[j])) for j in range(j1 + paired, j2)
        )
    return tuple(changes)


def with_base(plan: Plan, base: Desired) -> Plan:
    """The plan with the source changes of each replaced episode against the manifests at
    `base`: an annotation for reviewers that changes nothing apply does."""
    sources = {job.digest: job.source for job in plan.audio}
    old_sources = {
        (show.key, episode.key): episode.source for show in base.shows for episode in show.episodes
    }
    episodes = []
    for change in plan.episodes:
        old = old_sources.get((change.show, change.key))
        new = sources.get(change.digest) if isinstance(change, ReplaceEpisode) else None
        if isinstance(change, ReplaceEpisode) and old is not None and new is not None:
            kept = tuple(c for c in change.changes if not c.path.startswith("source."))
            change = replace(change, changes=kept + source_changes(old, new))
        episodes.append(change)
    return replace(plan, episodes=tuple(episodes))


# the source fields in the order a plan lists them
_ORDER = ("kind", "mic_id", "topic", "duration_minutes", "document", "style_prompt")


def _fields(source: Source) -> dict[str, Any]:
    document = source.document
    return {
        "kind": source.kind,
        "mic_id": source.mic_id,
        "topic": source.topic,
        "duration_minutes": source.duration_minutes,
        "document": (
            {"path": document.display, "sha256": document.sha256, "size": document.size}
            if document is not None
            else None
        ),
        "style_prompt": source.style_prompt,
    }


def _path(deepdiff_path: str) -> str:
    """root['document']['sha256'] -> source.document.sha256"""
    return "source" + "".join(f".{key}" for key in re.findall(r"\['([^']*)'\]", deepdiff_path))


def _value(value: object) -> FieldValue:
    """A plain JSON value; a whole document that appeared or went is named by its path."""
    if isinstance(value, dict):
        return str(value.get("path"))
    if value is None or isinstance(value, (str, int, float)):
        return value
    return None  # deepdiff's NotPresent
