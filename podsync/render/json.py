"""The plan as a JSON document, for machines: CI steps, saved plans and their checksums.

The document is a pure function of the Plan and is serialised with sorted keys, so the same
plan always produces the same bytes. Every field is always present (null when it does not
apply), which keeps `jq` filters and the schema in schemas/plan.schema.json simple.
Document sources are described by display path, size and hash; their bytes never appear.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from podsync.model import Source
from podsync.plan import (
    AudioAction,
    AudioJob,
    EpisodeChange,
    Guard,
    Plan,
    ShowChange,
    Unmanaged,
)
from podsync.safe_text import escape_json

FORMAT_VERSION = 1

# AudioJob carries no reason of its own: the action is the reason.
AUDIO_REASONS: dict[AudioAction, str] = {
    "generate": "new paid audio job",
    "resume": "submitted by an earlier run; not paid again",
    "reuse": "finished audio in the cache",
}


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The JSON document for `plan`: summary, then every change in the order apply makes it."""
    changes = (
        [_show(c) for c in plan.shows]
        + [_audio(j) for j in plan.audio]
        + [_episode(e) for e in plan.episodes]
    )
    return {
        "format_version": FORMAT_VERSION,
        "checksum": changes_checksum(changes),
        "summary": plan.summary(),
        "changes": changes,
        "unmanaged": [_unmanaged(u) for u in plan.unmanaged],
        "warnings": list(plan.warnings),
        "live_read": plan.live_read,
        "guards": [_guard(g) for g in plan.guards],
        "protect": [
            {"show": show, "episode": episode, "protect": protect}
            for show, episode, protect in plan.protect
        ],
    }


def plan_checksum(plan: Plan) -> str:
    """The sha256 of the plan's changes, as octoDNS's --checksum: it binds an apply to the
    changes a reviewer approved, whatever else (warnings, wording) the report says."""
    return str(plan_to_dict(plan)["checksum"])


def changes_checksum(changes: list[dict[str, Any]]) -> str:
    """The checksum of a plan document's `changes`. A recorded job that finished between plan
    and apply turns `resume` into `reuse`: both cost nothing and wait on the same mic_id, so
    they count as one and the reviewed plan stays valid."""
    settled = [
        {**c, "action": "reuse", "reason": AUDIO_REASONS["reuse"]}
        if c.get("type") == "audio" and c.get("action") == "resume"
        else c
        for c in changes
    ]
    canonical = json.dumps(settled, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def render_json(plan: Plan) -> str:
    """Deterministic text of `plan_to_dict(plan)`: sorted keys, 2-space indent, final newline.

    Control and bidi characters a live title may carry are written as `\\uXXXX` escapes: the
    data is the same, but a terminal or CI log showing the document is not steered by it."""
    text = json.dumps(plan_to_dict(plan), sort_keys=True, indent=2, ensure_ascii=False)
    return escape_json(text) + "\n"


def _show(change: ShowChange) -> dict[str, Any]:
    return {
        "type": "show",
        "action": change.action,
        "show": change.key,
        "show_id": change.show_id,
        "reason": change.reason,
        "title": change.title,
        "description": change.description,
        "before": dict(change.before) if change.before is not None else None,
        "renamed_from": change.renamed_from,
    }


def _audio(job: AudioJob) -> dict[str, Any]:
    return {
        "type": "audio",
        "action": job.action,
        "show": job.show,
        "episode": job.episode,
        "reason": AUDIO_REASONS[job.action],
        "title": job.title,
        "digest": job.digest,
        "mic_id": job.mic_id,
        "source": source_to_dict(job.source),
    }


def _episode(change: EpisodeChange) -> dict[str, Any]:
    return {
        "type": "episode",
        "action": change.action,
        "show": change.show,
        "episode": change.key,
        "reason": change.reason,
        "position": change.position,
        "title": change.title,
        "description": change.description,
        "digest": change.digest,
        "episode_id": change.episode_id,
        "mic_id": change.mic_id,
        "republish": change.republish,
        "renamed_from": change.renamed_from,
    }


def _guard(guard: Guard) -> dict[str, Any]:
    return {
        "kind": guard.kind,
        "target": guard.target,
        "message": guard.message,
        "flag": guard.flag,
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
