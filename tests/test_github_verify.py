"""The Action's apply ends with `podsync verify` unless its `verify` input says false: what
listeners get is checked on every merge, and a mismatch fails the step naming the URL."""

from __future__ import annotations

from podsync.lock import read_lock
from tests.fake_github import FakeGitHub
from tests.runner_sim import Sim
from tests.test_github_action import PR, retitle


def test_apply_verifies_by_default_and_a_missing_audio_fails_the_step(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(retitle("privacy", "Episode 2 - Your Privacy"))
    sim.commit("Better title")
    assert sim.step("plan", sim.pull_request_event(PR, action="opened")).exit_code == 0
    lock = read_lock(sim.project / "podsync.lock")
    gone = lock.shows["tech-weekly"].episodes["handmade"].mic_id
    audio = sim.emulator.server.store.state_dir / "audio"
    for path in (audio / f"{gone}.mp3", audio / f"{gone}.json"):
        path.unlink(missing_ok=True)  # a file the CDN lost since the last apply
    before = sim.head("main", sim.origin)
    merged = sim.merge(PR)
    applied = sim.step("apply", sim.push_event(before, merged), env={"PODSYNC_VERIFY": None})
    assert applied.exit_code == 1, applied.output
    assert "Apply finished: 2 done, 0 failed, 0 not started." in applied.output
    url = f"{sim.emulator.url.removesuffix('/api/v2')}/cdn/{gone}.mp3"
    assert f"the audio does not answer (HTTP 404): {url}" in applied.output
    failed = "Verify failed: 1 of 4 episode(s) in 1 show(s), feeds and audio headers."
    assert f"::error::{failed} See the log for each URL." in applied.output
    assert "### podsync verify" in applied.summary and failed in applied.summary
    assert '  ok      privacy "Episode 2 - Your Privacy"' in applied.summary
    heard = applied.summary.split("**Listen to what was published:**", 1)[1]
    mic = read_lock(sim.project / "podsync.lock").shows["tech-weekly"].episodes["privacy"].mic_id
    page = f"{sim.emulator.url.removesuffix('/api/v2')}/audio/{mic}"
    listed = heard.split("**Apply finished", 1)[0].strip().splitlines()
    assert listed[0].startswith("- feed of `tech-weekly`: [http") and "/feed.xml)" in listed[0]
    assert listed[1:] == [
        f"- `tech-weekly/privacy` Episode 2 - Your Privacy: [{page[:7]}\u2060{page[7:]}]({page})"
    ]
