"""Edit a user's YAML without rewriting it: add `script:` to a manifest, refresh a script's
`generated_from`.

A manifest is the user's file: its comments, key order, quoting, blank lines and indentation
are theirs, and a pull request that pins a script should show one added line, nothing else.
ruamel.yaml's round-trip mode keeps all that; podsync tells it the file's own indentation,
inserts the one key, and then checks that the result is the file with exactly that line added.
If ruamel would change anything else (an indentation it cannot reproduce, CRLF line ends, a
flow-style source), the file is left as it was and ManifestNotEdited says which line to add.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from podsync.errors import ManifestNotEdited
from podsync.script_pins import write_atomically


def add_script_entry(manifest: Path, shown: str, episode_key: str, value: str) -> None:
    """Add `script: value` as the first key of the source of episode `episode_key` in
    `manifest` (`shown` in messages), changing no other byte of the file."""
    text = manifest.read_bytes().decode("utf-8")
    by_hand = f"add `script: {value}` under `source:` of episode {episode_key} in {shown}"
    try:
        yaml, data = _round_trip(text)
        show_key = data.lc.key("episodes")
        episodes = data["episodes"]
        item = next(e for e in episodes if e.get("key") == episode_key)
        source = item["source"]
        first = next(iter(source))
        line, col = source.lc.key(first)
        parent = show_key[1]
        mapping = col - item.lc.key("source")[1]
        yaml.indent(mapping=mapping, sequence=item.lc.col - parent, offset=episodes.lc.col - parent)
        source.insert(0, "script", value)
        out = io.StringIO()
        yaml.dump(data, out)
    except (YAMLError, KeyError, StopIteration, TypeError, AttributeError) as exc:
        why = type(exc).__name__
        raise ManifestNotEdited(f"could not edit {shown} ({why}); {by_hand}") from None
    lines = text.splitlines(keepends=True)
    wanted = "".join([*lines[:line], f"{' ' * col}script: {value}\n", *lines[line:]])
    if out.getvalue() != wanted:
        raise ManifestNotEdited(
            f"{shown} could not be edited without changing more than one line (its layout is "
            f"one ruamel.yaml cannot keep); {by_hand}"
        )
    write_atomically(manifest, wanted)


def set_generated_from(script: Path, shown: str, record: Mapping[str, object]) -> None:
    """Replace the `generated_from` of a script file, keeping its comments and the user's edits
    of the dialogue as they are (`podsync script --accept`)."""
    text = script.read_bytes().decode("utf-8")
    try:
        yaml, data = _round_trip(text)
        yaml.indent(mapping=2, sequence=4, offset=2)
        section = data["generated_from"]
        for key in list(section):
            if key not in record:
                del section[key]
        for key, value in record.items():
            section[key] = _plain(value)
        out = io.StringIO()
        yaml.dump(data, out)
    except (YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise ManifestNotEdited(f"could not edit {shown} ({type(exc).__name__})") from None
    write_atomically(script, out.getvalue())


def _round_trip(text: str) -> tuple[YAML, Any]:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 30  # never fold a long line the user wrote on one
    yaml.representer.add_representer(type(None), _null)
    data = yaml.load(text)
    if not isinstance(data, CommentedMap):
        raise TypeError("not a mapping")
    return yaml, data


def _null(representer: Any, value: None) -> Any:
    """`null` spelt out, as podsync writes it, not ruamel's empty value."""
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _plain(value: object) -> object:
    """A nested mapping as ruamel's own type, so it is written in block style."""
    if isinstance(value, Mapping):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _plain(item)
        return mapping
    if isinstance(value, list):
        return CommentedSeq(_plain(item) for item in value)
    return value
