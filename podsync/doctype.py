"""Does a document's content match the type its name claims?

podsync tells the API a document's type from its extension, and the API bills for the audio
it makes from it: a binary renamed notes.md, or a text file renamed report.pdf, would be
uploaded and paid for as nonsense. Only the first bytes are read: the signature each binary
format starts with, and for text formats the absence of NUL bytes (how git tells binary from
text; it also turns away UTF-16, which the API is not documented to read).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

SNIFF_BYTES = 8192

_SIGNATURES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "application/pdf": ("PDF", lambda head: b"%PDF-" in head[:1024]),
    "image/jpeg": ("JPEG", lambda head: head.startswith(b"\xff\xd8\xff")),
    "image/png": ("PNG", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "image/webp": ("WebP", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "image/heic": ("HEIC", lambda head: head[4:8] == b"ftyp"),
}


def content_problem(path: Path, content_type: str) -> str | None:
    """Why the file at `path` is not the `content_type` its extension says, or None.
    Raises OSError when it cannot be read."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    return head_problem(head, content_type)


def head_problem(head: bytes, content_type: str) -> str | None:
    """As content_problem, judged by the first SNIFF_BYTES bytes already read."""
    signature = _SIGNATURES.get(content_type)
    if signature is not None:
        name, matches = signature
        return None if matches(head) else f"is not a {name} file (it does not start like one)"
    if b"\0" in head:
        return "is not a text file (it contains NUL bytes; save text as UTF-8)"
    return None
