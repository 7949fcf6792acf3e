"""The plan in two phases: phase one names what to read (episode listings, job statuses) from
what was read so far; phase two, the plan, runs once on the result."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from podsync.lock import CachedAudio, Lock
from podsync.model import Desired, Episode, Live, LiveShow
from podsync.plan import GenerateAudio
from podsync.planner import Reads, plan, to_read
from podsync.planner import project as planner_project
from tests.conftest import Cli
from tests.test_planner import episode as ep
from tests.test_planner import published, show, topic


@contextmanager
def counting_plans() -> Iterator[list[int]]:
    """Count every run of the planner's plan(), however it is reached."""
    calls = [0]
    code = planner_project.plan.__code__

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code is code:
            calls[0] += 1

    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(None)


def test_podsync_plan_runs_the_planner_once(cli: Cli, project: Path) -> None:
    with counting_plans() as calls:
        first = cli("plan", str(project))
    assert first.exit_code == 0, first.output
    assert calls == [1]
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    with counting_plans() as calls:
        again = cli("plan", str(project))
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output
    assert calls == [1]


def test_phase_one_names_the_listings_and_job_statuses_the_plan_relies_on() -> None:
    kept, retitled, changed, gone = ep("kept"), ep("retitled"), ep("changed"), ep("gone")
    s = show(kept, retitled, changed, gone)
    lock, live = published(s)
    new_source = topic("a new angle")
    failed = ep("failed", source=topic("failed before"))
    lock = lock.with_audio(new_source.digest, CachedAudio("mic-new", "succeeded")).with_audio(
        failed.source.digest, CachedAudio("mic-failed", "failed")
    )
    audio = {d: a for d, a in lock.audio.items() if d != gone.source.digest}
    lock = Lock(shows=lock.shows, audio=audio)  # "gone" was adopted: no cache entry
    listed = live.shows[0].episodes or ()
    live_tw = LiveShow("tw-1", s.title, s.description, None, listed[:3])  # "gone" removed by hand
    other = show(key="other", title="Other")
    listing = (live_tw, LiveShow("o-1", "Other", "", None, ()), LiveShow("n-1", "Nope", ""))
    desired = Desired(
        (
            show(
                kept,
                Episode("retitled", "A new title", retitled.description, retitled.source),
                Episode("changed", changed.title, changed.description, new_source),
                gone,
                failed,
            ),
            other,
        )
    )
    # the show listing alone names the listings: the managed show and the title candidate
    assert to_read(desired, lock, Live(tuple(replace_episodes(listing)))).shows == {"tw-1", "o-1"}
    # with them: the re-published live audio, the changed source's cached job, the removed
    # episode's recorded audio; not the unchanged episode, not the job the lock knows failed
    reads = to_read(desired, lock, Live(listing))
    assert reads == Reads(
        frozenset({"tw-1", "o-1"}), frozenset({"mic-retitled", "mic-new", "mic-gone"})
    )
    made = plan(desired, lock, Live(listing))
    relied_on = {j.mic_id for j in made.audio if not isinstance(j, GenerateAudio)}
    assert relied_on <= reads.audio


def test_a_no_change_plan_reads_no_job_status() -> None:
    s = show(ep("a"), ep("b"))
    lock, live = published(s)
    assert to_read(Desired((s,)), lock, live) == Reads(frozenset({"tw-1"}), frozenset())
    assert not plan(Desired((s,)), lock, live).has_changes


def replace_episodes(shows: tuple[LiveShow, ...]) -> Iterator[LiveShow]:
    """The shows as the listing gives them, before any episodes are read."""
    for s in shows:
        yield LiveShow(s.show_id, s.title, s.description)
