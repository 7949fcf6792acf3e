"""How long podsync waits for the ZenMic API, per kind of request, and how to change it.

A user must be able to predict when a command gives up: a server that accepts the connection
and never answers ends a `plan` after ``deadline`` seconds, with an error naming the request and
what it waited for. The read timeout suits the request: a listing answers at once or not at
all, while a create or an upload may take the server a while, and an answer given up on there
leaves its outcome unknown (see client/), which costs a look at the account or, for an audio
job, possibly a second payment.

``PODSYNC_TIMEOUT`` changes the limits for slow networks: a number sets the deadline
(``PODSYNC_TIMEOUT=300``); ``NAME=VALUE`` pairs set any field
(``PODSYNC_TIMEOUT="read=60,deadline=300"``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields, replace

from podsync.errors import ConfigError

TIMEOUT_ENV = "PODSYNC_TIMEOUT"
# Requests whose server side does real work (a script or an audio job, maybe from an uploaded
# document): the answer may take long, and giving up on it may cost money.
WORK_PATHS = ("/audios", "/scripts")


@dataclass(frozen=True)
class Timeouts:
    """Seconds podsync waits, for each kind of request."""

    connect: float = 5.0  # to open a connection: a server that exists accepts within this
    read: float = 15.0  # for an answer to a GET, PATCH or DELETE (retried if it times out)
    create: float = 60.0  # for the answer to a POST that creates a show or an episode
    work: float = 120.0  # for the answer to POST /audios or /scripts (and to send a document)
    deadline: float = 90.0  # for one request, retries and their pauses included
    settle: float = 10.0  # after a create got no answer: wait, then look for its effect
    verify: float = 300.0  # for all of `podsync verify`: every feed and audio file it reads

    def read_for(self, method: str, path: str) -> float:
        """The read timeout of one attempt at ``method path``."""
        if method.upper() != "POST":
            return self.read
        return self.work if path.rstrip("/").endswith(WORK_PATHS) else self.create

    def write_for(self, method: str, path: str) -> float:
        """Sending a body: a document upload may be large on a slow uplink."""
        return max(self.read, self.read_for(method, path))

    def deadline_for(self, method: str, path: str) -> float:
        """The whole request may take ``deadline``, but never less than one full attempt: a POST
        keeps its connection for the first answer however short the deadline."""
        return max(self.deadline, self.connect + self.read_for(method, path))

    @classmethod
    def parse(cls, spec: str) -> Timeouts:
        """``"300"`` (the deadline) or ``"read=60,deadline=300"`` (seconds per field)."""
        text = spec.strip()
        if not text:
            return cls()
        names = ", ".join(f.name for f in fields(cls))
        if "=" not in text:
            return cls(deadline=_seconds(text, f"{TIMEOUT_ENV}={text!r}"))
        values: dict[str, float] = {}
        for raw in text.split(","):
            item = raw.strip()
            if not item:
                continue
            name, sep, value = (part.strip() for part in item.partition("="))
            if not sep or name not in {f.name for f in fields(cls)}:
                raise ConfigError(
                    f"bad {TIMEOUT_ENV} entry {item!r}: write SECONDS or NAME=SECONDS, "
                    f"names: {names}"
                )
            values[name] = _seconds(value, f"{TIMEOUT_ENV} entry {item!r}", zero=name == "settle")
        return replace(cls(), **values)

    @classmethod
    def from_env(cls) -> Timeouts:
        return cls.parse(os.environ.get(TIMEOUT_ENV, ""))


def _seconds(text: str, where: str, *, zero: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"bad {where}: {text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        least = "0 or more" if zero else "more than 0"
        raise ConfigError(f"bad {where}: seconds must be a finite number, {least}")
    return value
