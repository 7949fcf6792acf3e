"""A fast yes/no answer to "does this lock match lock.schema.json?", so that the usual lock, the
one podsync wrote itself, is not walked by jsonschema on every plan (1-2 s at 20,000 episodes,
against some 20 ms here).

It is exactly as strict as the schema: what it accepts, jsonschema accepts (a property test in
tests/test_lock_check.py mutates valid locks and compares the two). What it refuses goes to
jsonschema, which says what is wrong and where (FILE:LINE:COL), so a lock edited by hand is
still fully checked and explained. SCHEMA_SHA256 pins the schema this mirrors: a test fails
when the schema changes, until this module is brought in line and the digest updated.
"""

from __future__ import annotations

import re
from collections.abc import Callable

SCHEMA_SHA256 = "fde2f22825627691880f0ac66fa4114f486df8c31f56543e658c1cc3cb4d7349"

# the schema's patterns, read as JSON Schema reads them: `$` is the end of the text
_KEY = re.compile(r"[a-z0-9][a-z0-9._-]*\Z").match
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}\Z").match
_NUMBER = re.compile(r"[1-9][0-9]*\Z").match
_COMMIT = re.compile(r"[0-9a-f]{7,64}\Z").match
_HEX = re.compile(r"[0-9a-f]{64}\Z").match

_TOP = frozenset({"version", "shows", "audio", "history", "unconfirmed", "applied"})
_SHOW_REQUIRED = frozenset({"show_id", "title", "description", "episodes"})
_SHOW = _SHOW_REQUIRED | {"protected", "retired"}
_EPISODE_REQUIRED = frozenset({"episode_id", "mic_id", "digest", "title", "description"})
_EPISODE = _EPISODE_REQUIRED | {"protected", "source"}
_SOURCE = frozenset(
    {"kind", "topic", "duration_minutes", "style_prompt", "mic_id", "document"}
    | {"dialogue_lines", "dialogue_digest"}
)
_KINDS = ("topic", "document", "dialogue", "audio")
_AUDIO = frozenset({"mic_id", "status", "audio_url", "audio_page_url", "error"})


def matches_schema(data: object) -> bool:
    """True only if `data` (as json.loads gives it) is valid against lock.schema.json."""
    if not isinstance(data, dict) or not _fields(data, {"version", "shows", "audio"}, _TOP):
        return False
    version = data["version"]
    if isinstance(version, bool) or version != 1:
        return False
    return (
        _entries(data["shows"], _KEY, _show)
        and _entries(data["audio"], _DIGEST, _audio)
        and _entries(data.get("history", {}), _DIGEST, _history)
        and _entries(data.get("unconfirmed", {}), _DIGEST, _unconfirmed)
        and _entries(data.get("applied", {}), _NUMBER, _applied)
    )


def _fields(
    item: dict[object, object], required: frozenset[str] | set[str], allowed: frozenset[str]
) -> bool:
    return item.keys() >= required and item.keys() <= allowed


def _entries(
    table: object, key_ok: Callable[[str], object], value_ok: Callable[[object], bool]
) -> bool:
    if not isinstance(table, dict):
        return False
    return all(key_ok(key) and value_ok(value) for key, value in table.items())


def _text(value: object) -> bool:
    return isinstance(value, str)


def _id(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _show(show: object) -> bool:
    if not isinstance(show, dict) or not _fields(show, _SHOW_REQUIRED, _SHOW):
        return False
    retired = show.get("retired", {})
    return (
        _id(show["show_id"])
        and _text(show["title"])
        and _text(show["description"])
        and isinstance(show.get("protected", False), bool)
        and _entries(show["episodes"], _KEY, _episode)
        and _entries(retired, _id, lambda key: isinstance(key, str) and bool(_KEY(key)))
    )


def _episode(episode: object) -> bool:
    if not isinstance(episode, dict) or not _fields(episode, _EPISODE_REQUIRED, _EPISODE):
        return False
    digest = episode["digest"]
    return (
        _id(episode["episode_id"])
        and _id(episode["mic_id"])
        and isinstance(digest, str)
        and bool(_DIGEST(digest))
        and _text(episode["title"])
        and _text(episode["description"])
        and isinstance(episode.get("protected", False), bool)
        and ("source" not in episode or _source(episode["source"]))
    )


def _source(source: object) -> bool:
    if not isinstance(source, dict) or not _fields(source, {"kind"}, _SOURCE):
        return False
    digest = source.get("dialogue_digest", "sha256:" + "0" * 64)
    return (
        source["kind"] in _KINDS
        and all(_text(source.get(name, "")) for name in ("topic", "style_prompt", "mic_id"))
        and _integer(source.get("duration_minutes", 0))
        and _integer(source.get("dialogue_lines", 0), minimum=0)
        and isinstance(digest, str)
        and bool(_DIGEST(digest))
        and ("document" not in source or _document(source["document"]))
    )


def _document(document: object) -> bool:
    if not isinstance(document, dict) or document.keys() != {"path", "sha256", "size"}:
        return False
    sha256 = document["sha256"]
    return (
        _text(document["path"])
        and isinstance(sha256, str)
        and bool(_HEX(sha256))
        and _integer(document["size"], minimum=0)
    )


def _integer(value: object, minimum: float | None = None) -> bool:
    """JSON Schema's integer: 3 or 3.0, never true."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    whole = isinstance(value, int) or value.is_integer()
    return whole and (minimum is None or value >= minimum)


def _audio(audio: object) -> bool:
    if not isinstance(audio, dict) or not _fields(audio, {"mic_id", "status"}, _AUDIO):
        return False
    return _id(audio["mic_id"]) and all(_text(value) for value in audio.values())


def _history(jobs: object) -> bool:
    return isinstance(jobs, list) and all(_audio(job) for job in jobs)


def _unconfirmed(job: object) -> bool:
    if not isinstance(job, dict) or job.keys() != {"at", "request"}:
        return False
    return _text(job["at"]) and _text(job["request"])


def _applied(approval: object) -> bool:
    if not isinstance(approval, dict) or approval.keys() != {"checksum", "merge_commit"}:
        return False
    checksum, commit = approval["checksum"], approval["merge_commit"]
    return (
        isinstance(checksum, str)
        and bool(_DIGEST(checksum))
        and isinstance(commit, str)
        and bool(_COMMIT(commit))
    )
