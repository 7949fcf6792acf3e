"""ZenMic over httpx: auth, the response envelope, retries and error mapping.

This is the only module that talks to the ZenMic API, so tests and fault injection have one
seam (``transport=``). Every failure leaves it as one exception type:

    PodsyncError                  the API key is missing or unusable (raised at the first request)
    ApiError(method, path, ...)   the API said no, answered nonsense, or never answered
        status=None                   network failure after retries, or a POST whose outcome is
                                      unknown (a re-run of plan reconciles it)

Every request has a deadline (timeouts.py): retries stop when it passes, and the error says
what was waited for. A POST keeps its connection for the first answer longer than a read does,
since giving up on it leaves its outcome unknown.

The API documentation is silent on list shapes, pagination and status values, so parsing is
tolerant of shape (a bare list or an object wrapping one list; int or str ids; missing
descriptions; any 2xx, with an empty body where nothing needs to come back) but strict about
meaning: a listing podsync cannot read completely is an error, never an empty or partial list,
because the planner would take missing shows for deleted ones and pay to create them again.
So every page of a listing is read (``Link: rel="next"`` or the usual body envelopes), on the
API's own origin only, and a listing that loops, repeats itself or disagrees with its own
``total`` is refused.

The package holds one concern per module: transport.py (auth, envelope, retries), failures.py
(what an error says), listing.py (pagination), catalogue.py (shows and episodes), audio.py
(audio jobs and scripts), reading.py (values in answers) and api.py (ZenMicClient itself).
"""

from podsync.client.api import ZenMicClient
from podsync.client.audio import NO_AUDIO_URL, AudioStatus, WrittenScript, usable_audio_url
from podsync.client.failures import ERROR_CHARS, SNIPPET_CHARS
from podsync.client.listing import LIST_KEYS, MAX_LIST_PAGES, PAGINATION_PLACES
from podsync.client.transport import MAX_CONNECTIONS, UNREACHED_ERRORS

__all__ = [
    "ERROR_CHARS",
    "LIST_KEYS",
    "MAX_CONNECTIONS",
    "MAX_LIST_PAGES",
    "NO_AUDIO_URL",
    "PAGINATION_PLACES",
    "SNIPPET_CHARS",
    "UNREACHED_ERRORS",
    "AudioStatus",
    "WrittenScript",
    "ZenMicClient",
    "usable_audio_url",
]
