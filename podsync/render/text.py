"""The plan for a terminal: one line per change, grouped by show, Terraform-style.

Symbols are plain ASCII so the plan reads the same in a log file as in a terminal; colour
(only when asked for) is layered on the symbol and verb, never replaces them. Titles come from
manifests and from the live API, so control characters are made visible rather than letting
them move the cursor or forge colour codes.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from podsync.model import Desired, Source
from podsync.plan import (
    AudioJob,
    CreateShow,
    EpisodeChange,
    Plan,
    ReplaceEpisode,
    ShowChange,
    Unmanaged,
    counted,
)
from podsync.render.dialogue_diff import diff_lines
from podsync.render.field_lines import field_line, short_digest, shown, width_for
from podsync.render.phrases import (
    AUDIO_WORDS,
    episode_reason,
    plan_warnings,
    show_reason,
)
from podsync.safe_text import one_line

NO_CHANGES = "No changes. Your podcasts match the manifests."
NO_CHANGES_OFFLINE = "No changes between the manifests and podsync.lock."
OFFLINE_HEADER = "Offline plan: the ZenMic account was not read."
OFFLINE_MEANING = (
    "This plan compares the manifests with podsync.lock (what podsync last applied) only. "
    "Changes made in the account outside podsync, episodes podsync did not create, and "
    "cached audio that is gone are not seen. It cannot be applied as it is: apply plans "
    "again against the account first."
)
REPUBLISH_NOTE = "re-published: moves to the top of the feed"
# Live titles and ids may be any length; a plan line shows this much of them.
LIVE_TITLE_WIDTH = 200
LIVE_ID_WIDTH = 60
LOCK_ONLY = "Recorded in podsync.lock only (no API request):"
DIFF_LINES = 40  # of one dialogue's diff in a terminal; the rest is counted

# action -> (symbol, colour)
STYLES: dict[str, tuple[str, str | None]] = {
    "create": ("+", "green"),
    "add": ("+", "green"),
    "update": ("~", "yellow"),
    "replace": ("~", "yellow"),
    "delete": ("-", "red"),
    "remove": ("-", "red"),
    "adopt": ("=", "cyan"),
    "reuse": ("=", "cyan"),
    "existing": ("=", "cyan"),
    "resume": (">", "cyan"),
    "generate": ("$", "magenta"),
}


def render_text(
    plan: Plan, *, color: bool = False, verbose: bool = False, base: Desired | None = None
) -> str:
    """The whole plan as terminal text ending in one newline; ANSI codes only if `color`;
    `verbose` adds the warnings a plan leaves out by default (see phrases.plan_warnings);
    `base` (the manifests at a git commit) adds the changed lines of each dialogue."""
    paint = _painter(color)
    blocks: list[list[str]] = []
    if not plan.live_read:
        blocks.append([paint(OFFLINE_HEADER, "yellow", bold=True), f"  {OFFLINE_MEANING}"])
    if plan.has_changes:
        blocks.extend(_show_block(plan, key, paint, base) for key in show_keys(plan))
    if plan.protect:
        blocks.append([LOCK_ONLY] + [f"  * {line}" for line in protect_lines(plan)])
    warnings = plan_warnings(plan, verbose=verbose)  # the offline note leads the text already
    if warnings:
        blocks.append(
            [paint("Warnings:", "yellow", bold=True)]
            + [f"  {paint('!', 'yellow', bold=True)} {clean(w)}" for w in warnings]
        )
    if plan.unmanaged:
        blocks.append(
            ["Unmanaged episodes (not created by podsync; left alone):"]
            + [_unmanaged_line(u) for u in plan.unmanaged]
        )
    no_changes = NO_CHANGES if plan.live_read else NO_CHANGES_OFFLINE
    blocks.append([paint(summary_line(plan), bold=True) if plan.has_changes else no_changes])
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def summary_line(plan: Plan) -> str:
    """`Plan: 1 show to create, ...; 2 audio jobs to generate, 1 reused.` from plan.summary().

    `reused` counts resumed jobs too, as the summary does: neither is paid for again."""
    counts = plan.summary()
    shows, episodes, audio = counts["shows"], counts["episodes"], counts["audio"]
    line = (
        f"Plan: {counted(shows['create'], 'show')} to create, {shows['update']} to update, "
        f"{shows['delete']} to delete; "
        f"{counted(episodes['add'], 'episode')} to add, {episodes['replace']} to replace, "
        f"{episodes['remove']} to remove; "
        f"{counted(audio['generate'], 'audio job')} to generate, {audio['reuse']} reused"
    )
    adopted = [
        counted(n, noun)
        for n, noun in (
            (sum(1 for s in plan.shows if s.action == "adopt"), "show"),
            (sum(1 for e in plan.episodes if e.action == "adopt"), "episode"),
        )
        if n
    ]
    if adopted:
        line += "; " + " and ".join(adopted) + " to adopt"
    return line + "."


def protect_lines(plan: Plan) -> list[str]:
    """`protect:` values apply records in the lock: 'episode tw/a: protect: true'."""
    return [
        f"{'episode' if episode else 'show'} {show}{f'/{episode}' if episode else ''}: "
        f"protect: {'true' if protect else 'false'}"
        for show, episode, protect in plan.protect
    ]


def describe_source(source: Source) -> str:
    """A one-line account of what the audio is made from, never a document's contents."""
    if source.kind == "topic":
        text = f"topic {quote(shorten(source.topic or '', 60))}"
        if source.duration_minutes is not None:
            text += f", {source.duration_minutes} min"
    elif source.kind == "document" and source.document is not None:
        doc = source.document
        text = f"document {doc.display} ({human_size(doc.size)}, {short_digest(doc.sha256)})"
    elif source.kind == "audio":
        text = "audio already in the account"
    elif source.kind == "dialogue":
        speakers = ", ".join(dict.fromkeys(speaker for speaker, _ in source.dialogue))
        lines = counted(len(source.dialogue), "line")
        text = f"dialogue, {lines}" + (f" ({speakers})" if speakers else "")
    else:
        text = source.kind
    if source.style_prompt:
        text += f", style {quote(shorten(source.style_prompt, 40))}"
    return clean(text)


