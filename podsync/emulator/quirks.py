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

from podsync.emulator.faults import parse_pairs
from podsync.errors import ConfigError

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
PAGINATION_STYLES = ("none", "link", "envelope", "cursor")


@dataclass(frozen=True)
class Quirks:
    """How the emulator departs from its defaults, each way legal for a real server."""

    # DELETE answers 204 No Content with an empty body instead of 200 {"deleted": true}.
    delete_no_content: bool = False
    # timing (issue 9, points 4-5):
    # POST /podcasts and POST /podcasts/{id}/episodes answer this many seconds late...
    slow_create: float = 0.0
    # ...and their effect lands this many seconds after the request arrived (0: at once); it
    # lands even if the client has given up on the answer.
    slow_create_effect: float = 0.0
    # Every GET /audios/{id} answer carries `Retry-After: N` (0 and 86400 included; -1: the
    # emulator's own estimate, sent while the job runs).
    poll_retry_after: int = -1
    # POST /audios answers with `Retry-After: N` (-1: without one): when to look at the job.
    submit_retry_after: int = -1
    # Titles longer than this many characters are refused with a 400 when a show is created or
    # an episode added (0: the usual limit, 255).
    max_title_chars: int = 0
    # POST /audios answers this many seconds after it has created (and billed) the job.
    audio_answer_seconds: float = 0.0

    # Titles of shows and episodes in every answer, and error messages, carry odd text: a lone
    # surrogate, a bidi override, control characters and a 10,000-character tail (routes_base.py).
    odd_text: bool = False

    # Listings (shows, episodes) come in pages of `page_size`: "link" (a Link: rel="next"
    # header), "envelope" (total, page, per_page, next_page beside the list), "cursor"
    # (pagination: {next_cursor, has_more}) or "none" (the whole list at once).
    pagination: str = "none"
    page_size: int = 2
    # Broken pagination, for tests that podsync refuses it: "loop" (the last page's next link
    # leads back to the first page), or an origin ("http://host:port") that Link headers (with
    # pagination=link) point at instead of the emulator's own.
    next_link: str = ""
    # The envelope's total, and each show's episode_count, are off by this many (stale counts).
    total_skew: int = 0
    episode_count_skew: int = 0
    # A succeeded job's audio_url is "" (a job that says it is done but has no file).
    empty_audio_url: bool = False
    # POST /podcasts and POST /podcasts/{id}/episodes answer 201 Created with an empty body
    # (legal HTTP: the answer need not carry what was made).
    create_no_content: bool = False
    # The episode listing leaves out each episode's mic_id (the API page shows the listing's
    # shape nowhere), for the test that podsync refuses it rather than re-publish everything.
    listing_without_mic_id: bool = False
    # POST /scripts answers 400 for a topic longer than this many characters (0: no such
    # limit): the API page gives no limit, and a server may set a tighter one for scripts than
    # for audio; for the test that a failed script request names its episode and request.
    script_topic_max_chars: int = 0
    # A job's status carries `progress`, its percent done (0-100), while it is queued or
    # running: the API page shows no such field, but a server may add one (issue 13, point 5).
    job_progress: bool = False
    # The audio files (/cdn/<id>.mp3) answer HEAD with 405, as some CDNs do: only GET, ranged
    # or not, tells what they hold (for `podsync verify`).
    audio_head_refused: bool = False

    def __post_init__(self) -> None:
        if self.pagination not in PAGINATION_STYLES:
            styles = ", ".join(PAGINATION_STYLES)
            raise ConfigError(f"bad quirk pagination={self.pagination!r}: one of {styles}")
        if self.page_size < 1:
            raise ConfigError(f"bad quirk page_size={self.page_size}: at least 1")

    @classmethod
    def parse(cls, spec: str) -> Quirks:
        """``"delete_no_content=true,..."``: comma-separated NAME=VALUE; names may use ``-``."""
        pairs = parse_pairs(spec, [f.name for f in fields(cls)], "quirk")
        return cls(**{n: _value(item, text, getattr(cls, n)) for n, (item, text) in pairs.items()})

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
        raise ConfigError(f"bad quirk {item!r}: write true or false")
    try:
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        raise ConfigError(f"bad quirk {item!r}: {text!r} is not a number") from None
    return text
