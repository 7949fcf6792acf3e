"""The source of a published episode as podsync.lock records it: what a plan shows as "before".

The lock's `digest` says that a source changed, not what changed: a topic edit read as
`digest: sha256:0867dbde09b5 -> sha256:43560f1d8f93`. Terraform can say more because its state
holds the attributes it applied; this is that record for a source. It holds the fields a
reviewer reads (kind, topic, duration, style, the existing job's id, the document's path, hash
and size) and, for a dialogue, only its number of lines and a digest of them: the words
themselves stay in the manifests (and in git, where `plan --base-ref` diffs them line by
line), so the lock stays small and a script is not copied into it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from podsync.model import Source

# the fields in the order a plan lists them, after those of podsync.field_diff
ORDER = (
    "kind",
    "mic_id",
    "topic",
    "duration_minutes",
    "document",
    "style_prompt",
    "dialogue_lines",
    "dialogue_digest",
)


@dataclass(frozen=True)
class AppliedDocument:
    path: str  # as written in the manifest, relative to it
    sha256: str  # hex, as Document.sha256
    size: int


@dataclass(frozen=True)
class AppliedSource:
    """A source as published; absent fields are None (`dialogue_*` for a dialogue only)."""

    kind: str
    topic: str | None = None
    duration_minutes: int | None = None
    style_prompt: str | None = None
    mic_id: str | None = None
    document: AppliedDocument | None = None
    dialogue_lines: int | None = None
    dialogue_digest: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """As the lock holds it: unset fields left out."""
        data = {name: getattr(self, name) for name in ORDER if name != "document"}
        if self.document is not None:
            data["document"] = vars(self.document)
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AppliedSource:
        """From a lock already checked against its schema."""
        document = data.get("document")
        return cls(
            kind=data["kind"],
            topic=data.get("topic"),
            duration_minutes=_whole(data.get("duration_minutes")),
            style_prompt=data.get("style_prompt"),
            mic_id=data.get("mic_id"),
            document=(
                AppliedDocument(document["path"], document["sha256"], int(document["size"]))
                if document is not None
                else None
            ),
            dialogue_lines=_whole(data.get("dialogue_lines")),
            dialogue_digest=data.get("dialogue_digest"),
        )

    def fields(self) -> dict[str, Any]:
        """Every field, None where absent, for a structural comparison (podsync.field_diff)."""
        data = {name: getattr(self, name) for name in ORDER}
        data["document"] = vars(self.document) if self.document is not None else None
        return data


def applied_source(source: Source) -> AppliedSource:
    """The record of `source`, as the executor writes it when it publishes."""
    document = source.document
    dialogue = source.dialogue if source.kind == "dialogue" else None
    return AppliedSource(
        kind=source.kind,
        topic=source.topic,
        duration_minutes=source.duration_minutes,
        style_prompt=source.style_prompt,
        mic_id=source.mic_id,
        document=(
            AppliedDocument(document.display, document.sha256, document.size)
            if document is not None
            else None
        ),
        dialogue_lines=len(dialogue) if dialogue is not None else None,
        dialogue_digest=dialogue_digest(dialogue) if dialogue is not None else None,
    )


def dialogue_digest(dialogue: Iterable[tuple[str, str]]) -> str:
    """sha256 of the lines as canonical JSON: equal exactly when every speaker and word is."""
    canonical = json.dumps([list(line) for line in dialogue], separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _whole(value: object) -> int | None:
    """JSON Schema's integer takes 8.0 too; the record holds an int."""
    return int(value) if isinstance(value, (int, float)) else None
