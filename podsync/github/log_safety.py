"""Text for the runner's log that cannot command the runner.

The Actions runner reads every line a step prints for workflow commands: `::name props::data`
at the start of a line (after leading whitespace), and the legacy `##[name props]data`
anywhere in a line (actions/runner, ActionCommand.TryParseV2 and TryParse). Titles,
descriptions, topics, live titles and manifest problems are printed as they are, so a title
holding `##[add-mask]...`, `##[set-output name=lock-file;]...` or `##[stop-commands]...` (which
silences every annotation after it) would be obeyed. And since the runner ends a line at `\\r`
as well as `\\n`, a description can start a line of its own.

So every line the action prints that is not one of podsync's own annotations goes through
`log_safe`: each `##[` becomes `#\\#[`, and `::` at the start of a line becomes `:\\:`; the
text stays readable and nothing else changes. The escape is a visible backslash, never an
invisible character: the runner matches with .NET's culture-aware IndexOf and StartsWith,
which skip zero-width characters. podsync's own annotations are made by
runner.workflow_command, which escapes the message (`%25 %0D %0A`, and `%3A %2C` in
properties) as the runner decodes it, and are printed as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# What the runner ends a line at (\r, \n), and more that Python would (harmless to include).
_LINE_BREAKS = "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"
# Whitespace .NET's TrimStart removes before looking for `::`, and the characters its
# culture-aware StartsWith ignores (Unicode's default ignorables), generously.
_SPACE = (
    r"[^\S\r\n]|[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
    r"\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_LEADING_COMMAND = re.compile(rf"(^|[{_LINE_BREAKS}])((?:{_SPACE})*)::")
_LEGACY_COMMAND = "##["


class Annotation(str):
    """A workflow command podsync wrote itself (runner.workflow_command): printed as it is."""


def log_safe(text: str) -> str:
    """`text` as lines the runner shows and never runs; see the module docstring."""
    escaped = text.replace(_LEGACY_COMMAND, "#\\#[")
    return _LEADING_COMMAND.sub(lambda m: f"{m.group(1)}{m.group(2)}:\\:", escaped)


def safe_say(echo: Callable[[str], None]) -> Callable[[str], None]:
    """`echo` for the action's log: podsync's own annotations as they are, all else log_safe."""

    def say(text: str) -> None:
        echo(text if isinstance(text, Annotation) else log_safe(text))

    return say
