"""The limits the ZenMic API enforces, in one place for the emulator and the validator.

The API page names none of them but the 50 MB document size; these are the emulator's, taken as
the API's, so `podsync validate` refuses what the API would refuse, before anything is paid for.
The manifest schema repeats MAX_DURATION_MINUTES as its `maximum` (a test keeps them equal).
"""

from __future__ import annotations

MAX_TITLE_CHARS = 255  # a show, episode or audio title
MAX_TEXT_CHARS = 20_000  # a topic, description, style prompt or one line of dialogue
MAX_DIALOGUE_LINES = 2_000
MAX_DURATION_MINUTES = 60
