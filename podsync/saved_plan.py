"""Saved plans: `plan --out FILE` writes one, `apply FILE` applies exactly it or refuses it.

A reviewed plan is a promise: apply must do what the reviewer read, not what the world looks like
an hour later. So a saved plan carries fingerprints of its three inputs (the manifests, the lock,
the live account) and the checksum of its changes. `apply FILE` reads the inputs again; if any of
them moved, the plan is stale and apply refuses it, naming what moved (Terraform's rule). If none
moved, the planner, a pure function, makes the same plan again, and the checksum proves it.

The file holds the plan as JSON (the same document `plan --format json` prints): no API key, no
document text, so it can be kept as a CI artifact.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from podsync import __version__
from podsync.config import CONFIG_NAME
from podsync.errors import PodsyncError
from podsync.lock import LOCK_NAME, serialize
from podsync.manifest import SHOW_SUFFIXES, SHOWS_DIR
from podsync.model import AUDIO_UNSUCCESSFUL, Desired, Live
from podsync.operations.steps import Planned
from podsync.plan import Reason
from podsync.plan_file import document_checksum, plan_checksum, plan_to_dict
from podsync.render.phrases import episode_reason, show_reason

SAVED_FORMAT = "podsync-saved-plan"
# 2: reasons, warnings and guards are codes, and the checksum covers guards, settings and
# protect values; version 1 files are refused
SAVED_VERSION = 2
MAX_SAVED_PLAN_BYTES = 256_000_000  # beyond this a file is not taken for a saved plan


class StalePlan(PodsyncError):
    """The saved plan no longer describes what apply would do."""


@dataclass(frozen=True)
class Fingerprints:
    manifests: str
    lock: str
    live: str


@dataclass(frozen=True)
class SavedPlan:
    checksum: str
    fingerprints: Fingerprints
    project: str  # the project folder, relative to the plan file's folder: apply's default
    options: dict[str, Any]  # planning options apply must repeat (e.g. no_delete)
    plan: dict[str, Any]
    podsync_version: str = ""

    def project_dir(self, plan_file: Path) -> Path:
        """Where the plan was made, found from the plan file wherever apply runs from; a plan
        kept beside its project (a CI artifact, say) stays valid on another machine."""
        return (plan_file.resolve().parent / self.project).resolve()

    @property
    def offline(self) -> bool:
        """Made by `plan --offline`, from the manifests and the lock without the account."""
        return self.plan.get("live_read") is False


def check_applicable(saved: SavedPlan, path: Path) -> None:
    """Refuse an offline plan outright: it never saw the account, so it is no review of what
    apply would do there (drift, hand-made episodes, expired audio would all be missed)."""
    if saved.offline:
        raise PodsyncError(
            f"{path} is an offline plan (podsync plan --offline): it compares the manifests "
            "with podsync.lock without reading the account, so it cannot be applied. Run "
            "`podsync apply` (it plans against the account and asks first), or save a plan made "
            "with an API key: podsync plan --out FILE"
        )


def fingerprints(planned: Planned) -> Fingerprints:
    return Fingerprints(
        manifests=_digest(_desired_data(planned.inputs.desired)),
        lock=_digest(serialize(planned.inputs.lock)),
        live=_digest(_live_data(planned.live)),
    )


def check_plan_target(path: Path, project: Path, desired: Desired, *, force: bool) -> None:
    """Refuse a `plan --out` target that is not ours to overwrite, before any request is sent.

    A mistyped `--out podsync.lock` would throw away podsync's memory of what it created and
    paid for, and `--out shows/tech.yaml` a manifest: those are refused outright. Any other
    existing file that is not a saved plan needs --force; a saved plan is replaced freely,
    since making it again is what `plan --out` is for. The lock and a show file are refused
    even before they exist: a plan written there would be read back as one."""
    for candidate, what in _project_files(project, desired):
        with contextlib.suppress(OSError):
            if path.resolve() == candidate.resolve() or os.path.samefile(path, candidate):
                raise PodsyncError(
                    f"{path} is {what}: `plan --out` never overwrites it, even with --force; "
                    "save the plan to another file"
                )
    with contextlib.suppress(OSError):
        target = path.resolve()
        if target.parent == (project / SHOWS_DIR).resolve() and target.suffix.lower() in (
            SHOW_SUFFIXES
        ):
            raise PodsyncError(
                f"{path} would be read as a manifest ({SHOWS_DIR}/{target.name}): `plan --out` "
                "never writes there, even with --force; save the plan to another file"
            )
    try:
        path.stat()
    except OSError:
        return  # nothing there (or nothing readable): writing it says what goes wrong
    if not force and not _is_saved_plan(path):
        raise PodsyncError(
            f"{path} exists and is not a saved podsync plan: `plan --out` replaces only a saved "
            "plan; choose another file, or pass --force to replace it"
        )


def _project_files(project: Path, desired: Desired) -> list[tuple[Path, str]]:
    """The files podsync reads as its inputs: the lock, podsync.yaml, the show files and the
    documents they name."""
    files = [(project / LOCK_NAME, "the lock (podsync.lock)")]
    files.append((project / CONFIG_NAME, f"a manifest ({CONFIG_NAME})"))
    with contextlib.suppress(OSError):
        shows = sorted((project / SHOWS_DIR).iterdir())
        files += [(p, f"a manifest ({SHOWS_DIR}/{p.name})") for p in shows]
    for show in desired.shows:
        for episode in show.episodes:
            document = episode.source.document
            if document is not None:
                shown = Path(os.path.relpath(document.path, project.resolve())).as_posix()
                files.append((Path(document.path), f"a document ({shown})"))
    return files


def _is_saved_plan(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            document = json.loads(handle.read(MAX_SAVED_PLAN_BYTES))
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and document.get("format") == SAVED_FORMAT


def write_saved_plan(
    path: Path, planned: Planned, project: Path, options: dict[str, Any] | None = None
) -> None:
    document = {
        "format": SAVED_FORMAT,
        "version": SAVED_VERSION,
        "podsync_version": __version__,
        "project": os.path.relpath(project.resolve(), path.resolve().parent),
        "options": options or {},
        "fingerprints": asdict(fingerprints(planned)),
        "checksum": plan_checksum(planned.plan),
        "plan": plan_to_dict(planned.plan),
    }
    try:
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise PodsyncError(f"cannot write the plan to {path}: {exc.strerror}") from None


def read_saved_plan(path: Path) -> SavedPlan:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PodsyncError(f"cannot read the saved plan {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PodsyncError(
            f"{path} is not a saved podsync plan (not JSON); make one with `podsync plan --out`"
        ) from None
    if not isinstance(document, dict) or document.get("format") != SAVED_FORMAT:
        raise PodsyncError(
            f"{path} is not a saved podsync plan; make one with `podsync plan --out {path}`"
        )
    if document.get("version") != SAVED_VERSION:
        made_by = str(document.get("podsync_version") or "unknown")
        raise PodsyncError(
            f"{path} was made by another podsync version ({made_by}, saved plan format version "
            f"{document.get('version')!r}); this podsync ({__version__}) reads format version "
            f"{SAVED_VERSION}: make the plan again with `podsync plan --out`"
        )
    try:
        saved = SavedPlan(
            checksum=str(document["checksum"]),
            fingerprints=Fingerprints(**document["fingerprints"]),
            project=str(document["project"]),
            options=dict(document["options"]),
            plan=dict(document["plan"]),
            podsync_version=str(document.get("podsync_version", "")),
        )
        intact = document_checksum(saved.plan) == saved.checksum
    except (KeyError, TypeError, ValueError):
        raise PodsyncError(f"{path} is a damaged saved plan; make the plan again") from None
    if not intact:
        raise PodsyncError(
            f"{path} was edited or damaged: its changes do not match its checksum "
            f"{saved.checksum}; make the plan again with `podsync plan --out`"
        )
    return saved


def check_fresh(saved: SavedPlan, planned: Planned) -> None:
    """Refuse a saved plan whose inputs moved, or that the planner would not make again."""
    now = fingerprints(planned)
    moved = []
    if now.manifests != saved.fingerprints.manifests:
        moved.append("the manifests changed (a show file, podsync.yaml or a source file)")
    if now.lock != saved.fingerprints.lock:
        moved.append("podsync.lock changed (another apply ran since)")
    if now.live != saved.fingerprints.live:
        moved.append("the live ZenMic account changed (edited by hand, or another apply)")
    if not moved and plan_checksum(planned.plan) != saved.checksum:
        if saved.podsync_version != __version__:
            moved.append(
                f"the plan was made by podsync {saved.podsync_version or '(unknown)'}, and "
                f"podsync {__version__} plans differently"
            )
        else:
            moved.append("the same inputs now give a different plan")
    if moved:
        difference = _describe_difference(saved.plan, plan_to_dict(planned.plan))
        raise StalePlan(
            "the saved plan is stale and was not applied:\n"
            + "\n".join(f"  - {reason}" for reason in moved)
            + (f"\n{difference}" if difference else "")
            + "\nMake a new plan with `podsync plan --out FILE`, review it, and apply that."
        )


def _describe_difference(saved: dict[str, Any], now: dict[str, Any]) -> str:
    """The changes that appeared or vanished since the plan was saved, one line each."""
    return describe_label_difference(change_labels(saved), change_labels(now))


def change_labels(plan_document: dict[str, Any]) -> list[str]:
    """One line per change of a plan document ("add episode show/key (new)"), in plan order:
    enough to say what differs between two plans without keeping either whole."""
    return [_label(c) for c in plan_document.get("changes", [])]


def describe_label_difference(before: Iterable[str], after: Iterable[str]) -> str:
    """`+ now also:` / `- no longer:` lines between two plans' change labels."""
    old, new = set(before), set(after)
    lines = [f"  + now also: {label}" for label in sorted(new - old)]
    lines += [f"  - no longer: {label}" for label in sorted(old - new)]
    return "\n".join(lines)


