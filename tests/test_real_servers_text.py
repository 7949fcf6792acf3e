"""Text from the server is data (issue 9): odd live text over real HTTP, and what validate knows
of the API's limits.

A real account may hold titles with a lone UTF-16 surrogate (legal JSON "\\ud83d", left by a
JavaScript client that cut an emoji in half), control characters, bidi overrides and very long
strings. Every command must still run, exit as usual, print valid UTF-8 with nothing raw that
could move the cursor or reorder a line, and write a lock that reads back. The odd text reaches
the emulator by hand (raw JSON, as another client would send it) or from its `odd_text` quirk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from podsync import limits
from podsync.emulator import routes_base, wire
from podsync.emulator.quirks import Quirks
from podsync.lock import read_lock
from podsync.schema import load_schema
from tests.conftest import Cli, Emulator, StartEmulator

# Written out here rather than taken from podsync.safe_text, so a gap there fails this test.
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)
ODD = "Odd \ud83d \u202eevil\u202c \x1b[31mred\x07\r\nnext\u2028line"
SHOW_FILE = "shows/tech-weekly.yaml"


def safe_output(result: Result) -> str:
    """stdout and stderr, checked: strict UTF-8, no traceback, no raw unsafe character."""
    text = result.stdout_bytes.decode("utf-8") + (result.stderr_bytes or b"").decode("utf-8")
    assert "Traceback" not in text
    found = UNSAFE.search(text)
    assert found is None, f"raw {found.group()!r} in output" if found else ""
    return text


def raw_json(body: Mapping[str, object]) -> bytes:
    """JSON as any client may send it: json.dumps writes a lone surrogate as an escape."""
    return json.dumps(body).encode("ascii")


def show_id_of(project: Path) -> str:
    return read_lock(project / "podsync.lock").shows["tech-weekly"].show_id


def hand_edit(emulator: Emulator, show_id: str) -> None:
    """Give the live show an odd title and a long description, and add an episode by hand with
    odd text, as a user of another client could."""
    with emulator.api() as api:
        headers = {"Content-Type": "application/json"}
        body = {"title": ODD, "description": "D" * 10_000 + "\u202e"}
        patched = api.patch(f"/podcasts/{show_id}", content=raw_json(body), headers=headers)
        assert patched.status_code == 200, patched.text
        job = api.post("/audios", json={"dialogue": [["male", "Hi."]], "title": "x"})
        assert job.status_code == 202, job.text
        episode = {"mic_id": job.json()["data"]["id"], "title": ODD, "description": "\udc00"}
        added = api.post(
            f"/podcasts/{show_id}/episodes", content=raw_json(episode), headers=headers
        )
        assert added.status_code == 201, added.text


def test_odd_live_text_is_shown_safely_in_every_format_and_apply_repairs_it(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    hand_edit(emulator, show_id_of(project))

    text = cli("plan", str(project), "--detailed-exitcode")
    assert text.exit_code == 2
    shown = safe_output(text)
    assert "\\u202eevil\\u202c \\x1b[31mred\\x07 next\\u2028line" in shown  # visible escapes
    assert "Odd \ufffd " in shown  # the lone surrogate, replaced when it was read

    as_json = cli("plan", str(project), "--format", "json", "--detailed-exitcode")
    assert as_json.exit_code == 2
    document = json.loads(safe_output(as_json))
    update = next(c for c in document["changes"] if c["type"] == "show")
    assert update["before"]["title"] == ODD.replace("\ud83d", "\ufffd")  # the data, unchanged
    assert document["unmanaged"][0]["title"] == ODD.replace("\ud83d", "\ufffd")

    markdown = cli("plan", str(project), "--format", "markdown", "--detailed-exitcode")
    assert markdown.exit_code == 2
    comment = safe_output(markdown)
    row = next(line for line in comment.splitlines() if line.startswith("| `tech-weekly` |"))
    assert row.count("|") == 4 and "\\\\u202eevil" in row  # one table row, escapes shown

    applied = cli("apply", str(project), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    safe_output(applied)
    again = cli("plan", str(project), "--detailed-exitcode")
    assert again.exit_code == 0, again.output  # the hand-made episode is left alone
    assert "Odd \ufffd" in safe_output(again)


def test_a_lock_that_records_an_odd_live_title_is_written_and_reads_back(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    show_id = show_id_of(project)
    hand_edit(emulator, show_id)
    # Lost lock, show named by id: rebuild adopts the live show and records its live title.
    (project / "podsync.lock").unlink()
    manifest = project / SHOW_FILE
    manifest.write_text(manifest.read_text() + f"show_id: {show_id}\n")

    rebuilt = cli("lock", "rebuild", str(project))
    assert rebuilt.exit_code == 0, rebuilt.output
    safe_output(rebuilt)
    raw = (project / "podsync.lock").read_bytes()
    assert not UNSAFE.search(raw.decode("utf-8"))  # a review of the lock's diff is not misled
    lock = read_lock(project / "podsync.lock")
    assert lock.shows["tech-weekly"].title == ODD.replace("\ud83d", "\ufffd")

    planned = cli("plan", str(project), "--detailed-exitcode")
    assert planned.exit_code == 2  # the title is set back as the manifest says
    assert "update show" in safe_output(planned)
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert read_lock(project / "podsync.lock").shows["tech-weekly"].title.endswith("Tech Weekly")


@pytest.fixture
def odd_cli(start_emulator: StartEmulator) -> Iterator[Cli]:
    """An emulator whose every show and episode title (and error message) carries odd text:
    a lone surrogate, a bidi override, control characters and a 10,000-character tail."""
    quirks = Quirks(odd_text=True)
    with start_emulator("odd-state", quirks=quirks) as server:
        yield Cli(server)


def test_odd_text_in_every_listing_never_breaks_a_command(odd_cli: Cli, project: Path) -> None:
    applied = odd_cli("apply", str(project), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    safe_output(applied)
    tail = "~" * 301  # more of the 10,000-character tail than a line shows
    for fmt in ("text", "markdown"):
        result = odd_cli("plan", str(project), "--format", fmt, "--detailed-exitcode")
        assert result.exit_code == 2  # every live title differs from the manifest's
        assert tail not in safe_output(result)
    as_json = odd_cli("plan", str(project), "--format", "json", "--detailed-exitcode")
    assert as_json.exit_code == 2
    document = json.loads(safe_output(as_json))
    before = next(c for c in document["changes"] if c["type"] == "show")["before"]["title"]
    assert before.endswith("~" * 10_000) and "\u202e" in before  # JSON keeps the whole data

    rebuilt = odd_cli("lock", "rebuild", str(project), "--force")
    assert rebuilt.exit_code == 0, rebuilt.output
    safe_output(rebuilt)
    assert read_lock(project / "podsync.lock").shows["tech-weekly"].show_id


def test_a_long_live_title_in_a_duplicate_warning_is_cut(odd_cli: Cli, project: Path) -> None:
    """A warning that quotes a live title (a possible duplicate) cuts it like every other line
    that shows one, rather than printing 10,000 characters."""
    assert odd_cli("apply", str(project), "--auto-approve").exit_code == 0
    lock = read_lock(project / "podsync.lock").shows["tech-weekly"]
    with odd_cli.emulator.api() as api:
        body = {"mic_id": lock.episodes["privacy"].mic_id, "title": "Copy", "description": ""}
        assert api.post(f"/podcasts/{lock.show_id}/episodes", json=body).status_code == 201
    tail = "~" * 301
    for fmt in ("text", "markdown"):
        shown = safe_output(odd_cli("plan", str(project), "--format", fmt))
        assert "possible duplicate in show" in shown
        assert tail not in shown


def test_an_odd_error_message_from_the_api_is_cut_and_escaped(
    odd_cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes_base, "MAX_TITLE_CHARS", 10)  # a stricter server refuses
    result = odd_cli("apply", str(project), "--auto-approve")
    assert result.exit_code == 1
    shown = safe_output(result)
    assert "POST /api/v2/podcasts -> 400" in shown
    assert "title is longer than 10 characters \ufffd \\u202eevil" in shown
    assert "~" * 501 not in shown


def test_the_emulator_and_the_validator_share_the_api_limits() -> None:
    assert vars(wire)["MAX_TITLE_CHARS"] is limits.MAX_TITLE_CHARS
    assert vars(wire)["MAX_TEXT_CHARS"] is limits.MAX_TEXT_CHARS
    assert vars(wire)["MAX_DIALOGUE_LINES"] is limits.MAX_DIALOGUE_LINES
    source = load_schema("manifest.schema.json")["$defs"]["source"]["properties"]  # type: ignore[index]
    assert source["duration_minutes"]["maximum"] == limits.MAX_DURATION_MINUTES


def test_text_at_the_limits_validates_and_the_api_accepts_it(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    """The other side of tests/fixtures/manifests/invalid/over-limits: validate is not stricter
    than the API."""
    path = project / SHOW_FILE
    data = yaml.safe_load(path.read_text())
    data["title"] = "T" * limits.MAX_TITLE_CHARS
    data["description"] = "d" * limits.MAX_TEXT_CHARS
    data["episodes"] = [
        {
            "key": "edge",
            "title": "E" * limits.MAX_TITLE_CHARS,
            "description": "d" * limits.MAX_TEXT_CHARS,
            "source": {
                "style_prompt": "s" * limits.MAX_TEXT_CHARS,
                "dialogue": [["male", "w" * limits.MAX_TEXT_CHARS]]
                + [["female", "Hi."]] * (limits.MAX_DIALOGUE_LINES - 1),
            },
        }
    ]
    path.write_text(yaml.safe_dump(data))
    assert cli("validate", str(project)).exit_code == 0
    applied = cli("apply", str(project), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert emulator.account()["episodes"] == 1
