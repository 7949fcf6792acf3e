"""podsync: podcasts as code, reconciled against the ZenMic API."""

__version__ = "0.1.0"
