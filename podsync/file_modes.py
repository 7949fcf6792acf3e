"""The permission bits a file podsync replaces keeps: an atomic write goes through a temporary
file, which mkstemp creates 0600, so without this a rewrite would quietly make a user's lock or
script unreadable to their group."""

from __future__ import annotations

import os
from pathlib import Path


def file_mode(path: Path) -> int:
    """`path`'s current mode, or what a plainly created file gets (0666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
