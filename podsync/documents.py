"""Read documents so that what is uploaded is what was checked.

A document is checked (type, size) and hashed when the manifests load, and uploaded minutes
later, when its audio job starts. In between it may be edited, or swapped for a symlink that
leads out of the project (to ~/.ssh, say). So a document is opened without following a symlink
and hashed from the very bytes its type was judged by; at upload it is read once more, and
those bytes are sent only if they hash to the digest the plan (and the audio cache) knows it
by. Otherwise nothing is sent. Re-reading keeps one document at a time in memory, not every
document of the project for the whole run.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

from podsync.errors import DocumentChanged
from podsync.model import Document

CHUNK = 1024 * 1024


def _open(path: Path) -> int:
    """A descriptor on the regular file at `path`, never on what a symlink there points to."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(0, "not a regular file", str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def head_and_digest(path: Path, head_size: int) -> tuple[bytes, str]:
    """The first `head_size` bytes (to judge the type by) and the sha256 of the whole file, from
    one reading of one descriptor. Raises OSError."""
    digest = hashlib.sha256()
    with os.fdopen(_open(path), "rb") as handle:
        head = handle.read(head_size)
        digest.update(head)
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return head, digest.hexdigest()


def read_checked(document: Document) -> bytes:
    """The document's bytes, provided they are the ones checked when the manifests loaded;
    DocumentChanged otherwise (nothing is to be sent). A file that grew is not read whole."""
    try:
        with os.fdopen(_open(Path(document.path)), "rb") as handle:
            content = handle.read(document.size + 1)
    except OSError as exc:
        why = "is now a symlink" if exc.errno == errno.ELOOP else f"cannot be read ({exc})"
        raise DocumentChanged(
            f"document {document.display} {why} since it was checked; plan again"
        ) from None
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise DocumentChanged(
            f"document {document.display} changed since it was checked (its content no longer "
            "matches the digest the plan was made with); plan again"
        )
    return content
