"""What an emulated audio job does: how long it takes, how it ends, and the script it would speak.

Status is a pure function of the job's wall-clock ``created_at`` and its duration, so nothing has to
tick in the background and a restarted emulator reports the same progress: ``queued`` for the first
quarter of the time, ``running`` until the end, then ``succeeded`` (or ``failed``).

Scripts are deterministic: the same topic/document/duration always yields the same dialogue, so
tests can compare two calls; variety comes from a hash of the input, never from a global RNG.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

FAIL_MARKER = "[emulator:fail]"
QUEUED_FRACTION = 0.25
MAX_SCRIPT_LINES = 40

SPEAKERS = ("male", "female")
TEMPLATES = (
    "Let's start with this: {p}.",
    "One thing that stood out to me is {p}.",
    "Right, and that connects to {p}.",
    "Listeners often ask about {p}.",
    "Here's a detail worth pausing on: {p}.",
    "So how should we think about {p}?",
)
STYLE_PROMPTS = (
    "Conversational, upbeat, informative",
    "Calm, thoughtful, curious",
    "Lively, witty, fast-paced",
    "Warm, friendly, explanatory",
)


@dataclass(frozen=True)
class Progress:
    status: str
    retry_after: int | None


@dataclass(frozen=True)
class Script:
    title: str
    style_prompt: str
    dialogue: tuple[tuple[str, str], ...]


def progress(created_at: float, seconds: float, failed: bool, now: float) -> Progress:
    """Where a job is at ``now``; ``retry_after``: whole seconds until asking again is useful."""
    elapsed = now - created_at
    if elapsed >= seconds:
        return Progress("failed" if failed else "succeeded", None)
    status = "queued" if elapsed < seconds * QUEUED_FRACTION else "running"
    return Progress(status, max(1, math.ceil(seconds - elapsed)))


def failure_for(texts: Iterable[str | None]) -> str | None:
    """The error a job will end with if any of its texts carries FAIL_MARKER, else None."""
    if any(text and FAIL_MARKER in text for text in texts):
        return "audio synthesis failed (requested by the emulator failure marker)"
    return None


def write_script(
    *,
    topic: str | None,
    title: str | None,
    document_name: str | None = None,
    document_text: str = "",
    duration_minutes: int = 5,
) -> Script:
    """A two-host dialogue about ``topic`` and/or a document, about two lines per minute."""
    subject = _subject(topic, document_name)
    seed = hashlib.sha256(
        "\x00".join([topic or "", title or "", document_name or "", document_text[:4096]]).encode()
        + str(duration_minutes).encode()
    ).digest()
    rng = random.Random(int.from_bytes(seed[:8], "big"))
    points = _points(document_text) or _talking_points(subject)
    rng.shuffle(points)
    total = min(MAX_SCRIPT_LINES, 2 + 2 * duration_minutes)
    lines = [
        ("male", f"Hello and welcome to our audio. Today we're talking about {_inline(subject)}."),
        ("female", f"I've been looking forward to this one. {_focus(topic, document_name)}"),
    ]
    offset = rng.randrange(len(TEMPLATES))
    while len(lines) < total - 1:
        turn = len(lines) - 2
        template = TEMPLATES[(offset + turn) % len(TEMPLATES)]
        lines.append((SPEAKERS[len(lines) % 2], template.format(p=points[turn % len(points)])))
    lines.append((SPEAKERS[len(lines) % 2], "That's all for today. Thanks for listening."))
    return Script(
        title=title or _title_from(subject),
        style_prompt=rng.choice(STYLE_PROMPTS),
        dialogue=tuple(lines[:total]),
    )


def _subject(topic: str | None, document_name: str | None) -> str:
    if topic:
        return topic.strip().rstrip(".")
    if document_name:
        return f"the document {document_name}"
    return "an interesting topic"


def _focus(topic: str | None, document_name: str | None) -> str:
    if topic and document_name:
        return f"We'll read {document_name} with one question in mind: {topic.strip()}"
    if document_name:
        return f"We'll walk through the main ideas in {document_name}."
    return "There is a lot to unpack here."


def _points(text: str) -> list[str]:
    """Up to 50 sentences of a document, stripped of markup, to talk about."""
    sentences = re.split(r"(?<=[.!?])\s+|\n+", text)
    points = [" ".join(s.split()).strip("#*>-_ ").rstrip(".!?") for s in sentences]
    return [_inline(p[:200]) for p in points if len(p) > 3][:50]


def _talking_points(subject: str) -> list[str]:
    s = _inline(subject)
    return [
        f"why {s} matters right now",
        f"where {s} came from",
        f"the most common misconceptions about {s}",
        f"what {s} means for everyday life",
        f"what comes next for {s}",
    ]


def _inline(text: str) -> str:
    """Lower-case a leading capital ("The future" -> "the future") but keep acronyms ("AI")."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _title_from(subject: str) -> str:
    words = subject.split()
    title = " ".join(words[:8]) + ("..." if len(words) > 8 else "")
    return title[:1].upper() + title[1:]
