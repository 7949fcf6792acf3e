"""How every report counts things, apart from the plan vocabulary (podsync.plan re-exports it)
so that `podsync validate` can say its count without loading the plan's classes."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """ "1 episode", "2 episodes": how every report counts things."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
