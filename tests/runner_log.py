"""The GitHub Actions runner's reading of a step's log, ported for tests: which lines it takes
as workflow commands.

A port of actions/runner (commit 258d6c8): src/Runner.Common/ActionCommand.cs (`TryParseV2`
for `::name props::data` at the start of a line, after leading whitespace; `TryParse` for the
legacy `##[name props]data` anywhere in a line) and src/Runner.Worker/ActionCommandManager.cs
(`TryProcessCommand`: V2 first, then V1; command names compared ignoring case; after
`stop-commands` nothing is a command until the stop token comes back). The runner reads a
process's output with StreamReader.ReadLine, so `\\r`, `\\n` and `\\r\\n` all end a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# ActionCommandManager registers stop-commands and every command extension but
# internal-set-repo-path (only plugins enable it).
REGISTERED = frozenset(
    {
        "stop-commands",
        "set-env",
        "set-output",
        "save-state",
        "add-mask",
        "add-path",
        "add-matcher",
        "remove-matcher",
        "debug",
        "warning",
        "error",
        "notice",
        "group",
        "endgroup",
        "echo",
    }
)
_LINES = re.compile(r"\r\n|\r|\n")
_V1_PREFIX = "##["
_V2_KEY = "::"
# .NET's char.IsWhiteSpace, which string.TrimStart() trims
_DOTNET_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u202f\u205f\u3000\u2028\u2029" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)


@dataclass(frozen=True)
class Command:
    form: str  # "v2" (::) or "v1" (##[)
    name: str
    properties: dict[str, str]
    data: str
    line: str


def _unescape(text: str, mappings: tuple[tuple[str, str], ...]) -> str:
    for token, replacement in mappings:
        text = text.replace(replacement, token)
    return text


_DATA = (("\r", "%0D"), ("\n", "%0A"), ("%", "%25"))
_PROPERTY = (("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25"))
_V1 = ((";", "%3B"), ("\r", "%0D"), ("\n", "%0A"), ("]", "%5D"), ("%", "%25"))


def _name_of(info: str, registered: set[str]) -> str | None:
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    return name if name.lower() in registered else None


def try_parse_v2(message: str, registered: set[str]) -> Command | None:
    message = message.lstrip(_DOTNET_SPACE)
    if not message.startswith(_V2_KEY):
        return None
    end = message.find(_V2_KEY, len(_V2_KEY))
    if end < 0:
        return None
    info = message[len(_V2_KEY) : end]
    name = _name_of(info, registered)
    if name is None:
        return None
    properties: dict[str, str] = {}
    space = info.find(" ")
    if space > 0:
        for pair in (p for p in info[space + 1 :].strip(_DOTNET_SPACE).split(",") if p):
            parts = [p for p in pair.split("=", 1) if p]
            if len(parts) == 2:
                properties[parts[0].lower()] = _unescape(parts[1], _PROPERTY)
    data = _unescape(message[end + len(_V2_KEY) :], _DATA)
    return Command("v2", name, properties, data, message)


def try_parse_v1(message: str, registered: set[str]) -> Command | None:
    prefix = message.find(_V1_PREFIX)
    if prefix < 0:
        return None
    bracket = message.find("]", prefix)
    if bracket < 0:
        return None
    info = message[prefix + len(_V1_PREFIX) : bracket]
    name = _name_of(info, registered)
    if name is None:
        return None
    properties: dict[str, str] = {}
    space = info.find(" ")
    if space > 0:
        for pair in (p for p in info[space + 1 :].split(";") if p):
            parts = [p for p in pair.split("=", 1) if p]
            if len(parts) == 2:
                properties[parts[0].lower()] = _unescape(parts[1], _V1)
    return Command("v1", name, properties, _unescape(message[bracket + 1 :], _V1), message)


@dataclass
class CommandScanner:
    """The runner's command processing over a whole log, stop-commands included."""

    registered: set[str] = field(default_factory=lambda: set(REGISTERED))
    stop_token: str | None = None
    found: list[Command] = field(default_factory=list)

    def feed(self, log: str) -> list[Command]:
        for line in _LINES.split(log):
            self.line(line)
        return self.found

    def line(self, line: str) -> None:
        if not line:
            return
        command = try_parse_v2(line, self.registered) or try_parse_v1(line, self.registered)
        if command is None:
            return
        if self.stop_token is not None:
            if command.name.lower() == self.stop_token.lower():
                self.registered.discard(self.stop_token.lower())
                self.stop_token = None
                self.found.append(command)
            return
        if command.name.lower() == "stop-commands":
            self.stop_token = command.data
            self.registered.add(command.data.lower())
        self.found.append(command)


def commands_in(log: str) -> list[Command]:
    """Every line of `log` the runner would take as a workflow command, in order."""
    return CommandScanner().feed(log)
