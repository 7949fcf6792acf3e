"""A ZenMic-compatible API server, so podsync can be tried and tested with no account.

It implements every endpoint of the ZenMic API page (scripts, audio jobs, podcast shows, episodes)
with the same request rules and response shapes, keeps its state in ``state_dir/state.json``
(its latest changes in ``state.journal``), and shares no code with ``podsync.client``: only the
API contract connects them.

Audio jobs take ``job_seconds`` of wall-clock time: ``queued``, then ``running``, then
``succeeded``. To exercise failures deterministically, put the marker ``[emulator:fail]``
(``FAIL_MARKER``) in a job's topic, title or any dialogue line: that job ends ``failed`` with an
``error`` message instead.

Extras outside ``/api/v2`` (no auth): ``GET /_emulator/stats`` -> ``{"requests": n, "writes": n,
...}`` (writes: the requests that are not GET or HEAD) and ``POST /_emulator/reset`` (forget all
state, zero the counters).

``Faults`` (faults.py) injects throttling, outages, ambiguous 500s, dropped connections, latency
and failed jobs, deterministically under a seed, so podsync's recovery can be tested for real.
``Quirks`` (quirks.py) makes it behave in the legal ways a real server may differ from it.
"""

from __future__ import annotations

from podsync.emulator.app import DEFAULT_PUBLIC_URL, MAX_DOCUMENT_BYTES, create_app
from podsync.emulator.faults import JOB_FAILURE_REASON, Faults
from podsync.emulator.jobs import FAIL_MARKER
from podsync.emulator.quirks import Quirks
from podsync.emulator.server import EmulatorServer, serve_forever
from podsync.emulator.store import Store
from podsync.errors import StateError

__all__ = [
    "DEFAULT_PUBLIC_URL",
    "FAIL_MARKER",
    "JOB_FAILURE_REASON",
    "MAX_DOCUMENT_BYTES",
    "EmulatorServer",
    "Faults",
    "Quirks",
    "StateError",
    "Store",
    "create_app",
    "serve_forever",
]
