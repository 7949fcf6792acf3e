"""Pinned scripts: the words of a topic or document episode, written once by POST /scripts and
kept in the project, so that a reviewer reads what listeners will hear before apply pays for it.

A script file (`scripts/<show>/<episode>.yaml`, schemas/script.schema.json) holds the dialogue
as a list of [speaker, text] lines, as a dialogue_file does, with the title and style prompt
ZenMic gave it and `generated_from`: the source kind, topic, document (path and sha256) and
length it was written from, and a digest of those. The episode's source names the file with
`script:`; its audio is then made from the dialogue, whose digest keys the audio cache, so
editing one line pays for that episode once and for nothing else.

A pin is stale when the manifest's topic, document bytes or length no longer match
`generated_from`: the words were written for something else. The planner guards a stale pin
(apply refuses the plan) until `podsync script` writes it again or `podsync script --accept`
keeps it as it is; podsync never pays for audio from a stale script without being told.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from podsync.file_modes import file_mode
from podsync.model import Source
from podsync.schema import Validator, load_schema, new_validator
from podsync.script_check import matches_script_schema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

SCRIPTS_DIR = "scripts"
SCRIPT_SCHEMA = "script.schema.json"
# What a pin records and a stale pin names, in this order: kind, focus, bytes, length.
INPUT_FIELDS = ("source", "topic", "document", "duration_minutes")
_WIDE = 1 << 30  # never fold a line: a reviewer's diff is one line per spoken line


def inputs_fingerprint(source: Source) -> dict[str, object]:
    """What a topic or document source asks POST /scripts for, free of file names."""
    return {
        "source": source.kind,
        "topic": source.topic,
        "document": source.document.sha256 if source.document else None,
        "duration_minutes": source.duration_minutes,
    }


def inputs_digest(source: Source) -> str:
    canonical = json.dumps(inputs_fingerprint(source), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def generated_from(source: Source) -> dict[str, object]:
    """The `generated_from` record of a script written (or accepted) for `source`."""
    document = source.document
    return {
        "source": source.kind,
        "topic": source.topic,
        "document": {"path": document.display, "sha256": document.sha256} if document else None,
        "duration_minutes": source.duration_minutes,
        "digest": inputs_digest(source),
    }


def stale_fields(recorded: Mapping[str, object], current: Source) -> tuple[str, ...]:
    """Which of INPUT_FIELDS changed since the script was written (empty: fresh). A record
    whose digest matches nothing it says was edited by hand: `generated_from` is named."""
    if recorded.get("digest") == inputs_digest(current):
        return ()
    document = recorded.get("document")
    was = {
        "source": recorded.get("source"),
        "topic": recorded.get("topic"),
        "document": document.get("sha256") if isinstance(document, dict) else None,
        "duration_minutes": recorded.get("duration_minutes"),
    }
    now = inputs_fingerprint(current)
    return tuple(f for f in INPUT_FIELDS if was[f] != now[f]) or ("generated_from",)


def script_path(root: Path, show: str, episode: str) -> Path:
    """Where `podsync script` pins an episode that has no script yet."""
    return root / SCRIPTS_DIR / show / f"{episode}.yaml"


def script_text(
    episode: str,
    title: str | None,
    style_prompt: str | None,
    dialogue: Sequence[tuple[str, str]],
    inputs: Source,
) -> str:
    """A new script file: one line per spoken line (`- [female, "..."]`), so a diff of the
    file, and of the plan, reads line by line."""
    head: dict[str, object] = {}
    if title:
        head["title"] = title
    if style_prompt:
        head["style_prompt"] = style_prompt
    head["generated_from"] = generated_from(inputs)
    lines = [
        f"# The words of episode {episode}, written by `podsync script`. Edit any line: apply",
        "# makes the audio from this dialogue. `generated_from` is what it was written from.",
        _dump(head).rstrip("\n"),
        "dialogue:",
        *(f"  - [{_dump(speaker)}, {_dump(text, quoted=True)}]" for speaker, text in dialogue),
    ]
    return "\n".join(lines) + "\n"


def _dump(value: object, *, quoted: bool = False) -> str:
    """Block YAML; a `quoted` scalar in double quotes, so that a comma or a colon a reviewer
    types into a line of dialogue stays part of it."""
    text = yaml.safe_dump(
        value,
        default_flow_style=False,
        default_style='"' if quoted else None,
        sort_keys=False,
        allow_unicode=True,
        width=_WIDE,
    )
    return text.removesuffix("\n...\n").strip("\n") if isinstance(value, str) else text


@functools.cache
def script_validator() -> Validator:
    """The script file's schema, behind its fast check (script_check.py): jsonschema walks only
    a file the fast check refuses, to say what is wrong and where."""
    return Validator(_full_script_validator, matches_script_schema)


def _full_script_validator() -> Draft202012Validator:
    """The script file's schema, with the manifest's (whose dialogue it shares) resolvable."""
    from referencing import Registry, Resource

    script, manifest = load_schema(SCRIPT_SCHEMA), load_schema("manifest.schema.json")
    registry: Registry = Registry().with_resources(
        [
            (str(script["$id"]), Resource.from_contents(script)),
            (str(manifest["$id"]), Resource.from_contents(manifest)),
        ]
    )
    return new_validator(script, registry)


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` (or create it, folders too) with `text`, never leaving half a file."""
    import tempfile  # only `podsync script` writes one (and tempfile loads shutil, bz2, lzma)

    path.parent.mkdir(parents=True, exist_ok=True)
    mode = file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
