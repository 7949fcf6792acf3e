"""The emulator's audio: each job's script spoken by two voices and encoded to a tagged MP3.

Speech comes from espeak-ng (a male and a female voice) when it is installed; without it, each line
becomes a soft tone as long as the line would take to say (lower for the male speaker), and the
emulator says once that speech needs espeak-ng. Either way the file is a real, playable MP3 made
by LAME (``lameenc``) with ID3 tags (title, show) written by ``mutagen``.

Files live under ``state_dir/audio/``: ``<id>.json`` (the script, written when the job is
accepted) and ``<id>.mp3``. A worker thread makes MP3s from a bounded queue, so requests never
wait for synthesis; a job that finds the queue full, or whose MP3 was evicted, is made when its
file is first asked for. Bounds: ``AudioLimits.max_seconds`` of audio per job (the script is cut
there) and ``AudioLimits.max_disk_bytes`` of MP3s in total (the oldest are evicted first; they
are rebuilt from their script on demand, since synthesis is deterministic).
"""

from __future__ import annotations

import array
import contextlib
import functools
import json
import math
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lameenc
import mutagen
import mutagen.id3
import mutagen.mp3

# mutagen has no complete type hints: used through Any so mypy --strict stays meaningful elsewhere
_id3: Any = mutagen.id3
_mp3: Any = mutagen.mp3

SAMPLE_RATE = 22050
BITRATE_KBPS = 32  # constant: a file's duration is its size over this rate
ARTIST = "ZenMic emulator"
VOICES = {"male": "en-us+m3", "female": "en-us+f3"}
WORDS_PER_SECOND = 2.6  # a tone line lasts about as long as its words would take to say
PAUSE_SECONDS = 0.35
TONE_PERIODS = {"male": 100, "female": 70}  # samples per cycle: 220.5 Hz and 315 Hz
TONE_AMPLITUDE = 2500  # soft: under a tenth of full scale
ESPEAK_TIMEOUT = 30.0
NEEDS_ESPEAK = (
    "the ZenMic emulator makes tones instead of speech: install espeak-ng for spoken audio "
    "(Debian/Ubuntu: apt-get install espeak-ng)"
)

Line = tuple[str, str]
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class AudioLimits:
    """Bounds on what synthesis may cost; see the module docstring."""

    max_seconds: float = 600.0  # audio per job; the rest of a longer script is not spoken
    max_disk_bytes: int = 256 * 1024 * 1024  # all MP3s under state_dir/audio together
    queue_size: int = 64  # jobs waiting for the worker; more are made on demand
    eager: bool = True  # False: no worker, each MP3 is made when first asked for (test suites)


@dataclass(frozen=True)
class AudioFile:
    path: Path
    size: int
    seconds: float


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


