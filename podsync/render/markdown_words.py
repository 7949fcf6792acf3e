"""The short phrases the Markdown plan builds from values rather than from codes: what an
audio source is made from and how it changed, its estimated length, and the counts of what a
budget cut. Split from markdown.py so the template context reads as layout only
(podsync.render.phrases holds the wording of reasons, warnings and guards)."""

from __future__ import annotations

from podsync.model import Source
from podsync.plan import counted
from podsync.render.field_lines import short_digest
from podsync.render.markdown_escape import code
from podsync.render.text import human_size, quote, shorten

DEFAULT_MINUTES = 5  # ZenMic's documented length when a topic or document gives none
WORDS_PER_MINUTE = 150  # a conversational speaking rate, to size a dialogue


def estimated_minutes(source: Source) -> float | None:
    """Minutes of audio a job for `source` will produce: its duration_minutes, else ZenMic's
    default of 5 for a topic or document, else a dialogue's words at ~150 a minute."""
    if source.duration_minutes is not None:
        return float(source.duration_minutes)
    if source.kind == "dialogue":
        words = sum(len(text.split()) for _, text in source.dialogue)
        return words / WORDS_PER_MINUTE
    if source.kind in ("topic", "document"):
        return float(DEFAULT_MINUTES)
    return None


def uses_default_length(source: Source) -> bool:
    return source.kind in ("topic", "document") and source.duration_minutes is None


def cut_text(count: int, singular: str, plural: str, after_some: bool) -> str | None:
    """'…and 3 more episode changes' after some were shown, '1 episode change' if none was."""
    if count <= 0:
        return None
    noun = singular if count == 1 else plural
    return f"…and {count:,} more {noun}" if after_some else f"{count:,} {noun}"


def republish_warning(episodes: list[str]) -> str:
    names = ", ".join(episodes[:20])
    if len(episodes) > 20:
        names += f" and {len(episodes) - 20} more"
    if len(episodes) == 1:
        return (
            f"episode {names} is re-published: it is removed and added again, so it moves to "
            "the top of the feed"
        )
    return (
        f"{len(episodes)} episodes are re-published ({names}): each is removed and added again, "
        "so it moves to the top of the feed"
    )


def describe(source: Source) -> str:
    """What the audio is made from, in one line; for a document only the parts that are not
    the file itself (which the template names by path, size and digest, never by its text)."""
    parts = []
    if source.kind == "topic":
        parts.append(f"topic {quote(shorten(source.topic or '', 200))}")
    elif source.kind == "document":
        if source.topic:
            parts.append(f"focus {quote(shorten(source.topic, 200))}")
    elif source.kind == "audio":
        parts.append(f"existing audio {source.mic_id}")
    else:
        speakers = ", ".join(dict.fromkeys(speaker for speaker, _ in source.dialogue))
        parts.append(
            f"dialogue, {counted(len(source.dialogue), 'line')}"
            + (f" ({speakers})" if speakers else "")
        )
    if source.duration_minutes is not None:
        parts.append(f"{source.duration_minutes} min")
    if source.style_prompt:
        parts.append(f"style {quote(shorten(source.style_prompt, 80))}")
    return ", ".join(parts)


def document_entry(source: Source, old: Source | None) -> dict[str, str] | None:
    """A document by display path, size and digest, and what it was at the base if it changed."""
    doc = source.document
    if doc is None:
        return None
    before = old.document if old is not None else None
    changed = before is not None and before.sha256 != doc.sha256
    return {
        "path": doc.display,
        "size": human_size(doc.size),
        "digest": short_digest(doc.sha256),
        "was_size": human_size(before.size) if before is not None and changed else "",
        "was_digest": short_digest(before.sha256) if before is not None and changed else "",
    }


def _kind(source: Source) -> str:
    return "existing audio" if source.kind == "audio" else f"a {source.kind}"


def source_edits(old: Source, new: Source) -> list[str]:
    """How a source changed since the base, in words: 'topic edited', 'dialogue edited'."""
    if old.kind != new.kind:
        return [f"now {_kind(new)} (was {_kind(old)})"]
    edits = []
    if old.mic_id != new.mic_id:
        edits.append(f"audio {old.mic_id} → {new.mic_id}")
    if old.topic != new.topic:
        edits.append("focus edited" if new.kind == "document" else "topic edited")
    if old.duration_minutes != new.duration_minutes:
        edits.append(f"length {_length(old)} → {_length(new)}")
    if old.document and new.document and old.document.sha256 != new.document.sha256:
        edits.append("document edited")
    if old.dialogue != new.dialogue:
        edits.append("dialogue edited")
    if old.style_prompt != new.style_prompt:
        edits.append("style edited")
    return edits


def _length(source: Source) -> str:
    if source.duration_minutes is None:
        return f"default ({DEFAULT_MINUTES} min)"
    return f"{source.duration_minutes} min"


def join_keys(keys: list[str]) -> str:
    quoted = [code(k) for k in keys[:10]]
    more = f" and {len(keys) - 10:,} more" if len(keys) > 10 else ""
    return ", ".join(quoted) + more


def minutes_text(minutes: float | None) -> str:
    if minutes is None:
        return "unknown length"
    if minutes < 1:
        return "under 1 min"
    return f"≈ {round(minutes):,} min"