def _label(change: dict[str, Any]) -> str:
    target = change.get("show", "")
    if change.get("episode"):
        target += f"/{change['episode']}"
    return f"{change.get('action')} {change.get('type')} {target} ({_reason(change)})"


def _reason(change: dict[str, Any]) -> str:
    """A change's reason code in words (a document from another podsync may hold others)."""
    code = change.get("reason")
    try:
        reason = Reason(code)
    except ValueError:
        return str(code)
    if change.get("type") == "show":
        return show_reason(reason, change.get("renamed_from"))
    return episode_reason(reason, change.get("renamed_from"))


def _desired_data(desired: Desired) -> Any:
    """The manifests as the plan sees them: where a value was written, or where the project
    sits on disk, does not change the plan, so it does not make a saved plan stale."""

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items() if k not in ("location", "path")}
        if isinstance(value, (list, tuple)):
            return [scrub(v) for v in value]
        return value

    return scrub(asdict(desired))


def _live_data(live: Live) -> Any:
    """The account as the plan sees it; a job moving from queued to succeeded changes nothing
    the plan does, so only whether a cached job is still usable counts."""
    return {
        "read": live.read,
        "shows": sorted(
            (
                {
                    "show_id": show.show_id,
                    "title": show.title,
                    "description": show.description,
                    "episodes": None
                    if show.episodes is None
                    else sorted([e.id, e.mic_id, e.title, e.description] for e in show.episodes),
                }
                for show in live.shows
            ),
            key=lambda s: str(s["show_id"]),
        ),
        "audio": {
            mic_id: status not in AUDIO_UNSUCCESSFUL for mic_id, status in live.audio.items()
        },
    }


def _digest(data: Any) -> str:
    text = data if isinstance(data, str) else json.dumps(data, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