class AudioMaker:
    """Makes and keeps the MP3s of one emulator's audio jobs."""

    def __init__(
        self,
        directory: Path,
        limits: AudioLimits | None = None,
        *,
        espeak: str | None = "auto",
        notice: Callable[[str], None] = _to_stderr,
    ) -> None:
        self.directory = Path(directory)
        self.limits = limits or AudioLimits()
        self.espeak = shutil.which("espeak-ng") if espeak == "auto" else espeak
        self._notice = notice
        self._told = False
        self._lock = threading.Lock()
        self._queue: queue.Queue[str] = queue.Queue(self.limits.queue_size)
        self._worker: threading.Thread | None = None

    def submit(
        self, audio_id: str, title: str, lines: Sequence[Line], seconds: float | None = None
    ) -> None:
        """Record the job's script and queue its synthesis; never waits for it. ``seconds``: the
        length asked for (a topic's ``duration_minutes``); the lines are then spread over it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        script = {
            "title": title,
            "show": "",
            "lines": [list(line) for line in lines],
            "seconds": seconds,
        }
        self._script_path(audio_id).write_text(json.dumps(script), encoding="utf-8")
        if self.espeak is None and not self._told:
            self._told = True
            self._notice(NEEDS_ESPEAK)
        if not self.limits.eager:
            return
        self._start_worker()
        with contextlib.suppress(queue.Full):  # if full: made when first asked for
            self._queue.put_nowait(audio_id)

    def set_show(self, audio_id: str, show: str) -> None:
        """Tag the audio with the show it was published in (ID3 album)."""
        with self._lock:
            script = self._script(audio_id)
            if script is None or script["show"] == show:
                return
            script["show"] = show
            self._script_path(audio_id).write_text(json.dumps(script), encoding="utf-8")
            mp3 = self.mp3_path(audio_id)
            if mp3.exists():
                _tag(mp3, str(script["title"]), show)

    def clear(self) -> None:
        """Forget every script and MP3 (the emulator's reset)."""
        with self._lock:
            for path in self.directory.glob("*.*"):
                path.unlink(missing_ok=True)

    def file(self, audio_id: str) -> AudioFile | None:
        """The job's MP3, made now if it is not there yet; None for a job with no script."""
        with self._lock:
            path = self.mp3_path(audio_id)
            if not path.exists():
                script = self._script(audio_id)
                if script is None:
                    return None
                self._make(audio_id, script)
            return AudioFile(path, path.stat().st_size, _length(path))

    def _start_worker(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="emulator-audio", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            audio_id = self._queue.get()
            try:
                self.file(audio_id)
            except Exception as exc:  # a broken job must not stop the others
                print(f"the ZenMic emulator could not make {audio_id}: {exc}", file=sys.stderr)

    def _make(self, audio_id: str, script: dict[str, Any]) -> None:
        lines = [(str(s), str(t)) for s, t in script["lines"]]
        asked = script.get("seconds")
        target = min(float(asked), self.limits.max_seconds) if asked else 0.0
        spoken = [_encode(pcm) for pcm in self._pcm_lines(lines)]
        # The lines are spread over the length asked for by silence between them; silence is one
        # encoded second repeated (MP3 segments concatenate), so a long job costs no more CPU.
        gap = max(0.0, target - sum(map(_seconds, spoken))) / max(1, len(spoken))
        quiet = _silence() * round(gap / _seconds(_silence()))
        data = b"".join(segment + quiet for segment in spoken)
        path = self.mp3_path(audio_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        _tag(tmp, str(script["title"]), str(script["show"]))
        tmp.replace(path)
        self._evict(keep=path)

    def _pcm(self, lines: Sequence[Line]) -> array.array[int]:
        """16-bit mono samples of every line in turn, cut at the per-job limit."""
        samples = array.array("h")
        for line in self._pcm_lines(lines):
            samples.extend(line)
        return samples

    def _pcm_lines(self, lines: Sequence[Line]) -> list[array.array[int]]:
        """Each line's samples and a short pause after it, until the per-job limit."""
        room = int(self.limits.max_seconds * SAMPLE_RATE)
        pause = array.array("h", bytes(2 * int(PAUSE_SECONDS * SAMPLE_RATE)))
        made: list[array.array[int]] = []
        for speaker, text in lines:
            if room <= 0:
                break
            spoken = self._speak(speaker, text) if self.espeak else None
            samples = (spoken if spoken is not None else _tone(speaker, text)) + pause
            del samples[room:]
            room -= len(samples)
            made.append(samples)
        return made or [pause]

    def _speak(self, speaker: str, text: str) -> array.array[int] | None:
        """espeak-ng's samples for one line, or None (a tone instead) if it fails."""
        assert self.espeak is not None
        with tempfile.TemporaryDirectory(prefix="speech-") as tmp:
            wav = Path(tmp) / "line.wav"
            try:
                subprocess.run(
                    [self.espeak, "-v", VOICES.get(speaker, VOICES["male"]), "-w", str(wav)],
                    input=plain(text).encode("utf-8"),
                    capture_output=True,
                    timeout=ESPEAK_TIMEOUT,
                    check=True,
                )
                with wave.open(str(wav)) as reader:
                    if reader.getframerate() != SAMPLE_RATE or reader.getsampwidth() != 2:
                        return None
                    return array.array("h", reader.readframes(reader.getnframes()))
            except (OSError, subprocess.SubprocessError, wave.Error, EOFError):
                return None

    def _evict(self, keep: Path) -> None:
        """Delete the oldest MP3s until all of them fit in ``max_disk_bytes``."""
        files = sorted(self.directory.glob("*.mp3"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        for old in files:
            if total <= self.limits.max_disk_bytes:
                break
            if old != keep:
                total -= old.stat().st_size
                old.unlink(missing_ok=True)

    def _script(self, audio_id: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._script_path(audio_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _script_path(self, audio_id: str) -> Path:
        return self.directory / f"{audio_id}.json"

    def mp3_path(self, audio_id: str) -> Path:
        return self.directory / f"{audio_id}.mp3"


def _tone(speaker: str, text: str) -> array.array[int]:
    """A soft tone as long as ``text`` would take to say, faded in and out to avoid clicks."""
    seconds = max(1.0, len(text.split()) / WORDS_PER_SECOND)
    period = TONE_PERIODS.get(speaker, TONE_PERIODS["male"])
    cycle = array.array(
        "h", (int(TONE_AMPLITUDE * math.sin(2 * math.pi * i / period)) for i in range(period))
    )
    samples = cycle * (int(seconds * SAMPLE_RATE) // period)
    fade = min(len(samples) // 2, SAMPLE_RATE // 50)
    for i in range(fade):
        samples[i] = samples[i] * i // fade
        samples[-1 - i] = samples[-1 - i] * i // fade
    return samples


def _encode(samples: array.array[int]) -> bytes:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE_KBPS)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return bytes(encoder.encode(samples.tobytes()) + encoder.flush())


def _seconds(mp3: bytes) -> float:
    return len(mp3) * 8 / (BITRATE_KBPS * 1000)


@functools.lru_cache(maxsize=1)
def _length(path: Path) -> float:
    """Seconds of MP3 audio in ``path``; 0 for a file that holds none (cut or replaced by hand),
    which the emulator still serves, as a real CDN would."""
    try:
        return float(_mp3.MP3(path).info.length)
    except mutagen.MutagenError:
        return 0.0


def _silence() -> bytes:
    """About one second of encoded silence, to repeat."""
    return _encode(array.array("h", bytes(2 * SAMPLE_RATE)))


def plain(text: str) -> str:
    """``text`` with lone surrogates (which a client may send) as U+FFFD: encodable as UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


def _tag(path: Path, title: str, show: str) -> None:
    title, show = plain(title), plain(show)
    tags = _id3.ID3()
    tags.add(_id3.TIT2(encoding=3, text=title))
    tags.add(_id3.TPE1(encoding=3, text=ARTIST))
    if show:
        tags.add(_id3.TALB(encoding=3, text=show))
    tags.save(str(path))
