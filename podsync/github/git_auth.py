"""Give git the action's `github-token` for fetching and pushing, without writing it anywhere.

actions/checkout leaves its own credentials in .git/config, unless `persist-credentials: false`,
and they may be another token than the one the action was given (a GitHub App or personal
token that may push to a protected branch). So podsync hands git the token itself, the way
actions/checkout does (an `http.<url>.extraheader` carrying HTTP basic auth), but through git's
environment-variable configuration (GIT_CONFIG_COUNT, GIT_CONFIG_KEY_n, GIT_CONFIG_VALUE_n):
never on a command line (visible to every process), never in .git/config (left in the
workspace), never printed.

The header goes only to the GitHub server the runner names (GITHUB_SERVER_URL), and only when
origin is on it: a token is never sent to a host that did not issue it. Any other remote (a
local path, in tests) is pushed to with whatever git already has.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

DEFAULT_SERVER_URL = "https://github.com"


@dataclass(frozen=True)
class GitAuth:
    """Environment variables for git, and the strings that must never reach a log."""

    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    source: str = "the credentials git already has"  # says, in errors, whose access failed

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


NO_AUTH = GitAuth()


def token_auth(
    remote_urls: Iterable[str],
    *,
    token: str,
    server_url: str = DEFAULT_SERVER_URL,
    environ: Mapping[str, str] | None = None,
) -> GitAuth:
    """Auth for the remote URLs (fetch and push) that are on `server_url`; NO_AUTH for none.

    For each URL two entries are added after those already in `environ`: an empty
    extraheader, which drops any header configured before (actions/checkout's, for another
    token: two Authorization headers fail the request), then this token's.
    """
    token = token.strip()
    server = server_url.strip().rstrip("/") or DEFAULT_SERVER_URL
    urls = sorted({u for u in remote_urls if u.startswith(server + "/")})
    if not token or not urls:
        return NO_AUTH
    credentials = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    header = f"AUTHORIZATION: basic {credentials}"
    start = _existing_count(environ or {})
    env: dict[str, str] = {}
    index = start
    for url in urls:
        for value in ("", header):
            env[f"GIT_CONFIG_KEY_{index}"] = f"http.{url}.extraheader"
            env[f"GIT_CONFIG_VALUE_{index}"] = value
            index += 1
    env["GIT_CONFIG_COUNT"] = str(index)
    return GitAuth(env, secrets=(token, credentials), source="the github-token input")


def _existing_count(environ: Mapping[str, str]) -> int:
    try:
        return max(0, int(environ.get("GIT_CONFIG_COUNT", "0") or 0))
    except ValueError:
        return 0
