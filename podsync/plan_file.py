"""The plan as data: the JSON document `plan --format json` prints and `plan --out` saves, and
the checksum that binds an apply to a reviewed plan.

The document is a pure function of the Plan. Every field is always present (null when it does
not apply), which keeps `jq` filters and the schema in schemas/plan.schema.json simple. It
carries codes, never prose: reasons, warnings and guards are codes with parameters, which
render/ puts in words. Document sources are described by display path, size and hash; their
bytes never appear.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from podsync.model import Source
from podsync.plan import (
    AUDIO_REASONS,
    AudioJob,
    DeleteShow,
    EpisodeChange,
    FieldChange,
    Guard,
    GuardSettings,
    Plan,
    ReplaceEpisode,
    ShowChange,
    Unmanaged,
    UpdateShow,
    Warning,
)

# 3: show and episode changes carry `fields`, their {path, before, after} diffs
FORMAT_VERSION = 3


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The JSON document for `plan`: summary, then every change in the order apply makes it."""
    changes = (
        [_show(c) for c in plan.shows]
        + [_audio(j) for j in plan.audio]
        + [_episode(e) for e in plan.episodes]
    )
    document = {
        "format_version": FORMAT_VERSION,
        "summary": plan.summary(),
        "changes": changes,
        "unmanaged": [_unmanaged(u) for u in plan.unmanaged],
        "warnings": [_warning(w) for w in plan.warnings],
        "live_read": plan.live_read,
        "guards": [_guard(g) for g in plan.guards],
        "protect": [
            {"show": show, "episode": episode, "protect": protect}
            for show, episode, protect in plan.protect
        ],
        "settings": _settings(plan.settings),
    }
    return {**document, "checksum": document_checksum(document)}


def plan_checksum(plan: Plan, carried: Mapping[str, str] | None = None) -> str:
    """The checksum of what apply will do, as octoDNS's --checksum: it binds an apply to the
    plan a reviewer approved. `carried` (digest -> job id) is the audio a pull request's
    previews paid for, which the apply after the merge takes from the plan comment."""
    return document_checksum(plan_to_dict(plan), carried)


def document_checksum(document: Mapping[str, Any], carried: Mapping[str, str] | None = None) -> str:
    """The checksum of a plan document: every change (with the job id of each reused audio),
    the guards apply would refuse, the settings that decided them (podsync.yaml's `safety:`,
    every `protect:` in force, the `protect:` values to record) and the carried preview jobs.
    Codes only, never a sentence (a plan holds none): rewording a message or a reason in
    render/ keeps the checksum. Warnings are not covered: they decide nothing.

    A recorded job that finished between plan and apply turns `resume` into `reuse`: both
    cost nothing and wait on the same mic_id, so they count as one and the reviewed plan
    stays valid."""
    settled = [
        {**c, "action": "reuse", "reason": AUDIO_REASONS["reuse"].value}
        if c.get("type") == "audio" and c.get("action") == "resume"
        else c
        for c in _without_fields(document["changes"])
    ]
    decided = {
        "changes": settled,
        "guards": document["guards"],
        "protect": document["protect"],
        "settings": document["settings"],
        "carried": dict(sorted((carried or {}).items())),
    }
    canonical = json.dumps(decided, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _without_fields(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changes without their field diffs: those explain a change to a reviewer and depend
    on what the plan was compared with (--base-ref); the change itself (its reason, its
    desired values, its digest) is what apply does, and is covered."""
    return [{k: v for k, v in c.items() if k != "fields"} for c in changes]


def _fields(changes: tuple[FieldChange, ...]) -> list[dict[str, Any]]:
    return [{"path": c.path, "before": c.before, "after": c.after} for c in changes]


def _show(change: ShowChange) -> dict[str, Any]:
    """A show change; fields its kind does not have are null, so every entry has them all."""
    deleted = isinstance(change, DeleteShow)
    before: dict[str, str] | None = None
    if isinstance(change, UpdateShow):
        before = change.before
    elif deleted:
        before = {"title": change.title, "description": change.description}
    return {
        "type": "show",
        "action": change.action,
        "show": change.key,
        "show_id": getattr(change, "show_id", None),
        "reason": change.reason.value,
        "title": None if deleted else change.title,
        "description": None if deleted else change.description,
        "before": before,
        "renamed_from": getattr(change, "renamed_from", None),
        "fields": _fields(change.changes) if isinstance(change, UpdateShow) else [],
    }


def _audio(job: AudioJob) -> dict[str, Any]:
    return {
        "type": "audio",
        "action": job.action,
        "show": job.show,
        "episode": job.episode,
        "reason": AUDIO_REASONS[job.action].value,
        "title": job.title,
        "digest": job.digest,
        "mic_id": getattr(job, "mic_id", None),
        "source": source_to_dict(job.source),
    }


def _episode(change: EpisodeChange) -> dict[str, Any]:
    return {
        "type": "episode",
        "action": change.action,
        "show": change.show,
        "episode": change.key,
        "reason": change.reason.value,
        "position": getattr(change, "position", 0),
        "title": change.title,
        "description": getattr(change, "description", None),
        "digest": getattr(change, "digest", None),
        "episode_id": getattr(change, "episode_id", None),
        "mic_id": getattr(change, "mic_id", None),
        "republish": getattr(change, "republish", False),
        "renamed_from": getattr(change, "renamed_from", None),
        "fields": _fields(change.changes) if isinstance(change, ReplaceEpisode) else [],
    }


def _guard(guard: Guard) -> dict[str, Any]:
    return {
        "code": guard.code.value,
        "show": guard.show,
        "episode": guard.episode,
        "params": dict(guard.params),
        "flag": guard.flag,
    }


def _warning(warning: Warning) -> dict[str, Any]:
    return {
        "code": warning.code.value,
        "show": warning.show,
        "episode": warning.episode,
        "params": dict(warning.params),
        "acknowledged": warning.acknowledged,
    }


def _settings(settings: GuardSettings) -> dict[str, Any]:
    return {
        "max_removal_share": settings.max_removal_share,
        "min_episodes": settings.min_episodes,
        "protected_in_manifests": list(settings.protected_in_manifests),
        "protected_in_lock": list(settings.protected_in_lock),
    }


def _unmanaged(item: Unmanaged) -> dict[str, Any]:
    return {"show": item.show, "episode_id": item.episode_id, "title": item.title}


def source_to_dict(source: Source) -> dict[str, Any]:
    """A source as data; a document appears as its display path, hash, size and type only."""
    document = source.document
    return {
        "kind": source.kind,
        "topic": source.topic,
        "duration_minutes": source.duration_minutes,
        "document": (
            {
                "path": document.display,
                "sha256": document.sha256,
                "size": document.size,
                "content_type": document.content_type,
            }
            if document is not None
            else None
        ),
        "dialogue": [{"speaker": speaker, "text": text} for speaker, text in source.dialogue],
        "style_prompt": source.style_prompt,
    }