def republish_note(change: ReplaceEpisode) -> str:
    """Why a replace is visible to listeners: it is removed and published again."""
    audio = "same audio" if change.republish else "new audio"
    return f"{audio}, {REPUBLISH_NOTE}"


def clean(text: str) -> str:
    """One line of printable text: line breaks become spaces; control, bidi and separator
    characters and lone surrogates are escaped, so a title cannot move the cursor, forge
    colour codes or reorder the line around it."""
    return one_line(text)


def quote(text: str) -> str:
    return f'"{clean(text)}"'


def shorten(text: str, width: int) -> str:
    text = clean(text)
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


Paint = Callable[..., str]


def _painter(color: bool) -> Paint:
    def paint(text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold or None) if color else text

    return paint


def show_keys(plan: Plan) -> list[str]:
    """Shows in the order the plan first mentions them, which is the manifests' order."""
    keys = [c.key for c in plan.shows] + [j.show for j in plan.audio]
    keys += [e.show for e in plan.episodes]
    return list(dict.fromkeys(keys))


def _show_block(plan: Plan, key: str, paint: Paint, base: Desired | None = None) -> list[str]:
    show_changes = [c for c in plan.shows if c.key == key]
    show_id = next((c.show_id for c in show_changes if not isinstance(c, CreateShow)), None)
    label = f"({shorten(show_id, LIVE_ID_WIDTH)})" if show_id else "(new)" if show_changes else ""
    lines = [paint(f"show {key}", bold=True) + (f" {label}" if label else "")]
    for change in show_changes:
        lines.extend(_show_lines(change, paint))
    for job in (j for j in plan.audio if j.show == key):
        lines.append(_audio_line(job, paint))
        if base is not None:
            lines.extend(_dialogue_diff(job, base, paint))
    lines.extend(_episode_line(e, paint) for e in plan.episodes if e.show == key)
    return lines


def _action(action: str, words: str, paint: Paint) -> str:
    symbol, fg = STYLES[action]
    return f"  {paint(symbol, fg, bold=True)} {paint(words, fg)}"


def _show_lines(change: ShowChange, paint: Paint) -> list[str]:
    renamed_from = getattr(change, "renamed_from", None)
    reason = f"({clean(show_reason(change.reason, renamed_from))})"
    if change.action == "update":
        lines = [f"{_action('update', 'update show', paint)} {reason}"]
        fields = sorted(change.changes, key=lambda c: c.path)
        return lines + [f"      {field_line(c, width_for(c.path))}" for c in fields]
    if change.action == "delete":
        title = shorten(change.title, LIVE_TITLE_WIDTH)
        return [f'{_action("delete", "delete show", paint)} "{title}" {reason}']
    verb = "adopt live show" if change.action == "adopt" else f"{change.action} show"
    title = shorten(change.title, LIVE_TITLE_WIDTH)
    return [f'{_action(change.action, verb, paint)} "{title}" {reason}']


def _audio_line(job: AudioJob, paint: Paint) -> str:
    head = _action(job.action, f"{job.action} audio", paint)
    mic_id = getattr(job, "mic_id", None)
    job_ref = f" [{shorten(mic_id, LIVE_ID_WIDTH)}]" if mic_id else ""
    return (
        f"{head} for {job.episode}{job_ref}: {describe_source(job.source)} "
        f"({AUDIO_WORDS[job.action]})"
    )


def _dialogue_diff(job: AudioJob, base: Desired, paint: Paint) -> list[str]:
    """The lines of a dialogue edited since `base`, under the job that pays for them; for an
    episode that was no dialogue there (a script pinned since), only how many lines are new."""
    show = base.show(job.show)
    was = next((e for e in show.episodes if e.key == job.episode), None) if show else None
    if was is None or job.source.kind != "dialogue":
        return []
    if was.source.kind != "dialogue":
        return [f"      {counted(len(job.source.dialogue), 'line')}, all new"]
    lines = diff_lines(was.source.dialogue, job.source.dialogue)
    colours = {"+": "green", "-": "red", "@": "cyan"}
    shown = [f"      {paint(line, colours.get(line[:1]))}" for line in lines[:DIFF_LINES]]
    if len(lines) > DIFF_LINES:
        shown.append(f"      ...and {counted(len(lines) - DIFF_LINES, 'more diff line')}")
    return shown


def _episode_line(change: EpisodeChange, paint: Paint) -> str:
    head = _action(change.action, f"{change.action} episode", paint)
    episode_id = getattr(change, "episode_id", None)
    live_ref = f" [{shorten(episode_id, LIVE_ID_WIDTH)}]" if episode_id else ""
    why = clean(episode_reason(change.reason, getattr(change, "renamed_from", None)))
    line = f"{head} {change.key} {quote(change.title)}{live_ref} ({why})"
    if change.action == "replace":
        line += f": {republish_note(change)}"
        fields = shown(change.changes)
        line += "".join(f"\n      {field_line(c, width_for(c.path))}" for c in fields)
    return line


def _unmanaged_line(item: Unmanaged) -> str:
    title = shorten(item.title, LIVE_TITLE_WIDTH)
    return f'  ? {item.show}: "{title}" [{shorten(item.episode_id, LIVE_ID_WIDTH)}]'
