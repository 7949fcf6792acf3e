"""`--regenerate SHOW/EPISODE`: a new take of an episode whose source did not change.

Like Terraform's `-replace`: the plan pays for a new audio job and re-publishes the episode
with it. The names are checked against the manifests before anything is read or sent, so a
typo costs nothing; the job it replaces stays in podsync.lock's `history`.
"""

from __future__ import annotations

from collections.abc import Iterable

from podsync.errors import ConfigError
from podsync.model import Desired


def regenerate_names(desired: Desired, names: Iterable[str]) -> frozenset[str]:
    """The names as "show/episode", each an episode of the manifests that podsync generates
    audio for; otherwise an error naming the first one that is not. An `audio:` source is an
    existing job: there is nothing to make a new take from."""
    kinds = {
        f"{show.key}/{episode.key}": episode.source.kind
        for show in desired.shows
        for episode in show.episodes
    }
    known = set(kinds)
    for name in names:
        if kinds.get(name) == "audio":
            raise ConfigError(
                f"--regenerate {name}: its source is an existing audio job (audio:), which "
                "podsync publishes as it is; give it a topic, document or dialogue to regenerate"
            )
        if name not in known:
            example = min(known) if known else "SHOW/EPISODE"
            raise ConfigError(
                f"--regenerate {name}: the manifests have no such episode "
                f"(name it as SHOW/EPISODE, e.g. {example})"
            )
    return frozenset(names)
