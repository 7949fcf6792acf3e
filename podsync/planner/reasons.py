"""Why a title or description changes: the manifest moved, or the live value drifted."""

from __future__ import annotations

from podsync.plan import Reason

_DIFFERS = {
    ("title",): Reason.TITLE_DIFFERS,
    ("description",): Reason.DESCRIPTION_DIFFERS,
    ("title", "description"): Reason.TITLE_AND_DESCRIPTION_DIFFER,
}


_CHANGED = {
    ("title",): Reason.TITLE_CHANGED,
    ("description",): Reason.DESCRIPTION_CHANGED,
    ("title", "description"): Reason.TITLE_AND_DESCRIPTION_CHANGED,
}


def _why_changed(before: dict[str, str], recorded: object, wanted: object) -> Reason:
    """Title or description changed when the manifest moved away from what podsync last
    applied; drift when the manifest still says what podsync applied but the live value
    differs; `differs` when there is no record to tell."""
    if recorded is None:
        return _DIFFERS[tuple(before)]
    edited = tuple(f for f in before if getattr(recorded, f) != getattr(wanted, f))
    return _CHANGED[edited] if edited else Reason.DRIFT_CHANGED


def _differing(current: object, wanted: object) -> dict[str, str]:
    """Field -> live value, for the title and description the live show or episode has that
    the manifest does not: what an update or a re-publish changes, and what its reason names."""
    return {
        field: getattr(current, field)
        for field in ("title", "description")
        if getattr(current, field) != getattr(wanted, field)
    }
