"""The words of `podsync verify`: a line per episode, then the verdict; or the same as JSON.

podsync.verify finds (codes, URLs, numbers); this module is the only place they become prose.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from podsync.render.text import human_size, quote
from podsync.safe_text import escape_json, one_line
from podsync.verify import EpisodeCheck, Finding, Problem, ShowCheck, VerifyResult

_PHRASES: dict[Problem, Callable[[Mapping[str, Any]], str]] = {
    Problem.SHOW_MISSING: lambda p: (
        "the account has no show with the show_id podsync.lock "
        "records (run `podsync plan` to see what apply would do)"
    ),
    Problem.NO_FEED: lambda p: (
        "warning: the API gives this show no feed_url; its feed was not checked"
    ),
    Problem.FEED_UNREADABLE: lambda p: (
        f"warning: the feed could not be fetched ({p['reason']}); its episodes were not checked"
    ),
    Problem.FEED_INVALID: lambda p: f"the feed is {p['reason']}: podcast apps may reject it",
    Problem.NOT_PUBLISHED: lambda p: (
        "not published: podsync.lock has no record of it (run `podsync apply`)"
    ),
    Problem.NOT_APPLIED: lambda p: (
        f"warning: the manifest's title is not applied yet (applied: "
        f"{quote(p['applied'])}; run `podsync apply`)"
    ),
    Problem.MISSING: lambda p: "not in the feed",
    Problem.REPEATED: lambda p: f"listed {p['times']} times in the feed",
    Problem.TITLE: lambda p: f"the feed lists it as {quote(p['listed'])}",
    Problem.DUPLICATE: lambda p: (
        "another item in the feed, not published by podsync, has this title"
    ),
    Problem.UNREACHABLE: lambda p: f"the audio does not answer ({p['reason']})",
    Problem.NOT_AUDIO: lambda p: f"the audio is served as {p['type']}, not audio/*",
    Problem.TOO_SMALL: lambda p: (
        f"the audio is {_size(p['bytes'])}, less than the "
        f"{human_size(p['least'])} of even a second of sound (a silent stub?)"
    ),
    Problem.UNDECODABLE: lambda p: f"the audio is not an MP3 that decodes ({p['reason']})",
    Problem.DURATION: lambda p: (
        f"the audio lasts {_clock(p['seconds'])}, not about "
        f"{_clock(p['asked'])} (more than {round(p['share'] * 100)}% off)"
    ),
    Problem.ORDER: lambda p: (
        f"the feed is not newest first: {quote(p['above'])} is listed above"
        f" the newer {quote(p['below'])}"
    ),
    Problem.TIMED_OUT: lambda p: (
        f"not checked: verify ran out of its {p['seconds']:g} seconds "
        "(PODSYNC_TIMEOUT=verify=SECONDS gives it more)"
    ),
}


def finding_text(finding: Finding) -> str:
    """One finding as a sentence, ending with the URL that disagreed, if any."""
    text = _PHRASES[finding.code](finding.params)
    return f"{text}: {finding.url}" if finding.url else text


def render_verify_text(result: VerifyResult) -> str:
    lines = []
    for show in result.shows:
        lines.append(f"show {show.key}" + (f": feed {show.feed}" if show.feed else ""))
        lines += [f"  ! {finding_text(f)}" for f in show.findings]
        lines += [line for episode in show.episodes for line in _episode_lines(episode)]
    lines += ["", verdict(result)]
    return "\n".join(one_line(line) for line in lines) + "\n"


def verdict(result: VerifyResult) -> str:
    """The closing line: passed or failed, with the counts and what was checked."""
    episodes = [e for s in result.shows for e in s.episodes]
    failed = sum(1 for e in episodes if not e.ok)
    broken = sum(1 for s in result.shows for f in s.findings if not f.warning)
    warned = sum(1 for s in result.shows for f in s.findings if f.warning) + sum(
        1 for e in episodes for f in e.findings if f.warning
    )
    unchecked = sum(s.unchecked for s in result.shows)
    checked = "feeds and decoded audio" if result.audio else "feeds and audio headers"
    where = f"in {len(result.shows)} show(s), {checked}"
    tail = f"; {warned} warning(s)" if warned else ""
    tail += f"; {unchecked} episode(s) not checked" if unchecked else ""
    if not result.ok:
        shows = f" and {broken} show problem(s)" if broken else ""
        return f"Verify failed: {failed} of {len(episodes)} episode(s){shows} {where}{tail}."
    passed = "Verify passed with warnings" if tail else "Verify passed"
    return f"{passed}: {len(episodes)} episode(s) {where}{tail}."


def _episode_lines(episode: EpisodeCheck) -> list[str]:
    head = f"{episode.key} {quote(episode.title)}"
    if episode.ok:
        facts = [_size(episode.bytes)] if episode.bytes is not None else []
        facts += [_clock(episode.seconds)] if episode.seconds is not None else []
        detail = f" ({', '.join(facts)})" if facts else ""
        lines = [f"  ok      {head}{detail}: {episode.enclosure}"]
    else:
        lines = [f"  FAILED  {head}"]
    return lines + [f"          {finding_text(f)}" for f in episode.findings]


def render_verify_json(result: VerifyResult) -> str:
    """The result as data: every finding's code, URL, params and whether it is a warning."""

    def show(check: ShowCheck) -> dict[str, Any]:
        return {
            "show": check.key,
            "show_id": check.show_id,
            "feed": check.feed,
            "ok": check.ok,
            "findings": [_finding(f) for f in check.findings],
            "episodes": [
                {
                    **{k: v for k, v in asdict(e).items() if k != "findings"},
                    "ok": e.ok,
                    "findings": [_finding(f) for f in e.findings],
                }
                for e in check.episodes
            ],
        }

    data = {"ok": result.ok, "audio": result.audio, "shows": [show(s) for s in result.shows]}
    return escape_json(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code.value,
        "url": finding.url,
        "warning": finding.warning,
        "params": dict(finding.params),
        "message": finding_text(finding),
    }


def _size(size: int | None) -> str:
    return "no length" if size is None else human_size(size)


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{seconds:.1f}s"


VERIFY_FORMATS = ("text", "json")


def render_verify(result: VerifyResult, fmt: str) -> str:
    """`result` in one of VERIFY_FORMATS."""
    return render_verify_json(result) if fmt == "json" else render_verify_text(result)
