"""Legal behaviours of a real ZenMic server that the emulator does not show by default.

The API page is silent on pagination, status codes, timing and limits, and a real server may
fill those gaps differently from the emulator, which was written beside the client. Each field
here makes the emulator behave one such way, so every promise podsync makes can be tested over
HTTP against a server that does not agree with it by construction. Set them in tests with
``EmulatorServer(..., quirks=Quirks(...))``, on the command line with
``podsync emulator --quirk NAME=VALUE`` (repeatable) or, in local mode, with
``ZENMIC_EMULATOR_QUIRKS="delete_no_content=true"``.

Unlike faults (faults.py), quirks are not failures: a client that follows HTTP and the API page
must work against every combination of them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from podsync.errors import PodsyncError

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class Quirks:
    """How the emulator departs from its defaults, each way legal for a real server."""

    # DELETE answers 204 No Content with an empty body instead of 200 {"deleted": true}.
    delete_no_content: bool = False
    # Titles longer than this many characters are refused with a 400 when a show is created or
    # an episode added (0: the usual limit, 255).
    max_title_chars: int = 0
    # POST /audios answers this many seconds after it has created (and billed) the job.
    audio_answer_seconds: float = 0.0

    @classmethod
    def parse(cls, spec: str) -> Quirks:
        """``"delete_no_content=true,..."``: comma-separated NAME=VALUE; names may use ``-``."""
        known = {f.name: f for f in fields(cls)}
        allowed = ", ".join(known)
        values: dict[str, Any] = {}
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            name, sep, text = (part.strip() for part in item.partition("="))
            name = name.lower().replace("-", "_")
            if not sep or not name or not text:
                raise PodsyncError(f"bad quirk {item!r}: write NAME=VALUE (names: {allowed})")
            if name not in known:
                raise PodsyncError(f"bad quirk {item!r}: unknown name {name!r} (names: {allowed})")
            if name in values:
                raise PodsyncError(f"bad quirk {item!r}: {name} is given twice")
            values[name] = _value(item, text, getattr(cls, name))
        return cls(**values)

    @property
    def active(self) -> bool:
        return self != Quirks()

    def describe(self) -> str:
        """One line for people: the quirks that differ from the defaults."""
        changed = [
            f"{f.name}={getattr(self, f.name)}"
            for f in fields(self)
            if getattr(self, f.name) != f.default
        ]
        return ", ".join(changed) or "no quirks"


def _value(item: str, text: str, default: Any) -> Any:
    """``text`` read as the type of the field's default."""
    if isinstance(default, bool):
        lowered = text.lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise PodsyncError(f"bad quirk {item!r}: write true or false")
    try:
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        raise PodsyncError(f"bad quirk {item!r}: {text!r} is not a number") from None
    return text
