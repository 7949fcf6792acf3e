"""podsync.safe_text for any string a server could send, and the text rules beside it: lock
keys end at the end (no trailing newline), the emulator keeps what a client sent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podsync.errors import CorruptLock
from podsync.lock import read_lock
from podsync.safe_text import cut, escape_json, message, one_line, valid_unicode
from tests.conftest import TEST_KEY, StartEmulator

# Independent of the module's own sets: C0/C1 controls, separators, bidi controls, surrogates.
UNSAFE_IN_LINE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)
# Any code point, surrogates included, with the awkward ones made likely.
ANY_TEXT = st.text(
    st.one_of(
        st.characters(codec=None, exclude_categories=()),
        st.sampled_from(["\ud83d", "\udc00", "\u202e", "\u2066", "\x1b", "\r", "\n", "\t", "\x85"]),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT)
def test_every_context_gives_encodable_text_with_nothing_raw(text: str) -> None:
    line = one_line(text)
    assert "\n" not in line and not UNSAFE_IN_LINE.search(line)
    line.encode("utf-8")
    shown = message(text)
    assert not UNSAFE_IN_LINE.search(shown)
    shown.encode("utf-8")
    repaired = valid_unicode(text)
    repaired.encode("utf-8")
    assert len(repaired) == len(text)
    serialised = escape_json(json.dumps({"t": text}, ensure_ascii=False))
    assert not UNSAFE_IN_LINE.search(serialised)
    assert json.loads(serialised) == {"t": repaired}  # the data, lone surrogates aside


def test_escapes_are_visible_and_printable_text_is_left_alone() -> None:
    assert one_line("a\ud83d\u202eb\x1b[2J\r\nc") == "a\\ud83d\\u202eb\\x1b[2J c"
    assert message("line 1\nline 2\u202e\x07") == "line 1\nline 2\\u202e\\x07"
    assert one_line("Épisode 1 – 🎙️ ok") == "Épisode 1 – 🎙️ ok"
    assert valid_unicode("half \ud83d, whole \U0001f399") == "half \ufffd, whole \U0001f399"
    assert cut("abcdef", 4) == "abc…" and cut("abc", 4) == "abc"


@pytest.mark.parametrize(
    "key", ["tech\\n", "tech\\r", "tech ", "te ch"], ids=["newline", "cr", "space", "inner"]
)
def test_a_lock_key_with_whitespace_is_a_corrupt_lock(tmp_path: Path, key: str) -> None:
    path = tmp_path / "podsync.lock"
    path.write_text(
        f'{{"version": 1, "audio": {{}}, "shows": {{"{key}": {{"show_id": "s", "title": "t",'
        ' "description": "", "episodes": {}}}}'
    )
    with pytest.raises(CorruptLock, match="does not match its schema"):
        read_lock(path)


def test_the_emulator_keeps_and_returns_a_lone_surrogate_a_client_sent(
    start_emulator: StartEmulator,
) -> None:
    body = json.dumps({"title": "half \ud83d", "description": "\u202e"}).encode("ascii")
    headers = {"Authorization": f"Bearer {TEST_KEY}", "Content-Type": "application/json"}
    with start_emulator("state") as server:
        created = httpx.post(f"{server.url}/podcasts", content=body, headers=headers)
        assert created.status_code == 201, created.text
    with start_emulator("state") as server:  # restarted from disk
        listed = httpx.get(f"{server.url}/podcasts", headers=headers)
    assert b'"half \\ud83d"' in listed.content
    assert listed.json()["data"][0]["title"] == "half \ud83d"
